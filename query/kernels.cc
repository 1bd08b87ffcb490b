// Numeric kernels of PromQL functions, following Prometheus 3 (promql/functions.go,
// promql/quantile.go, util/kahansum, util/almost) operation for operation, so that results
// agree to the last bit wherever IEEE arithmetic allows it. Where Go and C++ could disagree
// (sorting with NaN, float to int conversion of non-finite values) the choice is documented
// at the place it is made.
#include "query/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "query/value.h"

namespace plumbline::query {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative difference between neighbouring classic buckets that histogram_quantile treats
// as floating point noise (quantile.go smallDeltaTolerance).
constexpr double kSmallDeltaTolerance = 1e-12;

// util/almost.Equal.
bool AlmostEqual(double a, double b, double epsilon) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  const double abs_sum = std::abs(a) + std::abs(b);
  const double diff = std::abs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

// linearRegression in functions.go: slope and the intercept at `intercept_time_ms`, with
// Kahan-compensated sums and the constant-series shortcut.
struct Regression {
  double slope;
  double intercept;
};
Regression LinearRegression(absl::Span<const FPoint> samples, int64_t intercept_time_ms) {
  double n = 0;
  double sum_x = 0, c_x = 0;
  double sum_y = 0, c_y = 0;
  double sum_xy = 0, c_xy = 0;
  double sum_x2 = 0, c_x2 = 0;
  const double init_y = samples[0].f;
  bool const_y = true;
  for (size_t i = 0; i < samples.size(); ++i) {
    const FPoint& s = samples[i];
    // NaN != NaN, so a series of NaNs is not constant (as in Go).
    if (const_y && i > 0 && s.f != init_y) const_y = false;
    n += 1.0;
    const double x = static_cast<double>(s.t - intercept_time_ms) / 1e3;
    sum_x = KahanSumInc(x, sum_x, &c_x);
    sum_y = KahanSumInc(s.f, sum_y, &c_y);
    sum_xy = KahanSumInc(x * s.f, sum_xy, &c_xy);
    sum_x2 = KahanSumInc(x * x, sum_x2, &c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;

  const double cov_xy = sum_xy - sum_x * sum_y / n;
  const double var_x = sum_x2 - sum_x * sum_x / n;
  const double slope = cov_xy / var_x;
  const double intercept = sum_y / n - slope * sum_x / n;
  return {slope, intercept};
}

// Welford's algorithm with compensated sums (varianceOverTime in functions.go).
double VarianceOverTime(absl::Span<const FPoint> points) {
  double count = 0;
  double mean = 0, c_mean = 0;
  double aux = 0, c_aux = 0;
  for (const FPoint& p : points) {
    count++;
    const double delta = p.f - (mean + c_mean);
    mean = KahanSumInc(delta / count, mean, &c_mean);
    aux = KahanSumInc(delta * (p.f - (mean + c_mean)), aux, &c_aux);
  }
  return (aux + c_aux) / count;
}

// Go's vectorByValueHeap.Less puts NaN before everything. Its comparator also says
// NaN < NaN, which is not a strict weak ordering; this one orders the same way but keeps
// NaNs equivalent to each other, which only differs where Go's own order is unspecified.
bool NaNFirstLess(double a, double b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return a < b;
}

// coalesceBuckets: merges neighbours with equal upper bounds (input sorted). Returns the
// new size.
size_t CoalesceBuckets(std::vector<Bucket>& buckets) {
  Bucket last = buckets[0];
  size_t i = 0;
  for (size_t j = 1; j < buckets.size(); ++j) {
    const Bucket& b = buckets[j];
    if (b.upper_bound == last.upper_bound) {
      last.count += b.count;
    } else {
      buckets[i] = last;
      last = b;
      ++i;
    }
  }
  buckets[i] = last;
  return i + 1;
}

// ensureMonotonicAndIgnoreSmallDeltas over buckets[0, n).
void EnsureMonotonicAndIgnoreSmallDeltas(std::vector<Bucket>& buckets, size_t n, double tolerance,
                                         bool* forced_monotonic, bool* fixed_precision) {
  double prev = buckets[0].count;
  for (size_t i = 1; i < n; ++i) {
    const double curr = buckets[i].count;
    if (curr == prev) continue;
    if (AlmostEqual(prev, curr, tolerance)) {
      // Float noise, in either direction: ignored, and `prev` stays.
      buckets[i].count = prev;
      *fixed_precision = true;
      continue;
    }
    if (curr < prev) {
      // A real decrease: removed, and `prev` stays.
      buckets[i].count = prev;
      *forced_monotonic = true;
      continue;
    }
    prev = curr;
  }
}

// Sorts by upper bound like slices.SortFunc in quantile.go. Go's comparator treats a NaN
// bound as equal to everything (leaving its position unspecified); here NaN bounds sort
// first so the order is well defined and a +Inf bucket still ends up last.
void SortBuckets(std::vector<Bucket>& buckets) {
  std::stable_sort(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) {
    return NaNFirstLess(a.upper_bound, b.upper_bound);
  });
}

// sort.Search(n, pred): the smallest i in [0, n) with pred(i) true, or n.
template <typename Pred>
size_t SearchFirst(size_t n, Pred pred) {
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (pred(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// Days since 1970-01-01 to the proleptic Gregorian civil date (H. Hinnant's algorithm),
// valid for the whole int64 range of seconds / 86400.
struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};
CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);   // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                        // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);  // [1, 31]
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);     // [1, 12]
  return {m <= 2 ? y + 1 : y, m, d};
}

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

int DayOfYear(int64_t year, int month, int day) {
  static constexpr int kCumulative[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int yday = kCumulative[month - 1] + day;
  if (month > 2 && IsLeapYear(year)) ++yday;
  return yday;
}

// Floor division and modulo for negative times.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

// ---- range-vector functions

std::optional<double> ExtrapolatedRate(absl::Span<const FPoint> points, int64_t range_start_ms,
                                       int64_t range_end_ms, bool is_counter, bool is_rate,
                                       const absl::Span<const double>* resets,
                                       const double* reset_sum) {
  if (points.size() < 2) return std::nullopt;
  const size_t num_samples_minus_one = points.size() - 1;
  const int64_t first_t = points.front().t;
  const int64_t last_t = points.back().t;
  double result = points.back().f - points.front().f;
  if (is_counter && reset_sum != nullptr) {
    result += *reset_sum;
  } else if (is_counter && resets != nullptr) {
    for (double v : *resets) result += v;
  } else if (is_counter) {
    for (size_t i = 1; i < points.size(); ++i) {
      if (points[i].f < points[i - 1].f) result += points[i - 1].f;
    }
  }

  return ExtrapolateWindow(
      static_cast<double>(first_t - range_start_ms), static_cast<double>(range_end_ms - last_t),
      static_cast<double>(last_t - first_t), static_cast<double>(num_samples_minus_one),
      points.front().f, result, is_counter, is_rate,
      is_rate ? DurationSeconds(range_end_ms - range_start_ms) : 0);
}

namespace {

// ExtrapolateWindow's operations in the same order on four windows at once (one AVX
// instruction each where the CPU has AVX, two SSE2 ones elsewhere); each branch becomes a
// mask that selects between the two values it chooses from. The eight divisions dominate:
// wider vectors halve their count. Returns the windows done.
__attribute__((target_clones("avx", "default"))) size_t ExtrapolateCounterWindowsBy4(
    const CounterWindows& w, bool is_rate, double range_seconds, double* out) {
  typedef double V4 __attribute__((vector_size(32)));
  const V4 k1000 = {1000, 1000, 1000, 1000};
  const V4 k1_1 = {1.1, 1.1, 1.1, 1.1};
  const V4 k2 = {2, 2, 2, 2};
  const V4 k0 = {0, 0, 0, 0};
  const V4 seconds = {range_seconds, range_seconds, range_seconds, range_seconds};
  size_t i = 0;
  for (; i + 4 <= w.size; i += 4) {
    V4 to_start, to_end, sampled, intervals, first, result;
    std::memcpy(&to_start, w.to_start_ms + i, sizeof(V4));
    std::memcpy(&to_end, w.to_end_ms + i, sizeof(V4));
    std::memcpy(&sampled, w.sampled_ms + i, sizeof(V4));
    std::memcpy(&intervals, w.intervals + i, sizeof(V4));
    std::memcpy(&first, w.first_f + i, sizeof(V4));
    std::memcpy(&result, w.result + i, sizeof(V4));
    to_start /= k1000;
    to_end /= k1000;
    sampled /= k1000;
    const V4 average = sampled / intervals;
    const V4 threshold = average * k1_1;
    const V4 half = average / k2;
    to_start = to_start >= threshold ? half : to_start;
    const V4 to_zero = ((result > k0) & (first >= k0)) ? sampled * (first / result) : to_start;
    to_start = to_zero < to_start ? to_zero : to_start;
    to_end = to_end >= threshold ? half : to_end;
    V4 factor = (sampled + to_start + to_end) / sampled;
    if (is_rate) factor /= seconds;
    const V4 value = result * factor;
    std::memcpy(out + i, &value, sizeof(V4));
  }
  return i;
}

}  // namespace

void ExtrapolateCounterWindows(const CounterWindows& w, bool is_rate, double range_seconds,
                               double* out) {
  for (size_t i = ExtrapolateCounterWindowsBy4(w, is_rate, range_seconds, out); i < w.size; ++i) {
    out[i] = ExtrapolateWindow(w.to_start_ms[i], w.to_end_ms[i], w.sampled_ms[i], w.intervals[i],
                               w.first_f[i], w.result[i], true, is_rate, range_seconds);
  }
}

std::optional<double> InstantValue(absl::Span<const FPoint> points, bool is_rate) {
  if (points.size() < 2) return std::nullopt;
  const FPoint& prev = points[points.size() - 2];
  const FPoint& last = points[points.size() - 1];
  const int64_t sampled_interval = last.t - prev.t;
  if (sampled_interval == 0) return std::nullopt;  // Avoid dividing by zero.

  double result = last.f;
  // Gauge, or counter without reset (or with NaN): the difference. On a counter reset the
  // last value is the increase since the reset.
  if (!is_rate || !(last.f < prev.f)) result = last.f - prev.f;
  if (is_rate) result /= static_cast<double>(sampled_interval) / 1000;
  return result;
}

std::optional<double> Deriv(absl::Span<const FPoint> points) {
  if (points.size() < 2) return std::nullopt;
  // Intercept at the first sample's time keeps the x values small (Prometheus issue 2674).
  return LinearRegression(points, points[0].t).slope;
}

std::optional<double> PredictLinear(absl::Span<const FPoint> points, int64_t eval_ts_ms,
                                    double seconds_ahead) {
  if (points.size() < 2) return std::nullopt;
  const Regression r = LinearRegression(points, eval_ts_ms);
  return r.slope * seconds_ahead + r.intercept;
}

double Resets(absl::Span<const FPoint> points) {
  int resets = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    if (points[i].f < points[i - 1].f) ++resets;
  }
  return resets;
}

double Changes(absl::Span<const FPoint> points) {
  int changes = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    const double prev = points[i - 1].f;
    const double cur = points[i].f;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++changes;
  }
  return changes;
}

