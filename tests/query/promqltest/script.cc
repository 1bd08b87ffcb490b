#include "tests/query/promqltest/script.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/duration.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "query/lexer.h"
#include "query/value.h"
#include "re2/re2.h"

namespace plumbline::promqltest {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ErrorText(const absl::Status& status) { return std::string(ToStd(status.message())); }

// Go's strconv.ParseInt(s, 0, 64): sign, then 0x/0o/0b prefixes or a leading 0 for octal;
// underscores only between digits or right after a prefix (base 0 allows them).
std::optional<int64_t> GoParseIntBase0(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int base = 10;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    s.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
    prefixed = true;
  }
  if (s.empty()) return std::nullopt;
  uint64_t value = 0;
  bool previous_is_digit = prefixed;  // "0x_1" is allowed, "_1" is not
  for (size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == '_') {
      if (!previous_is_digit || k + 1 == s.size()) return std::nullopt;
      previous_is_digit = false;
      continue;
    }
    const int d = HexDigit(c);
    if (d < 0 || d >= base) return std::nullopt;
    previous_is_digit = true;
    if (value > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                    static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
  if (negative) {
    if (value > kMinMagnitude) return std::nullopt;
    return value == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                  : -static_cast<int64_t>(value);
  }
  if (value >= kMinMagnitude) return std::nullopt;
  return static_cast<int64_t>(value);
}

// Go's strconv.ParseFloat(s, 64) for the forms the test files use: decimal with exponent,
// "Inf"/"Infinity"/"NaN" in any case with an optional sign, hexadecimal with a p exponent.
std::optional<double> GoParseFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  const std::string lower = ToLower(body);
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (body.empty()) return std::nullopt;
  // strtod takes more than Go does ("nan(...)", hex without exponent): check the shape.
  const bool hex = lower.size() > 2 && lower[0] == '0' && lower[1] == 'x';
  for (char c : lower) {
    const bool ok = IsDigit(c) || c == '.' || c == 'e' || c == '+' || c == '-' ||
                    (hex && ((c >= 'a' && c <= 'f') || c == 'x' || c == 'p'));
    if (!ok) return std::nullopt;
  }
  if (hex && lower.find('p') == std::string::npos) return std::nullopt;
  const std::string copy(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  // Go returns ±Inf with an error on overflow; strtod returns HUGE_VAL with ERANGE.
  if (errno == ERANGE && std::isinf(v)) return std::nullopt;
  return v;
}

// Reads a quoted string starting at text[*pos] (", ' or `); advances past it.
absl::StatusOr<std::string> ReadQuoted(std::string_view text, size_t* pos) {
  const char quote = text[*pos];
  size_t i = *pos + 1;
  while (i < text.size() && text[i] != quote) {
    if (text[i] == '\\' && quote != '`') ++i;
    ++i;
  }
  if (i >= text.size()) return Invalid(StrCat("unterminated quoted string in ", text));
  PL_ASSIGN_OR_RETURN(std::string value, GoUnquote(text.substr(*pos, i + 1 - *pos)));
  *pos = i + 1;
  return value;
}

// A number token of a series description, as Prometheus' lexer scans it there: decimal
// digits (no hexadecimal: "the syntax is ambiguous"), fraction, exponent; or Inf/NaN. Reads
// from text[*pos]; the value is Prometheus' parser.number(): ParseInt(s, 0) then ParseFloat.
std::optional<double> ScanSeriesNumber(std::string_view text, size_t* pos) {
  size_t i = *pos;
  if (i < text.size() && IsAlpha(text[i])) {
    size_t j = i;
    while (j < text.size() && IsAlnum(text[j])) ++j;
    const std::string word = ToLower(text.substr(i, j - i));
    // "Infx3" is one identifier to Prometheus' lexer, hence not a number.
    if (word == "inf") {
      *pos = j;
      return std::numeric_limits<double>::infinity();
    }
    if (word == "nan") {
      *pos = j;
      return std::numeric_limits<double>::quiet_NaN();
    }
    return std::nullopt;
  }
  const size_t start = i;
  while (i < text.size() && (IsDigit(text[i]) || text[i] == '_')) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && (IsDigit(text[i]) || text[i] == '_')) ++i;
  }
  if (i == start || (i == start + 1 && text[start] == '.')) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    const size_t digits = j;
    while (j < text.size() && (IsDigit(text[j]) || text[j] == '_')) ++j;
    if (j == digits) return std::nullopt;
    i = j;
  }
  // What follows must not be alphanumeric, except the `x` of a repetition.
  if (i < text.size() && IsAlnum(text[i]) && text[i] != 'x') return std::nullopt;
  const std::string_view token = text.substr(start, i - start);
  std::optional<double> value;
  if (auto n = GoParseIntBase0(token)) {
    value = static_cast<double>(*n);
  } else {
    value = GoParseFloat(token);
  }
  if (!value) return std::nullopt;
  *pos = i;
  return value;
}

