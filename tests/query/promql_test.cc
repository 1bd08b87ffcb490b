// The evaluator against a real store: what Prometheus' own suite (promqltest) does not reach —
// data across sealed chunks and the head, limits and their error codes, result order, the
// step-invariant path, and queries before the first sample.
#include "query/promql.h"

#include <bit>
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/kernels.h"
#include "storage/engine.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::query {
namespace {

using storage::Label;
using storage::Labels;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

class PromqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.retention_ms = 3650 * storage::kDayMs;
    options.background_maintenance = false;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    promql_ = std::make_unique<PromqlEngine>(engine_.get());
  }

  static Labels L(std::vector<Label> pairs) { return *Labels::FromPairs(std::move(pairs)); }

  // One sample every `step` ms from `from` to `to` inclusive, value f(t).
  template <typename F>
  void Load(const Labels& labels, int64_t from, int64_t to, int64_t step, F f) {
    storage::AppendBatch batch;
    for (int64_t t = from; t <= to; t += step) batch.Add(labels, t, f(t));
    auto r = engine_->Append(batch);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->refused(), 0u);
  }

  Vector InstantVector(const std::string& q, int64_t t, const QueryOptions& o = {}) {
    auto r = promql_->Instant(q, t, o);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status();
    if (!r.ok() || !std::holds_alternative<Vector>(r->value)) return {};
    return std::get<Vector>(r->value);
  }

  Matrix RangeMatrix(const std::string& q, int64_t start, int64_t end, int64_t step) {
    auto r = promql_->Range(q, start, end, step);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status();
    if (!r.ok()) return {};
    return std::get<Matrix>(r->value);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{10 * storage::kDayMs};
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<PromqlEngine> promql_;
};

TEST_F(PromqlTest, RateAcrossSealedChunksAndHeadMatchesACounterOfKnownSlope) {
  const Labels c = L({{"__name__", "req_total"}, {"job", "api"}});
  // 10 s samples for 5 hours: three 2-hour chunk windows, the last still open.
  const int64_t base = 9 * storage::kDayMs;
  Load(c, base, base + 5 * kHour, 10'000, [&](int64_t t) { return (t - base) / 1000.0 * 3; });
  ASSERT_TRUE(engine_->Maintain().ok());
  Matrix m = RangeMatrix("rate(req_total[5m])", base + 10 * kMinute, base + 5 * kHour, kMinute);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].metric, L({{"job", "api"}}));
  ASSERT_EQ(m[0].floats.size(), 291u);
  for (const FPoint& p : m[0].floats) EXPECT_NEAR(p.f, 3.0, 1e-9) << p.t;
}

TEST_F(PromqlTest, RangeResultIsSortedByLabels) {
  const int64_t base = 9 * storage::kDayMs;
  for (const char* host : {"c", "a", "b"}) {
    Load(L({{"__name__", "up"}, {"host", host}}), base, base + kHour, 15'000,
         [](int64_t) { return 1.0; });
  }
  Matrix m = RangeMatrix("up", base, base + kHour, kMinute);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].metric.Get("host"), "a");
  EXPECT_EQ(m[1].metric.Get("host"), "b");
  EXPECT_EQ(m[2].metric.Get("host"), "c");
}

