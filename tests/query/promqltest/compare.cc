#include "tests/query/promqltest/compare.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "common/strings.h"

namespace plumbline::promqltest {
namespace {

constexpr size_t kMaxDiffLines = 12;

std::string FormatTime(int64_t t_ms) {
  return StrCat(FormatFloat(static_cast<double>(t_ms) / 1000.0), "s");
}

std::string FormatPoints(const std::vector<query::FPoint>& points) {
  std::string out;
  for (const query::FPoint& p : points) {
    StrAppend(&out, out.empty() ? "" : " ", FormatFloat(p.f), "@", FormatTime(p.t));
  }
  return out.empty() ? "(no points)" : out;
}

Mismatch Make(std::string kind, std::string message) {
  return Mismatch{std::move(kind), std::move(message), {}};
}

void Truncate(std::vector<std::string>* diff) {
  if (diff->size() <= kMaxDiffLines) return;
  const size_t more = diff->size() - kMaxDiffLines;
  diff->resize(kMaxDiffLines);
  diff->push_back(StrCat("  ... ", more, " more"));
}

// The expected points of one series of a matrix, as compareResult computes them; nullopt
// with `error` set when there are more values than the time range has steps.
std::optional<std::vector<query::FPoint>> ExpectedPoints(const EvalCmd& cmd,
                                                         const ExpectedSeries& exp,
                                                         const LabelSet& labels,
                                                         std::string* error) {
  std::vector<query::FPoint> points;
  for (size_t i = 0; i < exp.values.size(); ++i) {
    const int64_t ts = cmd.start_ms + static_cast<int64_t>(i) * cmd.step_ms;
    // Without an end (instant eval, no `expect range vector`) test.go's end is the zero
    // time, which every point is after.
    if (!cmd.has_end || ts > cmd.end_ms) {
      *error = StrCat("expected ", exp.values.size(), " points for ", FormatLabelSet(labels),
                      ", but query time range cannot return this many points");
      return std::nullopt;
    }
    if (!exp.values[i].omitted) points.push_back({ts, exp.values[i].value});
  }
  return points;
}

bool PointsEqual(const std::vector<query::FPoint>& a, const std::vector<query::FPoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].t != b[i].t || !AlmostEqual(a[i].f, b[i].f)) return false;
  }
  return true;
}

std::vector<std::string> MatrixDiff(const EvalCmd& cmd, const query::Matrix& got) {
  std::map<LabelSet, std::vector<const query::Series*>> got_by_labels;
  for (const query::Series& s : got) got_by_labels[ToLabelSet(s.metric)].push_back(&s);
  std::set<LabelSet> all;
  for (const auto& [ls, unused] : cmd.expected) all.insert(ls);
  for (const auto& [ls, unused] : got_by_labels) all.insert(ls);
  std::vector<std::string> diff;
  for (const LabelSet& ls : all) {
    auto e = cmd.expected.find(ls);
    auto g = got_by_labels.find(ls);
    std::optional<std::vector<query::FPoint>> exp_points;
    std::string unused_error;
    if (e != cmd.expected.end()) exp_points = ExpectedPoints(cmd, e->second, ls, &unused_error);
    if (e != cmd.expected.end() && g != got_by_labels.end() && g->second.size() == 1 &&
        exp_points && PointsEqual(*exp_points, g->second[0]->floats)) {
      continue;
    }
    if (e != cmd.expected.end()) {
      diff.push_back(StrCat("- ", FormatLabelSet(ls), " ",
                            exp_points ? FormatPoints(*exp_points) : "(too many points)"));
    }
    if (g != got_by_labels.end()) {
      for (const query::Series* s : g->second) {
        diff.push_back(StrCat("+ ", FormatLabelSet(ls), " ", FormatPoints(s->floats)));
      }
    }
  }
  Truncate(&diff);
  return diff;
}