// `series_value`: stale, a number, or a signed number.
std::optional<double> ScanSeriesValue(std::string_view text, size_t* pos) {
  size_t i = *pos;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const bool negative = text[i] == '-';
    ++i;
    auto v = ScanSeriesNumber(text, &i);
    if (!v) return std::nullopt;
    *pos = i;
    return negative ? -*v : *v;
  }
  if (text.substr(i, 5) == "stale" && (i + 5 == text.size() || !IsAlnum(text[i + 5]))) {
    *pos = i + 5;
    return query::StaleNaN();
  }
  return ScanSeriesNumber(text, pos);
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// One whitespace-free item of a value sequence.
absl::Status ParseSequenceItem(std::string_view item, std::vector<SequenceValue>* out) {
  constexpr uint64_t kMaxRepeat = 10'000'000;  // far more than any test file uses
  if (item == "_") {
    out->push_back({0, true});
    return absl::OkStatus();
  }
  if (StartsWith(item, "_x")) {
    auto n = ParseUint(item.substr(2));
    if (!n || *n > kMaxRepeat) return Invalid(StrCat("invalid repetition in \"", item, "\""));
    for (uint64_t k = 0; k < *n; ++k) out->push_back({0, true});
    return absl::OkStatus();
  }
  size_t pos = 0;
  auto first = ScanSeriesValue(item, &pos);
  if (!first) {
    return Invalid(
        StrCat("unexpected \"", item, "\" in series values, expected number or \"stale\""));
  }
  if (pos == item.size()) {
    out->push_back({*first, false});
    return absl::OkStatus();
  }
  double delta = 0;
  bool has_delta = false;
  if (item[pos] == '+' || item[pos] == '-') {
    const bool negative = item[pos] == '-';
    ++pos;
    auto d = ScanSeriesNumber(item, &pos);
    if (!d) return Invalid(StrCat("invalid increment in \"", item, "\""));
    delta = negative ? -*d : *d;
    has_delta = true;
  }
  if (pos >= item.size() || item[pos] != 'x') {
    return Invalid(StrCat("unexpected \"", item.substr(pos), "\" in series value \"", item,
                          "\", expected \"x<count>\""));
  }
  auto n = ParseUint(item.substr(pos + 1));
  if (!n || *n > kMaxRepeat) return Invalid(StrCat("invalid repetition in \"", item, "\""));
  double v = *first;
  for (uint64_t k = 0; k <= *n; ++k) {
    out->push_back({v, false});
    // Accumulated as Prometheus' grammar does ($1 += $2), not first + k * delta.
    if (has_delta) v += delta;
  }
  return absl::OkStatus();
}