TEST_F(PromqlTest, SumByGroupsEverySeriesOnce) {
  const int64_t base = 9 * storage::kDayMs;
  for (int i = 0; i < 10; ++i) {
    Load(L({{"__name__", "x"}, {"i", std::to_string(i)}, {"odd", i % 2 ? "1" : "0"}}), base,
         base + 10 * kMinute, 10'000, [i](int64_t) { return i; });
  }
  Vector v = InstantVector("sum by (odd) (x)", base + 10 * kMinute);
  ASSERT_EQ(v.size(), 2u);
  double odd = 0, even = 0;
  for (const Sample& s : v) (s.metric.Get("odd") == "1" ? odd : even) = s.f;
  EXPECT_EQ(odd, 1 + 3 + 5 + 7 + 9);
  EXPECT_EQ(even, 0 + 2 + 4 + 6 + 8);
}

TEST_F(PromqlTest, StepInvariantAtSelectorRepeatsOneValue) {
  const int64_t base = 9 * storage::kDayMs;
  Load(L({{"__name__", "g"}}), base, base + kHour, 10'000,
       [&](int64_t t) { return static_cast<double>(t - base); });
  const int64_t at = base + 30 * kMinute;
  Matrix m = RangeMatrix("g @ " + std::to_string(at / 1000), base + kMinute, base + kHour, kMinute);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].floats.size(), 60u);
  for (const FPoint& p : m[0].floats) EXPECT_EQ(p.f, 30 * kMinute);
  // start() and end() resolve to the range's ends.
  m = RangeMatrix("g @ end()", base + kMinute, base + 50 * kMinute, kMinute);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].floats.front().f, 50 * kMinute);
}

TEST_F(PromqlTest, QueriesBeforeTheFirstSampleAndAtNegativeTimesAreEmpty) {
  Load(L({{"__name__", "g"}}), kMinute, 10 * kMinute, 10'000, [](int64_t) { return 1.0; });
  EXPECT_TRUE(InstantVector("g", -kHour).empty());
  EXPECT_TRUE(InstantVector("rate(g[5m])", 0).empty());
  EXPECT_EQ(InstantVector("g", kMinute).size(), 1u);
}

TEST_F(PromqlTest, DuplicateLabelSetAfterNameRemovalIsAnExecutionError) {
  const int64_t base = 9 * storage::kDayMs;
  Load(L({{"__name__", "a"}, {"job", "x"}}), base, base + kMinute, 10'000,
       [](int64_t) { return 1.0; });
  Load(L({{"__name__", "b"}, {"job", "x"}}), base, base + kMinute, 10'000,
       [](int64_t) { return 2.0; });
  auto r = promql_->Instant("{job=\"x\"} * 2", base + kMinute);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "vector cannot contain metrics with the same labelset");
}

TEST_F(PromqlTest, ManyToManyMatchingIsRefusedWithPrometheusMessage) {
  const int64_t base = 9 * storage::kDayMs;
  for (const char* i : {"1", "2"}) {
    Load(L({{"__name__", "l"}, {"job", "x"}, {"i", i}}), base, base + kMinute, 10'000,
         [](int64_t) { return 1.0; });
    Load(L({{"__name__", "r"}, {"job", "x"}, {"i", i}}), base, base + kMinute, 10'000,
         [](int64_t) { return 1.0; });
  }
  auto r = promql_->Instant("l + on(job) r", base + kMinute);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::StartsWith("found duplicate series for the match group {job=\"x\"} on "
                                    "the right hand-side of the operation"));
}

TEST_F(PromqlTest, TooManySamplesAndTimeoutHaveTheirOwnCodes) {
  const int64_t base = 9 * storage::kDayMs;
  Load(L({{"__name__", "g"}}), base, base + kHour, 1000, [](int64_t) { return 1.0; });
  QueryOptions small;
  small.max_samples = 100;
  auto r = promql_->Instant("sum_over_time(g[1h])", base + kHour, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "query processing would load too many samples into memory in query execution");

  QueryOptions no_time;
  no_time.timeout_ms = -1;
  r = promql_->Instant("g", base + kHour, no_time);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "query timed out in expression evaluation");
  // The engine still answers the next query.
  EXPECT_EQ(InstantVector("g", base + kHour).size(), 1u);
}

TEST_F(PromqlTest, AWideSelectionOverTheSampleLimitFailsWhileBeingDecoded) {
  const int64_t base = 9 * storage::kDayMs;
  for (int i = 0; i < 64; ++i) {
    Load(L({{"__name__", "w"}, {"i", std::to_string(i)}}), base, base + kHour, 10'000,
         [](int64_t) { return 1.0; });
  }
  QueryOptions small;
  small.max_samples = 2000;  // 64 series x 61 steps = 3904 points each way
  for (const char* q : {"w", "rate(w[5m])"}) {
    auto r = promql_->Range(q, base, base + kHour, kMinute, small);
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << q;
  }
  // Within the limit both answer.
  EXPECT_EQ(RangeMatrix("w", base, base + kHour, kMinute).size(), 64u);
}

