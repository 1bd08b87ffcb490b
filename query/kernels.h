// The numeric kernels of PromQL's functions and aggregations, exactly as Prometheus 3
// computes them (promql/functions.go, promql/quantile.go, promql/aggregation code in
// engine.go), on plain arrays: no labels, no storage. The evaluator (promql.cc) gathers the
// inputs and calls these. Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "query/value.h"

namespace plumbline::query {

// ---- range-vector functions: `points` are the samples in the window (range_start,
// range_end] in time order, stale markers already removed. An empty optional means the
// function has no output for this window (e.g. fewer than two samples for rate).

// rate (is_counter, is_rate), increase (is_counter), delta (neither): Prometheus 3's
// extrapolatedRate, including counter-reset handling, extrapolation to the window edges
// limited to 1.1 x the average sample interval, and not below zero for counters.
// `resets`, when given, are the values before each counter reset inside `points` in order
// (what the reset scan would add), so a caller sliding a window can skip the scan; the
// result is bit-identical.
// `reset_sum`, when given, is the exact sum of those values (the caller knows every partial
// sum is exact, e.g. small integers), added in one step — equal to adding them in order.
std::optional<double> ExtrapolatedRate(absl::Span<const FPoint> points, int64_t range_start_ms,
                                       int64_t range_end_ms, bool is_counter, bool is_rate,
                                       const absl::Span<const double>* resets = nullptr,
                                       const double* reset_sum = nullptr);
// Go's time.Duration(ms).Seconds(): whole seconds plus the nanosecond remainder / 1e9.
inline double DurationSeconds(int64_t ms) {
  const int64_t sec = ms / 1000;
  const int64_t nsec = (ms % 1000) * 1000000;
  return static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
}
// ExtrapolatedRate's arithmetic once a window (of at least two samples) is reduced to the
// gaps between its first sample and the window's start (`to_start_ms`), its last sample and
// the window's end (`to_end_ms`), its first and last samples (`sampled_ms`), its number of
// sample intervals (samples - 1), its first value and `result`: the last value minus the
// first (plus, for a counter, the values before its resets). `range_seconds` is
// DurationSeconds of the window's length, used when is_rate. The gaps are integers of
// milliseconds held in doubles. Inline so that a caller sliding a window over a series pays
// no call per window; ExtrapolatedRate computes every window through it, so all agree to the
// bit.
inline double ExtrapolateWindow(double to_start_ms, double to_end_ms, double sampled_ms,
                                double intervals, double first_f, double result, bool is_counter,
                                bool is_rate, double range_seconds) {
  // Durations between the first/last samples and the window boundaries.
  double duration_to_start = to_start_ms / 1000;
  double duration_to_end = to_end_ms / 1000;

  const double sampled_interval = sampled_ms / 1000;
  const double average_duration_between_samples = sampled_interval / intervals;

  // Extrapolate all the way to a boundary only if the series plausibly continues there
  // (the gap is under 110% of the average interval); otherwise by half an interval.
  const double extrapolation_threshold = average_duration_between_samples * 1.1;
  if (duration_to_start >= extrapolation_threshold) {
    duration_to_start = average_duration_between_samples / 2;
  }
  if (is_counter) {
    // A counter does not go below zero: stop the extrapolation at the point where the
    // line through the samples reaches zero.
    double duration_to_zero = duration_to_start;
    if (result > 0 && first_f >= 0) duration_to_zero = sampled_interval * (first_f / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  if (duration_to_end >= extrapolation_threshold) {
    duration_to_end = average_duration_between_samples / 2;
  }

  double factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
  if (is_rate) factor /= range_seconds;
  return result * factor;
}

// Windows of a counter (rate, increase) waiting for ExtrapolateCounterWindows, as arrays of
// ExtrapolateWindow's arguments, so that the arithmetic (eight divisions a window) runs on
// four windows per SIMD instruction (two without AVX) and out of the sliding loop's way.
// Thread-compatible.
struct CounterWindows {
  static constexpr size_t kCapacity = 64;
  double to_start_ms[kCapacity];
  double to_end_ms[kCapacity];
  double sampled_ms[kCapacity];
  double intervals[kCapacity];
  double first_f[kCapacity];
  double result[kCapacity];
  size_t size = 0;
};
// out[i] = ExtrapolateWindow(window i, is_counter = true, is_rate, range_seconds) for the
// w.size windows, bit for bit (IEEE arithmetic is exact to the bit in either width).
void ExtrapolateCounterWindows(const CounterWindows& w, bool is_rate, double range_seconds,
                               double* out);

// irate (is_rate) / idelta: from the last two samples.
std::optional<double> InstantValue(absl::Span<const FPoint> points, bool is_rate);
// deriv: per-second slope of the least-squares line (needs two samples).
std::optional<double> Deriv(absl::Span<const FPoint> points);
// predict_linear(v, t): the least-squares line, intercept at eval_ts_ms, evaluated
// `seconds_ahead` later.
std::optional<double> PredictLinear(absl::Span<const FPoint> points, int64_t eval_ts_ms,
                                    double seconds_ahead);
double Resets(absl::Span<const FPoint> points);
double Changes(absl::Span<const FPoint> points);
// The *_over_time family (points non-empty).
double AvgOverTime(absl::Span<const FPoint> points);
double SumOverTime(absl::Span<const FPoint> points);
double MinOverTime(absl::Span<const FPoint> points);
double MaxOverTime(absl::Span<const FPoint> points);
double StddevOverTime(absl::Span<const FPoint> points);
double StdvarOverTime(absl::Span<const FPoint> points);
double QuantileOverTime(double q, absl::Span<const FPoint> points);

// ---- aggregation and helpers

// Kahan-Babuska-Neumaier compensated summation step (Prometheus' kahansum.Inc):
// returns the new sum and updates *c; the total is sum + c.
// Inline: aggregations call it once per input point.
inline double KahanSumInc(double inc, double sum, double* c) {
  const double t = sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::abs(sum) >= std::abs(inc)) {
    // Neumaier's improvement: compensate with the smaller of the two terms.
    *c += (sum - t) + inc;
  } else {
    *c += (inc - t) + sum;
  }
  return t;
}
// The q-quantile (Prometheus' quantile(): NaN for empty input, -Inf for q < 0, +Inf for
// q > 1, linear interpolation between closest ranks). Reorders `values`.
double Quantile(double q, std::vector<double>* values);

// One classic histogram bucket of histogram_quantile: upper bound `le` and its cumulative
// count.
struct Bucket {
  double upper_bound = 0;
  double count = 0;
};
struct BucketQuantileResult {
  double value = 0;
  // Buckets were not monotonic and were fixed up (Prometheus reports an info annotation).
  bool forced_monotonicity = false;
  // Bucket counts differed only by float noise and were treated as equal.
  bool fixed_precision = false;
};
// histogram_quantile on classic buckets, as Prometheus' bucketQuantile: sorts by bound,
// merges duplicate bounds, requires a +Inf bucket (NaN otherwise), fixes monotonicity,
// interpolates linearly within the bucket (the lowest bucket from 0 when its bound is
// positive). Reorders `buckets`.
BucketQuantileResult BucketQuantile(double q, std::vector<Bucket>* buckets);
// histogram_fraction(lower, upper) on classic buckets, as Prometheus' BucketFraction: sorts
// and merges like BucketQuantile (no monotonicity fix-up), NaN without a +Inf bucket, with
// zero observations or a NaN bound, 0 when lower >= upper; interpolates linearly within a
// bucket (the lowest bucket from 0 when its bound is positive, none into a bucket reaching
// down to -Inf or up to +Inf). Reorders `buckets`.
double BucketFraction(double lower, double upper, std::vector<Bucket>* buckets);

// ---- instant-vector functions

// round(v, to_nearest) as Prometheus: floor(v / to_nearest + 0.5) * to_nearest, computed
// through the inverse to keep decimal results exact.
double Round(double v, double to_nearest);
// sgn(v): -1, 0, 1, or NaN for NaN.
double Sgn(double v);

// day_of_month, day_of_week, day_of_year, days_in_month, hour, minute, month, year of a Unix
// time in seconds (UTC), as Prometheus computes them from time.Unix(int64(t), 0).
enum class DateFunction {
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kDaysInMonth,
  kHour,
  kMinute,
  kMonth,
  kYear
};
double DateValue(DateFunction function, double unix_seconds);

}  // namespace plumbline::query