absl::StatusOr<LabelSet> ParseLabelSetBody(std::string_view text, size_t* pos,
                                           std::string* name_from_braces) {
  // text[*pos] == '{'
  size_t i = *pos + 1;
  LabelSet labels;
  auto skip_space = [&] {
    while (i < text.size() && IsSpace(text[i])) ++i;
  };
  skip_space();
  if (i < text.size() && text[i] == '}') {
    *pos = i + 1;
    return labels;
  }
  while (true) {
    skip_space();
    if (i >= text.size()) return Invalid("unterminated label set");
    std::string name;
    bool quoted = false;
    if (text[i] == '"' || text[i] == '\'' || text[i] == '`') {
      PL_ASSIGN_OR_RETURN(name, ReadQuoted(text, &i));
      quoted = true;
    } else if (IsAlpha(text[i])) {
      const size_t start = i;
      while (i < text.size() && IsAlnum(text[i])) ++i;
      name = std::string(text.substr(start, i - start));
    } else {
      return Invalid(StrCat("unexpected character '", std::string(1, text[i]),
                            "' in label set, expected a label name"));
    }
    skip_space();
    if (i < text.size() && text[i] == '=') {
      ++i;
      if (i < text.size() && (text[i] == '~' || text[i] == '=')) {
        return Invalid("only = is allowed in a series description");
      }
      skip_space();
      if (i >= text.size() || (text[i] != '"' && text[i] != '\'' && text[i] != '`')) {
        return Invalid(StrCat("expected a quoted label value for label \"", name, "\""));
      }
      PL_ASSIGN_OR_RETURN(std::string value, ReadQuoted(text, &i));
      labels.emplace_back(std::move(name), std::move(value));
    } else if (quoted) {
      // {"metric.name", ...}: a quoted metric name.
      if (!name_from_braces->empty()) return Invalid("metric name given twice");
      *name_from_braces = std::move(name);
    } else {
      return Invalid(StrCat("expected = after label name \"", name, "\""));
    }
    skip_space();
    if (i >= text.size()) return Invalid("unterminated label set");
    if (text[i] == ',') {
      ++i;
      skip_space();
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      continue;
    }
    if (text[i] == '}') {
      ++i;
      break;
    }
    return Invalid(StrCat("unexpected character '", std::string(1, text[i]), "' in label set"));
  }
  *pos = i;
  return labels;
}

// Sorts by name and refuses duplicates; drops empty values (they mean "absent").
absl::StatusOr<LabelSet> Canonical(LabelSet labels) {
  std::sort(labels.begin(), labels.end());
  for (size_t k = 1; k < labels.size(); ++k) {
    if (labels[k].first == labels[k - 1].first) {
      return Invalid(StrCat("duplicate label name \"", labels[k].first, "\""));
    }
  }
  labels.erase(
      std::remove_if(labels.begin(), labels.end(), [](const auto& l) { return l.second.empty(); }),
      labels.end());
  return labels;
}

// test.go's patterns, unchanged (Go's regexp and RE2 share syntax and leftmost-first
// submatch semantics).
const RE2& PatLoad() {
  static const RE2 re(R"(^load(?:_(with_nhcb))?\s+(.+?)$)");
  return re;
}
const RE2& PatEvalInstant() {
  static const RE2 re(R"(^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$)");
  return re;
}
const RE2& PatEvalRange() {
  static const RE2 re(
      R"(^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$)");
  return re;
}
const RE2& PatExpect() {
  static const RE2 re(
      R"(^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$)");
  return re;
}
const RE2& PatExpectRange() {
  static const RE2 re(R"(^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$)");
  return re;
}

constexpr std::string_view kRangeVectorPrefix = "expect range vector";
constexpr std::string_view kExpectStringPrefix = "expect string";
constexpr std::string_view kMatchAny = "^.*$";

absl::Status LineError(size_t index, const std::string& message) {
  return Invalid(StrCat("line ", index + 1, ": ", message));
}