TEST_F(PromqlTest, WideSelectionsSplitAcrossThreadsGiveEverySeriesItsOwnAnswer) {
  // 64 series x 361 steps is enough work for the selection to be split across the cores
  // (query/internal/parallel.h); each series must still get exactly its own values, in order.
  const int64_t base = 9 * storage::kDayMs;
  for (int i = 0; i < 64; ++i) {
    Load(L({{"__name__", "c_total"}, {"i", std::to_string(100 + i)}}), base, base + 6 * kHour,
         15'000, [&](int64_t t) { return (t - base) / 1000.0 * (i + 1); });
  }
  const int64_t start = base + 10 * kMinute, end = base + 6 * kHour;
  for (const std::string q : {"rate(c_total[5m])", "c_total"}) {
    Matrix m = RangeMatrix(q, start, end, kMinute);
    ASSERT_EQ(m.size(), 64u) << q;
    for (int i = 0; i < 64; ++i) {
      ASSERT_EQ(m[i].metric.Get("i"), std::to_string(100 + i)) << q;
      ASSERT_EQ(m[i].floats.size(), 351u) << q;
      for (const FPoint& p : m[i].floats) {
        const double want = q == "c_total" ? (p.t - base) / 1000.0 * (i + 1) : i + 1.0;
        ASSERT_NEAR(p.f, want, 1e-9 * want) << q << " series " << i << " at " << p.t;
      }
    }
  }
}

TEST_F(PromqlTest, RangeQueryOfARangeVectorIsRefused) {
  auto r = promql_->Range("g[5m]", 0, kHour, kMinute);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "invalid expression type \"range vector\" for range query, must be Scalar or "
            "instant Vector");
}

TEST_F(PromqlTest, SubqueryOverRateSeesEveryInnerStep) {
  const int64_t base = 9 * storage::kDayMs;
  Load(L({{"__name__", "c_total"}}), base, base + 2 * kHour, 15'000,
       [&](int64_t t) { return (t - base) / 1000.0; });
  Vector v = InstantVector("max_over_time(rate(c_total[5m])[1h:1m])", base + 2 * kHour);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NEAR(v[0].f, 1.0, 1e-9);
  v = InstantVector("count_over_time(rate(c_total[5m])[1h:1m])", base + 2 * kHour);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].f, 60);
}

TEST_F(PromqlTest, IntegerWindowSumsMatchTheCompensatedKernelsBitForBit) {
  // avg_over_time, sum_over_time, rate and increase take running-sum paths on small
  // integers; they must give the kernels' answers exactly (negative values, resets).
  const int64_t base = 9 * storage::kDayMs;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(-1000000, 1000000);
  std::vector<FPoint> points;
  for (int64_t t = base; t <= base + 3 * kHour; t += 10'000 + (rng() % 3) * 5'000) {
    points.push_back({t, static_cast<double>(value(rng))});
  }
  // q: integers (the running-sum paths); qf: the same plus 0.25 (the general paths).
  storage::AppendBatch batch;
  for (const FPoint& p : points) {
    batch.Add(L({{"__name__", "q"}}), p.t, p.f);
    batch.Add(L({{"__name__", "qf"}}), p.t, p.f + 0.25);
  }
  ASSERT_TRUE(engine_->Append(batch).ok());
  const int64_t start = base + 5 * kMinute, end = base + 3 * kHour, step = 37'000;
  for (const std::string name : {"q", "qf"})
    for (const std::string fn : {"avg_over_time", "sum_over_time", "rate", "increase"}) {
      const double shift = name == "qf" ? 0.25 : 0;
      Matrix m = RangeMatrix(fn + "(" + name + "[7m])", start, end, step);
      ASSERT_EQ(m.size(), 1u);
      size_t i = 0;
      for (int64_t ts = start; ts <= end; ts += step) {
        std::vector<FPoint> w;
        for (const FPoint& p : points) {
          if (p.t > ts - 7 * kMinute && p.t <= ts) w.push_back({p.t, p.f + shift});
        }
        if (w.size() < 2 && (fn == "rate" || fn == "increase")) continue;
        const double want = fn == "avg_over_time" ? AvgOverTime(w)
                            : fn == "sum_over_time"
                                ? SumOverTime(w)
                                : *ExtrapolatedRate(w, ts - 7 * kMinute, ts, true, fn == "rate");
        while (i < m[0].floats.size() && m[0].floats[i].t < ts) ++i;
        ASSERT_LT(i, m[0].floats.size());
        ASSERT_EQ(m[0].floats[i].t, ts);
        EXPECT_EQ(std::bit_cast<uint64_t>(m[0].floats[i].f), std::bit_cast<uint64_t>(want))
            << fn << "(" << name << ") at " << ts << ": " << m[0].floats[i].f << " vs " << want;
      }
    }
}

