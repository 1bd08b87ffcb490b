#include "common/malloc_policy.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "gtest/gtest.h"

#if defined(__SANITIZE_ADDRESS__)
#define PL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PL_ASAN 1
#endif
#endif

namespace plumbline {
namespace {

std::function<const char*(const char*)> Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(MallocPolicyTest, OneArenaPerCoreAtLeastTwoAndFixedThresholds) {
  const MallocPolicy p = ChooseMallocPolicy(2, Env({}));
  EXPECT_EQ(p.arena_max, 2);
  EXPECT_EQ(p.trim_threshold, 16 << 20);
  EXPECT_EQ(p.mmap_threshold, 8 << 20);
  EXPECT_EQ(p.ToString(), "arenas 2, trim threshold 16 MiB, mmap threshold 8 MiB");
  EXPECT_EQ(ChooseMallocPolicy(1, Env({})).arena_max, 2);
  EXPECT_EQ(ChooseMallocPolicy(16, Env({})).arena_max, 16);
}

TEST(MallocPolicyTest, GlibcVariablesInTheEnvironmentWin) {
  MallocPolicy p = ChooseMallocPolicy(4, Env({{"MALLOC_ARENA_MAX", "8"}}));
  EXPECT_EQ(p.arena_max, 0);
  EXPECT_EQ(p.trim_threshold, 16 << 20);
  p = ChooseMallocPolicy(4, Env({{"MALLOC_TRIM_THRESHOLD_", "0"}}));
  EXPECT_EQ(p.arena_max, 4);
  EXPECT_EQ(p.trim_threshold, -1);
  EXPECT_EQ(p.mmap_threshold, -1);
  EXPECT_EQ(p.ToString(), "arenas 4");
  p = ChooseMallocPolicy(4, Env({{"MALLOC_MMAP_THRESHOLD_", "131072"}, {"MALLOC_ARENA_MAX", "1"}}));
  EXPECT_EQ(p.ToString(), "glibc defaults");
}

// What the policy is for: a block of a few MiB that a query frees is kept in the arena for the
// next one, instead of being mapped for each use and unmapped after (glibc's defaults map the
// first 4 MiB block, and give back whatever a free leaves at the heap's top beyond twice the
// largest block freed so far): touching it again takes no page faults.
TEST(MallocPolicyTest, BlocksOfAFewMiBComeFromTheArenaAndStayThereWhenFreed) {
  const bool applied = ApplyMallocPolicy(ChooseMallocPolicy(2, Env({})));
#if defined(PL_ASAN)
  // AddressSanitizer replaces malloc; its mallopt() accepts nothing, so there is no policy
  // (and no glibc arena) to check in this build.
  EXPECT_FALSE(applied);
#else
  ASSERT_TRUE(applied);
  constexpr size_t kBytes = 4 << 20;
  for (int round = 0; round < 3; ++round) {
    const size_t mapped_before = mallinfo2().hblkhd;
    char* block = static_cast<char*>(std::malloc(kBytes));
    ASSERT_NE(block, nullptr);
    std::memset(block, round + 1, kBytes);
    // The compiler may elide a malloc whose memory never escapes.
    asm volatile("" : : "r"(block) : "memory");
    EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "round " << round << ": the block was mapped";
    std::free(block);
    EXPECT_GE(mallinfo2().fordblks, kBytes) << "round " << round << ": the block was given back";
  }
#endif
}

}  // namespace
}  // namespace plumbline