// getLines: trimmed, comments blanked.
std::vector<std::string> GetLines(std::string_view input) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    const size_t nl = input.find('\n', start);
    std::string_view line = TrimSpace(
        input.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (StartsWith(line, "#")) line = {};
    lines.emplace_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

absl::StatusOr<std::string> ParseAsStringLiteral(std::string_view line) {
  if (line == kExpectStringPrefix) {
    return Invalid("expected string literal not valid - a quoted string literal is required");
  }
  std::string_view str = line;
  if (StartsWith(str, StrCat(kExpectStringPrefix, " "))) {
    str.remove_prefix(kExpectStringPrefix.size() + 1);
  }
  if (str.empty()) {
    return Invalid("expected string literal not valid - a quoted string literal is required");
  }
  auto unquoted = GoUnquote(str);
  if (!unquoted.ok()) {
    return Invalid("expected string literal not valid - check that the string is correctly quoted");
  }
  return *unquoted;
}

absl::StatusOr<Expectation> ParseExpect(std::string_view def_line) {
  std::string mode, match_type, rest;
  if (!RE2::FullMatch(std::string(TrimSpace(def_line)), PatExpect(), &mode, &match_type, &rest)) {
    return Invalid(
        "invalid expect statement, must match `expect <type> <match_type>: <string>` format");
  }
  Expectation e;
  if (mode == "fail") {
    e.kind = ExpectKind::kFail;
  } else if (mode == "ordered") {
    e.kind = ExpectKind::kOrdered;
  } else if (mode == "warn") {
    e.kind = ExpectKind::kWarn;
  } else if (mode == "no_warn") {
    e.kind = ExpectKind::kNoWarn;
  } else if (mode == "info") {
    e.kind = ExpectKind::kInfo;
  } else {
    e.kind = ExpectKind::kNoInfo;
  }
  if (match_type == "msg") {
    e.message = std::string(TrimSpace(rest));
  } else if (match_type == "regex") {
    e.regex = std::string(TrimSpace(rest));
    RE2 re(e.regex, RE2::Quiet);
    if (!re.ok()) return Invalid(StrCat("invalid regex ", e.regex, " for ", mode));
  } else {
    e.regex = std::string(kMatchAny);
  }
  return e;
}

absl::Status ValidateExpectations(const EvalCmd& cmd) {
  int counts[6] = {0, 0, 0, 0, 0, 0};
  for (const Expectation& e : cmd.expectations) ++counts[static_cast<int>(e.kind)];
  if (counts[static_cast<int>(ExpectKind::kInfo)] > 0 &&
      counts[static_cast<int>(ExpectKind::kNoInfo)] > 0) {
    return Invalid("invalid expect lines, info and no_info cannot be used together");
  }
  if (counts[static_cast<int>(ExpectKind::kWarn)] > 0 &&
      counts[static_cast<int>(ExpectKind::kNoWarn)] > 0) {
    return Invalid("invalid expect lines, warn and no_warn cannot be used together");
  }
  if (counts[static_cast<int>(ExpectKind::kFail)] > 1) {
    return Invalid("invalid expect lines, multiple expect fail lines are not allowed");
  }
  return absl::OkStatus();
}

struct Durations {
  int64_t from = 0;
  int64_t to = 0;
  int64_t step = 0;
};

absl::StatusOr<Durations> ParseDurations(std::string_view from, std::string_view to,
                                         std::string_view step) {
  Durations d;
  auto f = ParseDuration(from);
  if (!f.ok()) {
    return Invalid(
        StrCat("invalid start timestamp definition \"", from, "\": ", ErrorText(f.status())));
  }
  auto t = ParseDuration(to);
  if (!t.ok()) {
    return Invalid(
        StrCat("invalid end timestamp definition \"", to, "\": ", ErrorText(t.status())));
  }
  if (*t < *f) {
    return Invalid(StrCat("invalid test definition, end timestamp (", to,
                          ") is before start timestamp (", from, ")"));
  }
  auto s = ParseDuration(step);
  if (!s.ok()) {
    return Invalid(StrCat("invalid step definition \"", step, "\": ", ErrorText(s.status())));
  }
  d.from = *f;
  d.to = *t;
  d.step = *s;
  return d;
}

absl::StatusOr<LoadCmd> ParseLoad(const std::vector<std::string>& lines, size_t* i) {
  std::string nhcb, step;
  if (!RE2::FullMatch(lines[*i], PatLoad(), &nhcb, &step)) {
    return LineError(*i, "invalid load command. (load[_with_nhcb] <step:duration>)");
  }
  auto gap = ParseDuration(step);
  if (!gap.ok()) {
    return LineError(*i,
                     StrCat("invalid step definition \"", step, "\": ", ErrorText(gap.status())));
  }
  LoadCmd cmd;
  cmd.line = static_cast<int>(*i) + 1;
  cmd.interval_ms = *gap;
  cmd.with_nhcb = nhcb == "with_nhcb";
  std::map<LabelSet, size_t> index;
  while (*i + 1 < lines.size()) {
    ++*i;
    const std::string& def_line = lines[*i];
    if (def_line.empty()) {
      --*i;
      break;
    }
    auto series = ParseSeriesDesc(def_line);
    if (!series.ok()) return LineError(*i, ErrorText(series.status()));
    auto [it, inserted] = index.emplace(series->labels, cmd.series.size());
    if (inserted) {
      cmd.series.push_back(*std::move(series));
    } else {
      cmd.series[it->second] = *std::move(series);
    }
  }
  return cmd;
}

absl::StatusOr<EvalCmd> ParseEval(const std::vector<std::string>& lines, size_t* i) {
  const std::string& header = lines[*i];
  std::string mod, at, expr, from, to, step;
  const bool is_instant = RE2::FullMatch(header, PatEvalInstant(), &mod, &at, &expr);
  if (!is_instant && !RE2::FullMatch(header, PatEvalRange(), &mod, &from, &to, &step, &expr)) {
    return LineError(*i,
                     "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] "
                     "instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from "
                     "<from> to <to> step <step> <query>'");
  }
  const int line_number = static_cast<int>(*i) + 1;
  auto format_err = [&](const std::string& message) {
    return LineError(*i, StrCat("error in eval ", expr, " (line ", line_number, "): ", message));
  };

  EvalCmd cmd;
  cmd.line = line_number;
  cmd.expr = expr;
  if (is_instant) {
    auto offset = ParseDuration(at);
    if (!offset.ok()) {
      return format_err(
          StrCat("invalid timestamp definition \"", at, "\": ", ErrorText(offset.status())));
    }
    cmd.start_ms = *offset;
    cmd.eval_ms = *offset;
  } else {
    auto d = ParseDurations(from, to, step);
    if (!d.ok()) return format_err(ErrorText(d.status()));
    cmd.is_range = true;
    cmd.start_ms = d->from;
    cmd.end_ms = d->to;
    cmd.step_ms = d->step;
    cmd.has_end = true;
  }
  if (mod == "ordered") {
    cmd.ordered = true;
  } else if (mod == "fail") {
    cmd.fail = true;
  } else if (mod == "warn") {
    cmd.warn = true;
  } else if (mod == "info") {
    cmd.info = true;
  }

  bool expect_range_vector = false;
  for (int j = 1; *i + 1 < lines.size(); ++j) {
    ++*i;
    const std::string& def_line = lines[*i];
    if (def_line.empty()) {
      --*i;
      break;
    }
    if (cmd.fail && StartsWith(def_line, "expected_fail_message")) {
      cmd.expected_fail_message = std::string(
          TrimSpace(std::string_view(def_line).substr(std::strlen("expected_fail_message"))));
      break;
    }
    if (cmd.fail && StartsWith(def_line, "expected_fail_regexp")) {
      std::string pattern(
          TrimSpace(std::string_view(def_line).substr(std::strlen("expected_fail_regexp"))));
      RE2 re(pattern, RE2::Quiet);
      if (!re.ok()) {
        return format_err(
            StrCat("invalid regexp '", pattern, "' for expected_fail_regexp: ", re.error()));
      }
      cmd.expected_fail_regexp = std::move(pattern);
      break;
    }
    if (StartsWith(def_line, kRangeVectorPrefix)) {
      std::string rfrom, rto, rstep;
      if (!RE2::FullMatch(def_line, PatExpectRange(), &rfrom, &rto, &rstep)) {
        return format_err(StrCat("invalid range vector definition \"", def_line, "\""));
      }
      auto d = ParseDurations(rfrom, rto, rstep);
      if (!d.ok()) return format_err(ErrorText(d.status()));
      expect_range_vector = true;
      cmd.start_ms = d->from;
      cmd.end_ms = d->to;
      cmd.step_ms = d->step;
      cmd.has_end = true;
      cmd.eval_ms = d->to;
      cmd.exclude_from_range_query = true;
      continue;
    }
    if (StartsWith(def_line, kExpectStringPrefix)) {
      auto s = ParseAsStringLiteral(def_line);
      if (!s.ok()) return format_err(ErrorText(s.status()));
      cmd.expected_string = *std::move(s);
      cmd.exclude_from_range_query = true;
      continue;
    }
    // As test.go: a metric named `expect` has to be written `expect{}`.
    if (def_line.substr(0, def_line.find(' ')) == "expect") {
      auto e = ParseExpect(def_line);
      if (!e.ok()) return format_err(ErrorText(e.status()));
      cmd.expectations.push_back(*std::move(e));
      --j;
      if (absl::Status valid = ValidateExpectations(cmd); !valid.ok()) {
        return format_err(ErrorText(valid));
      }
      continue;
    }
    if (auto f = ParseNumber(def_line); f.ok()) {
      cmd.expect_scalar = true;
      cmd.scalar = {*f, false};
      break;
    }
    auto series = ParseSeriesDesc(def_line);
    if (!series.ok()) return LineError(*i, ErrorText(series.status()));
    if (series->native_histogram) cmd.expects_native_histogram = true;
    if (series->values.size() > 1 && is_instant && !expect_range_vector) {
      return format_err(
          "expecting multiple values in instant evaluation not allowed. consider using 'expect "
          "range vector' directive to enable a range vector result for an instant query");
    }
    cmd.expect_scalar = false;
    cmd.expected[series->labels] = ExpectedSeries{j, std::move(series->values)};
  }
  return cmd;
}

}  // namespace