std::string ExpectedValueText(const ExpectedSeries& exp) {
  if (exp.values.empty()) return "(no value)";
  return exp.values[0].omitted ? "_" : FormatFloat(exp.values[0].value);
}

std::vector<std::string> VectorDiff(const EvalCmd& cmd, const query::Vector& got) {
  std::map<LabelSet, std::vector<double>> got_by_labels;
  for (const query::Sample& s : got) got_by_labels[ToLabelSet(s.metric)].push_back(s.f);
  std::set<LabelSet> all;
  for (const auto& [ls, unused] : cmd.expected) all.insert(ls);
  for (const auto& [ls, unused] : got_by_labels) all.insert(ls);
  std::vector<std::string> diff;
  for (const LabelSet& ls : all) {
    auto e = cmd.expected.find(ls);
    auto g = got_by_labels.find(ls);
    if (e != cmd.expected.end() && g != got_by_labels.end() && g->second.size() == 1 &&
        !e->second.values.empty() && AlmostEqual(e->second.values[0].value, g->second[0])) {
      continue;
    }
    if (e != cmd.expected.end()) {
      diff.push_back(StrCat("- ", FormatLabelSet(ls), " ", ExpectedValueText(e->second)));
    }
    if (g != got_by_labels.end()) {
      for (double f : g->second)
        diff.push_back(StrCat("+ ", FormatLabelSet(ls), " ", FormatFloat(f)));
    }
  }
  Truncate(&diff);
  return diff;
}

std::optional<Mismatch> CompareMatrix(const EvalCmd& cmd, const query::Matrix& val) {
  if (cmd.IsOrdered()) {
    return Make("ordered result is a matrix",
                "expected ordered result, but query returned a matrix");
  }
  if (cmd.expect_scalar) {
    return Make("result type", StrCat("expected scalar result, but got matrix ",
                                      DescribeValue(query::Value(val))));
  }
  if (auto m = AssertMatrixSorted(val)) return m;
  auto with_diff = [&](std::string kind, std::string message) {
    Mismatch m = Make(std::move(kind), std::move(message));
    m.diff = MatrixDiff(cmd, val);
    return m;
  };
  std::set<LabelSet> seen;
  for (const query::Series& s : val) {
    const LabelSet ls = ToLabelSet(s.metric);
    if (!seen.insert(ls).second) {
      return with_diff("duplicate series in result",
                       StrCat("result holds series ", FormatLabelSet(ls), " twice"));
    }
  }
  for (const query::Series& s : val) {
    const LabelSet ls = ToLabelSet(s.metric);
    auto e = cmd.expected.find(ls);
    if (e == cmd.expected.end()) {
      return with_diff("unexpected series", StrCat("unexpected metric ", FormatLabelSet(ls),
                                                   " in result, has ", FormatPoints(s.floats)));
    }
    std::string error;
    auto expected = ExpectedPoints(cmd, e->second, ls, &error);
    if (!expected) return with_diff("too many expected points", error);
    if (expected->size() != s.floats.size()) {
      return with_diff(
          "point count mismatch",
          StrCat("expected ", expected->size(), " float points for ", FormatLabelSet(ls),
                 ", but got ", s.floats.size(), ": ", FormatPoints(s.floats)));
    }
    for (size_t i = 0; i < expected->size(); ++i) {
      const query::FPoint& want = (*expected)[i];
      const query::FPoint& have = s.floats[i];
      if (want.t != have.t) {
        return with_diff("timestamp mismatch",
                         StrCat("expected float value at index ", i, " for ", FormatLabelSet(ls),
                                " to have timestamp ", want.t, ", but it had timestamp ", have.t));
      }
      if (!AlmostEqual(have.f, want.f)) {
        return with_diff("value mismatch",
                         StrCat("expected float value at index ", i, " (t=", have.t, ") for ",
                                FormatLabelSet(ls), " to be ", FormatFloat(want.f), ", but got ",
                                FormatFloat(have.f)));
      }
    }
  }
  for (const auto& [ls, exp] : cmd.expected) {
    if (seen.count(ls) == 0) {
      return with_diff("missing series",
                       StrCat("expected metric ", FormatLabelSet(ls), " not found"));
    }
  }
  return std::nullopt;
}

