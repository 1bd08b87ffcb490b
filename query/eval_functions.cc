// Function calls. Range-vector functions walk each series once with a sliding window
// (range_start, range_end] per step; instant-vector functions run step by step; label_replace
// and label_join rewrite whole series. The numeric work is in kernels.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/internal/evaluator.h"
#include "query/kernels.h"
#include "re2/re2.h"
#include "storage/engine.h"

namespace plumbline::query::internal {

struct HistogramGroup {
  LabelsPtr metric;
  std::vector<Bucket> buckets;
};

namespace {

using storage::Labels;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using MathFn = double (*)(double);

MathFn LookupMath(std::string_view name) {
  static const std::pair<std::string_view, MathFn> kTable[] = {
      {"abs", [](double v) { return std::fabs(v); }},
      {"ceil", [](double v) { return std::ceil(v); }},
      {"floor", [](double v) { return std::floor(v); }},
      {"exp", [](double v) { return std::exp(v); }},
      {"ln", [](double v) { return std::log(v); }},
      {"log2", [](double v) { return std::log2(v); }},
      {"log10", [](double v) { return std::log10(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }},
      {"sgn", [](double v) { return Sgn(v); }},
      {"sin", [](double v) { return std::sin(v); }},
      {"cos", [](double v) { return std::cos(v); }},
      {"tan", [](double v) { return std::tan(v); }},
      {"asin", [](double v) { return std::asin(v); }},
      {"acos", [](double v) { return std::acos(v); }},
      {"atan", [](double v) { return std::atan(v); }},
      {"sinh", [](double v) { return std::sinh(v); }},
      {"cosh", [](double v) { return std::cosh(v); }},
      {"tanh", [](double v) { return std::tanh(v); }},
      {"asinh", [](double v) { return std::asinh(v); }},
      {"acosh", [](double v) { return std::acosh(v); }},
      {"atanh", [](double v) { return std::atanh(v); }},
      {"deg", [](double v) { return v * 180 / std::numbers::pi; }},
      {"rad", [](double v) { return v * std::numbers::pi / 180; }},
  };
  for (const auto& [n, fn] : kTable) {
    if (n == name) return fn;
  }
  return nullptr;
}

std::optional<DateFunction> LookupDate(std::string_view name) {
  static const std::pair<std::string_view, DateFunction> kTable[] = {
      {"day_of_month", DateFunction::kDayOfMonth},
      {"day_of_week", DateFunction::kDayOfWeek},
      {"day_of_year", DateFunction::kDayOfYear},
      {"days_in_month", DateFunction::kDaysInMonth},
      {"hour", DateFunction::kHour},
      {"minute", DateFunction::kMinute},
      {"month", DateFunction::kMonth},
      {"year", DateFunction::kYear},
  };
  for (const auto& [n, fn] : kTable) {
    if (n == name) return fn;
  }
  return std::nullopt;
}

bool IsRangeFunction(std::string_view name) {
  static constexpr std::string_view kNames[] = {"rate",
                                                "irate",
                                                "increase",
                                                "delta",
                                                "idelta",
                                                "deriv",
                                                "predict_linear",
                                                "resets",
                                                "changes",
                                                "avg_over_time",
                                                "min_over_time",
                                                "max_over_time",
                                                "sum_over_time",
                                                "count_over_time",
                                                "quantile_over_time",
                                                "stddev_over_time",
                                                "stdvar_over_time",
                                                "last_over_time",
                                                "present_over_time",
                                                "absent_over_time"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// Labels of absent()'s output: the equality matchers of the selector (Prometheus'
// createLabelsForAbsentFunction; a label matched twice is left out).
Labels AbsentLabels(const Expr& arg) {
  const Expr& e = Unparen(arg);
  const VectorSelector* vs = nullptr;
  if (e.kind == ExprKind::kVectorSelector) vs = &e.As<VectorSelector>();
  if (e.kind == ExprKind::kMatrixSelector) {
    vs = &e.As<MatrixSelector>().vector_selector->As<VectorSelector>();
  }
  if (vs == nullptr) return Labels();
  Labels out;
  std::vector<std::string> has;
  for (const storage::LabelMatcher& m : vs->matchers) {
    if (m.name() == storage::kMetricNameLabel) continue;
    const bool seen = std::find(has.begin(), has.end(), m.name()) != has.end();
    if (m.type() == storage::LabelMatcher::Type::kEqual && !seen) {
      out = WithLabel(out, m.name(), m.value());
      has.push_back(m.name());
    } else {
      out = WithLabel(out, m.name(), "");
    }
  }
  return out;
}

// Go's regexp.Expand for label_replace's replacement: $1, ${1}, $name, ${name}, $$.
std::string ExpandTemplate(std::string_view tmpl, const RE2& re,
                           const std::vector<std::string_view>& groups) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  size_t i = 0;
  while (i < tmpl.size()) {
    const char c = tmpl[i];
    if (c != '$') {
      out.push_back(c);
      ++i;
      continue;
    }
    ++i;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    bool ok = false;
    if (i < tmpl.size() && tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i + 1);
      if (close != std::string_view::npos && close > i + 1) {
        name = tmpl.substr(i + 1, close - i - 1);
        ok = std::all_of(name.begin(), name.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
        });
        if (ok) i = close + 1;
      }
    } else {
      size_t j = i;
      while (j < tmpl.size() &&
             (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
        ++j;
      }
      if (j > i) {
        name = tmpl.substr(i, j - i);
        ok = true;
        i = j;
      }
    }
    if (!ok) {
      out.push_back('$');
      continue;
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(),
                    [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
      if (name.size() < 9) index = std::stoi(std::string(name));
    } else {
      auto it = names.find(std::string(name));
      if (it != names.end()) index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size()) out.append(groups[index]);
  }
  return out;
}

bool ValidLabelName(std::string_view name) { return !name.empty() && storage::IsValidUtf8(name); }

// Classic histogram buckets of one step grouped by series without `le` (and without
// __name__ in the output labels), as Prometheus' resetHistograms. Samples without a valid
// `le` are skipped with a warning by the caller's evaluator.
std::vector<HistogramGroup> GroupBucketsImpl(const EVector& samples, bool* malformed) {
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<HistogramGroup> groups;
  for (const ESample& s : samples) {
    const std::string le(s.metric->Get("le"));
    char* end = nullptr;
    const double bound = le.empty() ? kNaN : std::strtod(le.c_str(), &end);
    if (le.empty() || end != le.c_str() + le.size()) {
      *malformed = true;
      continue;
    }
    std::string sig = MatchSignature(*s.metric, {"le"}, /*on=*/false);
    sig.append(s.metric->Get(storage::kMetricNameLabel));
    auto [it, inserted] = index.try_emplace(std::move(sig), groups.size());
    if (inserted) {
      groups.push_back(
          {MakeLabels(KeepLabels(*s.metric, {"le", std::string(storage::kMetricNameLabel)}, false)),
           {}});
    }
    groups[it->second].buckets.push_back({bound, s.f});
  }
  return groups;
}

}  // namespace

std::vector<HistogramGroup> Evaluator::GroupBuckets(const EVector& samples) {
  bool malformed = false;
  std::vector<HistogramGroup> groups = GroupBucketsImpl(samples, &malformed);
  if (malformed) Warn("PromQL warning: bucket label \"le\" is missing or has a malformed value");
  return groups;
}

EMatrix Evaluator::EvalCall(const Call& e) {
  const std::string_view name = e.func->name;

  // Functions of whole series.
  if (name == "label_replace" || name == "label_join") {
    auto str_arg = [&e](size_t i) { return Unparen(*e.args[i]).As<StringLiteral>().value; };
    const std::string dst = str_arg(1);
    EMatrix m = std::move(Eval(*e.args[0]).matrix);
    if (name == "label_replace") {
      const std::string repl = str_arg(2);
      const std::string src = str_arg(3);
      const std::string regex = str_arg(4);
      RE2::Options options;
      options.set_log_errors(false);
      options.set_dot_nl(true);
      RE2 re("^(?s:" + regex + ")$", options);
      if (!re.ok()) {
        ThrowExecution(absl::StrCat("invalid regular expression in label_replace(): ", regex));
      }
      if (!ValidLabelName(dst)) {
        ThrowExecution(absl::StrCat("invalid destination label name in label_replace(): ", dst));
      }
      const int n = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> pieces(n);
      absl::flat_hash_map<const Labels*, LabelsPtr> done;
      for (ESeries& s : m) {
        auto it = done.find(s.metric.get());
        if (it != done.end()) {
          s.metric = it->second;
          continue;
        }
        const std::string value(s.metric->Get(src));
        LabelsPtr out = s.metric;
        if (re.Match(value, 0, value.size(), RE2::UNANCHORED, pieces.data(), n)) {
          std::vector<std::string_view> groups(n);
          for (int g = 0; g < n; ++g)
            groups[g] = std::string_view(pieces[g].data(), pieces[g].size());
          const std::string res = ExpandTemplate(repl, re, groups);
          out = MakeLabels(WithLabel(*s.metric, dst, res));
        }
        done.emplace(s.metric.get(), out);
        s.metric = out;
      }
    } else {
      const std::string sep = str_arg(2);
      std::vector<std::string> srcs;
      for (size_t i = 3; i < e.args.size(); ++i) {
        srcs.push_back(str_arg(i));
        if (!ValidLabelName(srcs.back())) {
          ThrowExecution(absl::StrCat("invalid source label name in label_join(): ", srcs.back()));
        }
      }
      if (!ValidLabelName(dst)) {
        ThrowExecution(absl::StrCat("invalid destination label name in label_join(): ", dst));
      }
      for (ESeries& s : m) {
        std::vector<std::string> values;
        for (const std::string& src : srcs) values.emplace_back(s.metric->Get(src));
        s.metric = MakeLabels(WithLabel(*s.metric, dst, absl::StrJoin(values, sep)));
      }
    }
    // A name written by the function is the series' new name, not one to drop.
    if (dst == storage::kMetricNameLabel) {
      for (ESeries& s : m) s.drop_name = false;
    }
    // Series that now share a label set are merged; overlapping ones are an error.
    MergeSameLabels(&m);
    return m;
  }

  // timestamp() of a selector gives the samples' own timestamps.
  if (name == "timestamp") {
    const Expr& arg = Unparen(*e.args[0]);
    if (arg.kind == ExprKind::kVectorSelector) {
      EMatrix m = EvalVectorSelector(arg.As<VectorSelector>(), /*sample_timestamps=*/true);
      for (ESeries& s : m) s.drop_name = true;
      return m;
    }
  }

  if (IsRangeFunction(name)) {
    // The range argument and any scalar arguments (evaluated per step).
    size_t range_index = 0;
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (e.args[i]->type() == ValueType::kMatrix) range_index = i;
    }
    const Expr& range_arg = Unparen(*e.args[range_index]);
    std::vector<double> scalar(NumSteps(), kNaN);
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (i == range_index) continue;
      EValue v = Eval(*e.args[i]);
      if (!v.matrix.empty()) {
        for (const FPoint& p : v.matrix[0].floats) {
          scalar[static_cast<size_t>((p.t - start_) / interval_)] = p.f;
        }
      }
    }

    // The series to slide over, with their offset, @ and range.
    int64_t range_ms = 0;
    int64_t offset_ms = 0;
    std::optional<int64_t> at;
    std::unique_ptr<storage::SeriesSet> set;
    EMatrix sub;
    if (range_arg.kind == ExprKind::kMatrixSelector) {
      const auto& ms = range_arg.As<MatrixSelector>();
      const auto& vs = ms.vector_selector->As<VectorSelector>();
      range_ms = ms.range_ms;
      offset_ms = vs.offset_ms;
      at = AtTime(vs.at, vs.at_ms);
      const int64_t first_ref = (at ? *at : start_) - offset_ms;
      const int64_t last_ref = (at ? *at : end_) - offset_ms;
      if (last_ref >= 0) {
        auto r = ctx_->storage->Select(vs.matchers, std::max<int64_t>(first_ref - range_ms + 1, 0),
                                       last_ref);
        if (!r.ok()) {
          throw EvalError(absl::StatusCode::kInternal,
                          absl::StrCat("expanding series: ", r.status().message()));
        }
        set = std::move(*r);
      }
    } else {
      const auto& sq = range_arg.As<SubqueryExpr>();
      range_ms = sq.range_ms;
      offset_ms = sq.offset_ms;
      at = AtTime(sq.at, sq.at_ms);
      sub = EvalSubquery(sq);
    }
    const size_t num_series = set ? set->series().size() : sub.size();

    const bool drop_name = name != "last_over_time";
    if (name == "quantile_over_time") {
      for (double q : scalar) {
        if (std::isnan(q) || q < 0 || q > 1) {
          Warn(absl::StrCat("PromQL warning: quantile value should be between 0 and 1, got ",
                            FormatGoFloat(q)));
          break;
        }
      }
    }

    EMatrix out;
    std::vector<FPoint> samples;
    std::vector<int64_t> present_steps;  // absent_over_time
    for (size_t si = 0; si < num_series; ++si) {
      if ((si & 255) == 0) CheckDeadline();
      const std::vector<FPoint>* points;
      LabelsPtr metric;
      if (set) {
        samples.clear();
        auto it = set->Samples(si);
        int64_t ts[512];
        double vs[512];
        while (size_t n = it->NextBatch(ts, vs, 512)) {
          for (size_t i = 0; i < n; ++i) {
            if (!IsStaleNaN(vs[i])) samples.push_back({ts[i], vs[i]});
          }
        }
        if (!it->status().ok()) {
          throw EvalError(absl::StatusCode::kInternal, std::string(it->status().message()));
        }
        points = &samples;
      } else {
        points = &sub[si].floats;
      }
      AddSamples(static_cast<int64_t>(points->size()));
      ESeries s;
      size_t lo = 0;
      size_t hi = 0;
      int step = 0;
      for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
        const int64_t ref = (at ? *at : ts) - offset_ms;
        const int64_t range_start = ref - range_ms;
        while (hi < points->size() && (*points)[hi].t <= ref) ++hi;
        while (lo < hi && (*points)[lo].t <= range_start) ++lo;
        if (lo >= hi) continue;
        absl::Span<const FPoint> w(points->data() + lo, hi - lo);
        std::optional<double> value;
        if (name == "rate") {
          value = ExtrapolatedRate(w, range_start, ref, true, true);
        } else if (name == "increase") {
          value = ExtrapolatedRate(w, range_start, ref, true, false);
        } else if (name == "delta") {
          value = ExtrapolatedRate(w, range_start, ref, false, false);
        } else if (name == "irate") {
          value = InstantValue(w, true);
        } else if (name == "idelta") {
          value = InstantValue(w, false);
        } else if (name == "deriv") {
          value = Deriv(w);
        } else if (name == "predict_linear") {
          value = PredictLinear(w, ts, scalar[step]);
        } else if (name == "resets") {
          value = Resets(w);
        } else if (name == "changes") {
          value = Changes(w);
        } else if (name == "avg_over_time") {
          value = AvgOverTime(w);
        } else if (name == "min_over_time") {
          value = MinOverTime(w);
        } else if (name == "max_over_time") {
          value = MaxOverTime(w);
        } else if (name == "sum_over_time") {
          value = SumOverTime(w);
        } else if (name == "count_over_time") {
          value = static_cast<double>(w.size());
        } else if (name == "quantile_over_time") {
          value = QuantileOverTime(scalar[step], w);
        } else if (name == "stddev_over_time") {
          value = StddevOverTime(w);
        } else if (name == "stdvar_over_time") {
          value = StdvarOverTime(w);
        } else if (name == "last_over_time") {
          value = w.back().f;
        } else if (name == "present_over_time" || name == "absent_over_time") {
          value = 1;
        }
        if (value) s.floats.push_back({ts, *value});
      }
      AddSamples(-static_cast<int64_t>(points->size()));
      if (s.floats.empty()) continue;
      if (name == "absent_over_time") {
        if (s.floats.size() == static_cast<size_t>(NumSteps())) return {};
        for (const FPoint& p : s.floats) present_steps.push_back(p.t);
        continue;
      }
      AddSamples(static_cast<int64_t>(s.floats.size()));
      s.metric = set ? MakeLabels(set->series()[si].labels) : sub[si].metric;
      // last_over_time keeps the name unless its input already lost it.
      s.drop_name = drop_name || (!set && sub[si].drop_name);
      out.push_back(std::move(s));
    }
    if (name == "absent_over_time") {
      std::sort(present_steps.begin(), present_steps.end());
      ESeries s;
      s.metric = MakeLabels(AbsentLabels(range_arg));
      for (int64_t ts = start_; ts <= end_; ts += interval_) {
        if (!std::binary_search(present_steps.begin(), present_steps.end(), ts)) {
          s.floats.push_back({ts, 1});
        }
      }
      if (!s.floats.empty()) out.push_back(std::move(s));
    }
    return out;
  }