absl::StatusOr<double> ParseNumber(std::string_view text) {
  if (auto n = GoParseIntBase0(text)) return static_cast<double>(*n);
  if (auto f = GoParseFloat(text)) return *f;
  return Invalid(StrCat("error parsing number: \"", text, "\""));
}

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid("empty duration string");
  return plumbline::ParseDurationMs(text);
}

absl::StatusOr<std::string> GoUnquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != quoted.back()) {
    return Invalid("invalid syntax: not a quoted string");
  }
  // PromQL's lexer checks the escapes exactly as Go does; the quoted text must be one string
  // token and nothing else.
  query::Lexer lexer(quoted);
  query::Token token = lexer.Next();
  if (token.type != query::TokenType::kString || token.val.size() != quoted.size() ||
      lexer.Next().type != query::TokenType::kEOF) {
    return Invalid(token.type == query::TokenType::kError ? "invalid syntax: " + token.val
                                                          : "invalid syntax");
  }
  std::string out = query::UnquoteString(token.val);
  if (quoted.front() == '`') std::erase(out, '\r');  // Go drops CR from raw strings
  if (quoted.front() == '\'') {
    // A Go rune literal: exactly one character.
    size_t runes = 0;
    for (unsigned char c : out) runes += (c & 0xC0) != 0x80 ? 1 : 0;
    if (runes != 1) return Invalid("invalid syntax: not one character");
  }
  return out;
}