double AvgOverTime(absl::Span<const FPoint> points) {
  if (points.empty()) return kNaN;
  // Direct mean with Kahan summation (the more accurate choice, Prometheus issue 16714)
  // while the running sum stays finite; once it would overflow, the incremental mean.
  double sum = points[0].f;
  double count = 1;
  double mean = 0;
  double kahan_c = 0;
  bool incremental_mean = false;
  for (size_t i = 1; i < points.size(); ++i) {
    const double f = points[i].f;
    count = static_cast<double>(i + 1);
    if (!incremental_mean) {
      double new_c = kahan_c;
      const double new_sum = KahanSumInc(f, sum, &new_c);
      if (!std::isinf(new_sum)) {
        sum = new_sum;
        kahan_c = new_c;
        continue;
      }
      incremental_mean = true;
      mean = sum / (count - 1);
      kahan_c /= (count - 1);
    }
    const double q = (count - 1) / count;
    double c = q * kahan_c;
    mean = KahanSumInc(f / count, q * mean, &c);
    kahan_c = c;
  }
  if (incremental_mean) return mean + kahan_c;
  return sum / count + kahan_c / count;
}

double SumOverTime(absl::Span<const FPoint> points) {
  double sum = 0;
  double c = 0;
  for (const FPoint& p : points) sum = KahanSumInc(p.f, sum, &c);
  if (std::isinf(sum)) return sum;
  return sum + c;
}