std::optional<Mismatch> CompareVector(const EvalCmd& cmd, const query::Vector& val) {
  if (cmd.expect_scalar) {
    return Make("result type", StrCat("expected scalar result, but got vector ",
                                      DescribeValue(query::Value(val))));
  }
  auto with_diff = [&](std::string kind, std::string message) {
    Mismatch m = Make(std::move(kind), std::move(message));
    m.diff = VectorDiff(cmd, val);
    return m;
  };
  std::set<LabelSet> seen;
  for (size_t pos = 0; pos < val.size(); ++pos) {
    const query::Sample& v = val[pos];
    const LabelSet ls = ToLabelSet(v.metric);
    auto e = cmd.expected.find(ls);
    if (e == cmd.expected.end()) {
      return with_diff("unexpected series", StrCat("unexpected metric ", FormatLabelSet(ls),
                                                   " in result, has value ", FormatFloat(v.f)));
    }
    if (!seen.insert(ls).second) {
      return with_diff("duplicate series in result",
                       StrCat("result holds series ", FormatLabelSet(ls), " twice"));
    }
    if (cmd.IsOrdered() && e->second.pos != static_cast<int>(pos) + 1) {
      return with_diff("wrong order", StrCat("expected metric ", FormatLabelSet(ls), " with ",
                                             ExpectedValueText(e->second), " at position ",
                                             e->second.pos, " but was at ", pos + 1));
    }
    if (e->second.values.empty()) {
      return with_diff("value mismatch", StrCat("no expected value for ", FormatLabelSet(ls)));
    }
    const double want = e->second.values[0].value;
    if (!AlmostEqual(want, v.f)) {
      return with_diff("value mismatch", StrCat("expected ", FormatFloat(want), " for ",
                                                FormatLabelSet(ls), " but got ", FormatFloat(v.f)));
    }
  }
  for (const auto& [ls, exp] : cmd.expected) {
    if (seen.count(ls) == 0) {
      return with_diff("missing series", StrCat("expected metric ", FormatLabelSet(ls), " with ",
                                                ExpectedValueText(exp), " not found"));
    }
  }
  return std::nullopt;
}

}  // namespace

bool AlmostEqual(double a, double b, double epsilon) {
  if (query::IsStaleNaN(a) || query::IsStaleNaN(b)) {
    return query::IsStaleNaN(a) && query::IsStaleNaN(b);
  }
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  const double min_normal = std::bit_cast<double>(uint64_t{0x0010000000000000});
  const double abs_sum = std::fabs(a) + std::fabs(b);
  const double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < min_normal) return diff < epsilon * min_normal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