absl::StatusOr<std::vector<SequenceValue>> ParseSequence(std::string_view text) {
  std::vector<SequenceValue> values;
  size_t i = 0;
  // `{{...}}` at text[*pos]: advances past the closing braces.
  auto skip_histogram = [&](size_t* pos) -> absl::Status {
    const size_t close = text.find("}}", *pos + 2);
    if (close == std::string_view::npos) {
      return Invalid(StrCat("unterminated native histogram in \"", text, "\""));
    }
    *pos = close + 2;
    return absl::OkStatus();
  };
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    if (text.substr(i, 2) == "{{") {
      // {{h}}, {{h}}xN, {{h}}+{{h}}xN, {{h}}-{{h}}xN: native histograms, not decoded.
      PL_RETURN_IF_ERROR(skip_histogram(&i));
      uint64_t count = 1;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        ++i;
        if (text.substr(i, 2) != "{{") return Invalid("expected a histogram after + or -");
        PL_RETURN_IF_ERROR(skip_histogram(&i));
        if (i >= text.size() || text[i] != 'x')
          return Invalid("expected x<count> after histograms");
      }
      if (i < text.size() && text[i] == 'x') {
        size_t j = i + 1;
        while (j < text.size() && !IsSpace(text[j])) ++j;
        auto n = ParseUint(text.substr(i + 1, j - i - 1));
        if (!n || *n >= 10'000'000) return Invalid("invalid histogram repetition");
        count = *n + 1;
        i = j;
      }
      if (i < text.size() && !IsSpace(text[i])) {
        return Invalid(StrCat("unexpected \"", text.substr(i), "\" after a native histogram"));
      }
      for (uint64_t k = 0; k < count; ++k) values.push_back({0, false, true});
      continue;
    }
    size_t j = i;
    while (j < text.size() && !IsSpace(text[j])) ++j;
    PL_RETURN_IF_ERROR(ParseSequenceItem(text.substr(i, j - i), &values));
    i = j;
  }
  return values;
}