TEST_F(PromqlTest, RangeAggregationsSplitAcrossThreadsEqualInstantOnesBitForBit) {
  // 32 series x 700 steps: the range query's steps are split across the cores; each step
  // must fold the same values in the same order as an instant query at that time does.
  // Most series have a point at every step; some have a hole of 15 minutes (longer than the
  // lookback, shorter than a thread's block of steps), so both ways of walking a series'
  // points are taken.
  const int64_t base = 9 * storage::kDayMs;
  std::mt19937 rng(13);
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  storage::AppendBatch batch;
  for (int i = 0; i < 32; ++i) {
    const Labels labels =
        L({{"__name__", "x"}, {"i", std::to_string(i)}, {"g", std::to_string(i % 3)}});
    const double scale = std::pow(10.0, i % 7 - 3);  // magnitudes where summation order shows
    for (int64_t t = base; t <= base + 6 * kHour; t += 15'000) {
      if (rng() % 10 == 0) continue;                        // gaps: not every series at every step
      const int64_t hole = base + kHour + i * 7 * kMinute;  // a different place in each
      if (i % 5 == 4 && t > hole && t < hole + 15 * kMinute) continue;
      batch.Add(labels, t, value(rng) * scale);
    }
  }
  ASSERT_TRUE(engine_->Append(batch).ok());
  const int64_t start = base + kMinute, step = 30'000, end = start + 699 * step;
  for (const std::string op : {"sum", "avg", "max", "min", "count", "stddev", "stdvar"}) {
    const std::string q = op + " by (g) (x)";
    Matrix m = RangeMatrix(q, start, end, step);
    ASSERT_EQ(m.size(), 3u) << q;
    std::vector<size_t> k(3, 0);
    for (int64_t ts = start; ts <= end; ts += step) {
      for (const Sample& s : InstantVector(q, ts)) {
        const size_t g = static_cast<size_t>(std::stoi(std::string(s.metric.Get("g"))));
        ASSERT_EQ(m[g].metric.Get("g"), s.metric.Get("g"));
        ASSERT_LT(k[g], m[g].floats.size()) << q << " at " << ts;
        const FPoint& p = m[g].floats[k[g]++];
        ASSERT_EQ(p.t, ts) << q;
        ASSERT_EQ(std::bit_cast<uint64_t>(p.f), std::bit_cast<uint64_t>(s.f))
            << q << " group " << g << " at " << ts << ": " << p.f << " vs " << s.f;
      }
    }
    for (size_t g = 0; g < 3; ++g) EXPECT_EQ(k[g], m[g].floats.size()) << q;
  }
}

