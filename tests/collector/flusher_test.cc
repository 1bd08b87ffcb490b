#include "collector/flusher.h"

#include <charconv>
#include <cmath>

#include "collector/collector_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::collector {
namespace {

using storage::Eq;
using storage::Point;
using ::testing::ElementsAre;

constexpr int64_t kT0 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z
constexpr int64_t kStep = 10'000;

class FlusherTest : public ::testing::Test {
 protected:
  FlusherTest() : clock_(kT0), shard_(ShardOptions{}) {}

  void SetUp() override {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    MakeFlusher(Mapper::Empty());
  }

  void MakeFlusher(std::unique_ptr<Mapper> mapper) {
    mapper_ = std::move(mapper);
    metrics_ = std::make_unique<CollectorMetrics>(&registry_);
    FlusherOptions options;
    options.interval_ms = kStep;
    options.counter_expiry_ms = 3 * kStep;
    options.gauge_expiry_ms = 3 * kStep;
    options.observer_expiry_ms = 3 * kStep;
    options.set_expiry_ms = 3 * kStep;
    flusher_ = std::make_unique<Flusher>(options, std::vector<Shard*>{&shard_}, engine_.get(),
                                         mapper_.get(), metrics_.get());
  }

  // One flush at grid step `i` (the test thread plays the receiver: it switches epochs itself).
  FlushStats FlushAt(int i) {
    clock_.SetMs(kT0 + i * kStep);
    return flusher_->Flush(kT0 + i * kStep, /*receivers_stopped=*/true);
  }

  std::vector<Point> Read(std::vector<storage::Label> labels) {
    std::vector<storage::LabelMatcher> matchers;
    for (auto& l : labels) matchers.push_back(Eq(l.name, l.value));
    storage::SeriesData data = storage::ReadAll(*engine_, matchers, 0, kT0 + 1000 * kStep);
    if (data.size() != 1) {
      ADD_FAILURE() << data.size() << " series match";
      return {};
    }
    return data.begin()->second;
  }

