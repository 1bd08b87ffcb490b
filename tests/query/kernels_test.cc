// Kernel tests. Most expectations are evals from Prometheus' own PromQL test files
// (functions.test, aggregators.test, histograms.test, v3.14.0), reproduced by feeding the
// kernels the exact window a range selector sees over the file's `load` block; the rest
// are edge cases of the Go code the kernels follow.
#include "query/kernels.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "query/value.h"

namespace plumbline::query {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMs = 1;
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

// The values of promqltest's `a+bxn` expansion: n + 1 values.
std::vector<double> Seq(double start, double step, int n) {
  std::vector<double> v;
  for (int i = 0; i <= n; ++i) v.push_back(start + step * i);
  return v;
}

std::vector<double> Cat(std::initializer_list<std::vector<double>> parts) {
  std::vector<double> v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

// A `load <interval>` series: sample i at i * interval.
std::vector<FPoint> Load(int64_t interval, const std::vector<double>& values) {
  std::vector<FPoint> points;
  for (size_t i = 0; i < values.size(); ++i) {
    points.push_back({static_cast<int64_t>(i) * interval, values[i]});
  }
  return points;
}

// What `series[range] offset offset` selects at `eval`: the left-open window
// (eval - offset - range, eval - offset].
std::vector<FPoint> Window(const std::vector<FPoint>& series, int64_t eval, int64_t range,
                           int64_t offset = 0) {
  std::vector<FPoint> out;
  for (const FPoint& p : series) {
    if (p.t > eval - offset - range && p.t <= eval - offset) out.push_back(p);
  }
  return out;
}

enum class Fn { kRate, kIncrease, kDelta };

std::optional<double> Extrapolated(Fn fn, const std::vector<FPoint>& series, int64_t eval,
                                   int64_t range, int64_t offset = 0) {
  const std::vector<FPoint> w = Window(series, eval, range, offset);
  return ExtrapolatedRate(w, eval - offset - range, eval - offset, fn != Fn::kDelta,
                          fn == Fn::kRate);
}

// promqltest's comparison: NaN equals NaN, otherwise a relative tolerance of 1e-6.
::testing::AssertionResult PromEq(double actual, double expected) {
  if (std::isnan(actual) && std::isnan(expected)) return ::testing::AssertionSuccess();
  if (actual == expected) return ::testing::AssertionSuccess();
  if (!std::isnan(actual) && !std::isnan(expected) && !std::isinf(actual) &&
      !std::isinf(expected) &&
      std::abs(actual - expected) / (std::abs(actual) + std::abs(expected)) < 1e-6) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << actual << ", want " << expected;
}

::testing::AssertionResult PromEq(std::optional<double> actual, double expected) {
  if (!actual.has_value()) return ::testing::AssertionFailure() << "no value, want " << expected;
  return PromEq(*actual, expected);
}

// ---------------------------------------------------------------- rate, increase, delta

TEST(ExtrapolatedRateTest, IncreaseExtrapolatesAndStopsAtZero) {
  // functions.test "Tests for increase()".
  const auto foo = Load(5 * kMin, Seq(0, 10, 10));
  const auto bar = Load(5 * kMin, Cat({Seq(0, 18, 5), Seq(0, 18, 5)}));
  const auto dings = Load(5 * kMin, Seq(10, 10, 10));
  const auto bumms = Load(5 * kMin, Seq(1, 10, 10));
  struct Case {
    const std::vector<FPoint>* series;
    int64_t range;
    double want;
  };
  const Case cases[] = {
      {&foo, 50 * kMin, 100},
      {&bar, 50 * kMin, 160},
      {&dings, 50 * kMin, 100},
      {&bumms, 50 * kMin, 100},
      {&foo, 100 * kMin, 100},
      {&bar, 100 * kMin, 162},
      // Half an interval back would still be positive: extrapolated by 2m30s.
      {&dings, 100 * kMin, 105},
      // Half an interval back would be negative: extrapolated only to the zero point.
      {&bumms, 100 * kMin, 101},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.range);
    EXPECT_TRUE(PromEq(Extrapolated(Fn::kIncrease, *c.series, 50 * kMin, c.range), c.want));
  }
}

TEST(ExtrapolatedRateTest, IncreaseWithCounterReset) {
  // 3 2 reads as 3 0 1 2: the reset adds the value before it.
  const auto s = Load(5 * kMin, {0, 1, 2, 3, 2, 3, 4});
  EXPECT_TRUE(PromEq(Extrapolated(Fn::kIncrease, s, 30 * kMin, 30 * kMin), 7));
}

TEST(ExtrapolatedRateTest, RateHandlesResetInTheMiddle) {
  const auto s = Load(5 * kMin, Cat({Seq(0, 27, 4), Seq(0, 27, 5)}));
  EXPECT_TRUE(PromEq(Extrapolated(Fn::kRate, s, 50 * kMin, 50 * kMin), 0.08));
}

TEST(ExtrapolatedRateTest, RateWithResetAtTheEnd) {
  const auto s = Load(5 * kMin, Cat({Seq(0, 10, 9), {0, 10}}));
  // One sample in the window: no result.
  EXPECT_FALSE(Extrapolated(Fn::kRate, s, 50 * kMin, 5 * kMin).has_value());
  EXPECT_TRUE(PromEq(Extrapolated(Fn::kRate, s, 50 * kMin, 6 * kMin), 0));
}

TEST(ExtrapolatedRateTest, RateIsPerSecondOfTheRangeIncludingOffset) {
  const auto window = Load(5 * kMin, Seq(0, 80, 10));
  EXPECT_DOUBLE_EQ(*Extrapolated(Fn::kRate, window, 50 * kMin, 50 * kMin), 0.26666666666666666);
  const auto a = Load(5 * kMin, Seq(0, 10, 10));
  const auto b = Load(5 * kMin, Seq(0, 20, 10));
  EXPECT_DOUBLE_EQ(*Extrapolated(Fn::kRate, a, 50 * kMin, 10 * kMin, 5 * kMin),
                   0.03333333333333333);
  EXPECT_DOUBLE_EQ(*Extrapolated(Fn::kRate, b, 50 * kMin, 10 * kMin, 5 * kMin),
                   0.06666666666666667);
}

TEST(ExtrapolatedRateTest, ZeroCutoffForLeftExtrapolation) {
  // load 4m testcounter_zero_cutoff_total{start="Nm"} (N*60)+240x10.
  const double want_at_10m[] = {0.5, 0.55, 0.6, 0.6, 0.6, 0.6};
  for (int start = 0; start <= 5; ++start) {
    SCOPED_TRACE(start);
    const auto s = Load(4 * kMin, Seq(60.0 * start, 240, 10));
    EXPECT_TRUE(PromEq(Extrapolated(Fn::kRate, s, 10 * kMin, 20 * kMin), want_at_10m[start]));
    EXPECT_TRUE(PromEq(Extrapolated(Fn::kRate, s, 50 * kMin, 20 * kMin), 0.6));
  }
}

TEST(ExtrapolatedRateTest, DeltaOfGauges) {
  const auto foo = Load(5 * kMin, {0, 50, 100, 150, 200});
  const auto bar = Load(5 * kMin, {200, 150, 100, 50, 0});
  EXPECT_TRUE(PromEq(Extrapolated(Fn::kDelta, foo, 20 * kMin, 20 * kMin), 200));
  EXPECT_TRUE(PromEq(Extrapolated(Fn::kDelta, bar, 20 * kMin, 20 * kMin), -200));
}

TEST(ExtrapolatedRateTest, DeltaIsNotLimitedAtZero) {
  // A gauge from 1 to 11 over 10s, window starting 5s before: extrapolated the full 5s
  // (below zero for a counter), since delta knows nothing of counters.
  const std::vector<FPoint> p = {{5 * kSec, 1}, {15 * kSec, 11}};
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 0, 15 * kSec, false, false), 15);
  // increase stops at the zero point, 1s before the first sample.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 0, 15 * kSec, true, false), 11);
}

