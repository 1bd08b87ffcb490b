// Counts calls to the global operator new on the calling thread, for tests that prove a code
// path does not allocate. Linking this replaces the global operator new/delete, which the
// sanitizers own: register such tests in builds without sanitizers only.
#pragma once

namespace plumbline::testing {

// Allocations made by `fn()` on this thread.
template <typename Fn>
int CountAllocations(Fn&& fn);

namespace internal {
void StartCountingAllocations();
int StopCountingAllocations();
}  // namespace internal

template <typename Fn>
int CountAllocations(Fn&& fn) {
  internal::StartCountingAllocations();
  fn();
  return internal::StopCountingAllocations();
}

}  // namespace plumbline::testing