  // Instant-vector and scalar functions, step by step.
  std::vector<const Expr*> args;
  for (const ExprPtr& a : e.args) args.push_back(a.get());

  if (MathFn fn = LookupMath(name)) {
    return RangeEval(args, [fn](int64_t, std::vector<EVector>& v) {
      EVector out = std::move(v[0]);
      for (ESample& s : out) {
        s.f = fn(s.f);
        s.drop_name = true;
      }
      return out;
    });
  }
  if (auto date = LookupDate(name)) {
    const DateFunction fn = *date;
    if (args.empty()) {
      return RangeEval({}, [fn](int64_t ts, std::vector<EVector>&) {
        EVector out;
        out.push_back({EmptyLabels(), ts, DateValue(fn, static_cast<double>(ts) / 1000.0), false});
        return out;
      });
    }
    return RangeEval(args, [fn](int64_t, std::vector<EVector>& v) {
      EVector out = std::move(v[0]);
      for (ESample& s : out) {
        s.f = DateValue(fn, s.f);
        s.drop_name = true;
      }
      return out;
    });
  }
  if (name == "round") {
    return RangeEval(args, [](int64_t, std::vector<EVector>& v) {
      const double to_nearest = v.size() > 1 && !v[1].empty() ? v[1][0].f : 1.0;
      EVector out = std::move(v[0]);
      for (ESample& s : out) {
        s.f = Round(s.f, to_nearest);
        s.drop_name = true;
      }
      return out;
    });
  }
  if (name == "clamp" || name == "clamp_min" || name == "clamp_max") {
    const int kind = name == "clamp" ? 0 : (name == "clamp_min" ? 1 : 2);
    return RangeEval(args, [kind](int64_t, std::vector<EVector>& v) {
      double lo = -std::numeric_limits<double>::infinity();
      double hi = std::numeric_limits<double>::infinity();
      if (kind == 0) {
        lo = v[1].empty() ? kNaN : v[1][0].f;
        hi = v[2].empty() ? kNaN : v[2][0].f;
        if (hi < lo) return EVector();
      } else if (kind == 1) {
        lo = v[1].empty() ? kNaN : v[1][0].f;
      } else {
        hi = v[1].empty() ? kNaN : v[1][0].f;
      }
      EVector out = std::move(v[0]);
      for (ESample& s : out) {
        // Go's math.Max/Min: NaN wins.
        if (kind != 2) s.f = (std::isnan(s.f) || std::isnan(lo)) ? kNaN : std::max(s.f, lo);
        if (kind != 1) s.f = (std::isnan(s.f) || std::isnan(hi)) ? kNaN : std::min(s.f, hi);
        s.drop_name = true;
      }
      return out;
    });
  }
  if (name == "timestamp") {
    return RangeEval(args, [](int64_t, std::vector<EVector>& v) {
      EVector out = std::move(v[0]);
      for (ESample& s : out) {
        s.f = static_cast<double>(s.t) / 1000.0;
        s.drop_name = true;
      }
      return out;
    });
  }
  if (name == "sort" || name == "sort_desc") {
    const bool desc = name == "sort_desc";
    return RangeEval(args, [desc](int64_t, std::vector<EVector>& v) {
      EVector out = std::move(v[0]);
      std::stable_sort(out.begin(), out.end(), [desc](const ESample& a, const ESample& b) {
        if (std::isnan(a.f)) return false;
        if (std::isnan(b.f)) return true;
        return desc ? a.f > b.f : a.f < b.f;
      });
      return out;
    });
  }
  if (name == "vector") {
    return RangeEval(args, [](int64_t ts, std::vector<EVector>& v) {
      EVector out;
      if (!v[0].empty()) out.push_back({EmptyLabels(), ts, v[0][0].f, false});
      return out;
    });
  }
  if (name == "scalar") {
    return RangeEval(args, [](int64_t ts, std::vector<EVector>& v) {
      EVector out;
      out.push_back({EmptyLabels(), ts, v[0].size() == 1 ? v[0][0].f : kNaN, false});
      return out;
    });
  }
  if (name == "time") {
    return RangeEval({}, [](int64_t ts, std::vector<EVector>&) {
      EVector out;
      out.push_back({EmptyLabels(), ts, static_cast<double>(ts) / 1000.0, false});
      return out;
    });
  }
  if (name == "pi") {
    return EvalNumber(std::numbers::pi);
  }
  if (name == "absent") {
    const LabelsPtr labels = MakeLabels(AbsentLabels(*e.args[0]));
    return RangeEval(args, [labels](int64_t ts, std::vector<EVector>& v) {
      EVector out;
      if (v[0].empty()) out.push_back({labels, ts, 1, false});
      return out;
    });
  }
  if (name == "histogram_quantile" || name == "histogram_fraction") {
    const bool quantile = name == "histogram_quantile";
    return RangeEval(args, [this, quantile](int64_t ts, std::vector<EVector>& v) {
      EVector out;
      const EVector& buckets_in = v.back();
      const double q = v[0].empty() ? kNaN : v[0][0].f;
      if (quantile && (std::isnan(q) || q < 0 || q > 1)) {
        Warn(absl::StrCat("PromQL warning: quantile value should be between 0 and 1, got ",
                          FormatGoFloat(q)));
      }
      for (HistogramGroup& g : GroupBuckets(buckets_in)) {
        double value;
        if (quantile) {
          value = BucketQuantile(q, &g.buckets).value;
        } else {
          const double upper = v[1].empty() ? kNaN : v[1][0].f;
          value = BucketFraction(q, upper, &g.buckets);
        }
        out.push_back({g.metric, ts, value, true});
      }
      return out;
    });
  }
  if (name.substr(0, 10) == "histogram_") {
    // Native-histogram functions: float samples have no histogram to read.
    return {};
  }
  throw EvalError(absl::StatusCode::kUnimplemented,
                  absl::StrCat("function \"", std::string(name), "\" is not supported"));
}

}  // namespace plumbline::query::internal
