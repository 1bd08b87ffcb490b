// Splitting a selection's series (or a range's steps) across threads: each worker decodes and
// evaluates its own items into its own output slots, so results do not depend on the number
// of threads. Helpers come from one process-wide pool of threads that wait between queries:
// starting a thread per query cost a few tens of microseconds, and at times milliseconds
// before the new thread ran, while the calling thread did its share and then the rest.
// Thread-safe: concurrent queries share the pool; a query never waits for a helper that has
// not started (it does the work itself), only for those running its blocks.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace plumbline::query::internal {

// How many threads to give `series` series over `steps` steps: one per core (at most 8)
// when there is enough work to pay for waking them, else 1.
inline unsigned WorkerThreads(size_t series, int steps) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t work = series * static_cast<size_t>(std::max(steps, 1));
  return (series >= 16 && work >= 20000) ? std::min(cores, 8u) : 1u;
}

// One ParallelBlocks call as its helpers see it. Shared with the pool, so a helper that
// starts after the call has returned finds it closed and leaves.
class ParallelCall {
 public:
  explicit ParallelCall(std::function<void(unsigned)> run) : run_(std::move(run)) {}

  // Runs the call's work as helper `worker`, unless the call is already closed.
  void Help(unsigned worker) ABSL_LOCKS_EXCLUDED(mu_);
  // No helper starts after this; returns once the started ones are done.
  void CloseAndWait() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::function<void(unsigned)> run_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
};

// Offers `helpers` helper slots (workers 1..helpers) of `call` to the pool's threads.
void OfferToPool(const std::shared_ptr<ParallelCall>& call, unsigned helpers);

// Runs work(worker, begin, end) over [0, n) in blocks on up to `threads` threads (the calling
// thread is worker 0). The first exception thrown is rethrown here after all stop.
template <typename Work>
inline void ParallelBlocks(size_t n, size_t block, unsigned threads, Work&& work) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  absl::Mutex error_mu;
  auto run = [&](unsigned worker) {
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const size_t begin = next.fetch_add(block, std::memory_order_relaxed);
        if (begin >= n) break;
        work(worker, begin, std::min(n, begin + block));
      }
    } catch (...) {
      absl::MutexLock lock(&error_mu);
      if (!error) error = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  if (threads <= 1 || n <= block) {
    run(0);
  } else {
    auto call = std::make_shared<ParallelCall>(run);
    OfferToPool(call, threads - 1);
    run(0);
    call->CloseAndWait();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace plumbline::query::internal
