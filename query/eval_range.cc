// Range-vector functions (rate, increase, ..., *_over_time): for each series, the samples of
// the whole evaluation range are decoded once and a window (ref - range, ref] slides over
// them step by step; the kernels (kernels.cc) compute each window's value. rate and
// increase of series of small integers (the common case: counters and integer gauges) slide
// straight over the decoded columns with running sums and extrapolate their windows in
// blocks (ExtrapolateCounterWindows), bit-identical to the kernel.
//
// Series are independent, so large selections are split across worker threads (one per
// core): each worker decodes and slides its own series into its own output slots; the
// calling thread then assembles the result in series order, so the answer does not depend
// on the number of threads. Workers touch no shared evaluator state except the read-only
// deadline; an error in a worker is rethrown on the calling thread.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "query/internal/evaluator.h"
#include "query/internal/parallel.h"
#include "query/kernels.h"
#include "storage/engine.h"

namespace plumbline::query::internal {
namespace {

enum class RangeFn {
  kRate,
  kIncrease,
  kDelta,
  kIrate,
  kIdelta,
  kDeriv,
  kPredictLinear,
  kResets,
  kChanges,
  kAvgOverTime,
  kMinOverTime,
  kMaxOverTime,
  kSumOverTime,
  kCountOverTime,
  kQuantileOverTime,
  kStddevOverTime,
  kStdvarOverTime,
  kLastOverTime,
  kPresentOverTime,
  kAbsentOverTime,
};

constexpr std::pair<std::string_view, RangeFn> kRangeFns[] = {
    {"rate", RangeFn::kRate},
    {"increase", RangeFn::kIncrease},
    {"delta", RangeFn::kDelta},
    {"irate", RangeFn::kIrate},
    {"idelta", RangeFn::kIdelta},
    {"deriv", RangeFn::kDeriv},
    {"predict_linear", RangeFn::kPredictLinear},
    {"resets", RangeFn::kResets},
    {"changes", RangeFn::kChanges},
    {"avg_over_time", RangeFn::kAvgOverTime},
    {"min_over_time", RangeFn::kMinOverTime},
    {"max_over_time", RangeFn::kMaxOverTime},
    {"sum_over_time", RangeFn::kSumOverTime},
    {"count_over_time", RangeFn::kCountOverTime},
    {"quantile_over_time", RangeFn::kQuantileOverTime},
    {"stddev_over_time", RangeFn::kStddevOverTime},
    {"stdvar_over_time", RangeFn::kStdvarOverTime},
    {"last_over_time", RangeFn::kLastOverTime},
    {"present_over_time", RangeFn::kPresentOverTime},
    {"absent_over_time", RangeFn::kAbsentOverTime},
};

std::optional<RangeFn> LookupRangeFn(std::string_view name) {
  for (const auto& [n, fn] : kRangeFns) {
    if (n == name) return fn;
  }
  return std::nullopt;
}

// A worker's scratch memory, reused from series to series.
struct Scratch {
  SampleColumns columns;       // the series' samples as decoded
  std::vector<FPoint> points;  // the same without stale markers, for the general path
  // The counter resets of one series (see SlideSeries).
  std::vector<uint32_t> before;
  std::vector<double> values;
  // SlideCounterOfSmallIntegers' running sums of resets and block of windows.
  std::vector<double> sums;
  CounterWindows windows;
};

// Whether `v` is an integer of at most 2^32 in magnitude: any sum of up to 2^20 of them, in
// any order, is exact in a double. A stale marker (a NaN) is not one.
constexpr double kSmallIntegerMax = 4294967296.0;  // 2^32: sums of 2^20 samples stay < 2^52
constexpr size_t kSmallIntegerSeriesMax = size_t{1} << 20;
inline bool SmallInteger(double v) {
  // (A cast, not std::trunc: that is a libm call without SSE4.1.)
  return std::fabs(v) <= kSmallIntegerMax && v == static_cast<double>(static_cast<int64_t>(v));
}

// Whether every value of `points` is a SmallInteger (and there are at most 2^20).
bool SmallIntegers(const std::vector<FPoint>& points) {
  constexpr double kMaxAbs = kSmallIntegerMax;
  if (points.size() > kSmallIntegerSeriesMax) return false;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128d max_abs = _mm_set1_pd(kMaxAbs);
  const __m128d round = _mm_set1_pd(4503599627370496.0);
  const __m128d sign = _mm_set1_pd(-0.0);
  __m128d ok = _mm_cmpeq_pd(max_abs, max_abs);
  for (; i + 2 <= points.size(); i += 2) {
    const __m128d v = _mm_loadh_pd(_mm_load_sd(&points[i].f), &points[i + 1].f);
    const __m128d a = _mm_andnot_pd(sign, v);
    const __m128d rounded = _mm_sub_pd(_mm_add_pd(a, round), round);
    ok = _mm_and_pd(ok, _mm_and_pd(_mm_cmple_pd(a, max_abs), _mm_cmpeq_pd(rounded, a)));
  }
  if (_mm_movemask_pd(ok) != 3) return false;
#endif
  return std::all_of(points.begin() + static_cast<ptrdiff_t>(i), points.end(),
                     [](const FPoint& q) { return SmallInteger(q.f); });
}

// Everything a window computation needs besides the samples.
struct Slide {
  RangeFn fn;
  int64_t start, end, interval;
  int64_t range_ms, offset_ms;
  std::optional<int64_t> at;
  const std::vector<double>* scalar;  // per step: quantile_over_time's q, predict_linear's t
};

// The most output points SlideSeries can give a series: the steps whose window (ref -
// range, ref] can hold one of its samples, i.e. first sample <= ref < last sample + range.
size_t MaxOutputPoints(const Slide& p, int64_t first_t, int64_t last_t) {
  const int64_t steps = (p.end - p.start) / p.interval + 1;
  if (p.at) return static_cast<size_t>(steps);
  // ref = ts - offset, ts = start + k * interval.
  const int64_t lo_ts = first_t + p.offset_ms;
  const int64_t hi_ts = last_t + p.range_ms + p.offset_ms;  // exclusive
  const int64_t first = lo_ts <= p.start ? 0 : (lo_ts - p.start + p.interval - 1) / p.interval;
  const int64_t last =
      hi_ts <= p.start ? -1 : std::min(steps - 1, (hi_ts - 1 - p.start) / p.interval);
  return last >= first ? static_cast<size_t>(last - first + 1) : 0;
}

// S(i) for i in [0, n): the sum over counter resets at samples 1..i of the value before
// each, when every value is a SmallInteger (and n <= 2^20); false otherwise, with s[]
// partly written. One pass both checks the values and sums: a series is read once. The sums
// are whole numbers below 2^52, so doubles hold them, and their differences, exactly.
bool SmallIntegerResetSums(const double* f, size_t n, double* s) {
  if (n == 0) return true;
  if (n > kSmallIntegerSeriesMax || !SmallInteger(f[0])) return false;
  double sum = 0;
  s[0] = 0;
  size_t i = 1;
#if defined(__SSE2__)
  // Eight samples at a time. A value is a small integer when rounding it to an integer (SSE2
  // converts no double to int64: adding and subtracting 2^52 rounds, exact below 2^52) leaves
  // it unchanged; NaN fails the comparisons. Counters reset rarely: a block without a reset
  // only stores the sum. Gauges "reset" at every other sample: two samples at a time, the
  // value before each reset (a compare's mask over the previous values) joins a running sum.
  const __m128d max_abs = _mm_set1_pd(kSmallIntegerMax);
  const __m128d round = _mm_set1_pd(4503599627370496.0);  // 2^52
  const __m128d sign = _mm_set1_pd(-0.0);
  const __m128d zero = _mm_setzero_pd();
  __m128d running = zero;  // the sum so far, in both lanes
  for (; i + 8 <= n; i += 8) {
    __m128d any = zero;
    __m128d ok = _mm_cmpeq_pd(max_abs, max_abs);
    __m128d resets[4];  // per pair: the value before a reset, or +0
    for (size_t k = 0; k < 8; k += 2) {
      const __m128d v = _mm_loadu_pd(f + i + k);
      const __m128d prev = _mm_loadu_pd(f + i + k - 1);
      const __m128d reset = _mm_cmplt_pd(v, prev);
      any = _mm_or_pd(any, reset);
      resets[k / 2] = _mm_and_pd(reset, prev);
      const __m128d a = _mm_andnot_pd(sign, v);
      const __m128d rounded = _mm_sub_pd(_mm_add_pd(a, round), round);
      ok = _mm_and_pd(ok, _mm_and_pd(_mm_cmple_pd(a, max_abs), _mm_cmpeq_pd(rounded, a)));
    }
    if (_mm_movemask_pd(ok) != 3) return false;
    if (_mm_movemask_pd(any) == 0) {
      for (size_t k = 0; k < 8; k += 2) _mm_storeu_pd(s + i + k, running);
      continue;
    }
    for (size_t k = 0; k < 4; ++k) {
      // [r0, r1] -> [sum + r0, sum + r0 + r1]: exact, every partial sum is a small integer.
      const __m128d pair = _mm_add_pd(resets[k], _mm_unpacklo_pd(zero, resets[k]));
      const __m128d sums = _mm_add_pd(running, pair);
      _mm_storeu_pd(s + i + 2 * k, sums);
      running = _mm_unpackhi_pd(sums, sums);
    }
  }
  sum = _mm_cvtsd_f64(running);
#endif
  for (; i < n; ++i) {
    if (!SmallInteger(f[i])) return false;
    // The value before a reset, else 0.
    sum += f[i] < f[i - 1] ? f[i - 1] : 0.0;
    s[i] = sum;
  }
  return true;
}

// Timestamps t0 + i * d for i in [0, n) (the common case: a flush grid without gaps): a
// window's ends are found by arithmetic instead of stepping sample by sample.
struct EvenGrid {
  int64_t t0 = 0, d = 0, last = 0;
  double inv_d = 0;
  size_t n = 0;