double MinOverTime(absl::Span<const FPoint> points) {
  if (points.empty()) return kNaN;
  // A NaN minimum is replaced by the next value: the result is NaN only if all are.
  double min = points[0].f;
  for (const FPoint& p : points) {
    if (p.f < min || std::isnan(min)) min = p.f;
  }
  return min;
}

double MaxOverTime(absl::Span<const FPoint> points) {
  if (points.empty()) return kNaN;
  double max = points[0].f;
  for (const FPoint& p : points) {
    if (p.f > max || std::isnan(max)) max = p.f;
  }
  return max;
}

double StddevOverTime(absl::Span<const FPoint> points) {
  if (points.empty()) return kNaN;
  return std::sqrt(VarianceOverTime(points));
}

double StdvarOverTime(absl::Span<const FPoint> points) {
  if (points.empty()) return kNaN;
  return VarianceOverTime(points);
}

double QuantileOverTime(double q, absl::Span<const FPoint> points) {
  std::vector<double> values;
  values.reserve(points.size());
  for (const FPoint& p : points) values.push_back(p.f);
  return Quantile(q, &values);
}

// ---- aggregation and helpers

double Quantile(double q, std::vector<double>* values) {
  if (values->empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values->begin(), values->end(), NaNFirstLess);

  const double n = static_cast<double>(values->size());
  // Between two samples, the weighted average of both.
  const double rank = q * (n - 1);
  const double lower_index = std::max(0.0, std::floor(rank));
  const double upper_index = std::min(n - 1, lower_index + 1);
  const double weight = rank - std::floor(rank);
  return (*values)[static_cast<size_t>(lower_index)] * (1 - weight) +
         (*values)[static_cast<size_t>(upper_index)] * weight;
}