TEST(ExtrapolatedRateTest, FewerThanTwoSamplesGiveNoResult) {
  EXPECT_FALSE(ExtrapolatedRate({}, 0, 60 * kSec, true, true).has_value());
  const std::vector<FPoint> one = {{30 * kSec, 5}};
  EXPECT_FALSE(ExtrapolatedRate(one, 0, 60 * kSec, true, true).has_value());
  EXPECT_FALSE(ExtrapolatedRate(one, 0, 60 * kSec, false, false).has_value());
}

TEST(ExtrapolatedRateTest, ExtrapolationThresholdIsInclusive) {
  // Average interval 10s; a gap of exactly 11s (1.1 x) is already too far: half an
  // interval (5s) is used instead.
  const std::vector<FPoint> p = {{11 * kSec, 100}, {21 * kSec, 110}, {31 * kSec, 120}};
  // Gauge: 20s sampled + 5s before + 0s after.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 0, 31 * kSec, false, false), 20.0 * 25 / 20);
  // A gap of 10.999s is extrapolated in full.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 11 * kSec - 10999, 31 * kSec, false, false),
                   20.0 * (20 + 10.999) / 20);
  // Same on the right.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 11 * kSec, 42 * kSec, false, false), 20.0 * 25 / 20);
}

TEST(ExtrapolatedRateTest, CounterWithNegativeFirstValueIsNotCutAtZero) {
  const std::vector<FPoint> p = {{10 * kSec, -5}, {20 * kSec, 5}};
  // Result 10 > 0 but the first value is negative: no zero point; 5s to each side.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 5 * kSec, 25 * kSec, true, false), 20);
}

TEST(ExtrapolatedRateTest, CounterResetToZero) {
  // 10 -> 0 is a reset to 0: no increase at all, whatever the extrapolation.
  const std::vector<FPoint> p = {{10 * kSec, 10}, {20 * kSec, 0}};
  EXPECT_EQ(*ExtrapolatedRate(p, 0, 20 * kSec, true, false), 0);
  // As a gauge, the same window is a drop of 10, extrapolated by 10s.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 0, 20 * kSec, false, false), -20);
}

TEST(ExtrapolatedRateTest, NaNAndInfinitySamples) {
  // A NaN between the first and last sample is invisible: comparisons with it are false.
  // 2 over 20s, extrapolated by 10s to the start (exactly the zero point): 3 / 30s.
  const std::vector<FPoint> with_nan = {{10 * kSec, 1}, {20 * kSec, kNaN}, {30 * kSec, 3}};
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(with_nan, 0, 30 * kSec, true, true), 0.1);
  const std::vector<FPoint> nan_last = {{10 * kSec, 1}, {20 * kSec, kNaN}};
  EXPECT_TRUE(std::isnan(*ExtrapolatedRate(nan_last, 0, 20 * kSec, false, false)));
  const std::vector<FPoint> inf = {{10 * kSec, 1}, {20 * kSec, kInf}};
  EXPECT_EQ(*ExtrapolatedRate(inf, 0, 20 * kSec, true, true), kInf);
}

TEST(ExtrapolatedRateTest, RangeWithMillisecondsUsesGoDurationSeconds) {
  // rate(x[1001ms]): the per-second division uses 1.001 s.
  const std::vector<FPoint> p = {{1 * kMs, 0}, {1001 * kMs, 1000}};
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(p, 0, 1001 * kMs, false, true),
                   1000.0 * (1.0 + 0.001 + 0.0) / 1.0 / 1.001);
}

// ---------------------------------------------------------------- irate, idelta

TEST(InstantValueTest, IrateFromTheLastTwoSamples) {
  const auto foo = Load(5 * kMin, Seq(0, 10, 10));
  const auto bar = Load(5 * kMin, Cat({Seq(0, 10, 5), Seq(0, 10, 5)}));
  EXPECT_DOUBLE_EQ(*InstantValue(Window(foo, 50 * kMin, 50 * kMin), true), 10.0 / 300);
  EXPECT_DOUBLE_EQ(*InstantValue(Window(bar, 50 * kMin, 50 * kMin), true), 10.0 / 300);
  EXPECT_DOUBLE_EQ(*InstantValue(Window(foo, 30 * kMin, 50 * kMin), true), 10.0 / 300);
  // Counter reset between the last two: 0 after the reset is the increase.
  EXPECT_EQ(*InstantValue(Window(bar, 30 * kMin, 50 * kMin), true), 0);
}

TEST(InstantValueTest, IrateAndIdeltaWithNaN) {
  // eval range from 0 to 20m step 5m i{rate,delta}(http_requests_nan[15m1s]).
  const auto s = Load(5 * kMin, {1, kNaN, kNaN, 5, 11});
  const int64_t range = 15 * kMin + 1 * kSec;
  EXPECT_FALSE(InstantValue(Window(s, 0, range), true).has_value());
  EXPECT_FALSE(InstantValue(Window(s, 0, range), false).has_value());
  for (int64_t t : {5 * kMin, 10 * kMin, 15 * kMin}) {
    EXPECT_TRUE(std::isnan(*InstantValue(Window(s, t, range), true))) << t;
    EXPECT_TRUE(std::isnan(*InstantValue(Window(s, t, range), false))) << t;
  }
  EXPECT_DOUBLE_EQ(*InstantValue(Window(s, 20 * kMin, range), true), 0.02);
  EXPECT_EQ(*InstantValue(Window(s, 20 * kMin, range), false), 6);
}

TEST(InstantValueTest, IdeltaIsASignedDifference) {
  const auto foo = Load(5 * kMin, {0, 50, 100, 150});
  const auto bar = Load(5 * kMin, {0, 50, 100, 50});
  EXPECT_EQ(*InstantValue(Window(foo, 20 * kMin, 20 * kMin), false), 50);
  EXPECT_EQ(*InstantValue(Window(bar, 20 * kMin, 20 * kMin), false), -50);
}

TEST(InstantValueTest, EdgeCases) {
  EXPECT_FALSE(InstantValue({}, true).has_value());
  const std::vector<FPoint> one = {{0, 1}};
  EXPECT_FALSE(InstantValue(one, false).has_value());
  const std::vector<FPoint> same_time = {{5, 1}, {5, 2}};
  EXPECT_FALSE(InstantValue(same_time, true).has_value());
  // Only the last two samples count.
  const std::vector<FPoint> p = {{0, 100}, {1 * kSec, 0}, {3 * kSec, 4}};
  EXPECT_EQ(*InstantValue(p, true), 2);
  EXPECT_EQ(*InstantValue(p, false), 4);
  // Reset with irate over 500ms: 3 / 0.5 s.
  const std::vector<FPoint> reset = {{0, 10}, {500, 3}};
  EXPECT_EQ(*InstantValue(reset, true), 6);
}

// ---------------------------------------------------------------- deriv, predict_linear

TEST(DerivTest, MatchesRateOnALine) {
  const auto s = Load(5 * kMin, Seq(0, 80, 10));
  EXPECT_DOUBLE_EQ(*Deriv(Window(s, 50 * kMin, 50 * kMin)), 0.26666666666666666);
}

TEST(DerivTest, LeastSquaresSlope) {
  const auto s = Load(5 * kMin, Cat({Seq(0, 10, 4), Seq(0, 10, 5)}));
  EXPECT_DOUBLE_EQ(*Deriv(Window(s, 50 * kMin, 100 * kMin)), 0.010606060606060607);
}

TEST(DerivTest, InfinitiesGiveNaN) {
  const auto s = Load(5 * kMin, Cat({{-kInf}, Seq(0, 80, 10), {kInf}}));
  EXPECT_TRUE(std::isnan(*Deriv(Window(s, 100 * kMin, 100 * kMin))));
}

TEST(DerivTest, ConstantSeries) {
  const std::vector<FPoint> constant = {{0, 3}, {10 * kSec, 3}, {20 * kSec, 3}};
  EXPECT_EQ(*Deriv(constant), 0);
  const std::vector<FPoint> inf = {{0, kInf}, {10 * kSec, kInf}};
  EXPECT_TRUE(std::isnan(*Deriv(inf)));
  // NaN is never equal to itself, so an all-NaN series is not constant: NaN slope.
  const std::vector<FPoint> nan = {{0, kNaN}, {10 * kSec, kNaN}};
  EXPECT_TRUE(std::isnan(*Deriv(nan)));
}