TEST_F(PromqlTest, WideSelectionsOverManyChunksMatchTheKernelsBitForBit) {
  // Enough series and steps for the selection to be split across the cores, 30 hours of
  // sealed chunks over a day boundary and the head: every series'
  // rate, increase, delta, avg_over_time and sum_over_time equals the kernel's value on its
  // raw window, bit for bit, whichever path (small integers, floats, stale markers) the
  // series takes and whichever thread evaluates it. Two kinds are small integers but for
  // one sample (a fraction, or past 2^32) at a different place in each series: taken for
  // small integers, they would be summed wrong.
  const int64_t base = 9 * storage::kDayMs + 17 * kHour;
  std::mt19937 rng(11);
  std::vector<std::vector<FPoint>> raw(36);
  storage::AppendBatch batch;
  for (size_t i = 0; i < raw.size(); ++i) {
    double v = static_cast<double>(rng() % 1000);
    const int64_t odd_t = base + static_cast<int64_t>(rng() % 10'800) * 10'000;  // in 30 h
    for (int64_t t = base; t <= base + 30 * kHour; t += 10'000) {
      switch (i % 6) {
        case 0:  // counter with resets
          v = rng() % 997 == 0 ? 0 : v + static_cast<double>(rng() % 50);
          break;
        case 1:  // integer gauge: a "reset" at every fall
          v = static_cast<double>(rng() % 100);
          break;
        case 2:  // float counter
          v += (rng() % 1000) / 7.0;
          break;
        case 3:  // integers with a stale marker now and then
          v = static_cast<double>(rng() % 30);
          break;
        case 4:  // an integer counter but for one sample with a fraction
          v += static_cast<double>(rng() % 50) + (t == odd_t ? 0.25 : 0);
          break;
        case 5:  // an integer counter that passes 2^32 at one sample and resets after it
          v = t == odd_t ? 4294967297.0
                         : (v > 4294967296.0 ? 0 : v + static_cast<double>(rng() % 50));
          break;
      }
      const bool stale = i % 6 == 3 && rng() % 400 == 0;
      const double stored = stale ? StaleNaN() : v;
      batch.Add(L({{"__name__", "m"}, {"i", std::to_string(100 + i)}}), t, stored);
      if (!stale) raw[i].push_back({t, v});
    }
  }
  ASSERT_TRUE(engine_->Append(batch).ok());
  clock_.AdvanceMs(3 * storage::kDayMs);
  ASSERT_TRUE(engine_->Maintain().ok());
  const int64_t start = base + 3 * kMinute, end = base + 30 * kHour, step = 45'000;
  for (const std::string fn : {"rate", "increase", "delta", "avg_over_time", "sum_over_time"}) {
    Matrix m = RangeMatrix(fn + "(m[5m])", start, end, step);
    ASSERT_EQ(m.size(), raw.size()) << fn;
    for (size_t i = 0; i < raw.size(); ++i) {
      ASSERT_EQ(m[i].metric.Get("i"), std::to_string(100 + i));
      size_t k = 0;
      for (int64_t ts = start; ts <= end; ts += step) {
        std::vector<FPoint> w;
        for (const FPoint& p : raw[i]) {
          if (p.t > ts - 5 * kMinute && p.t <= ts) w.push_back(p);
        }
        std::optional<double> want;
        if (fn == "avg_over_time" && !w.empty()) want = AvgOverTime(w);
        if (fn == "sum_over_time" && !w.empty()) want = SumOverTime(w);
        if (fn == "rate" || fn == "increase" || fn == "delta") {
          want = ExtrapolatedRate(w, ts - 5 * kMinute, ts, fn != "delta", fn == "rate");
        }
        if (!want) continue;
        ASSERT_LT(k, m[i].floats.size()) << fn << " series " << i;
        ASSERT_EQ(m[i].floats[k].t, ts) << fn << " series " << i;
        ASSERT_EQ(std::bit_cast<uint64_t>(m[i].floats[k].f), std::bit_cast<uint64_t>(*want))
            << fn << " series " << i << " at " << ts << ": " << m[i].floats[k].f << " vs " << *want;
        ++k;
      }
      EXPECT_EQ(k, m[i].floats.size()) << fn << " series " << i;
    }
  }
}

// rate() and increase() of evenly spaced small integers find each window's ends by stepping
// from the previous step's (EvalRange's EvenGrid::Walker): for sample intervals and query
// steps that do and do not divide each other, ranges shorter and longer than both, offsets,
// `@`, and steps before, across and after the data, every value equals the kernel's on the
// raw window, bit for bit.
TEST_F(PromqlTest, RateOnEvenGridsEqualsTheKernelForAnyStepRangeAndOffset) {
  const int64_t base = 9 * storage::kDayMs + 5 * kHour + 3'000;  // 795,603 s
  const std::vector<int64_t> intervals = {1'000, 7'000, 10'000, 15'000, 60'000};
  std::mt19937 rng(5);
  std::vector<std::vector<FPoint>> raw(intervals.size());
  storage::AppendBatch batch;
  for (size_t i = 0; i < intervals.size(); ++i) {
    double v = 0;
    for (int64_t t = base; t <= base + 3 * kHour; t += intervals[i]) {
      v = rng() % 500 == 0 ? 0 : v + static_cast<double>(rng() % 40);
      batch.Add(L({{"__name__", "c"}, {"i", std::to_string(i)}}), t, v);
      raw[i].push_back({t, v});
    }
  }
  ASSERT_TRUE(engine_->Append(batch).ok());
  struct Case {
    int64_t start, end, step;
    std::string range, offset, at;
    int64_t range_ms, offset_ms;
  };
  const std::vector<Case> cases = {
      {base - kHour, base + 4 * kHour, 60'000, "5m", "", "", 5 * kMinute, 0},
      {base - 13'000, base + 2 * kHour, 13'000, "61s", "", "", 61'000, 0},
      {base + 1, base + kHour, 1'000, "1s", "", "", 1'000, 0},
      {base + 500, base + 3 * kHour, 3'600'000, "2h", "", "", 2 * kHour, 0},
      {base, base + 2 * kHour, 45'000, "5m", " offset 37s", "", 5 * kMinute, 37'000},
      {base, base + 2 * kHour, 45'000, "5m", " offset -1m", "", 5 * kMinute, -kMinute},
      {base, base + kHour, 60'000, "10m", "", " @ 799203", 10 * kMinute, 0},  // base + 1 h
  };
  for (const Case& c : cases) {
    for (const std::string fn : {"rate", "increase"}) {
      const std::string q = fn + "(c[" + c.range + "]" + c.offset + c.at + ")";
      SCOPED_TRACE(q);
      Matrix m = RangeMatrix(q, c.start, c.end, c.step);
      size_t got_series = 0;
      for (size_t i = 0; i < raw.size(); ++i) {
        const Series* series = nullptr;
        for (const Series& s : m) {
          if (s.metric.Get("i") == std::to_string(i)) series = &s;
        }
        size_t k = 0;
        for (int64_t ts = c.start; ts <= c.end; ts += c.step) {
          const int64_t ref = (c.at.empty() ? ts : 799'203'000) - c.offset_ms;
          std::vector<FPoint> w;
          for (const FPoint& p : raw[i]) {
            if (p.t > ref - c.range_ms && p.t <= ref) w.push_back(p);
          }
          const std::optional<double> want =
              ExtrapolatedRate(w, ref - c.range_ms, ref, true, fn == "rate");
          if (!want) continue;
          ASSERT_NE(series, nullptr) << "interval " << intervals[i];
          ASSERT_LT(k, series->floats.size()) << "interval " << intervals[i];
          ASSERT_EQ(series->floats[k].t, ts) << "interval " << intervals[i];
          ASSERT_EQ(std::bit_cast<uint64_t>(series->floats[k].f), std::bit_cast<uint64_t>(*want))
              << "interval " << intervals[i] << " at " << ts << ": " << series->floats[k].f
              << " vs " << *want;
          ++k;
        }
        if (series != nullptr) {
          EXPECT_EQ(k, series->floats.size()) << "interval " << intervals[i];
          ++got_series;
        }
      }
      EXPECT_EQ(got_series, m.size());
    }
  }
}

}  // namespace
}  // namespace plumbline::query
