// The server's glibc malloc settings, chosen once at start-up.
//
// A query allocates megabytes that live for milliseconds (decoded columns, a range
// aggregation's table of steps, the JSON answer). With glibc's defaults, every thread may get
// an arena of its own (up to 8 per core), and the memory a query frees at the top of an arena
// goes back to the kernel as soon as it exceeds a threshold that glibc sizes from the largest
// block freed so far — so the next query takes a page fault for every 4 KiB it touches again.
// On a virtual machine a fault costs microseconds: `max by (host) (x)` over 250 series and a
// day at 60 s spent 40 % of its CPU in them (README, "Query latency").
//
// The policy: as many arenas as cores (at least two), freed memory kept up to 16 MiB per
// arena, and only blocks of 8 MiB or more mapped and unmapped directly. A variable of glibc's
// own (MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_) set in the
// environment wins over the setting it names.
#pragma once

#include <functional>
#include <string>

namespace plumbline {

struct MallocPolicy {
  int arena_max = 0;         // 0: leave glibc's
  long trim_threshold = -1;  // bytes; -1: leave glibc's
  long mmap_threshold = -1;  // bytes; -1: leave glibc's

  // "arenas 2, trim threshold 16 MiB, mmap threshold 8 MiB" (what is left to glibc is
  // omitted; "glibc defaults" when nothing is set).
  std::string ToString() const;
};

// The policy for a machine with `cores` cores; `getenv` looks up environment variables
// (nullptr when unset).
MallocPolicy ChooseMallocPolicy(int cores, const std::function<const char*(const char*)>& getenv);

// Applies `policy` with mallopt(). False when the allocator refused a setting (it is not
// glibc's, e.g. under AddressSanitizer, which replaces malloc).
bool ApplyMallocPolicy(const MallocPolicy& policy);

}  // namespace plumbline