TEST(DerivTest, FewerThanTwoSamples) {
  EXPECT_FALSE(Deriv({}).has_value());
  const std::vector<FPoint> one = {{0, 1}};
  EXPECT_FALSE(Deriv(one).has_value());
}

TEST(DerivTest, LargeTimestampsKeepPrecision) {
  // Intercept at the first sample keeps x small (Prometheus issue 2674).
  const int64_t t0 = 1700000000000;
  const std::vector<FPoint> p = {{t0, 1}, {t0 + 15 * kSec, 2.5}, {t0 + 30 * kSec, 4}};
  EXPECT_DOUBLE_EQ(*Deriv(p), 0.1);
}

TEST(PredictLinearTest, MatchesPrometheus) {
  // X/s = 0, 300, ..., 3000; Y = 0 10 20 30 40 0 10 20 30 40 50.
  const auto s = Load(5 * kMin, Cat({Seq(0, 10, 4), Seq(0, 10, 5)}));
  EXPECT_TRUE(PromEq(PredictLinear(Window(s, 50 * kMin, 50 * kMin), 50 * kMin, 3600), 70));
  // predict_linear(x[55m] @ 3000, 3600) evaluated at 50m, 10m and 70m: the same samples,
  // the intercept at the evaluation time.
  const auto at_3000 = Window(s, 3000 * kSec, 55 * kMin);
  EXPECT_TRUE(PromEq(PredictLinear(at_3000, 50 * kMin, 3600), 76.81818181818181));
  EXPECT_TRUE(PromEq(PredictLinear(at_3000, 10 * kMin, 3600), 51.36363636363637));
  EXPECT_TRUE(PromEq(PredictLinear(at_3000, 70 * kMin, 3600), 89.54545454545455));
}

TEST(PredictLinearTest, EmulatedWithDeriv) {
  const auto s = Load(5 * kMin, Seq(0, 80, 10));
  const auto w = Window(s, 50 * kMin, 50 * kMin);
  EXPECT_DOUBLE_EQ(*PredictLinear(w, 50 * kMin, 3600), 800 + *Deriv(w) * 3600);
}

TEST(PredictLinearTest, EdgeCases) {
  const auto inf = Load(5 * kMin, Cat({{-kInf}, Seq(0, 80, 10), {kInf}}));
  EXPECT_TRUE(std::isnan(*PredictLinear(Window(inf, 100 * kMin, 100 * kMin), 100 * kMin, 6000)));
  const std::vector<FPoint> constant = {{0, 7}, {10 * kSec, 7}};
  EXPECT_EQ(*PredictLinear(constant, 20 * kSec, 1e6), 7);
  const std::vector<FPoint> one = {{0, 7}};
  EXPECT_FALSE(PredictLinear(one, 0, 10).has_value());
  // Negative horizon: back in time.
  const std::vector<FPoint> line = {{0, 0}, {10 * kSec, 10}};
  EXPECT_DOUBLE_EQ(*PredictLinear(line, 10 * kSec, -5), 5);
}

// ---------------------------------------------------------------- resets, changes

