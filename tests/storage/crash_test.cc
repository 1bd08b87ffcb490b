// kill -9 during Append: a child process appends batches in a loop and reports each batch
// the engine acknowledged through a pipe; the parent kills it at a random moment, many times,
// then checks every acknowledged sample is in the store with its exact value.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "storage/engine.h"
#include "tests/storage/crash_appender.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::storage {
namespace {

using crash::kSeries;
using crash::kStepMs;
using crash::SeriesLabels;
using crash::ValueOf;

// The child is a separate program (crash_appender.cc) started with exec, so it begins with a
// fresh process: no RocksDB threads inherited across fork.
#ifndef PLUMBLINE_CRASH_APPENDER
#error "PLUMBLINE_CRASH_APPENDER must name the crash_appender binary"
#endif

TEST(EngineCrashTest, KillNineLosesNoAcknowledgedBatch) {
  plumbline::testing::TempDir dir;
  const std::string data = dir.Sub("data");
  const int64_t now = SystemClock::Get()->NowMs();
  int64_t next_t = (now - 12 * 3600 * 1000) / kStepMs * kStepMs;  // crosses 2 h windows
  const int64_t first_t = next_t;
  int64_t acked = first_t - kStepMs;  // last acknowledged timestamp
  std::mt19937 rng(42);
  constexpr int kKills = 50;
  for (int kill = 0; kill < kKills; ++kill) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      const std::string start = std::to_string(next_t);
      const std::string fd = std::to_string(fds[1]);
      execl(PLUMBLINE_CRASH_APPENDER, PLUMBLINE_CRASH_APPENDER, data.c_str(), start.c_str(),
            fd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    int64_t t;
    // Every other run kills it only once it acknowledged a batch: opening the store takes
    // ~200 ms under the sanitizers on a loaded machine, and if every kill landed during the
    // open nothing would ever be written. The other runs may kill it anywhere, the open too.
    if (kill % 2 == 0) {
      pollfd ready{fds[0], POLLIN, 0};
      const bool got_ack = poll(&ready, 1, 60'000) == 1 &&
                           read(fds[0], &t, sizeof(t)) == static_cast<ssize_t>(sizeof(t));
      if (!got_ack) {  // never leave the child running
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
      ASSERT_TRUE(got_ack) << "no batch acknowledged within 60 s of the child's start";
      acked = std::max(acked, t);
    }
    // Let it run 20..300 ms more, then kill it wherever it is.
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 280));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    while (read(fds[0], &t, sizeof(t)) == sizeof(t)) acked = std::max(acked, t);
    close(fds[0]);
    // The next run continues after whatever the killed one may have written: read it back.
    EngineOptions options;
    options.data_dir = data;
    options.background_maintenance = false;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << "reopen after kill " << kill << ": " << engine.status();
    SeriesData got =
        ReadAll(**engine, {Eq("__name__", "crash_test")}, first_t, first_t + 3650 * kDayMs);
    if (got.empty()) {
      // Killed before its first batch was acknowledged (e.g. while opening the store).
      ASSERT_LT(acked, first_t) << "acknowledged samples lost after kill " << kill;
      continue;
    }
    ASSERT_EQ(got.size(), static_cast<size_t>(kSeries));
    for (int s = 0; s < kSeries; ++s) {
      const std::vector<Point>& points = got[SeriesLabels(s).ToString()];
      ASSERT_FALSE(points.empty());
      // Gap-free from the first sample, exact values, and at least everything acknowledged.
      for (size_t i = 0; i < points.size(); ++i) {
        ASSERT_EQ(points[i].t, first_t + static_cast<int64_t>(i) * kStepMs) << "series " << s;
        ASSERT_EQ(points[i].v, ValueOf(s, points[i].t));
      }
      ASSERT_GE(points.back().t, acked) << "acknowledged samples lost after kill " << kill;
      next_t = std::max(next_t, points.back().t + kStepMs);
    }
  }
  EXPECT_GT(acked, first_t + kKills * kStepMs) << "the child barely wrote anything";
}

}  // namespace
}  // namespace plumbline::storage