  plumbline::testing::TempDir dir_;
  plumbline::testing::FakeClock clock_;
  std::unique_ptr<storage::Engine> engine_;
  Shard shard_;
  prometheus::Registry registry_;
  std::unique_ptr<Mapper> mapper_;
  std::unique_ptr<CollectorMetrics> metrics_;
  std::unique_ptr<Flusher> flusher_;
};

TEST_F(FlusherTest, CountersAreCumulativeAndHeldUntilExpiry) {
  shard_.HandleDatagram("api.hits:1|c\napi.hits:3|c|@0.5\n");
  FlushAt(1);
  shard_.HandleLine("api.hits:4|c");
  FlushAt(2);
  for (int i = 3; i <= 7; ++i) FlushAt(i);  // idle: held for 3 steps, then dropped
  EXPECT_THAT(
      Read({{"__name__", "api_hits"}}),
      ElementsAre(Point{kT0 + kStep, 7}, Point{kT0 + 2 * kStep, 11}, Point{kT0 + 3 * kStep, 11},
                  Point{kT0 + 4 * kStep, 11}, Point{kT0 + 5 * kStep, 11}));
}

TEST_F(FlusherTest, GaugesSetAdjustAndHold) {
  shard_.HandleDatagram("temp:10|g\ntemp:+5|g\n");
  FlushAt(1);
  shard_.HandleLine("temp:-3|g");
  FlushAt(2);
  FlushAt(3);
  shard_.HandleLine("temp:1|g");
  FlushAt(4);
  EXPECT_THAT(Read({{"__name__", "temp"}}),
              ElementsAre(Point{kT0 + kStep, 15}, Point{kT0 + 2 * kStep, 12},
                          Point{kT0 + 3 * kStep, 12}, Point{kT0 + 4 * kStep, 1}));
}

TEST_F(FlusherTest, TimersWriteCountSumBucketsAndQuantilesInSeconds) {
  // 10 values 10..100 ms, one of them sampled at 0.5 (counts twice in count/sum/buckets).
  std::string lines;
  for (int v = 10; v <= 90; v += 10) lines += "db.query:" + std::to_string(v) + "|ms\n";
  lines += "db.query:100|ms|@0.5\n";
  shard_.HandleDatagram(lines);
  FlushAt(1);
  const auto at = [](const std::vector<Point>& p) { return p.empty() ? NAN : p.back().v; };
  EXPECT_DOUBLE_EQ(at(Read({{"__name__", "db_query_count"}})), 11);
  EXPECT_NEAR(at(Read({{"__name__", "db_query_sum"}})), (450 + 200) / 1000.0, 1e-12);
  EXPECT_DOUBLE_EQ(at(Read({{"__name__", "db_query_bucket"}, {"le", "+Inf"}})), 11);
  const ObserverOptions& defaults = mapper_->defaults();
  for (double bound : defaults.buckets) {
    double want = 0;
    for (int v = 10; v <= 100; v += 10) {
      if (v / 1000.0 <= bound) want += v == 100 ? 2 : 1;
    }
    char le[32];
    auto [end, ec] = std::to_chars(le, le + sizeof(le), bound);
    SCOPED_TRACE(std::string(le, end));
    EXPECT_DOUBLE_EQ(at(Read({{"__name__", "db_query_bucket"}, {"le", std::string(le, end)}})),
                     want);
  }
  for (double q : defaults.quantiles) {
    char text[32];
    auto [end, ec] = std::to_chars(text, text + sizeof(text), q);
    const double rank = std::ceil(q * 10);
    EXPECT_DOUBLE_EQ(at(Read({{"__name__", "db_query"}, {"quantile", std::string(text, end)}})),
                     rank * 10 / 1000.0);
  }
  // Cumulative across windows.
  shard_.HandleLine("db.query:5|ms");
  FlushAt(2);
  EXPECT_DOUBLE_EQ(at(Read({{"__name__", "db_query_count"}})), 12);
}

TEST_F(FlusherTest, SetsCountDistinctMembersPerWindow) {
  shard_.HandleDatagram("visitors:alice|s\nvisitors:bob|s\nvisitors:alice|s\n");
  FlushAt(1);
  shard_.HandleLine("visitors:carol|s");
  FlushAt(2);
  FlushAt(3);
  EXPECT_THAT(
      Read({{"__name__", "visitors"}}),
      ElementsAre(Point{kT0 + kStep, 2}, Point{kT0 + 2 * kStep, 1}, Point{kT0 + 3 * kStep, 0}));
}

TEST_F(FlusherTest, TagsBecomeLabelsAndOrderDoesNotMatter) {
  shard_.HandleDatagram(
      "req:1|c|#env:prod,region:eu\nreq:2|c|#region:eu,env:prod\nreq:4|c|#canary\n");
  FlushAt(1);
  EXPECT_THAT(Read({{"__name__", "req"}, {"env", "prod"}, {"region", "eu"}}),
              ElementsAre(Point{kT0 + kStep, 3}));
  EXPECT_THAT(Read({{"__name__", "req"}, {"canary", "true"}}), ElementsAre(Point{kT0 + kStep, 4}));
}

TEST_F(FlusherTest, ServiceChecksGraphiteAndEvents) {
  shard_.HandleLine("_sc|db.up|2|#env:prod");
  shard_.HandleGraphiteLine("servers.web1.load 1.5 " + std::to_string((kT0 + 3'000) / 1000));
  // Backfill: an earlier slot in the same window, and a later point for the same slot.
  shard_.HandleGraphiteLine("servers.web1.load 7 " + std::to_string((kT0 - kStep) / 1000));
  shard_.HandleGraphiteLine("servers.web1.load 9 " + std::to_string((kT0 - kStep + 1000) / 1000));
  shard_.HandleLine("_e{8,7}:Deployed|a1b2c3d|#service:api,type:deploy,user:alice,env:prod");
  FlushAt(1);
  EXPECT_THAT(Read({{"__name__", "statsd_service_check"}, {"check", "db.up"}, {"env", "prod"}}),
              ElementsAre(Point{kT0 + kStep, 2}));
  // Graphite keeps its own timestamps, snapped to the grid; the last point of a slot wins.
  EXPECT_THAT(Read({{"__name__", "servers_web1_load"}}),
              ElementsAre(Point{kT0 - kStep, 9}, Point{kT0, 1.5}));
  storage::EventQuery query;
  query.start_ms = kT0 - 1;
  query.end_ms = kT0 + 100 * kStep;
  absl::StatusOr<std::vector<storage::Event>> events = engine_->events()->Find(query);
  PL_ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  const storage::Event& e = (*events)[0];
  EXPECT_EQ(e.type, "deploy");
  EXPECT_EQ(e.service, "api");
  EXPECT_EQ(e.who, "alice");
  EXPECT_EQ(e.env, "prod");
  EXPECT_EQ(e.what, "Deployed\na1b2c3d");
  EXPECT_EQ(e.time_ms, kT0 + kStep);
}

TEST_F(FlusherTest, MappingRulesNameAndLabelAndDrop) {
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadText(R"(
mappings:
- match: "api.*.hits"
  name: "api_hits_total"
  labels:
    endpoint: "$1"
- match: "debug.*"
  action: drop
  name: "dropped"
)",
                                                                    "rules.yaml");
  PL_ASSERT_OK(mapper);
  MakeFlusher(std::move(*mapper));
  shard_.HandleDatagram("api.login.hits:2|c\napi.logout.hits:1|c\ndebug.x:1|c\nother.thing:5|g\n");
  FlushAt(1);
  EXPECT_THAT(Read({{"__name__", "api_hits_total"}, {"endpoint", "login"}}),
              ElementsAre(Point{kT0 + kStep, 2}));
  EXPECT_THAT(Read({{"__name__", "api_hits_total"}, {"endpoint", "logout"}}),
              ElementsAre(Point{kT0 + kStep, 1}));
  EXPECT_THAT(Read({{"__name__", "other_thing"}}), ElementsAre(Point{kT0 + kStep, 5}));
  auto all = engine_->LabelValues("__name__", {}, 0, kT0 + storage::kDayMs);
  EXPECT_THAT(*all, ::testing::Not(::testing::Contains("debug_x")));
}

TEST_F(FlusherTest, SameNameWithAnotherTypeIsRefusedAndCounted) {
  shard_.HandleDatagram("dual:1|c\ndual:5|g\n");
  FlushAt(1);
  EXPECT_EQ(Read({{"__name__", "dual"}}).size(), 1u);
}

// A flush goes to storage in several appends once it holds more than one batch of samples;
// every series is written once per flush, keeps its ref, and timers are never split.
TEST_F(FlusherTest, AFlushLargerThanOneAppendWritesEverySeriesOnce) {
  constexpr int kKeys = 20'000;
  constexpr int kTimers = 20;
  auto send = [&] {
    for (int i = 0; i < kKeys; ++i) {
      shard_.HandleLine("k" + std::to_string(i) + ":" + std::to_string(i + 1) + "|c");
      if (i % (kKeys / kTimers) == 0) shard_.HandleLine("t" + std::to_string(i) + ":5|ms");
    }
  };
  send();
  const FlushStats first = FlushAt(1);
  const uint64_t series = engine_->Stats().next_series_ref - 1;
  send();
  const FlushStats second = FlushAt(2);
  EXPECT_FALSE(first.store_failed);
  EXPECT_EQ(first.series_written, kKeys + kTimers);
  EXPECT_EQ(first.samples_refused, 0u);
  EXPECT_EQ(first.samples_written, series);  // one sample per output series
  EXPECT_GT(series, static_cast<uint64_t>(kKeys + 2 * kTimers));
  EXPECT_EQ(second.samples_written, series);
  EXPECT_EQ(engine_->Stats().next_series_ref - 1, series);  // no series created twice
  for (int i : {0, 8191, 8192, 8193, 16383, 16384, kKeys - 1}) {
    const double v = i + 1;
    EXPECT_THAT(Read({{"__name__", "k" + std::to_string(i)}}),
                ElementsAre(Point{kT0 + kStep, v}, Point{kT0 + 2 * kStep, 2 * v}))
        << "k" << i;
  }
  for (int i = 0; i < kKeys; i += kKeys / kTimers) {
    EXPECT_THAT(Read({{"__name__", "t" + std::to_string(i) + "_count"}}),
                ElementsAre(Point{kT0 + kStep, 1}, Point{kT0 + 2 * kStep, 2}))
        << "t" << i;
  }
}

}  // namespace
}  // namespace plumbline::collector
