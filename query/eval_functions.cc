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

}  // namespace

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

namespace {

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

  if (IsRangeFunction(name)) return EvalRangeFunction(e);

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
