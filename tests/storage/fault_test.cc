// Disk faults: writes fail, the engine reports them and keeps what it had; once the disk has
// room again it writes again.
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "rocksdb/env.h"
#include "storage/engine.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::storage {
namespace {

double CounterValue(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
  }
  return -1;
}

TEST(EngineFaultTest, FailedWritesChangeNothingAndWritingResumes) {
  plumbline::testing::TempDir dir;
  auto fs = std::make_shared<plumbline::testing::FaultFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  EngineOptions options;
  options.data_dir = dir.Sub("data");
  options.env = env.get();
  options.background_maintenance = false;
  prometheus::Registry registry;
  options.registry = &registry;
  auto engine = Engine::Open(options);
  PL_ASSERT_OK(engine);
  const Labels s = L({{"__name__", "f"}});
  const int64_t t = 1'764'115'200'000;
  const int64_t now = SystemClock::Get()->NowMs();
  const int64_t base = std::max(t, now - kDayMs);

  AppendBatch batch;
  batch.Add(s, base, 1);
  PL_ASSERT_OK((*engine)->Append(batch));

  fs->SetFailing(true);
  for (int i = 1; i <= 3; ++i) {
    batch.Clear();
    batch.Add(s, base + i * 1000, 100 + i);
    batch.Add(L({{"__name__", "new_series"}}), base + i * 1000, i);
    absl::StatusOr<AppendResult> r = (*engine)->Append(batch);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  }
  EXPECT_GT(fs->failures(), 0);
  EXPECT_EQ(CounterValue(registry, "plumbline_storage_append_failures_total"), 3);
  // What was stored is intact, and nothing of the failed batches is visible.
  EXPECT_THAT(ReadAll(**engine, {Eq("__name__", "f")}, base - 1, base + 10'000)[s.ToString()],
              ::testing::ElementsAre(Point{base, 1}));
  EXPECT_TRUE(ReadAll(**engine, {Eq("__name__", "new_series")}, base - 1, base + 10'000).empty());

  fs->SetFailing(false);
  batch.Clear();
  batch.Add(s, base + 1000, 2);
  batch.Add(L({{"__name__", "new_series"}}), base + 1000, 5);
  // Writing resumes once RocksDB has recovered (it retries in the background every second);
  // until then appends keep failing cleanly, as a collector flush would see them.
  absl::StatusOr<AppendResult> r;
  int attempts = 0;
  for (; attempts < 100; ++attempts) {
    r = (*engine)->Append(batch);
    if (r.ok()) break;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    absl::SleepFor(absl::Milliseconds(100));
  }
  PL_ASSERT_OK(r);
  EXPECT_EQ(r->appended, 2u);
  EXPECT_EQ(r->series_created, 1u);
  engine->reset();
  engine = Engine::Open(options);
  PL_ASSERT_OK(engine);
  EXPECT_THAT(ReadAll(**engine, {Eq("__name__", "f")}, base - 1, base + 10'000)[s.ToString()],
              ::testing::ElementsAre(Point{base, 1}, Point{base + 1000, 2}));
  EXPECT_EQ(ReadAll(**engine, {Eq("__name__", "new_series")}, base - 1, base + 10'000).size(), 1u);
}

}  // namespace
}  // namespace plumbline::storage