absl::StatusOr<SeriesDesc> ParseSeriesDesc(std::string_view line) {
  line = TrimSpace(line);
  size_t i = 0;
  std::string name;
  if (i < line.size() && (IsAlpha(line[i]) || line[i] == ':')) {
    const size_t start = i;
    while (i < line.size() && (IsAlnum(line[i]) || line[i] == ':')) ++i;
    name = std::string(line.substr(start, i - start));
  }
  // A label set follows the name directly or after blanks; `{{` starts a native histogram
  // value instead.
  size_t brace = i;
  while (brace < line.size() && IsSpace(line[brace])) ++brace;
  const bool has_labels = brace < line.size() && line[brace] == '{' &&
                          (brace + 1 >= line.size() || line[brace + 1] != '{');
  if (!has_labels && name.empty()) {
    return Invalid(StrCat("invalid series description \"", line, "\": expected a metric"));
  }
  LabelSet labels;
  if (has_labels) {
    i = brace;
    std::string quoted_name;
    PL_ASSIGN_OR_RETURN(labels, ParseLabelSetBody(line, &i, &quoted_name));
    if (!quoted_name.empty()) {
      if (!name.empty()) return Invalid("metric name given twice");
      name = std::move(quoted_name);
    }
  }
  if (!name.empty()) {
    for (const auto& l : labels) {
      if (l.first == "__name__") return Invalid("metric name given twice");
    }
    labels.emplace_back("__name__", std::move(name));
  }
  if (i < line.size() && !IsSpace(line[i])) {
    return Invalid(
        StrCat("unexpected \"", line.substr(i), "\" after the metric in \"", line, "\""));
  }
  SeriesDesc desc;
  PL_ASSIGN_OR_RETURN(desc.labels, Canonical(std::move(labels)));
  PL_ASSIGN_OR_RETURN(desc.values, ParseSequence(line.substr(i)));
  desc.native_histogram = std::any_of(desc.values.begin(), desc.values.end(),
                                      [](const SequenceValue& v) { return v.histogram; });
  return desc;
}

bool GoRegexMatch(const std::string& pattern, std::string_view text) {
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) return false;
  std::string valid;
  valid.reserve(text.size());
  for (size_t k = 0; k < text.size();) {
    const auto c = static_cast<unsigned char>(text[k]);
    const size_t n = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
    bool ok = n > 0 && k + n <= text.size() && !(n == 2 && c < 0xC2);
    for (size_t d = 1; ok && d < n; ++d) {
      ok = (static_cast<unsigned char>(text[k + d]) & 0xC0) == 0x80;
    }
    if (ok) {
      valid.append(text.substr(k, n));
      k += n;
    } else {
      valid.append("\xEF\xBF\xBD");  // U+FFFD
      ++k;
    }
  }
  return RE2::PartialMatch(valid, re);
}

