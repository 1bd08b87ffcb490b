// Splitting a selection's series across threads: each worker decodes and evaluates its own
// series into its own output slots, so results do not depend on the number of threads.
// Thread-safe: concurrent queries each start their own threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace plumbline::query::internal {

// How many threads to give `series` series over `steps` steps: one per core (at most 8)
// when there is enough work to pay for starting them, else 1.
inline unsigned WorkerThreads(size_t series, int steps) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t work = series * static_cast<size_t>(std::max(steps, 1));
  return (series >= 16 && work >= 20000) ? std::min(cores, 8u) : 1u;
}

// Runs work(worker, begin, end) over [0, n) in blocks on up to `threads` threads (the calling
// thread is one of them). The first exception thrown is rethrown here after all stop.
template <typename Work>
inline void ParallelBlocks(size_t n, size_t block, unsigned threads, Work&& work) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;
  auto run = [&](unsigned worker) {
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const size_t begin = next.fetch_add(block, std::memory_order_relaxed);
        if (begin >= n) break;
        work(worker, begin, std::min(n, begin + block));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(run, w);
  run(0);
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace plumbline::query::internal
