// Range-vector functions (rate, increase, ..., *_over_time): for each series, the samples of
// the whole evaluation range are decoded once and a window (ref - range, ref] slides over
// them step by step; the kernels (kernels.cc) compute each window's value.
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

// The counter resets of one series (see SlideSeries); reused across series by a worker.
struct ResetIndex {
  std::vector<uint32_t> before;
  std::vector<double> values;
  std::vector<int64_t> sum_before;  // integral series: exact sum of the resets at 1..i
};

// Whether every value is an integer of at most 2^32 in magnitude (and the series short
// enough) that any sum of them, in any order, is exact in a double.
bool SmallIntegers(const std::vector<FPoint>& points) {
  constexpr double kMaxAbs = 4294967296.0;  // 2^32: sums of up to 2^20 samples stay < 2^52
  return points.size() <= (size_t{1} << 20) &&
         std::all_of(points.begin(), points.end(), [](const FPoint& q) {
           // (A cast, not std::trunc: that is a libm call without SSE4.1.)
           return std::fabs(q.f) <= kMaxAbs &&
                  q.f == static_cast<double>(static_cast<int64_t>(q.f));
         });
}

// Everything a window computation needs besides the samples.
struct Slide {
  RangeFn fn;
  int64_t start, end, interval;
  int64_t range_ms, offset_ms;
  std::optional<int64_t> at;
  const std::vector<double>* scalar;  // per step: quantile_over_time's q, predict_linear's t
};

// Slides the window over one series' samples (time order, no stale markers) and appends one
// output point per step that has a value. Returns the most samples one window held.
size_t SlideSeries(const Slide& p, const std::vector<FPoint>& points, ResetIndex* resets,
                   std::vector<FPoint>* out) {
  size_t widest = 0;
  const bool counter = p.fn == RangeFn::kRate || p.fn == RangeFn::kIncrease;
  const bool small_integers =
      (counter || p.fn == RangeFn::kAvgOverTime || p.fn == RangeFn::kSumOverTime) &&
      SmallIntegers(points);
  if (counter && small_integers) {
    // Exact running sums of the values before each reset: a window's correction in O(1),
    // equal to the kernel's in-order additions because every partial sum is exact.
    resets->sum_before.resize(points.size());
    int64_t sum = 0;
    if (!points.empty()) resets->sum_before[0] = 0;
    for (size_t i = 1; i < points.size(); ++i) {
      // Branch-free (a mask): on gauges the comparison is a coin toss.
      const int64_t prev = static_cast<int64_t>(points[i - 1].f);
      const int64_t mask = -static_cast<int64_t>(points[i].f < points[i - 1].f);
      sum += prev & mask;
      resets->sum_before[i] = sum;
    }
  } else if (counter) {
    // The counter resets of the whole series, once: before[i] counts the resets at samples
    // 1..i and values[] holds, in order, the value before each reset. A window [lo, hi) then
    // adds values[before[lo], before[hi - 1]) — the same additions in the same order as the
    // kernel's own scan, without its data-dependent branch per sample (branch-free: gauges
    // reset at every other sample, unpredictably).
    resets->before.resize(points.size());
    resets->values.resize(points.size());
    uint32_t n = 0;
    if (!points.empty()) resets->before[0] = 0;
    for (size_t i = 1; i < points.size(); ++i) {
      resets->values[n] = points[i - 1].f;
      n += points[i].f < points[i - 1].f ? 1 : 0;
      resets->before[i] = n;
    }
  }
  // avg_over_time and sum_over_time of a series of small integers (counts, queue lengths):
  // every partial sum is exact, so the kernels' compensated sums equal the exact sum and a
  // running integer sum over the sliding window gives bit-identical results in O(1) a step.
  const bool integral =
      small_integers && (p.fn == RangeFn::kAvgOverTime || p.fn == RangeFn::kSumOverTime);
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
        if (small_integers) {
          const double sum =
              static_cast<double>(resets->sum_before[hi - 1] - resets->sum_before[lo]);
          value = ExtrapolatedRate(w, range_start, ref, true, is_rate, nullptr, &sum);
        } else {
          const uint32_t first = resets->before[lo];
          const absl::Span<const double> in_window(resets->values.data() + first,
                                                   resets->before[hi - 1] - first);
          value = ExtrapolatedRate(w, range_start, ref, true, is_rate, &in_window);
        }
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
  std::vector<std::vector<FPoint>> buffers(threads);
  std::vector<ResetIndex> resets(threads);
  std::vector<size_t> widest(threads, 0);
  const double deadline = ctx_->deadline;
  SampleBudget budget(SamplesLeft());
  ParallelBlocks(num_series, 8, threads, [&](unsigned worker, size_t begin, size_t end) {
    if (MonotonicSeconds() > deadline) {
      throw EvalError(absl::StatusCode::kDeadlineExceeded,
                      "query timed out in expression evaluation");
    }
    for (size_t si = begin; si < end; ++si) {
      const std::vector<FPoint>* points = nullptr;
      if (set) {
        ReadSamples(*set, si, /*drop_stale=*/true, &buffers[worker]);
        points = &buffers[worker];
      } else {
        points = &sub[si].floats;
      }
      widest[worker] =
          std::max(widest[worker], SlideSeries(slide, *points, &resets[worker], &results[si]));
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