LabelSet ToLabelSet(const storage::Labels& labels) {
  LabelSet out;
  out.reserve(labels.size());
  for (const storage::Label& l : labels.items()) out.emplace_back(l.name, l.value);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<Mismatch> CompareResult(const EvalCmd& cmd, const query::Value& result) {
  if (const auto* m = std::get_if<query::Matrix>(&result)) return CompareMatrix(cmd, *m);
  if (const auto* v = std::get_if<query::Vector>(&result)) return CompareVector(cmd, *v);
  if (const auto* s = std::get_if<query::Scalar>(&result)) {
    if (!cmd.expect_scalar) {
      Mismatch m = Make("result type", StrCat("expected vector or matrix result, but got scalar ",
                                              FormatFloat(s->v)));
      m.diff = VectorDiff(cmd, {});
      m.diff.push_back(StrCat("+ scalar ", FormatFloat(s->v)));
      return m;
    }
    if (!AlmostEqual(cmd.scalar.value, s->v)) {
      Mismatch m = Make("value mismatch", StrCat("expected scalar ", FormatFloat(cmd.scalar.value),
                                                 " but got ", FormatFloat(s->v)));
      m.diff = {StrCat("- ", FormatFloat(cmd.scalar.value)), StrCat("+ ", FormatFloat(s->v))};
      return m;
    }
    return std::nullopt;
  }
  const auto& str = std::get<query::String>(result);
  if (cmd.expected_string != str.v) {
    return Make("string mismatch",
                StrCat("expected string \"", cmd.expected_string, "\" but got \"", str.v, "\""));
  }
  return std::nullopt;
}

std::optional<Mismatch> CheckExpectedFailure(const EvalCmd& cmd, std::string_view error) {
  if (!cmd.expected_fail_message.empty() && cmd.expected_fail_message != error) {
    return Mismatch{"wrong error message",
                    StrCat("expected error \"", cmd.expected_fail_message, "\", but got: ", error),
                    {StrCat("- ", cmd.expected_fail_message), StrCat("+ ", error)}};
  }
  if (cmd.expected_fail_regexp.has_value()) {
    if (!GoRegexMatch(*cmd.expected_fail_regexp, error)) {
      return Mismatch{"wrong error message",
                      StrCat("expected error matching pattern \"", *cmd.expected_fail_regexp,
                             "\", but got: ", error),
                      {StrCat("- /", *cmd.expected_fail_regexp, "/"), StrCat("+ ", error)}};
    }
  }
  if (const Expectation* e = cmd.FailExpectation(); e != nullptr && !e->Matches(error)) {
    return Mismatch{
        "wrong error message",
        StrCat("expected error matching ", e->Describe(), ", but got: ", error),
        {StrCat("- ", e->message.value_or(StrCat("/", e->regex, "/"))), StrCat("+ ", error)}};
  }
  return std::nullopt;
}

std::optional<Mismatch> AssertMatrixSorted(const query::Matrix& matrix) {
  for (size_t i = 0; i + 1 < matrix.size(); ++i) {
    const LabelSet a = ToLabelSet(matrix[i].metric);
    const LabelSet b = ToLabelSet(matrix[i + 1].metric);
    if (b < a) {
      return Make("matrix not sorted",
                  StrCat("matrix results should always be sorted by labels, but matrix is not "
                         "sorted: series at index ",
                         i + 1, " with labels ", FormatLabelSet(b),
                         " sorts before series at index ", i, " with labels ", FormatLabelSet(a)));
    }
  }
  return std::nullopt;
}

std::string DescribeValue(const query::Value& value) {
  constexpr size_t kMaxItems = 4;
  if (const auto* s = std::get_if<query::Scalar>(&value))
    return StrCat("scalar ", FormatFloat(s->v));
  if (const auto* s = std::get_if<query::String>(&value)) return StrCat("string \"", s->v, "\"");
  std::string out;
  size_t n = 0;
  if (const auto* v = std::get_if<query::Vector>(&value)) {
    for (const query::Sample& s : *v) {
      if (n++ == kMaxItems) break;
      StrAppend(&out, out.empty() ? "" : ", ", FormatLabelSet(ToLabelSet(s.metric)), " ",
                FormatFloat(s.f));
    }
    if (v->size() > kMaxItems) StrAppend(&out, ", ... (", v->size(), " samples)");
    return StrCat("[", out, "]");
  }
  const auto& m = std::get<query::Matrix>(value);
  for (const query::Series& s : m) {
    if (n++ == kMaxItems) break;
    StrAppend(&out, out.empty() ? "" : ", ", FormatLabelSet(ToLabelSet(s.metric)), " ",
              FormatPoints(s.floats));
  }
  if (m.size() > kMaxItems) StrAppend(&out, ", ... (", m.size(), " series)");
  return StrCat("[", out, "]");
}

}  // namespace plumbline::promqltest