  // False when t[0, n) is not evenly spaced, spans 2^50 ms or more (where the estimate below
  // could be off by more than one), or lies beyond +-2^62 ms (where t0 + (c + 1) * d, up to
  // two intervals past the last sample, could overflow). t[0, known_even) are known to be
  // evenly spaced (SampleColumns::known_even): only the rest is checked.
  bool Init(const int64_t* t, size_t count, size_t known_even) {
    constexpr int64_t kLimit = int64_t{1} << 62;
    if (count < 2 || t[1] <= t[0] || t[0] < -kLimit || t[count - 1] > kLimit ||
        t[count - 1] - t[0] >= (int64_t{1} << 50)) {
      return false;
    }
    t0 = t[0];
    d = t[1] - t[0];
    uint64_t bad = 0;
    const size_t from = std::min(known_even, count);
    int64_t want = t0 + static_cast<int64_t>(from) * d;  // < 2^62 + 2^50: no overflow
    for (size_t i = from; i < count; ++i, want += d) {
      bad |= static_cast<uint64_t>(t[i] ^ want);
    }
    if (bad != 0) return false;
    last = t[count - 1];
    inv_d = 1.0 / static_cast<double>(d);
    n = count;
    return true;
  }

  // The number of samples at or before `ref`.
  size_t CountAtOrBefore(int64_t ref) const {
    if (ref < t0) return 0;
    if (ref >= last) return n;
    // floor((ref - t0) / d), estimated by a multiply (exact to within one below 2^50), then
    // corrected.
    int64_t c = static_cast<int64_t>(static_cast<double>(ref - t0) * inv_d);
    if (t0 + c * d > ref) --c;
    if (t0 + (c + 1) * d <= ref) ++c;
    return static_cast<size_t>(c + 1);
  }