BucketQuantileResult BucketQuantile(double q, std::vector<Bucket>* buckets) {
  BucketQuantileResult out;
  if (std::isnan(q)) {
    out.value = kNaN;
    return out;
  }
  if (q < 0) {
    out.value = -kInf;
    return out;
  }
  if (q > 1) {
    out.value = kInf;
    return out;
  }
  if (buckets->empty()) {  // Go would index out of range; no caller produces this.
    out.value = kNaN;
    return out;
  }
  std::vector<Bucket>& b = *buckets;
  SortBuckets(b);
  if (!(std::isinf(b.back().upper_bound) && b.back().upper_bound > 0)) {
    out.value = kNaN;
    return out;
  }

  const size_t n = CoalesceBuckets(b);
  b.resize(n);
  bool forced_monotonic = false;
  bool fixed_precision = false;
  EnsureMonotonicAndIgnoreSmallDeltas(b, n, kSmallDeltaTolerance, &forced_monotonic,
                                      &fixed_precision);

  // Prometheus 3 reports the fix-ups even when the result below is NaN.
  out.forced_monotonicity = forced_monotonic;
  out.fixed_precision = fixed_precision;
  if (n < 2) {
    out.value = kNaN;
    return out;
  }
  const double observations = b[n - 1].count;
  if (observations == 0) {
    out.value = kNaN;
    return out;
  }

  double rank = q * observations;
  const size_t i = SearchFirst(n - 1, [&](size_t k) { return b[k].count >= rank; });
  if (i == n - 1) {
    // In the +Inf bucket: the highest finite bound.
    out.value = b[n - 2].upper_bound;
    return out;
  }
  if (i == 0 && b[0].upper_bound <= 0) {
    out.value = b[0].upper_bound;
    return out;
  }
  double bucket_start = 0;
  const double bucket_end = b[i].upper_bound;
  double count = b[i].count;
  if (i > 0) {
    bucket_start = b[i - 1].upper_bound;
    count -= b[i - 1].count;
    rank -= b[i - 1].count;
  }
  out.value = bucket_start + (bucket_end - bucket_start) * (rank / count);
  return out;
}

