// Aggregation operators, as Prometheus' rangeEvalAgg/aggregation/aggregationK: each input
// series is mapped to its group once; then, step by step, every series' value at that step is
// folded into its group's state.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "query/internal/evaluator.h"
#include "query/internal/parallel.h"
#include "query/kernels.h"

namespace plumbline::query::internal {
namespace {

using storage::Labels;

// The grouping key of a series (Prometheus' generateGroupingKey; `without` always ignores
// __name__).
std::string GroupingKey(const Labels& metric, const std::vector<std::string>& grouping,
                        bool without) {
  if (without) return MatchSignature(metric, grouping, /*on=*/false);
  if (grouping.empty()) return std::string();
  return MatchSignature(metric, grouping, /*on=*/true);
}

Labels GroupingLabels(const Labels& metric, const std::vector<std::string>& grouping,
                      bool without) {
  if (without) {
    std::vector<std::string> drop = grouping;
    drop.emplace_back(storage::kMetricNameLabel);
    return KeepLabels(metric, drop, false);
  }
  if (grouping.empty()) return Labels();
  return KeepLabels(metric, grouping, true);
}

// The running state of sum, avg, min, max, count, group, stddev and stdvar for one group at
// one step (Prometheus' groupedAggregation for floats). All zero when value-initialised
// (`FloatState{}`); no member initialisers, so a table of them can be left for the threads
// that fill it to initialise.
struct FloatState {
  bool seen;
  bool incremental_mean;
  bool drop_name;
  double value;
  double mean;
  double kahan_c;
  double count;
};

struct Group {
  FloatState st{};
  std::vector<double> values;                   // quantile
  std::vector<std::pair<double, size_t>> heap;  // topk/bottomk: (value, input series)
};

void InitState(FloatState* g, AggregateOp op, double f, bool drop_name) {
  *g = FloatState{};
  g->seen = true;
  g->value = f;
  g->mean = f;
  g->count = 1;
  g->drop_name = drop_name;
  if (op == AggregateOp::kStddev || op == AggregateOp::kStdvar) {
    g->value = (std::isnan(f) || std::isinf(f)) ? std::numeric_limits<double>::quiet_NaN() : 0;
  } else if (op == AggregateOp::kGroup) {
    g->value = 1;
  }
}

// One op's fold, for loops that choose the op once (FoldState chooses per call).
template <AggregateOp kOp>
inline void FoldStateAs(FloatState* g, double f, bool drop_name) {
  if (drop_name) g->drop_name = true;
  switch (kOp) {
    case AggregateOp::kSum:
      g->value = KahanSumInc(f, g->value, &g->kahan_c);
      break;
    case AggregateOp::kAvg: {
      // Direct mean with compensated summation until the sum would overflow, then an
      // incremental mean (Prometheus 3).
      g->count += 1;
      if (!g->incremental_mean) {
        double c = g->kahan_c;
        const double v = KahanSumInc(f, g->value, &c);
        if (!std::isinf(v)) {
          g->value = v;
          g->kahan_c = c;
          break;
        }
        g->incremental_mean = true;
        g->mean = g->value / (g->count - 1);
        g->kahan_c /= g->count - 1;
      }
      const double q = (g->count - 1) / g->count;
      double c = q * g->kahan_c;
      g->mean = KahanSumInc(f / g->count, q * g->mean, &c);
      g->kahan_c = c;
      break;
    }
    case AggregateOp::kMax:
      if (g->value < f || std::isnan(g->value)) g->value = f;
      break;
    case AggregateOp::kMin:
      if (g->value > f || std::isnan(g->value)) g->value = f;
      break;
    case AggregateOp::kCount:
      g->count += 1;
      break;
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar: {
      g->count += 1;
      const double delta = f - g->mean;
      g->mean += delta / g->count;
      g->value += delta * (f - g->mean);
      break;
    }
    default:
      break;
  }
}

// Calls fn.operator()<kOp>() with op as a constant: sum, avg, max, min, count, stddev or
// stdvar, and kGroup for the ops whose fold only notes the name (group).
template <typename Fn>
void WithFloatOp(AggregateOp op, Fn&& fn) {
  switch (op) {
    case AggregateOp::kSum:
      return fn.template operator()<AggregateOp::kSum>();
    case AggregateOp::kAvg:
      return fn.template operator()<AggregateOp::kAvg>();
    case AggregateOp::kMax:
      return fn.template operator()<AggregateOp::kMax>();
    case AggregateOp::kMin:
      return fn.template operator()<AggregateOp::kMin>();
    case AggregateOp::kCount:
      return fn.template operator()<AggregateOp::kCount>();
    case AggregateOp::kStddev:
      return fn.template operator()<AggregateOp::kStddev>();
    case AggregateOp::kStdvar:
      return fn.template operator()<AggregateOp::kStdvar>();
    default:
      return fn.template operator()<AggregateOp::kGroup>();
  }
}

void FoldState(FloatState* g, AggregateOp op, double f, bool drop_name) {
  WithFloatOp(op, [&]<AggregateOp kOp>() { FoldStateAs<kOp>(g, f, drop_name); });
}

// Folds the points of `input` on steps [first_step, end_step) into their (group, step) cells
// of `table` (steps cells per group), series by series: each cell sees its series in input
// order, whichever thread folds it.
template <AggregateOp kOp>
void FoldIntoTable(const EMatrix& input, const std::vector<size_t>& series_group, int64_t start,
                   int64_t interval, size_t steps, size_t first_step, size_t end_step,
                   FloatState* table, const std::function<void()>& check_deadline) {
  const int64_t t_begin = start + static_cast<int64_t>(first_step) * interval;
  const int64_t t_end = start + static_cast<int64_t>(end_step) * interval;
  for (size_t si = 0; si < input.size(); ++si) {
    if ((si & 255) == 0) check_deadline();
    FloatState* row = table + series_group[si] * steps;
    const bool drop = input[si].drop_name;
    const std::vector<FPoint>& points = input[si].floats;
    size_t i =
        static_cast<size_t>(std::lower_bound(points.begin(), points.end(), t_begin,
                                             [](const FPoint& p, int64_t t) { return p.t < t; }) -
                            points.begin());
    // The points were written by other threads moments ago and are read once: fetch ahead.
    constexpr size_t kAhead = 64;  // 1 KiB
    for (size_t j = i; j < std::min(i + kAhead, points.size()); j += 4) {
      __builtin_prefetch(points.data() + j);
    }
    // Points lie on steps, in time order. When the last of this block's m points is m - 1
    // steps after the first, they are on consecutive steps (the usual case): fold them
    // without working out each one's step.
    const size_t stop = static_cast<size_t>(
        std::lower_bound(points.begin() + static_cast<ptrdiff_t>(i), points.end(), t_end,
                         [](const FPoint& p, int64_t t) { return p.t < t; }) -
        points.begin());
    if (stop > i &&
        points[stop - 1].t - points[i].t == static_cast<int64_t>(stop - 1 - i) * interval) {
      FloatState* g = row + (points[i].t - start) / interval;
      for (; i < stop; ++i, ++g) {
        if ((i & 3) == 0 && i + kAhead < stop) __builtin_prefetch(&points[i + kAhead]);
        if (!g->seen) {
          InitState(g, kOp, points[i].f, drop);
        } else {
          FoldStateAs<kOp>(g, points[i].f, drop);
        }
      }
      continue;
    }
    // Points sit on consecutive steps almost always: the next step's time saves a division.
    int64_t next_t = t_begin;
    size_t next_step = first_step;
    for (; i < points.size() && points[i].t < t_end; ++i) {
      const FPoint& p = points[i];
      if ((i & 3) == 0 && i + kAhead < points.size()) __builtin_prefetch(&points[i + kAhead]);
      const size_t step = p.t == next_t ? next_step : static_cast<size_t>((p.t - start) / interval);
      next_step = step + 1;
      next_t = p.t + interval;
      FloatState& g = row[step];
      if (!g.seen) {
        InitState(&g, kOp, p.f, drop);
      } else {
        FoldStateAs<kOp>(&g, p.f, drop);
      }
    }
  }
}

double FinishState(const FloatState& g, AggregateOp op) {
  switch (op) {
    case AggregateOp::kAvg:
      return g.incremental_mean ? g.mean + g.kahan_c : g.value / g.count + g.kahan_c / g.count;
    case AggregateOp::kCount:
      return g.count;
    case AggregateOp::kStdvar:
      return g.value / g.count;
    case AggregateOp::kStddev:
      return std::sqrt(g.value / g.count);
    case AggregateOp::kSum:
      return g.value + g.kahan_c;
    default:
      return g.value;
  }
}

// topk's heap order: NaN is the smallest (Prometheus' vectorByValueHeap).
bool TopkLess(double a, double b) { return std::isnan(a) || a < b; }
// bottomk's: NaN is the biggest (vectorByReverseValueHeap).
bool BottomkLess(double a, double b) { return std::isnan(a) || a > b; }

// The groups that have points, moved out in order; `*samples` counts their points.
EMatrix TakeNonEmpty(EMatrix* groups, int64_t* samples) {
  EMatrix out;
  out.reserve(groups->size());
  for (ESeries& s : *groups) {
    if (s.floats.empty()) continue;
    *samples += static_cast<int64_t>(s.floats.size());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

EMatrix Evaluator::EvalAggregate(const AggregateExpr& e) {
  std::vector<std::string> grouping = e.grouping;
  std::sort(grouping.begin(), grouping.end());
  const AggregateOp op = e.op;

  if (op == AggregateOp::kCountValues) {
    const std::string label = Unparen(*e.param).As<StringLiteral>().value;
    if (label.empty() || !storage::IsValidUtf8(label)) {
      ThrowExecution(absl::StrCat("invalid label name \"", label, "\""));
    }
    if (!e.without) {
      grouping.push_back(label);
      std::sort(grouping.begin(), grouping.end());
    }
    const bool without = e.without;
    return RangeEval({e.expr.get()}, [&, without](int64_t ts, std::vector<EVector>& v) {
      absl::flat_hash_map<std::string, size_t> index;
      EVector out;
      for (const ESample& s : v[0]) {
        Labels metric = WithLabel(*s.metric, label, FormatGoFloat(s.f));
        auto [it, inserted] = index.try_emplace(GroupingKey(metric, grouping, without), out.size());
        if (inserted) {
          out.push_back({MakeLabels(GroupingLabels(metric, grouping, without)), ts, 1, false});
        } else {
          out[it->second].f += 1;
        }
      }
      return out;
    });
  }

  // The parameter of topk/bottomk/quantile, per step.
  std::vector<double> params;
  if (e.param && e.param->type() == ValueType::kScalar) {
    params.assign(NumSteps(), std::numeric_limits<double>::quiet_NaN());
    EValue pv = Eval(*e.param);
    if (!pv.matrix.empty()) {
      for (const FPoint& p : pv.matrix[0].floats) {
        params[static_cast<size_t>((p.t - start_) / interval_)] = p.f;
      }
    }
  }

  EMatrix input = std::move(Eval(*e.expr).matrix);

  // Map input series to groups.
  absl::flat_hash_map<std::string, size_t> group_index;
  std::vector<size_t> series_group(input.size());
  EMatrix result;  // one per group (not used by topk/bottomk)
  const bool is_k = op == AggregateOp::kTopk || op == AggregateOp::kBottomk;
  for (size_t si = 0; si < input.size(); ++si) {
    auto [it, inserted] = group_index.try_emplace(
        GroupingKey(*input[si].metric, grouping, e.without), group_index.size());
    if (inserted && !is_k) {
      ESeries s;
      s.metric = MakeLabels(GroupingLabels(*input[si].metric, grouping, e.without));
      result.push_back(std::move(s));
    }
    series_group[si] = it->second;
  }
  std::vector<Group> groups(group_index.size());

  if (is_k) {
    double max_k = -std::numeric_limits<double>::infinity();
    double min_k = std::numeric_limits<double>::infinity();
    bool any_nan = false;
    for (double k : params) {
      if (std::isnan(k)) {
        any_nan = true;
        continue;
      }
      max_k = std::max(max_k, k);
      min_k = std::min(min_k, k);
    }
    if (!any_nan && max_k < 1) return {};
    if (any_nan) ThrowExecution("Parameter value is NaN");
    if (min_k <= -9223372036854775808.0) {
      ThrowExecution(absl::StrCat("Scalar value ", FormatGoFloat(min_k), " underflows int64"));
    }
    if (max_k >= 9223372036854774784.0) {
      ThrowExecution(absl::StrCat("Scalar value ", FormatGoFloat(max_k), " overflows int64"));
    }
  } else if (op == AggregateOp::kQuantile) {
    for (double q : params) {
      if (std::isnan(q) || q < 0 || q > 1) {
        Warn(absl::StrCat("PromQL warning: quantile value should be between 0 and 1, got ",
                          FormatGoFloat(q)));
        break;
      }
    }
  }

  const int steps = NumSteps();
  const bool float_only = !is_k && op != AggregateOp::kQuantile;
  if (float_only && start_ != end_ &&
      groups.size() * static_cast<size_t>(steps) <= (size_t{1} << 18)) {
    // A range query of sum, avg, min, max, count, group, stddev or stdvar: series by series
    // into a (group, step) table. Each cell folds its series in input order, as the
    // step-by-step loop below does, so the values are identical; the walk is cache-friendly.
    // The steps are split across threads: the input was just written by the threads that
    // computed it, and one thread alone waits on memory here.
    // Each thread also initialises and finishes its own steps' cells, so that they stay in
    // its cache; the table is left uninitialised here.
    const size_t cells = groups.size() * static_cast<size_t>(steps);
    const auto table = std::make_unique_for_overwrite<FloatState[]>(cells);
    const auto finished = std::make_unique_for_overwrite<double[]>(cells);
    const auto flags = std::make_unique_for_overwrite<uint8_t[]>(cells);  // 1 seen, 2 drop name
    const std::function<void()> check_deadline = [this] { CheckDeadline(); };
    const unsigned threads = WorkerThreads(input.size(), steps);
    // Several blocks per thread: a thread that starts late still takes its share.
    const size_t block = std::max<size_t>(64, static_cast<size_t>(steps) / (8 * threads));
    auto fold = [&]<AggregateOp kOp>() {
      ParallelBlocks(
          static_cast<size_t>(steps), block, threads, [&](unsigned, size_t begin, size_t end) {
            for (size_t gi = 0; gi < groups.size(); ++gi) {
              std::fill(table.get() + gi * steps + begin, table.get() + gi * steps + end,
                        FloatState{});
            }
            FoldIntoTable<kOp>(input, series_group, start_, interval_, static_cast<size_t>(steps),
                               begin, end, table.get(), check_deadline);
            for (size_t gi = 0; gi < groups.size(); ++gi) {
              for (size_t c = gi * steps + begin; c < gi * steps + end; ++c) {
                const FloatState& g = table[c];
                flags[c] = static_cast<uint8_t>((g.seen ? 1 : 0) | (g.drop_name ? 2 : 0));
                finished[c] = g.seen ? FinishState(g, kOp) : 0;
              }
            }
          });
    };
    WithFloatOp(op, fold);
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const size_t row = gi * static_cast<size_t>(steps);
      for (int st = 0; st < steps; ++st) {
        const uint8_t f = flags[row + static_cast<size_t>(st)];
        if (!(f & 1)) continue;
        result[gi].floats.push_back(
            {start_ + st * interval_, finished[row + static_cast<size_t>(st)]});
        if (f & 2) result[gi].drop_name = true;
      }
    }
    int64_t n = 0;
    EMatrix out = TakeNonEmpty(&result, &n);
    AddSamples(n);
    return out;
  }

  std::vector<size_t> cursor(input.size(), 0);
  // topk/bottomk in a range query: output series by input series.
  absl::flat_hash_map<size_t, size_t> k_series;
  EMatrix k_out;
  int step = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
    if ((step & 63) == 0) CheckDeadline();
    for (Group& g : groups) g.st.seen = false;
    const double param = params.empty() ? 0 : params[step];
    int64_t k = 0;
    if (is_k) {
      k = std::min<int64_t>(static_cast<int64_t>(param), static_cast<int64_t>(input.size()));
    }
    for (size_t si = 0; si < input.size(); ++si) {
      const ESeries& s = input[si];
      size_t& c = cursor[si];
      if (c >= s.floats.size() || s.floats[c].t != ts) continue;
      const double f = s.floats[c].f;
      ++c;
      if (is_k && k < 1) continue;
      Group& g = groups[series_group[si]];
      if (!g.st.seen) {
        InitState(&g.st, op, f, s.drop_name);
        g.values.clear();
        g.heap.clear();
        if (op == AggregateOp::kQuantile) g.values.push_back(f);
        if (is_k) g.heap.emplace_back(f, si);
        continue;
      }
      if (op == AggregateOp::kQuantile) {
        if (s.drop_name) g.st.drop_name = true;
        g.values.push_back(f);
      } else if (is_k) {
        auto less = op == AggregateOp::kTopk ? TopkLess : BottomkLess;
        auto heap_less = [less](const std::pair<double, size_t>& a,
                                const std::pair<double, size_t>& b) {
          // std heaps keep the greatest on top; ours keeps the "smallest" by `less`.
          return less(b.first, a.first);
        };
        if (static_cast<int64_t>(g.heap.size()) < k) {
          g.heap.emplace_back(f, si);
          std::push_heap(g.heap.begin(), g.heap.end(), heap_less);
        } else {
          const double top = g.heap.front().first;
          const bool replace = op == AggregateOp::kTopk
                                   ? (top < f || (std::isnan(top) && !std::isnan(f)))
                                   : (top > f || (std::isnan(top) && !std::isnan(f)));
          if (replace) {
            std::pop_heap(g.heap.begin(), g.heap.end(), heap_less);
            g.heap.back() = {f, si};
            std::push_heap(g.heap.begin(), g.heap.end(), heap_less);
          }
        }
      } else {
        FoldState(&g.st, op, f, s.drop_name);
      }
    }

    if (is_k) {
      if (k < 1) continue;
      for (Group& g : groups) {
        if (!g.st.seen) continue;
        auto less = op == AggregateOp::kTopk ? TopkLess : BottomkLess;
        // Output order: topk descending, bottomk ascending, NaN last.
        std::sort(g.heap.begin(), g.heap.end(),
                  [less](const std::pair<double, size_t>& a, const std::pair<double, size_t>& b) {
                    return less(b.first, a.first);
                  });
        for (const auto& [f, si] : g.heap) {
          auto [it, inserted] = k_series.try_emplace(si, k_out.size());
          if (inserted) {
            ESeries o;
            o.metric = input[si].metric;
            o.drop_name = input[si].drop_name;
            k_out.push_back(std::move(o));
          }
          k_out[it->second].floats.push_back({ts, f});
        }
      }
      continue;
    }

    for (size_t gi = 0; gi < groups.size(); ++gi) {
      Group& g = groups[gi];
      if (!g.st.seen) continue;
      const double value =
          op == AggregateOp::kQuantile ? Quantile(param, &g.values) : FinishState(g.st, op);
      result[gi].floats.push_back({ts, value});
      if (g.st.drop_name) result[gi].drop_name = true;
    }
  }

  if (is_k) {
    int64_t n = 0;
    for (const ESeries& s : k_out) n += static_cast<int64_t>(s.floats.size());
    AddSamples(n);
    return k_out;
  }
  int64_t n = 0;
  EMatrix out = TakeNonEmpty(&result, &n);
  AddSamples(n);
  return out;
}

}  // namespace plumbline::query::internal
