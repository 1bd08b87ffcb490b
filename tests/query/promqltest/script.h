// The script format of Prometheus' PromQL test files (promql/promqltest/testdata/*.test),
// parsed as Prometheus' promqltest/test.go parses it: the same commands, line rules, regexes
// and expectation semantics, so that a file Prometheus accepts is accepted here.
//
//   load <interval>            then `<series> <values>` lines; the expanding notation
//                              `a+bxn`, `a-bxn`, `axn`, `_`, `_xn`, `stale`
//   load_with_nhcb <interval>  the same (the native-histogram conversion is not ours)
//   clear
//   eval instant at <dur> <expr>
//   eval range from <dur> to <dur> step <dur> <expr>
//   eval_fail / eval_ordered / eval_warn / eval_info ...   (older spellings)
//   expect fail [msg: <text> | regex: <re>], expect ordered, expect warn/info/no_warn/no_info,
//   expect string "<text>", expect range vector from <dur> to <dur> step <dur>
//
// A block ends at an empty line; comment lines ("# ...") count as empty, as in test.go.
// Native histogram values (`{{...}}`, `{{...}}xn`, `{{...}}+{{...}}xn`) are recognised and
// counted, not decoded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace plumbline::promqltest {

// A label set as Prometheus' labels.Labels holds it: pairs sorted by name in byte order
// (so `__name__` sorts after upper-case names), no empty values. std::vector<std::pair>'s
// lexicographic order is Prometheus' labels.Compare.
using LabelSet = std::vector<std::pair<std::string, std::string>>;

// One value of a series description.
struct SequenceValue {
  double value = 0;
  bool omitted = false;    // `_`: no sample at this position
  bool histogram = false;  // a native histogram sample (not decoded; `value` is 0)
};

// `name{l="v", ...} <values>`, as Prometheus' parser.ParseSeriesDesc reads it.
struct SeriesDesc {
  LabelSet labels;
  std::vector<SequenceValue> values;
  // Some values are native histograms.
  bool native_histogram = false;
};

// Go's strconv.ParseInt(s, 0, 64), falling back to strconv.ParseFloat(s, 64), as test.go's
// parseNumber does for scalar expectations ("1", "0x1f", "-Inf", "NaN", "1e-3").
absl::StatusOr<double> ParseNumber(std::string_view text);

// Prometheus' model.ParseDuration, in milliseconds ("0", "5m", "1h30m").
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// The values part of a series description: `1 2 _ 3+1x4 _x2 stale 5x3 {{count:1}}x2`.
// `a+bxn`, `axn` and their histogram forms expand to n+1 values, `_xn` to n omitted ones.
absl::StatusOr<std::vector<SequenceValue>> ParseSequence(std::string_view text);

// A whole series description line.
absl::StatusOr<SeriesDesc> ParseSeriesDesc(std::string_view line);

// Go's Regexp.MatchString: `pattern` found anywhere in `text`. Go reads invalid UTF-8 in the
// text as U+FFFD, which `.` matches; RE2 would not match such bytes, so they are replaced
// first. False when the pattern does not compile.
bool GoRegexMatch(const std::string& pattern, std::string_view text);

// Go's strconv.Unquote for "...", `...` and '.' literals.
absl::StatusOr<std::string> GoUnquote(std::string_view quoted);

struct LoadCmd {
  int line = 0;  // 1-based
  int64_t interval_ms = 0;
  bool with_nhcb = false;  // load_with_nhcb
  // In file order; a label set given twice keeps its last values (test.go keys by hash).
  std::vector<SeriesDesc> series;
};

struct ClearCmd {
  int line = 0;
};

enum class ExpectKind { kOrdered, kFail, kWarn, kNoWarn, kInfo, kNoInfo };

// One `expect <kind> [msg: text | regex: re]` line.
struct Expectation {
  ExpectKind kind = ExpectKind::kFail;
  // `msg:`: the text must equal this. Otherwise `regex` (`regex:`, or "^.*$" when neither
  // was given) must match somewhere in the text (Go's Regexp.MatchString).
  std::optional<std::string> message;
  std::string regex;

  bool Matches(std::string_view text) const;
  std::string Describe() const;
};

// Expected values of one series: `pos` is its 1-based position among the expectation
// lines (for ordered results), as test.go counts it.
struct ExpectedSeries {
  int pos = 0;
  std::vector<SequenceValue> values;
};

struct EvalCmd {
  int line = 0;  // 1-based line of the eval header
  std::string expr;
  bool is_range = false;
  // Range evals: the header's times. Instant evals: start == eval time; with `expect range
  // vector` start/end/step are the directive's and eval_ms is its end.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  // False for an instant eval without `expect range vector`: test.go's end is then the zero
  // time, before every point, so any expected matrix point fails the comparison.
  bool has_end = false;
  int64_t eval_ms = 0;

  // The eval_fail / eval_ordered / eval_warn / eval_info spellings.
  bool fail = false;
  bool ordered = false;
  bool warn = false;
  bool info = false;
  // `expected_fail_message <text>` / `expected_fail_regexp <re>` (after eval_fail only).
  std::string expected_fail_message;
  std::optional<std::string> expected_fail_regexp;

  std::vector<Expectation> expectations;

  bool expect_scalar = false;
  SequenceValue scalar;
  std::map<LabelSet, ExpectedSeries> expected;
  // An expectation line holds native histogram values: the eval needs them.
  bool expects_native_histogram = false;

  std::string expected_string;  // `expect string`
  // `expect string` and `expect range vector` evals are not re-run as range queries.
  bool exclude_from_range_query = false;

  bool IsOrdered() const;
  bool IsFail() const;
  // The `expect fail` line, or null.
  const Expectation* FailExpectation() const;
  // warn/info/no_warn/no_info expectations (and eval_warn/eval_info): these are counted,
  // not checked.
  int AnnotationExpectations() const;
};

using Command = std::variant<LoadCmd, ClearCmd, EvalCmd>;

struct Script {
  std::vector<Command> commands;
};

// Parses a whole test file. InvalidArgument "line N: ..." when it is malformed, where test.go
// would refuse it too (the PromQL expressions themselves are not parsed here).
absl::StatusOr<Script> ParseScript(std::string_view text);

// Prometheus' text form of a label set: name{a="b", c="d"}, `{}` when empty.
std::string FormatLabelSet(const LabelSet& labels);

// Shortest text that reads back to the same double; NaN, +Inf, -Inf as Prometheus prints them.
std::string FormatFloat(double v);

}  // namespace plumbline::promqltest