TEST(ResetsChangesTest, MatchesPrometheus) {
  const auto foo = Load(5 * kMin, {1, 2, 3, 0, 1, 0, 0, 1, 2, 0});
  const auto bar = Load(5 * kMin, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  const auto biz = Load(5 * kMin, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  struct Case {
    int64_t range;
    double foo, bar, biz;
  };
  const Case resets[] = {
      {10 * kMin, 0, 0, 0}, {600 * kSec, 0, 0, 0}, {20 * kMin, 1, 0, 0},
      {30 * kMin, 1, 0, 0}, {32 * kMin, 2, 1, 0},  {50 * kMin, 3, 1, 0},
  };
  for (const Case& c : resets) {
    SCOPED_TRACE(c.range);
    EXPECT_EQ(Resets(Window(foo, 50 * kMin, c.range)), c.foo);
    EXPECT_EQ(Resets(Window(bar, 50 * kMin, c.range)), c.bar);
    EXPECT_EQ(Resets(Window(biz, 50 * kMin, c.range)), c.biz);
  }
  const Case changes[] = {
      {6 * kMin, 0, 0, 0},
      {20 * kMin, 2, 2, 0},
      {30 * kMin, 3, 4, 0},
      {50 * kMin, 7, 8, 1},
  };
  for (const Case& c : changes) {
    SCOPED_TRACE(c.range);
    EXPECT_EQ(Changes(Window(foo, 50 * kMin, c.range)), c.foo);
    EXPECT_EQ(Changes(Window(bar, 50 * kMin, c.range)), c.bar);
    EXPECT_EQ(Changes(Window(biz, 50 * kMin, c.range)), c.biz);
  }
}

TEST(ResetsChangesTest, NaN) {
  // NaN to NaN is no change; number to NaN and back are two.
  const auto b = Load(5 * kMin, {kNaN, kNaN, kNaN});
  const auto c = Load(5 * kMin, {0, kNaN, 0});
  EXPECT_EQ(Changes(Window(b, 15 * kMin, 20 * kMin)), 0);
  EXPECT_EQ(Changes(Window(c, 15 * kMin, 20 * kMin)), 2);
  // Comparisons with NaN are false: never a reset.
  EXPECT_EQ(Resets(Window(c, 15 * kMin, 20 * kMin)), 0);
}

TEST(ResetsChangesTest, EmptyAndSingle) {
  EXPECT_EQ(Resets({}), 0);
  EXPECT_EQ(Changes({}), 0);
  const std::vector<FPoint> one = {{0, 5}};
  EXPECT_EQ(Resets(one), 0);
  EXPECT_EQ(Changes(one), 0);
  const std::vector<FPoint> inf = {{0, kInf}, {1, -kInf}, {2, -kInf}};
  EXPECT_EQ(Resets(inf), 1);
  EXPECT_EQ(Changes(inf), 1);
}

// ---------------------------------------------------------------- *_over_time

TEST(AvgOverTimeTest, SpecialValues) {
  // functions.test "Tests for avg_over_time": load 10s, eval at 55s over [1m] (all samples).
  struct Case {
    std::string name;
    std::vector<double> values;
    double avg;
  };
  const Case cases[] = {
      {"metric", {1, 2, 3, 4, 5}, 3},
      {"metric2", {1, 2, 3, 4, kInf}, kInf},
      {"metric3", {1, 2, 3, 4, -kInf}, -kInf},
      {"metric4", {1, 2, 3, kInf, -kInf}, kNaN},
      {"metric5", {kInf, 0, kInf}, kInf},
      {"metric5c", {kInf, kInf, kInf, -kInf}, kNaN},
      {"metric6", {1, 2, 3, -kInf, -kInf}, -kInf},
      {"metric6b", {-kInf, 0, -kInf}, -kInf},
      {"metric6c", {-kInf, -kInf, -kInf, kInf}, kNaN},
      {"metric7", {1, 2, -kInf, -kInf, kInf}, kNaN},
      // The sum overflows; the incremental mean does not.
      {"metric8", {9.988465674311579e+307, 9.988465674311579e+307}, 9.988465674311579e+307},
      {"metric9",
       {-9.988465674311579e+307, -9.988465674311579e+307, -9.988465674311579e+307},
       -9.988465674311579e+307},
      {"metric10", {-9.988465674311579e+307, 9.988465674311579e+307}, 0},
      {"metric11", {1, 2, 3, kNaN, kNaN}, kNaN},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto w = Window(Load(10 * kSec, c.values), 55 * kSec, 1 * kMin);
    EXPECT_TRUE(PromEq(AvgOverTime(w), c.avg));
  }
}

TEST(AvgOverTimeTest, WindowSelection) {
  const auto metric = Load(10 * kSec, {1, 2, 3, 4, 5});
  EXPECT_TRUE(Window(metric, 55 * kSec, 10 * kSec).empty());
  EXPECT_EQ(AvgOverTime(Window(metric, 55 * kSec, 20 * kSec)), 5);
  const auto metric11 = Load(10 * kSec, {1, 2, 3, kNaN, kNaN});
  EXPECT_EQ(AvgOverTime(Window(metric11, 20 * kSec, 1 * kMin)), 2);
  EXPECT_TRUE(std::isnan(AvgOverTime(Window(metric11, 30 * kSec, 1 * kMin))));
}

TEST(AvgOverTimeTest, ExtremeValues) {
  struct Case {
    std::string name;
    std::vector<double> values;
    double avg;
  };
  const Case cases[] = {
      {"metric1", {1e10, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6}, 1.6666666666666675e+09},
      {"metric2",
       {5.30921651659898, 0.961118537914768, 1.62091361305318, 0.865089463758091, 0.323055185914577,
        0.951811357687154},
       1.67186744582113},
      {"metric3", {1.78264e50, 0.76342771, 1.9592258, 7.69805412, 458.90154}, 3.56528E+49},
      {"metric4", {0.76342771, 1.9592258, 7.69805412, 1.78264e50, 458.90154}, 3.56528E+49},
      {"metric5",
       {1.78264E+50, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, 458.90154},
       3.76333333333333E+219},
      {"metric6",
       {-1.78264E+50, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, -458.90154},
       3.76333333333333E+219},
      {"metric7",
       {-1.78264E+50, 0.76342771, 1.9592258, -2.258E+220, 7.69805412, -458.90154},
       -3.76333333333333E+219},
      {"metric8",
       {-1.78264E+215, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, -458.90154},
       3.76330362266667E+219},
      {"metric9",
       {-1.78264E+215, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, 1.78264E+215, -458.90154},
       3.225714285714286e+219},
      {"metric10",
       {-1.78264E+219, 0.76342771, 1.9592258, 2.3757689E+217, -2.3757689E+217, 2.258E+220,
        7.69805412, 1.78264E+219, -458.90154},
       2.5088888888888888e+219},
      // Beyond Kahan summation: Prometheus gets 0 (the exact mean is -44.848083237).
      {"metric11",
       {-2.258E+220, -1.78264E+219, 0.76342771, 1.9592258, 2.3757689E+217, -2.3757689E+217,
        2.258E+220, 7.69805412, 1.78264E+219, -458.90154},
       0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto w = Window(Load(5 * kSec, c.values), 55 * kSec, 1 * kMin);
    EXPECT_TRUE(PromEq(AvgOverTime(w), c.avg));
  }
}

TEST(AvgOverTimeTest, ConstantIsExact) {
  // avg_over_time(foo[100s..130s]) == 52 relies on exact equality.
  const auto foo = Load(10 * kSec, Seq(52, 0, 100));
  for (int64_t range : {100 * kSec, 110 * kSec, 120 * kSec, 130 * kSec}) {
    EXPECT_EQ(AvgOverTime(Window(foo, 10 * kMin, range)), 52) << range;
  }
  const std::vector<FPoint> tenths(1000, FPoint{0, 0.1});
  EXPECT_EQ(AvgOverTime(tenths), 0.1);
}

TEST(AvgOverTimeTest, LargeValuesCancel) {
  const auto s = Load(10 * kSec, {1, 1e100, 1, -1e100});
  EXPECT_EQ(AvgOverTime(Window(s, 1 * kMin, 2 * kMin)), 0.5);
  EXPECT_EQ(SumOverTime(Window(s, 1 * kMin, 2 * kMin)), 2);
}

TEST(AvgOverTimeTest, OverflowSwitchesToIncrementalMean) {
  const double big = std::numeric_limits<double>::max();
  const std::vector<FPoint> p = {{0, big}, {1, big}, {2, big}, {3, -big}};
  EXPECT_TRUE(PromEq(AvgOverTime(p), big / 2));
  const std::vector<FPoint> single_nan = {{0, kNaN}};
  EXPECT_TRUE(std::isnan(AvgOverTime(single_nan)));
}

TEST(SumOverTimeTest, Values) {
  // sum_over_time(metric[1000ms..3003ms]) over load 1ms metric 1+0x4000, at 4s.
  const auto dense = Load(1 * kMs, Seq(1, 0, 4000));
  for (int64_t range : {1000, 1001, 1002, 1003, 2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003}) {
    EXPECT_EQ(SumOverTime(Window(dense, 4 * kSec, range * kMs)), static_cast<double>(range));
  }
  // sum_over_time(metric8[1m]) / count overflows to +Inf.
  const std::vector<FPoint> big = {{0, 9.988465674311579e+307}, {1, 9.988465674311579e+307}};
  EXPECT_EQ(SumOverTime(big), kInf);
  const std::vector<FPoint> mixed_inf = {{0, kInf}, {1, -kInf}};
  EXPECT_TRUE(std::isnan(SumOverTime(mixed_inf)));
  const std::vector<FPoint> neg_inf = {{0, 1}, {1, -kInf}, {2, 5}};
  EXPECT_EQ(SumOverTime(neg_inf), -kInf);
  EXPECT_EQ(SumOverTime({}), 0);
  // Compensated: 0.1 ten times is exactly 1.
  const std::vector<FPoint> tenths(10, FPoint{0, 0.1});
  EXPECT_EQ(SumOverTime(tenths), 1);
}

TEST(MinMaxOverTimeTest, NaNHandling) {
  struct Case {
    std::string name;
    std::vector<double> values;
    double min, max;
  };
  const Case cases[] = {
      {"numbers", {2, 0, 3}, 0, 3},
      {"some_nan", {2, 0, kNaN}, 0, 2},
      {"some_nan2", {2, kNaN, 1}, 1, 2},
      {"some_nan3", {kNaN, 0, 1}, 0, 1},
      {"only_nan", {kNaN, kNaN, kNaN}, kNaN, kNaN},
      {"infinities", {kInf, -kInf, 1}, -kInf, kInf},
      {"single", {-3}, -3, -3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto w = Window(Load(10 * kSec, c.values), 1 * kMin, 2 * kMin);
    EXPECT_TRUE(PromEq(MinOverTime(w), c.min));
    EXPECT_TRUE(PromEq(MaxOverTime(w), c.max));
  }
}

TEST(StddevOverTimeTest, Values) {
  const auto metric = Load(10 * kSec, {0, 8, 8, 2, 3});
  EXPECT_TRUE(PromEq(StdvarOverTime(Window(metric, 1 * kMin, 2 * kMin)), 10.56));
  EXPECT_TRUE(PromEq(StddevOverTime(Window(metric, 1 * kMin, 2 * kMin)), 3.249615));
  // Prometheus issue 4927: a constant series has exactly zero variance.
  const auto constant =
      Load(10 * kSec, {1.5990505637277868, 1.5990505637277868, 1.5990505637277868});
  EXPECT_EQ(StdvarOverTime(Window(constant, 55 * kSec, 1 * kMin)), 0);
  EXPECT_EQ(StddevOverTime(Window(constant, 55 * kSec, 1 * kMin)), 0);
  // The float mix of stddev_over_time(metric_histogram{type="mix"}): 1 1 1.
  const auto ones = Load(10 * kSec, {1, 1, 1});
  EXPECT_EQ(StddevOverTime(ones), 0);
}

TEST(StddevOverTimeTest, EdgeCases) {
  const std::vector<FPoint> one = {{0, 42}};
  EXPECT_EQ(StdvarOverTime(one), 0);
  EXPECT_EQ(StddevOverTime(one), 0);
  const std::vector<FPoint> nan = {{0, 1}, {1, kNaN}, {2, 3}};
  EXPECT_TRUE(std::isnan(StdvarOverTime(nan)));
  const std::vector<FPoint> inf = {{0, 1}, {1, kInf}};
  EXPECT_TRUE(std::isnan(StddevOverTime(inf)));
  // Large offset, small spread: Welford keeps the precision.
  const std::vector<FPoint> offset = {{0, 1e9 + 4}, {1, 1e9 + 7}, {2, 1e9 + 13}, {3, 1e9 + 16}};
  EXPECT_DOUBLE_EQ(StdvarOverTime(offset), 22.5);
}

TEST(QuantileOverTimeTest, MatchesPrometheus) {
  const auto two = Window(Load(10 * kSec, {0, 1}), 1 * kMin, 2 * kMin);
  const auto three = Window(Load(10 * kSec, {0, 1, 2}), 1 * kMin, 2 * kMin);
  const auto uneven = Window(Load(10 * kSec, {0, 1, 4}), 1 * kMin, 2 * kMin);
  struct Case {
    double q, two, three, uneven;
  };
  const Case cases[] = {
      {0, 0, 0, 0}, {0.5, 0.5, 1, 1},          {0.75, 0.75, 1.5, 2.5}, {0.8, 0.8, 1.6, 2.8},
      {1, 1, 2, 4}, {-1, -kInf, -kInf, -kInf}, {2, kInf, kInf, kInf},  {kNaN, kNaN, kNaN, kNaN},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.q);
    EXPECT_TRUE(PromEq(QuantileOverTime(c.q, two), c.two));
    EXPECT_TRUE(PromEq(QuantileOverTime(c.q, three), c.three));
    EXPECT_TRUE(PromEq(QuantileOverTime(c.q, uneven), c.uneven));
  }
  // The float part of the "mix samples" series: 0 1 2.
  EXPECT_EQ(QuantileOverTime(0.5, Load(10 * kSec, {0, 1, 2})), 1);
}

TEST(QuantileOverTimeTest, UnsortedInputAndEmpty) {
  const std::vector<FPoint> p = {{0, 9}, {1, 1}, {2, 5}, {3, 3}};
  EXPECT_EQ(QuantileOverTime(0.5, p), 4);
  EXPECT_TRUE(std::isnan(QuantileOverTime(0.5, {})));
}

// ---------------------------------------------------------------- aggregation helpers

TEST(KahanSumIncTest, CompensatesLostDigits) {
  double c = 0;
  double sum = 0;
  for (double v : {1.0, 1e100, 1.0, -1e100}) sum = KahanSumInc(v, sum, &c);
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(sum + c, 2);
}

TEST(KahanSumIncTest, NeumaierSwapsWhenTheIncrementIsLarger) {
  double c = 0;
  double sum = KahanSumInc(1e-20, 0, &c);
  sum = KahanSumInc(1.0, sum, &c);
  EXPECT_EQ(sum, 1.0);
  EXPECT_EQ(c, 1e-20);
}

TEST(KahanSumIncTest, InfinityResetsCompensation) {
  double c = 0.5;
  EXPECT_EQ(KahanSumInc(kInf, 1, &c), kInf);
  EXPECT_EQ(c, 0);
  c = 0.25;
  EXPECT_TRUE(std::isnan(KahanSumInc(-kInf, kInf, &c)));
  // NaN is not infinite: the compensation becomes NaN too.
  EXPECT_TRUE(std::isnan(c));
}

TEST(QuantileTest, AggregatorMatchesPrometheus) {
  // aggregators.test "Tests for quantile": NaN sorts as the smallest value.
  struct Case {
    std::string name;
    std::vector<double> values;
    double q02, q08;
  };
  const Case cases[] = {
      {"two samples", {0, 1}, 0.2, 0.8},
      {"three samples", {0, 1, 2}, 0.4, 1.6},
      {"uneven samples", {0, 1, 4}, 0.4, 2.8},
      {"NaN sample", {0, 1, kNaN}, kNaN, 0.6},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<double> v = c.values;
    EXPECT_TRUE(PromEq(Quantile(0.8, &v), c.q08));
    v = c.values;
    EXPECT_TRUE(PromEq(Quantile(0.2, &v), c.q02));
    v = c.values;
    EXPECT_TRUE(std::isnan(Quantile(kNaN, &v)));
  }
  // Bug 15971: q from scalar(foo) per step, foo = 0 1 0 1 0 1 0.8.
  std::vector<double> nan_sample = {kNaN, 1, 0};
  EXPECT_TRUE(std::isnan(Quantile(0, &nan_sample)));
  EXPECT_EQ(Quantile(1, &nan_sample), 1);
}

TEST(QuantileTest, EdgeCases) {
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(Quantile(0.5, &empty)));
  std::vector<double> v = {3, 1, 2};
  EXPECT_EQ(Quantile(-0.1, &v), -kInf);
  EXPECT_EQ(Quantile(1.1, &v), kInf);
  EXPECT_EQ(Quantile(-kInf, &v), -kInf);
  EXPECT_EQ(Quantile(0.5, &v), 2);
  EXPECT_EQ(v, (std::vector<double>{1, 2, 3}));  // Sorted in place.
  std::vector<double> single = {7};
  EXPECT_EQ(Quantile(0, &single), 7);
  EXPECT_EQ(Quantile(0.3, &single), 7);
  EXPECT_EQ(Quantile(1, &single), 7);
  // Interpolating towards an infinity gives it; landing exactly on a finite value next to
  // an infinity gives NaN (Inf * 0), as in Go.
  std::vector<double> inf = {0, kInf};
  EXPECT_EQ(Quantile(0.5, &inf), kInf);
  inf = {0, kInf};
  EXPECT_TRUE(std::isnan(Quantile(0, &inf)));
  std::vector<double> all_nan = {kNaN, kNaN, kNaN};
  EXPECT_TRUE(std::isnan(Quantile(0.5, &all_nan)));
  std::vector<double> two_nan = {5, kNaN, 1, kNaN};
  EXPECT_EQ(Quantile(1, &two_nan), 5);
  two_nan = {5, kNaN, 1, kNaN};
  EXPECT_TRUE(std::isnan(Quantile(1.0 / 3, &two_nan)));
}

// ---------------------------------------------------------------- histogram_quantile

using Pairs = std::vector<std::pair<double, double>>;

// Classic buckets as {le, count}.
std::vector<Bucket> Buckets(std::initializer_list<Bucket> b) { return b; }

TEST(BucketQuantileTest, TestHistogram3) {
  // testhistogram3_bucket at 50m (0+Nx10 -> 10N).
  const auto positive = Buckets({{0, 0}, {0.1, 50}, {0.2, 70}, {1, 110}, {kInf, 110}});
  const auto negative = Buckets({{-0.25, 0}, {-0.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 20}});
  struct Case {
    double q, positive, negative;
  };
  const Case cases[] = {
      {0, 0, -0.25}, {0.25, 0.055, -0.225}, {0.5, 0.125, -0.2}, {0.75, 0.45, -0.15}, {1, 1, -0.1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.q);
    auto p = positive;
    auto n = negative;
    EXPECT_TRUE(PromEq(BucketQuantile(c.q, &p).value, c.positive));
    EXPECT_TRUE(PromEq(BucketQuantile(c.q, &n).value, c.negative));
  }
}

TEST(BucketQuantileTest, TestHistogram) {
  // testhistogram_bucket at 50m, `le` spelled 0.1, .2, 1e0, +Inf / -.2, -0.1, 0.3, +Inf.
  const auto positive = Buckets({{0.1, 50}, {0.2, 70}, {1, 110}, {kInf, 120}});
  const auto negative = Buckets({{-0.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 30}});
  struct Case {
    double q, positive, negative;
  };
  const Case cases[] = {
      {-0.1, -kInf, -kInf}, {1.01, kInf, kInf}, {kNaN, kNaN, kNaN}, {0, 0, -0.2},
      {1, 1, 0.3},          {0.2, 0.048, -0.2}, {0.5, 0.15, -0.15}, {0.8, 0.72, 0.3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.q);
    auto p = positive;
    auto n = negative;
    const BucketQuantileResult rp = BucketQuantile(c.q, &p);
    EXPECT_TRUE(PromEq(rp.value, c.positive));
    EXPECT_FALSE(rp.forced_monotonicity);
    EXPECT_FALSE(rp.fixed_precision);
    EXPECT_TRUE(PromEq(BucketQuantile(c.q, &n).value, c.negative));
  }
}

TEST(BucketQuantileTest, RatesOfBuckets) {
  // histogram_quantile(q, rate(testhistogram_bucket[10m])) at 50m: the rate kernel per
  // bucket series, then the quantile.
  const double increments[] = {5, 7, 11, 12};
  const double bounds[] = {0.1, 0.2, 1, kInf};
  std::vector<Bucket> rates;
  for (int i = 0; i < 4; ++i) {
    const auto series = Load(5 * kMin, Seq(0, increments[i], 10));
    rates.push_back({bounds[i], *Extrapolated(Fn::kRate, series, 50 * kMin, 10 * kMin)});
  }
  for (auto [q, want] : Pairs{{0.2, 0.048}, {0.5, 0.15}, {0.8, 0.72}}) {
    auto b = rates;
    EXPECT_TRUE(PromEq(BucketQuantile(q, &b).value, want)) << q;
  }
}

TEST(BucketQuantileTest, MiddleOfBuckets) {
  // testhistogram2_bucket at 7m (the 5m sample): 0 1 2 3 3.
  const auto b = Buckets({{0, 0}, {2, 1}, {4, 2}, {6, 3}, {kInf, 3}});
  for (auto [q, want] : Pairs{{1. / 6., 1.0}, {0.5, 3.0}, {5. / 6., 5.0}}) {
    auto copy = b;
    EXPECT_TRUE(PromEq(BucketQuantile(q, &copy).value, want)) << q;
  }
}

TEST(BucketQuantileTest, AggregatedRequestDurations) {
  // sum(rate(request_duration_seconds_bucket[10m])) by (le ...) at 50m; per-5m increments
  // per (job, instance) and le = 0.1, 0.2, +Inf.
  struct Series {
    double le01, le02, inf;
  };
  const Series j1i1{1, 3, 4}, j1i2{2, 5, 6}, j2i1{3, 4, 6}, j2i2{4, 7, 9};
  auto sum_rates = [](std::initializer_list<Series> parts) {
    double a = 0, b = 0, c = 0;
    for (const Series& s : parts) {
      a += *Extrapolated(Fn::kRate, Load(5 * kMin, Seq(0, s.le01, 10)), 50 * kMin, 10 * kMin);
      b += *Extrapolated(Fn::kRate, Load(5 * kMin, Seq(0, s.le02, 10)), 50 * kMin, 10 * kMin);
      c += *Extrapolated(Fn::kRate, Load(5 * kMin, Seq(0, s.inf, 10)), 50 * kMin, 10 * kMin);
    }
    return Buckets({{0.1, a}, {0.2, b}, {kInf, c}});
  };
  struct Case {
    std::string name;
    std::vector<Bucket> buckets;
    double q03, q05;
  };
  const Case cases[] = {
      {"all", sum_rates({j1i1, j1i2, j2i1, j2i2}), 0.075, 0.1277777777777778},
      {"ins1", sum_rates({j1i1, j2i1}), 0.075, 0.1333333333},
      {"ins2", sum_rates({j1i2, j2i2}), 0.075, 0.125},
      {"job1", sum_rates({j1i1, j1i2}), 0.1, 0.14},
      {"job2", sum_rates({j2i1, j2i2}), 0.0642857142857143, 0.1125},
      {"job1 ins1", sum_rates({j1i1}), 0.11, 0.15},
      {"job1 ins2", sum_rates({j1i2}), 0.09, 0.13333333333333333},
      {"job2 ins1", sum_rates({j2i1}), 0.06, 0.1},
      {"job2 ins2", sum_rates({j2i2}), 0.0675, 0.11666666666666667},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto b = c.buckets;
    EXPECT_TRUE(PromEq(BucketQuantile(0.3, &b).value, c.q03));
    b = c.buckets;
    EXPECT_TRUE(PromEq(BucketQuantile(0.5, &b).value, c.q05));
  }
}

TEST(BucketQuantileTest, NonMonotonicBucketsAreFixed) {
  // nonmonotonic_bucket at 50m.
  const auto b = Buckets({{0.1, 20}, {1, 10}, {10, 50}, {100, 40}, {1000, 90}, {kInf, 80}});
  for (auto [q, want] : Pairs{{0.01, 0.0045}, {0.5, 8.5}, {0.99, 979.75}}) {
    auto copy = b;
    const BucketQuantileResult r = BucketQuantile(q, &copy);
    EXPECT_TRUE(PromEq(r.value, want)) << q;
    EXPECT_TRUE(r.forced_monotonicity);
    EXPECT_FALSE(r.fixed_precision);
  }
}

TEST(BucketQuantileTest, DuplicateBoundsAreMerged) {
  // mixed_bucket: le 0.1, 0.2, 2e-1, 2.0e-1, +Inf with rates 1 1 1 1 4: merged to
  // 0.1:1, 0.2:3, +Inf:4.
  const auto b = Buckets({{0.2, 1}, {0.1, 1}, {kInf, 4}, {0.2, 1}, {0.2, 1}});
  for (auto [q, want] : Pairs{{0.5, 0.15}, {0.75, 0.2}, {1.0, 0.2}}) {
    auto copy = b;
    const BucketQuantileResult r = BucketQuantile(q, &copy);
    EXPECT_TRUE(PromEq(r.value, want)) << q;
    EXPECT_FALSE(r.forced_monotonicity);
  }
  // ins2: le="+inf" and le="+Inf", both 0: one bucket after merging.
  auto inf_only = Buckets({{kInf, 0}, {kInf, 0}});
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, &inf_only).value));
}

