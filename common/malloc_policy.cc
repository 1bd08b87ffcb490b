#include "common/malloc_policy.h"

#include <malloc.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace plumbline {
namespace {

constexpr long kTrimThreshold = 16L << 20;
constexpr long kMmapThreshold = 8L << 20;

std::string Bytes(long n) {
  return n % (1L << 20) == 0 ? absl::StrCat(n >> 20, " MiB") : absl::StrCat(n, " bytes");
}

}  // namespace

std::string MallocPolicy::ToString() const {
  std::vector<std::string> parts;
  if (arena_max > 0) parts.push_back(absl::StrCat("arenas ", arena_max));
  if (trim_threshold >= 0) parts.push_back("trim threshold " + Bytes(trim_threshold));
  if (mmap_threshold >= 0) parts.push_back("mmap threshold " + Bytes(mmap_threshold));
  return parts.empty() ? "glibc defaults" : absl::StrJoin(parts, ", ");
}

MallocPolicy ChooseMallocPolicy(int cores, const std::function<const char*(const char*)>& getenv) {
  MallocPolicy p;
  if (getenv("MALLOC_ARENA_MAX") == nullptr) p.arena_max = std::max(2, cores);
  // Setting either threshold turns off glibc's sizing of both from the blocks freed: the two
  // are chosen together, and an environment variable for either leaves both to glibc.
  if (getenv("MALLOC_TRIM_THRESHOLD_") == nullptr && getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    p.trim_threshold = kTrimThreshold;
    p.mmap_threshold = kMmapThreshold;
  }
  return p;
}

bool ApplyMallocPolicy(const MallocPolicy& policy) {
  bool ok = true;
  if (policy.arena_max > 0) ok &= mallopt(M_ARENA_MAX, policy.arena_max) == 1;
  if (policy.trim_threshold >= 0) {
    ok &= mallopt(M_TRIM_THRESHOLD, static_cast<int>(policy.trim_threshold)) == 1;
  }
  if (policy.mmap_threshold >= 0) {
    ok &= mallopt(M_MMAP_THRESHOLD, static_cast<int>(policy.mmap_threshold)) == 1;
  }
  return ok;
}

}  // namespace plumbline
