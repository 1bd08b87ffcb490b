// ParallelBlocks and its worker pool: every block runs exactly once, on the right worker
// slots, from many callers at once; the first exception comes back to the caller; a call
// returns without waiting for helpers that never started.
#include "query/internal/parallel.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace plumbline::query::internal {
namespace {

TEST(ParallelBlocksTest, EveryBlockRunsOnceFromManyCallersAtOnce) {
  constexpr size_t kItems = 10'000;
  std::vector<std::thread> callers;
  std::atomic<int> bad{0};
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> hits(kItems);
        std::atomic<int> out_of_range_worker{0};
        ParallelBlocks(kItems, 7, 4, [&](unsigned worker, size_t begin, size_t end) {
          if (worker >= 4) out_of_range_worker.fetch_add(1);
          for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
        });
        for (const auto& h : hits) {
          if (h.load() != 1) bad.fetch_add(1);
        }
        bad.fetch_add(out_of_range_worker.load());
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// 100,000 blocks of one on `threads` threads, block 10 throwing: expects the exception to
// reach the caller and returns how many blocks ran.
size_t BlocksRunWhenBlock10Throws(unsigned threads) {
  std::atomic<size_t> ran{0};
  EXPECT_THROW(ParallelBlocks(100'000, 1, threads,
                              [&](unsigned, size_t begin, size_t) {
                                ran.fetch_add(1);
                                if (begin == 10) throw std::runtime_error("block 10");
                              }),
               std::runtime_error);
  return ran.load();
}

TEST(ParallelBlocksTest, TheFirstExceptionReachesTheCaller) {
  // How many blocks the other threads finish before the failure is seen depends on timing
  // (under ASan an exception takes long enough for them to run all the rest): at least the
  // throwing one ran.
  EXPECT_GE(BlocksRunWhenBlock10Throws(4), 1u);
}

TEST(ParallelBlocksTest, AnExceptionStopsTheBlocksAfterIt) {
  // On one thread the order is fixed: blocks 0..10 run, 10 throws, nothing after it runs.
  EXPECT_EQ(BlocksRunWhenBlock10Throws(1), 11u);
}

TEST(ParallelBlocksTest, ACallReturnsWhileThePoolIsBusyElsewhere) {
  // Occupy every pool thread with a slow call, then run another: its caller does all the
  // work itself and returns without waiting for the busy helpers.
  std::atomic<bool> release{false};
  std::atomic<unsigned> spinning{0};
  std::thread slow([&] {
    ParallelBlocks(64, 1, 8, [&](unsigned, size_t, size_t) {
      spinning.fetch_add(1);
      while (!release.load()) std::this_thread::yield();
    });
  });
  // Its caller and every pool thread (one per core but one, at most 7) are held.
  const unsigned held = std::min(std::max(1u, std::thread::hardware_concurrency()), 8u);
  while (spinning.load() < held) std::this_thread::yield();
  size_t done = 0;
  ParallelBlocks(1000, 10, 8, [&](unsigned worker, size_t begin, size_t end) {
    EXPECT_EQ(worker, 0u);  // no helper was free
    done += end - begin;
  });
  EXPECT_EQ(done, 1000u);
  release.store(true);
  slow.join();
}

}  // namespace
}  // namespace plumbline::query::internal