TEST(BucketQuantileTest, NoObservationsGiveNaN) {
  auto empty_rates = Buckets({{0.1, 0}, {0.2, 0}, {kInf, 0}});
  EXPECT_TRUE(std::isnan(BucketQuantile(0.2, &empty_rates).value));
  auto constant = Buckets({{0, 0}, {1, 0}, {2, 0}, {kInf, 0}});
  EXPECT_TRUE(std::isnan(BucketQuantile(1, &constant).value));
}

TEST(BucketQuantileTest, MissingInfBucketGivesNaN) {
  auto b = Buckets({{0.1, 1}, {0.2, 2}, {1, 3}});
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, &b).value));
  // -Inf is not +Inf.
  auto neg = Buckets({{-kInf, 1}, {0.2, 2}});
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, &neg).value));
  // Out-of-range q is answered before the buckets are looked at.
  auto c = Buckets({{0.1, 1}});
  EXPECT_EQ(BucketQuantile(2, &c).value, kInf);
  EXPECT_EQ(BucketQuantile(-2, &c).value, -kInf);
  std::vector<Bucket> none;
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, &none).value));
}

TEST(BucketQuantileTest, OnlyTheInfBucket) {
  auto b = Buckets({{kInf, 10}});
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, &b).value));
}

TEST(BucketQuantileTest, QuantileInTheInfBucketGivesTheHighestFiniteBound) {
  auto b = Buckets({{1, 1}, {2, 2}, {kInf, 10}});
  EXPECT_EQ(BucketQuantile(0.9, &b).value, 2);
}