  // CountAtOrBefore(ref), CountAtOrBefore(ref + step), ... with one division at the start and
  // an add and a compare per step: c = floor((ref - t0) / d) and its remainder move by
  // step = q * d + r. Use only while every ref stays within 2^61 of t0 (Walkable), where
  // nothing overflows.
  struct Walker {
    int64_t c, rem, q, r, d;
    int64_t n;
    size_t Count() const { return static_cast<size_t>(std::clamp<int64_t>(c + 1, 0, n)); }
    void Next() {
      c += q;
      rem += r;
      if (rem >= d) {
        rem -= d;
        ++c;
      }
    }
  };
  bool Walkable(int64_t lowest_ref, int64_t highest_ref) const {
    constexpr int64_t kReach = int64_t{1} << 61;  // t0 is within 2^62 of 0 (Init)
    return lowest_ref >= t0 - kReach && highest_ref <= t0 + kReach;
  }
  Walker Walk(int64_t ref, int64_t step) const {
    Walker w{(ref - t0) / d, (ref - t0) % d, step / d, step % d, d, static_cast<int64_t>(n)};
    if (w.rem < 0) {
      w.rem += d;
      --w.c;
    }
    return w;
  }
};

// rate and increase of a series of small integers (SmallInteger), in columns t[0, n),
// f[0, n): the window slides with a running sum of the values before counter resets,
// S(i) (SmallIntegerResetSums); a window [lo, hi) adds S(hi - 1) - S(lo). Every partial sum
// is exact, so this equals the kernel's in-order additions, and a window costs O(1). Windows
// are gathered in blocks and extrapolated together (ExtrapolateCounterWindows).
// False, with nothing appended, when the values are not all small integers (a stale marker
// is not one); else *widest is the most samples one window held.
bool SlideCounterOfSmallIntegers(const Slide& p, const int64_t* t, const double* f, size_t n,
                                 size_t known_even, Scratch* scratch, std::vector<FPoint>* out,
                                 size_t* widest_out) {
  *widest_out = 0;
  std::vector<double>& sums = scratch->sums;
  if (sums.size() < n) sums.resize(n);
  double* s = sums.data();
  if (!SmallIntegerResetSums(f, n, s)) return false;
  if (n == 0) return true;
  out->reserve(MaxOutputPoints(p, t[0], t[n - 1]));
  const bool is_rate = p.fn == RangeFn::kRate;
  const double range_seconds = DurationSeconds(p.range_ms);
  // Per block of steps, two passes: the first finds each window's samples [lo, hi) and keeps
  // the windows with two or more (a rate needs two); the second gathers what their
  // extrapolation needs. Apart, each loop keeps its few variables in registers.
  constexpr size_t kBlock = CounterWindows::kCapacity;
  int64_t step_ts[kBlock];
  uint32_t win_lo[kBlock], win_hi[kBlock];  // n <= 2^20 (SmallIntegerResetSums)
  double values[kBlock];
  CounterWindows& w = scratch->windows;
  EvenGrid grid;
  const bool even = grid.Init(t, n, known_even);
  // On an even grid, the window ends of consecutive steps by stepping (EvenGrid::Walker).
  const int64_t ref_step = p.at ? 0 : p.interval;
  const int64_t first_ref = (p.at ? *p.at : p.start) - p.offset_ms;
  const int64_t last_ref = (p.at ? *p.at : p.end) - p.offset_ms;
  const bool walk = even && grid.Walkable(first_ref - p.range_ms, last_ref);
  EvenGrid::Walker hi_walk{}, lo_walk{};
  if (walk) {
    hi_walk = grid.Walk(first_ref, ref_step);
    lo_walk = grid.Walk(first_ref - p.range_ms, ref_step);
  }
  const int64_t start = p.start, end = p.end, interval = p.interval;
  const int64_t offset = p.offset_ms, range = p.range_ms;
  const bool has_at = p.at.has_value();
  const int64_t at = has_at ? *p.at : 0;
  size_t widest = 0;
  size_t lo = 0;
  size_t hi = 0;
  int64_t ts = start;
  while (ts <= end) {
    // Pass 1. The window count m grows only for windows of two or more samples
    // (branch-free); hi >= lo always, so an empty window leaves `widest` alone.
    size_t m = 0;
    if (walk) {
      for (; ts <= end && m < kBlock; ts += interval) {
        hi = hi_walk.Count();
        lo = std::min(hi, lo_walk.Count());
        hi_walk.Next();
        lo_walk.Next();
        widest = std::max(widest, hi - lo);
        step_ts[m] = ts;
        win_lo[m] = static_cast<uint32_t>(lo);
        win_hi[m] = static_cast<uint32_t>(hi);
        m += hi - lo >= 2 ? 1 : 0;
      }
    } else {
      for (; ts <= end && m < kBlock; ts += interval) {
        const int64_t ref = (has_at ? at : ts) - offset;
        const int64_t range_start = ref - range;
        if (even) {
          // The same indices as the loops below, without a mispredicted loop exit per step.
          hi = grid.CountAtOrBefore(ref);
          lo = std::min(hi, grid.CountAtOrBefore(range_start));
        } else {
          while (hi < n && t[hi] <= ref) ++hi;
          while (lo < hi && t[lo] <= range_start) ++lo;
        }
        widest = std::max(widest, hi - lo);
        step_ts[m] = ts;
        win_lo[m] = static_cast<uint32_t>(lo);
        win_hi[m] = static_cast<uint32_t>(hi);
        m += hi - lo >= 2 ? 1 : 0;
      }
    }
    // Pass 2.
    for (size_t k = 0; k < m; ++k) {
      const int64_t ref = (has_at ? at : step_ts[k]) - offset;
      const int64_t range_start = ref - range;
      const size_t a = win_lo[k], b = win_hi[k] - 1;  // first and last sample
      w.to_start_ms[k] = static_cast<double>(t[a] - range_start);
      w.to_end_ms[k] = static_cast<double>(ref - t[b]);
      w.sampled_ms[k] = static_cast<double>(t[b] - t[a]);
      w.intervals[k] = static_cast<double>(b - a);
      w.first_f[k] = f[a];
      double result = f[b] - f[a];
      result += s[b] - s[a];  // exact: whole numbers below 2^52
      w.result[k] = result;
    }
    w.size = m;
    ExtrapolateCounterWindows(w, is_rate, range_seconds, values);
    // Written through a pointer: push_back would store the vector's end at every point.
    const size_t old = out->size();
    out->resize(old + m);
    FPoint* dst = out->data() + old;
    for (size_t k = 0; k < m; ++k) dst[k] = {step_ts[k], values[k]};
  }
  *widest_out = widest;
  return true;
}

// Slides the window over one series' samples (time order, no stale markers) and appends one
// output point per step that has a value. Returns the most samples one window held.
size_t SlideSeries(const Slide& p, const std::vector<FPoint>& points, Scratch* scratch,
                   std::vector<FPoint>* out) {
  if (points.empty()) return 0;
  const bool counter = p.fn == RangeFn::kRate || p.fn == RangeFn::kIncrease;
  if (counter) {
    // The counter path checks the values itself (false: not small integers, nothing done).
    scratch->columns.Assign(points);
    size_t widest = 0;
    if (SlideCounterOfSmallIntegers(p, scratch->columns.t.data(), scratch->columns.f.data(),
                                    points.size(), 0, scratch, out, &widest)) {
      return widest;
    }
  }
  // avg_over_time and sum_over_time of a series of small integers (counts, queue lengths):
  // every partial sum is exact, so the kernels' compensated sums equal the exact sum and a
  // running integer sum over the sliding window gives bit-identical results in O(1) a step.
  const bool integral =
      (p.fn == RangeFn::kAvgOverTime || p.fn == RangeFn::kSumOverTime) && SmallIntegers(points);
  out->reserve(MaxOutputPoints(p, points.front().t, points.back().t));
  size_t widest = 0;
  if (counter) {
    // The counter resets of the whole series, once: before[i] counts the resets at samples
    // 1..i and values[] holds, in order, the value before each reset. A window [lo, hi) then
    // adds values[before[lo], before[hi - 1]) — the same additions in the same order as the
    // kernel's own scan, without its data-dependent branch per sample (branch-free: gauges
    // reset at every other sample, unpredictably).
    scratch->before.resize(points.size());
    scratch->values.resize(points.size());
    uint32_t n = 0;
    if (!points.empty()) scratch->before[0] = 0;
    for (size_t i = 1; i < points.size(); ++i) {
      scratch->values[n] = points[i - 1].f;
      n += points[i].f < points[i - 1].f ? 1 : 0;
      scratch->before[i] = n;
    }
  }
  int64_t window_sum = 0;
  size_t lo = 0;
  size_t hi = 0;
  int step = 0;
  for (int64_t ts = p.start; ts <= p.end; ts += p.interval, ++step) {
    const int64_t ref = (p.at ? *p.at : ts) - p.offset_ms;
    const int64_t range_start = ref - p.range_ms;
    while (hi < points.size() && points[hi].t <= ref) {
      if (integral) window_sum += static_cast<int64_t>(points[hi].f);
      ++hi;
    }
    while (lo < hi && points[lo].t <= range_start) {
      if (integral) window_sum -= static_cast<int64_t>(points[lo].f);
      ++lo;
    }
    if (lo >= hi) continue;
    if (integral) {
      const double sum = static_cast<double>(window_sum);
      out->push_back(
          {ts, p.fn == RangeFn::kSumOverTime ? sum : sum / static_cast<double>(hi - lo)});
      widest = std::max(widest, hi - lo);
      continue;
    }
    widest = std::max(widest, hi - lo);
    const absl::Span<const FPoint> w(points.data() + lo, hi - lo);
    std::optional<double> value;
    switch (p.fn) {
      case RangeFn::kRate:
      case RangeFn::kIncrease: {
        const bool is_rate = p.fn == RangeFn::kRate;
        const uint32_t first = scratch->before[lo];
        const absl::Span<const double> in_window(scratch->values.data() + first,
                                                 scratch->before[hi - 1] - first);
        value = ExtrapolatedRate(w, range_start, ref, true, is_rate, &in_window);
        break;
      }
      case RangeFn::kDelta:
        value = ExtrapolatedRate(w, range_start, ref, false, false);
        break;
      case RangeFn::kIrate:
        value = InstantValue(w, true);
        break;
      case RangeFn::kIdelta:
        value = InstantValue(w, false);
        break;
      case RangeFn::kDeriv:
        value = Deriv(w);
        break;
      case RangeFn::kPredictLinear:
        value = PredictLinear(w, ts, (*p.scalar)[step]);
        break;
      case RangeFn::kResets:
        value = Resets(w);
        break;
      case RangeFn::kChanges:
        value = Changes(w);
        break;
      case RangeFn::kAvgOverTime:
        value = AvgOverTime(w);
        break;
      case RangeFn::kMinOverTime:
        value = MinOverTime(w);
        break;
      case RangeFn::kMaxOverTime:
        value = MaxOverTime(w);
        break;
      case RangeFn::kSumOverTime:
        value = SumOverTime(w);
        break;
      case RangeFn::kCountOverTime:
        value = static_cast<double>(w.size());
        break;
      case RangeFn::kQuantileOverTime:
        value = QuantileOverTime((*p.scalar)[step], w);
        break;
      case RangeFn::kStddevOverTime:
        value = StddevOverTime(w);
        break;
      case RangeFn::kStdvarOverTime:
        value = StdvarOverTime(w);
        break;
      case RangeFn::kLastOverTime:
        value = w.back().f;
        break;
      case RangeFn::kPresentOverTime:
      case RangeFn::kAbsentOverTime:
        value = 1;
        break;
    }
    if (value) out->push_back({ts, *value});
  }
  return widest;
}

}  // namespace

bool IsRangeFunction(std::string_view name) { return LookupRangeFn(name).has_value(); }

EMatrix Evaluator::EvalRangeFunction(const Call& e) {
  const RangeFn fn = *LookupRangeFn(e.func->name);

  // The range argument, and any scalar arguments evaluated per step.
  size_t range_index = 0;
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (e.args[i]->type() == ValueType::kMatrix) range_index = i;
  }
  const Expr& range_arg = Unparen(*e.args[range_index]);
  std::vector<double> scalar(NumSteps(), std::numeric_limits<double>::quiet_NaN());
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i == range_index) continue;
    EValue v = Eval(*e.args[i]);
    if (v.matrix.empty()) continue;
    for (const FPoint& p : v.matrix[0].floats) {
      scalar[static_cast<size_t>((p.t - start_) / interval_)] = p.f;
    }
  }
  if (fn == RangeFn::kQuantileOverTime) {
    for (double q : scalar) {
      if (std::isnan(q) || q < 0 || q > 1) {
        Warn(absl::StrCat("PromQL warning: quantile value should be between 0 and 1, got ",
                          FormatGoFloat(q)));
        break;
      }
    }
  }

  Slide slide{fn, start_, end_, interval_, 0, 0, std::nullopt, &scalar};
  std::unique_ptr<storage::SeriesSet> set;
  EMatrix sub;
  if (range_arg.kind == ExprKind::kMatrixSelector) {
    const auto& ms = range_arg.As<MatrixSelector>();
    const auto& vs = ms.vector_selector->As<VectorSelector>();
    slide.range_ms = ms.range_ms;
    slide.offset_ms = vs.offset_ms;
    slide.at = AtTime(vs.at, vs.at_ms);
    const int64_t first_ref = (slide.at ? *slide.at : start_) - slide.offset_ms;
    const int64_t last_ref = (slide.at ? *slide.at : end_) - slide.offset_ms;
    if (last_ref >= 0) {
      auto r = ctx_->storage->Select(
          vs.matchers, std::max<int64_t>(first_ref - slide.range_ms + 1, 0), last_ref);
      if (!r.ok()) {
        throw EvalError(absl::StatusCode::kInternal,
                        absl::StrCat("expanding series: ", r.status().message()));
      }
      set = std::move(*r);
    }
  } else {
    const auto& sq = range_arg.As<SubqueryExpr>();
    slide.range_ms = sq.range_ms;
    slide.offset_ms = sq.offset_ms;
    slide.at = AtTime(sq.at, sq.at_ms);
    sub = EvalSubquery(sq);
  }
  const size_t num_series = set ? set->series().size() : sub.size();

  // Per series output; filled by the workers.
  std::vector<std::vector<FPoint>> results(num_series);
  const unsigned threads = set ? WorkerThreads(num_series, NumSteps()) : 1;
  std::vector<Scratch> scratch(threads);
  std::vector<size_t> widest(threads, 0);
  const double deadline = ctx_->deadline;
  const bool counter = fn == RangeFn::kRate || fn == RangeFn::kIncrease;
  SampleBudget budget(SamplesLeft());
  // Blocks of two series: the last block is the one a thread may finish alone.
  ParallelBlocks(num_series, 2, threads, [&](unsigned worker, size_t begin, size_t end) {
    if (MonotonicSeconds() > deadline) {
      throw EvalError(absl::StatusCode::kDeadlineExceeded,
                      "query timed out in expression evaluation");
    }
    Scratch& sc = scratch[worker];
    for (size_t si = begin; si < end; ++si) {
      size_t held = 0;
      if (!set) {
        held = SlideSeries(slide, sub[si].floats, &sc, &results[si]);
      } else {
        ReadColumns(*set, si, &sc.columns);
        const SampleColumns& c = sc.columns;
        // The common case, straight from the decoded columns (when they are small integers,
        // which rules out stale markers: they are NaNs).
        if (!counter || !SlideCounterOfSmallIntegers(slide, c.t.data(), c.f.data(), c.size,
                                                     c.known_even, &sc, &results[si], &held)) {
          sc.points.resize(c.size);
          size_t kept = 0;
          for (size_t i = 0; i < c.size; ++i) {
            sc.points[kept] = {c.t[i], c.f[i]};
            kept += IsStaleNaN(c.f[i]) ? 0 : 1;
          }
          sc.points.resize(kept);
          held = SlideSeries(slide, sc.points, &sc, &results[si]);
        }
      }
      widest[worker] = std::max(widest[worker], held);
      budget.Take(static_cast<int64_t>(results[si].size()));
    }
  });

  // The samples one window holds count against the limit, as Prometheus counts them.
  const size_t window = *std::max_element(widest.begin(), widest.end());
  AddSamples(static_cast<int64_t>(window));
  AddSamples(-static_cast<int64_t>(window));

  EMatrix out;
  if (fn == RangeFn::kAbsentOverTime) {
    std::vector<int64_t> present;
    for (const auto& r : results) {
      if (r.size() == static_cast<size_t>(NumSteps())) return {};
      for (const FPoint& p : r) present.push_back(p.t);
    }
    std::sort(present.begin(), present.end());
    ESeries s;
    s.metric = MakeLabels(AbsentLabels(range_arg));
    for (int64_t ts = start_; ts <= end_; ts += interval_) {
      if (!std::binary_search(present.begin(), present.end(), ts)) s.floats.push_back({ts, 1});
    }
    if (!s.floats.empty()) out.push_back(std::move(s));
    return out;
  }
  const bool drop_name = fn != RangeFn::kLastOverTime;
  int64_t samples = 0;
  for (size_t si = 0; si < num_series; ++si) {
    if (results[si].empty()) continue;
    ESeries s;
    s.floats = std::move(results[si]);
    samples += static_cast<int64_t>(s.floats.size());
    s.metric = set ? MakeLabels(set->series()[si].labels) : sub[si].metric;
    // last_over_time keeps the name unless its input already lost it.
    s.drop_name = drop_name || (!set && sub[si].drop_name);
    out.push_back(std::move(s));
  }
  AddSamples(samples);
  return out;
}

}  // namespace plumbline::query::internal