double BucketFraction(double lower, double upper, std::vector<Bucket>* buckets) {
  if (buckets->empty()) return kNaN;
  std::vector<Bucket>& b = *buckets;
  SortBuckets(b);
  if (!(std::isinf(b.back().upper_bound) && b.back().upper_bound > 0)) return kNaN;
  const size_t n = CoalesceBuckets(b);
  b.resize(n);

  const double count = b[n - 1].count;
  if (count == 0 || std::isnan(lower) || std::isnan(upper)) return kNaN;
  if (lower >= upper) return 0;

  double rank = 0;
  double lower_rank = 0;
  double upper_rank = 0;
  bool lower_set = false;
  bool upper_set = false;
  // Buckets whose first bound is positive are taken to start at 0, otherwise at -Inf.
  double lower_bound = b[0].upper_bound <= 0 ? -kInf : 0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) lower_bound = b[i - 1].upper_bound;
    const double upper_bound = b[i].upper_bound;
    const double bucket_count = b[i].count;
    // Counts are cumulative: the bucket holds bucket_count - rank observations. No
    // interpolation into a bucket reaching down to -Inf.
    auto interpolate_linearly = [&](double v) {
      if (lower_bound == -kInf) return bucket_count;
      return rank + (bucket_count - rank) * (v - lower_bound) / (upper_bound - lower_bound);
    };
    if (!lower_set && lower_bound >= lower) {
      lower_rank = rank;
      lower_set = true;
    }
    if (!upper_set && lower_bound >= upper) {
      upper_rank = rank;
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    if (!lower_set && lower_bound < lower && upper_bound > lower) {
      lower_rank = interpolate_linearly(lower);
      lower_set = true;
    }
    if (!upper_set && lower_bound < upper && upper_bound > upper) {
      upper_rank = interpolate_linearly(upper);
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    rank = bucket_count;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  return (upper_rank - lower_rank) / count;
}

// ---- instant-vector functions

double Round(double v, double to_nearest) {
  // Through the inverse: fewer floating point surprises for decimal fractions.
  const double to_nearest_inverse = 1.0 / to_nearest;
  return std::floor(v * to_nearest_inverse + 0.5) / to_nearest_inverse;
}

double Sgn(double v) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;  // 0, -0 or NaN unchanged.
}

double DateValue(DateFunction function, double unix_seconds) {
  // Go truncates with int64(v). NaN, infinities and values outside int64 have no defined
  // conversion in Go (amd64 and arm64 disagree), so they give NaN here.
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(unix_seconds > -kTwo63 && unix_seconds < kTwo63)) return kNaN;
  const int64_t t = static_cast<int64_t>(unix_seconds);
  const int64_t days = FloorDiv(t, 86400);
  const int64_t secs_of_day = t - days * 86400;
  switch (function) {
    case DateFunction::kHour:
      return static_cast<double>(secs_of_day / 3600);
    case DateFunction::kMinute:
      return static_cast<double>(secs_of_day % 3600 / 60);
    case DateFunction::kDayOfWeek: {
      // 1970-01-01 was a Thursday (4); Sunday is 0.
      int64_t wd = (days + 4) % 7;
      if (wd < 0) wd += 7;
      return static_cast<double>(wd);
    }
    default:
      break;
  }
  const CivilDate date = CivilFromDays(days);
  switch (function) {
    case DateFunction::kDayOfMonth:
      return date.day;
    case DateFunction::kDayOfYear:
      return DayOfYear(date.year, date.month, date.day);
    case DateFunction::kDaysInMonth:
      return DaysInMonth(date.year, date.month);
    case DateFunction::kMonth:
      return date.month;
    case DateFunction::kYear:
      return static_cast<double>(date.year);
    default:
      return kNaN;  // Handled above.
  }
}

}  // namespace plumbline::query