TEST(BucketQuantileTest, LowestBucketAtOrBelowZero) {
  // A lowest bound <= 0 is returned as is; a positive one interpolates from 0.
  auto at_zero = Buckets({{0, 5}, {1, 10}, {kInf, 10}});
  EXPECT_EQ(BucketQuantile(0.25, &at_zero).value, 0);
  at_zero = Buckets({{0, 5}, {1, 10}, {kInf, 10}});
  EXPECT_EQ(BucketQuantile(0.75, &at_zero).value, 0.5);
  auto negative = Buckets({{-3, 4}, {-1, 8}, {kInf, 8}});
  EXPECT_EQ(BucketQuantile(0.1, &negative).value, -3);
  auto positive = Buckets({{4, 4}, {8, 8}, {kInf, 8}});
  EXPECT_EQ(BucketQuantile(0.25, &positive).value, 2);
}

TEST(BucketQuantileTest, UnsortedInputIsSorted) {
  auto b = Buckets({{kInf, 12}, {1, 11}, {0.1, 5}, {0.2, 7}});
  EXPECT_TRUE(PromEq(BucketQuantile(0.5, &b).value, 0.15));
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].upper_bound, 0.1);
  EXPECT_EQ(b[3].upper_bound, kInf);
}

TEST(BucketQuantileTest, SmallDeltasAreTreatedAsEqual) {
  // Counts that differ by float noise (relative 1e-15) in either direction.
  const double c = 1e6;
  auto up = Buckets({{1, c}, {2, c * (1 + 1e-15)}, {kInf, c}});
  BucketQuantileResult r = BucketQuantile(0.5, &up);
  EXPECT_TRUE(r.fixed_precision);
  EXPECT_FALSE(r.forced_monotonicity);
  EXPECT_EQ(r.value, 0.5);
  // A real decrease is forced, not ignored.
  auto down = Buckets({{1, 100}, {2, 99}, {kInf, 100}});
  r = BucketQuantile(0.5, &down);
  EXPECT_TRUE(r.forced_monotonicity);
  EXPECT_FALSE(r.fixed_precision);
  EXPECT_EQ(r.value, 0.5);
}