bool Expectation::Matches(std::string_view text) const {
  if (message.has_value()) return *message == text;
  return GoRegexMatch(regex, text);
}

std::string Expectation::Describe() const {
  if (message.has_value()) return StrCat("message \"", *message, "\"");
  return StrCat("pattern \"", regex, "\"");
}

bool EvalCmd::IsOrdered() const {
  if (ordered) return true;
  return std::any_of(expectations.begin(), expectations.end(),
                     [](const Expectation& e) { return e.kind == ExpectKind::kOrdered; });
}

bool EvalCmd::IsFail() const { return fail || FailExpectation() != nullptr; }

const Expectation* EvalCmd::FailExpectation() const {
  for (const Expectation& e : expectations) {
    if (e.kind == ExpectKind::kFail) return &e;
  }
  return nullptr;
}

int EvalCmd::AnnotationExpectations() const {
  int n = (warn ? 1 : 0) + (info ? 1 : 0);
  for (const Expectation& e : expectations) {
    if (e.kind != ExpectKind::kFail && e.kind != ExpectKind::kOrdered) ++n;
  }
  return n;
}

absl::StatusOr<Script> ParseScript(std::string_view text) {
  const std::vector<std::string> lines = GetLines(text);
  Script script;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty()) continue;
    // patSpace.Split(l, 2)[0]; the line is trimmed already.
    const std::string_view word = std::string_view(l).substr(0, l.find_first_of(" \t"));
    const std::string c = ToLower(word);
    if (c == "clear") {
      script.commands.emplace_back(ClearCmd{static_cast<int>(i) + 1});
    } else if (StartsWith(c, "load")) {
      PL_ASSIGN_OR_RETURN(LoadCmd load, ParseLoad(lines, &i));
      script.commands.emplace_back(std::move(load));
    } else if (StartsWith(c, "eval")) {
      PL_ASSIGN_OR_RETURN(EvalCmd eval, ParseEval(lines, &i));
      script.commands.emplace_back(std::move(eval));
    } else {
      return LineError(i, StrCat("invalid command \"", l, "\""));
    }
  }
  return script;
}

namespace {

// Go's strconv.Quote, close enough for messages: escapes quotes, backslashes and control
// bytes, and bytes of invalid UTF-8 as \x..; keeps valid UTF-8 as is.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t k = 0; k < s.size(); ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\r':
        out += "\\r";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += StrCat("\\x", std::string(1, "0123456789abcdef"[c >> 4]),
                    std::string(1, "0123456789abcdef"[c & 15]));
      continue;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    // A multi-byte sequence: copy when well formed, else escape this byte.
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n > 0 && k + n <= s.size();
    for (size_t d = 1; ok && d < n; ++d) {
      ok = (static_cast<unsigned char>(s[k + d]) & 0xC0) == 0x80;
    }
    if (ok) {
      out.append(s.substr(k, n));
      k += n - 1;
    } else {
      out += StrCat("\\x", std::string(1, "0123456789abcdef"[c >> 4]),
                    std::string(1, "0123456789abcdef"[c & 15]));
    }
  }
  out += "\"";
  return out;
}

}  // namespace

std::string FormatLabelSet(const LabelSet& labels) {
  std::string name;
  std::string out;
  for (const auto& [n, v] : labels) {
    if (n == "__name__") {
      name = v;
      continue;
    }
    StrAppend(&out, out.empty() ? "" : ", ", n, "=", GoQuote(v));
  }
  return StrCat(name, "{", out, "}");
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return query::IsStaleNaN(v) ? "stale" : "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest digits that read back, laid out as Go's %v does: exponent form when the
  // exponent is below -4 or at least 21.
  char buf[64];
  int precision = 1;
  for (; precision < 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::snprintf(buf, sizeof(buf), "%.*e", precision - 1, v);
  const int exponent = std::atoi(std::strchr(buf, 'e') + 1);
  if (exponent < -4 || exponent >= 21) return buf;
  std::snprintf(buf, sizeof(buf), "%.*f", std::max(0, precision - 1 - exponent), v);
  return buf;
}

}  // namespace plumbline::promqltest