TEST(BucketQuantileTest, FixUpsAreReportedEvenForNaNResults) {
  auto b = Buckets({{1, 0}, {2, 5}, {kInf, 0}});
  BucketQuantileResult r = BucketQuantile(0.5, &b);
  EXPECT_EQ(r.value, 1.5);  // 0 5 5 after the fix-up.
  EXPECT_TRUE(r.forced_monotonicity);
  // A negative count (e.g. from a gauge's delta) forced up to 0: no observations, but the
  // fix-up is still reported.
  auto negative = Buckets({{1, 0}, {2, 0}, {kInf, -1}});
  r = BucketQuantile(0.5, &negative);
  EXPECT_TRUE(std::isnan(r.value));
  EXPECT_TRUE(r.forced_monotonicity);
  auto zero = Buckets({{1, 0}, {2, 0}, {kInf, 0}});
  EXPECT_FALSE(BucketQuantile(0.5, &zero).forced_monotonicity);
}

// ---------------------------------------------------------------- histogram_fraction

TEST(BucketFractionTest, MatchesPrometheus) {
  const auto steps = Buckets({{1, 1}, {2, 3}, {3, 6}, {kInf, 100}});
  const auto negative = Buckets({{-3, 10}, {-2, 12}, {-1, 15}, {kInf, 100}});
  struct Case {
    std::string name;
    std::vector<Bucket> buckets;
    double lower, upper, want;
  };
  const Case cases[] = {
      {"testhistogram2 0..4", Buckets({{0, 0}, {2, 10}, {4, 20}, {6, 30}, {kInf, 30}}), 0, 4,
       0.6666666666666666},
      {"testhistogram2 0..6", Buckets({{0, 0}, {2, 10}, {4, 20}, {6, 30}, {kInf, 30}}), 0, 6, 1},
      {"testhistogram2 0..3.5", Buckets({{0, 0}, {2, 10}, {4, 20}, {6, 30}, {kInf, 30}}), 0, 3.5,
       0.5833333333333334},
      {"testhistogram3 positive", Buckets({{0, 0}, {0.1, 50}, {0.2, 70}, {1, 110}, {kInf, 110}}), 0,
       0.2, 0.6363636363636364},
      {"testhistogram3 negative",
       Buckets({{-0.25, 0}, {-0.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 20}}), 0, 0.2, 0},
      {"lower in first bucket", steps, 0, 1.5, 0.02},
      {"negative, lower in first bucket", negative, -4, -2, 0.02},
      {"lower is -Inf", negative, -kInf, -1.5, 0.135},
      {"-Inf..+Inf positive", steps, -kInf, kInf, 1},
      {"-Inf..+Inf negative", negative, -kInf, kInf, 1},
      {"both in last bucket", steps, 4, 5, 0},
      {"both in last bucket, negative", negative, 0, 1, 0},
      {"upper in last bucket", steps, 2, 5, 0.03},
      {"upper is +Inf", steps, 400, kInf, 0.94},
      {"lower equals upper", steps, 2, 2, 0},
      {"lower greater than upper", steps, 3, 2, 0},
      {"single bucket", Buckets({{kInf, 100}}), 0, 1, 0},
      {"all zero counts", Buckets({{1, 0}, {2, 0}, {3, 0}, {kInf, 0}}), 0, 5, kNaN},
      {"lower on a boundary", steps, 2, 3.5, 0.03},
      {"upper on a boundary", steps, 0.5, 2, 0.025},
      {"both on boundaries", steps, 1, 3, 0.05},
      {"fractional bounds", Buckets({{0.5, 2.5}, {1, 7.5}, {kInf, 100}}), 0.1, 0.75, 0.045},
      {"crosses zero", Buckets({{-2, 5}, {-1, 10}, {0, 15}, {1, 20}, {kInf, 100}}), -1, 1, 0.1},
      {"lower is NaN", Buckets({{1, 1}, {kInf, 100}}), kNaN, 1, kNaN},
      {"upper is NaN", Buckets({{1, 1}, {kInf, 100}}), 0, kNaN, kNaN},
      {"below all buckets", Buckets({{1, 1}, {2, 3}, {kInf, 10}}), -10, -5, 0},
      {"above all buckets", Buckets({{1, 1}, {2, 3}, {kInf, 10}}), 5, 10, 0},
      {"no +Inf bucket", Buckets({{1, 1}, {2, 3}}), 0, 1, kNaN},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto b = c.buckets;
    EXPECT_TRUE(PromEq(BucketFraction(c.lower, c.upper, &b), c.want));
  }
  std::vector<Bucket> none;
  EXPECT_TRUE(std::isnan(BucketFraction(0, 1, &none)));
}

// ---------------------------------------------------------------- round, sgn

TEST(RoundTest, ToIntegers) {
  struct Case {
    double v, want;
  };
  const Case cases[] = {
      {2.5, 3},
      {2, 2},
      {-2.5, -2},
      {-2, -2},
      {0, 0},
      {-0.0, 0},
      {kInf, kInf},
      {-kInf, -kInf},
      // aggregators.test: 0.004 * {100, 200}, negated, 0.005 * ..., 1 + 0.005 * ...
      {0.004 * 100, 0},
      {0.004 * 200, 1},
      {-1 * (0.004 * 100), 0},
      {-1 * (0.004 * 200), -1},
      {0.005 * 100, 1},
      {0.005 * 200, 1},
      {-1 * (0.005 * 100), 0},
      {-1 * (0.005 * 200), -1},
      {1 + 0.005 * 100, 2},
      {1 + 0.005 * 200, 2},
      {-1 * (1 + 0.005 * 100), -1},
      {-1 * (1 + 0.005 * 200), -2},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Round(c.v, 1), c.want) << c.v;
  }
  EXPECT_TRUE(std::isnan(Round(kNaN, 1)));
  // round(-0) is +0 (floor(-0 + 0.5) = 0).
  EXPECT_FALSE(std::signbit(Round(-0.0, 1)));
}

TEST(RoundTest, ToNearest) {
  struct Case {
    double v, to_nearest, want;
  };
  const Case cases[] = {
      {0.0005 * 100, 0.1, 0.1},
      {0.0005 * 200, 0.1, 0.1},
      {2.1 + 0.0005 * 100, 0.1, 2.2},
      {2.1 + 0.0005 * 200, 0.1, 2.2},
      {5.2 + 0.0005 * 100, 0.1, 5.3},
      {5.2 + 0.0005 * 200, 0.1, 5.3},
      {-1 * (5.2 + 0.0005 * 100), 0.1, -5.2},
      {-1 * (5.2 + 0.0005 * 200), 0.1, -5.3},
      {0.025 * 100, 5, 5},
      {0.025 * 200, 5, 5},
      {0.045 * 100, 5, 5},
      {0.045 * 200, 5, 10},
      {1.234, 0.01, 1.23},
      {-1.234, 0.01, -1.23},
      {12345, 1000, 12000},
      {-7, 5, -5},
      {0.3, 0.1, 0.3},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Round(c.v, c.to_nearest), c.want) << c.v << " to " << c.to_nearest;
  }
  // to_nearest 0: 1/0 = Inf, v*Inf + 0.5 floors to +-Inf, divided by Inf: NaN.
  EXPECT_TRUE(std::isnan(Round(3, 0)));
  EXPECT_TRUE(std::isnan(Round(0, 0)));
  EXPECT_TRUE(std::isnan(Round(3, kNaN)));
  // A negative to_nearest rounds half down.
  EXPECT_EQ(Round(2.5, -1), 2);
}

TEST(SgnTest, Values) {
  EXPECT_EQ(Sgn(-kInf), -1);
  EXPECT_EQ(Sgn(kInf), 1);
  EXPECT_TRUE(std::isnan(Sgn(kNaN)));
  EXPECT_EQ(Sgn(-50), -1);
  EXPECT_EQ(Sgn(0), 0);
  EXPECT_EQ(Sgn(100), 1);
  EXPECT_EQ(Sgn(1e-300), 1);
  EXPECT_EQ(Sgn(-std::numeric_limits<double>::denorm_min()), -1);
  // -0 stays -0, as in Go.
  EXPECT_TRUE(std::signbit(Sgn(-0.0)));
}

// ---------------------------------------------------------------- date functions

struct DateCase {
  double t;
  double year, month, day_of_month, day_of_year, day_of_week, hour, minute, days_in_month;
};

void ExpectDate(const DateCase& c) {
  SCOPED_TRACE(c.t);
  EXPECT_EQ(DateValue(DateFunction::kYear, c.t), c.year);
  EXPECT_EQ(DateValue(DateFunction::kMonth, c.t), c.month);
  EXPECT_EQ(DateValue(DateFunction::kDayOfMonth, c.t), c.day_of_month);
  EXPECT_EQ(DateValue(DateFunction::kDayOfYear, c.t), c.day_of_year);
  EXPECT_EQ(DateValue(DateFunction::kDayOfWeek, c.t), c.day_of_week);
  EXPECT_EQ(DateValue(DateFunction::kHour, c.t), c.hour);
  EXPECT_EQ(DateValue(DateFunction::kMinute, c.t), c.minute);
  EXPECT_EQ(DateValue(DateFunction::kDaysInMonth, c.t), c.days_in_month);
}

TEST(DateValueTest, MatchesPrometheus) {
  const DateCase cases[] = {
      // 1970-01-01 00:00:00, a Thursday.
      {0, 1970, 1, 1, 1, 4, 0, 0, 31},
      // 2006-01-02 22:04:05, a Monday.
      {1136239445, 2006, 1, 2, 2, 1, 22, 4, 31},
      // Around the 2008 leap second (which Unix time ignores).
      {1230767999, 2008, 12, 31, 366, 3, 23, 59, 31},
      {1230768000, 2009, 1, 1, 1, 4, 0, 0, 31},
      // 2016-02-29 23:59:59 and 2016-03-01 00:00:00.
      {1456790399, 2016, 2, 29, 60, 1, 23, 59, 29},
      {1456790400, 2016, 3, 1, 61, 2, 0, 0, 31},
      // 2016-12-31 13:37:00 (366th day) and 2022-12-31 13:37:00 (365th).
      {1483191420, 2016, 12, 31, 366, 6, 13, 37, 31},
      {1672493820, 2022, 12, 31, 365, 6, 13, 37, 31},
      // February 1st 2016 and 2017.
      {1454284800, 2016, 2, 1, 32, 1, 0, 0, 29},
      {1485907200, 2017, 2, 1, 32, 3, 0, 0, 28},
  };
  for (const DateCase& c : cases) ExpectDate(c);
}

TEST(DateValueTest, LeapYearsAndMonthEnds) {
  const DateCase cases[] = {
      // 2000-02-29: divisible by 400, a leap year.
      {951782400, 2000, 2, 29, 60, 2, 0, 0, 29},
      // 1900-02-01: divisible by 100, not a leap year.
      {-2206310400, 1900, 2, 1, 32, 4, 0, 0, 28},
      // 2021-04-30 23:59:59 and a second later.
      {1619827199, 2021, 4, 30, 120, 5, 23, 59, 30},
      {1619827200, 2021, 5, 1, 121, 6, 0, 0, 31},
      // 1600-12-31 12:00, a Sunday in a leap year.
      {-11644516800, 1600, 12, 31, 366, 0, 12, 0, 31},
      // 9999-12-31 23:59:59 and 0001-01-01.
      {253402300799, 9999, 12, 31, 365, 5, 23, 59, 31},
      {-62135596800, 1, 1, 1, 1, 1, 0, 0, 31},
  };
  for (const DateCase& c : cases) ExpectDate(c);
}

TEST(DateValueTest, NegativeAndFractionalTimes) {
  const DateCase cases[] = {
      // 1969-12-31 23:59:59, a Wednesday.
      {-1, 1969, 12, 31, 365, 3, 23, 59, 31},
      // Truncated toward zero like Go's int64(v): -0.5 is 0, -1.9 is -1, 59.9 is 59.
      {-0.5, 1970, 1, 1, 1, 4, 0, 0, 31},
      {-1.9, 1969, 12, 31, 365, 3, 23, 59, 31},
      {59.9, 1970, 1, 1, 1, 4, 0, 0, 31},
      // 1969-01-01 00:00:00.
      {-31536000, 1969, 1, 1, 1, 3, 0, 0, 31},
  };
  for (const DateCase& c : cases) ExpectDate(c);
}

TEST(DateValueTest, NonFiniteAndOutOfRangeGiveNaN) {
  for (double t : {kNaN, kInf, -kInf, 1e19, -1e19}) {
    EXPECT_TRUE(std::isnan(DateValue(DateFunction::kYear, t))) << t;
    EXPECT_TRUE(std::isnan(DateValue(DateFunction::kHour, t))) << t;
  }
  // Far but representable times work.
  EXPECT_EQ(DateValue(DateFunction::kYear, 1e17), 3168875820);
  EXPECT_EQ(DateValue(DateFunction::kMonth, 1e17), 9);
  EXPECT_EQ(DateValue(DateFunction::kDayOfMonth, 1e17), 6);
  EXPECT_EQ(DateValue(DateFunction::kHour, 1e17), 9);
}

TEST(ExtrapolatedRateTest, CounterWindowsInBlocksEqualOneWindowAtATimeBitForBit) {
  // ExtrapolateCounterWindows runs four windows per SIMD instruction; every window must give
  // ExtrapolateWindow's answer exactly: gaps past the threshold or not, zero and negative
  // increases, negative first values, zero cut-offs, NaN, every block length.
  std::mt19937_64 rng(3);
  for (size_t size = 0; size <= CounterWindows::kCapacity; ++size) {
    for (bool is_rate : {false, true}) {
      CounterWindows w;
      w.size = size;
      for (size_t i = 0; i < size; ++i) {
        const double intervals = static_cast<double>(1 + rng() % 60);
        w.intervals[i] = intervals;
        w.sampled_ms[i] = intervals * static_cast<double>(9'000 + rng() % 2'000);
        w.to_start_ms[i] = static_cast<double>(rng() % 30'000);
        w.to_end_ms[i] = static_cast<double>(rng() % 30'000);
        w.first_f[i] = static_cast<double>(static_cast<int64_t>(rng() % 2000) - 100) / 3;
        w.result[i] = static_cast<double>(static_cast<int64_t>(rng() % 5000) - 500) / 7;
        if (rng() % 17 == 0) w.result[i] = 0;
        if (rng() % 29 == 0) w.first_f[i] = std::nan("");
        if (rng() % 31 == 0) w.result[i] = std::nan("");
      }
      const double seconds = DurationSeconds(static_cast<int64_t>(60'000 + rng() % 600'000));
      double out[CounterWindows::kCapacity];
      ExtrapolateCounterWindows(w, is_rate, seconds, out);
      for (size_t i = 0; i < size; ++i) {
        const double want =
            ExtrapolateWindow(w.to_start_ms[i], w.to_end_ms[i], w.sampled_ms[i], w.intervals[i],
                              w.first_f[i], w.result[i], true, is_rate, seconds);
        EXPECT_EQ(std::bit_cast<uint64_t>(out[i]), std::bit_cast<uint64_t>(want))
            << "size " << size << " window " << i << ": " << out[i] << " vs " << want;
      }
    }
  }
}

}  // namespace
}  // namespace plumbline::query
