#include "query/api.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "query/api_error.h"
#include "query/json_format.h"
#include "query/parser.h"
#include "storage/engine.h"

namespace plumbline::query {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerSecond = 1'000'000'000;
// For safety Prometheus limits a range query to this many points per series.
constexpr int64_t kMaxPointsPerSeries = 11'000;
// Float seconds beyond this are no time (their milliseconds overflow int64).
constexpr double kMaxFloatSeconds = 9.2e15;
// The storage engine numbers days in 32 bits; open ranges are clamped to what it can key.
constexpr int64_t kStorageMaxMs = ((int64_t{1} << 31) - 2) * storage::kDayMs;
// client_golang sends these for "from the beginning" and "to the end" (Go's RFC 3339 of
// Prometheus' MinTime and MaxTime, with years Go's own parser cannot read).
constexpr std::string_view kMinTimeFormatted = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";
constexpr std::string_view kTruncated = "results truncated due to limit";

// ---- Go's parsing, as Prometheus' parameters go through it --------------------------------

// Go's strconv.Quote, enough for echoing parameters: printable text kept; control bytes,
// invalid UTF-8 (\xff) and the line separators escaped.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s.substr(i));
      if (len == 0) {
        out += absl::StrFormat("\\x%02x", c);
        ++i;
      } else if (len == 3 && s.substr(i, 2) == "\xe2\x80" &&
                 (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
        out += s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
        i += 3;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Go's strconv.ParseFloat(s, 64) == nil: decimal or hexadecimal (0x1p-2) floats, "Inf",
// "+Infinity", "NaN" in any case; no spaces; out of range is an error.
bool GoParseFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (absl::EqualsIgnoreCase(ToAbsl(body), "inf") ||
      absl::EqualsIgnoreCase(ToAbsl(body), "infinity")) {
    *out = negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
    return true;
  }
  if (body.size() == s.size() && absl::EqualsIgnoreCase(ToAbsl(s), "nan")) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  const bool hex = body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  size_t i = hex ? 2 : 0;
  bool digits = false, point = false;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '.' && !point) {
      point = true;
    } else if (hex ? absl::ascii_isxdigit(static_cast<unsigned char>(c)) : IsDigit(c)) {
      digits = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  if (i < body.size()) {
    const char e = absl::ascii_tolower(static_cast<unsigned char>(body[i]));
    if (e != (hex ? 'p' : 'e')) return false;
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    if (i == body.size()) return false;
    for (; i < body.size(); ++i) {
      if (!IsDigit(body[i])) return false;
    }
  } else if (hex) {
    return false;  // "hexadecimal mantissa requires a 'p' exponent"
  }
  const std::string text(s);
  const double v = std::strtod(text.c_str(), nullptr);
  if (std::isinf(v)) return false;  // out of range
  *out = v;
  return true;
}

int DaysIn(int month, int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : kDays[month - 1];
}

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Go's RFC 3339 reader (time.Parse(time.RFC3339Nano, s) for well-formed input):
// 2006-01-02T15:04:05[.999999999](Z|+07:00), the fraction truncated to nanoseconds.
bool ParseRfc3339Ms(std::string_view s, int64_t* ms) {
  constexpr size_t kDateTime = 19;  // "2006-01-02T15:04:05"
  if (s.size() < kDateTime) return false;
  bool ok = true;
  const auto number = [&](std::string_view digits, int lo, int hi) {
    int x = 0;
    for (char c : digits) {
      if (!IsDigit(c)) {
        ok = false;
        return lo;
      }
      x = x * 10 + (c - '0');
    }
    if (x < lo || x > hi) {
      ok = false;
      return lo;
    }
    return x;
  };
  const int year = number(s.substr(0, 4), 0, 9999);
  const int month = number(s.substr(5, 2), 1, 12);
  const int day = number(s.substr(8, 2), 1, DaysIn(month, year));
  const int hour = number(s.substr(11, 2), 0, 23);
  const int minute = number(s.substr(14, 2), 0, 59);
  const int second = number(s.substr(17, 2), 0, 59);
  if (!ok || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return false;
  }
  s.remove_prefix(kDateTime);
  int64_t nanos = 0;
  if (s.size() >= 2 && s[0] == '.' && IsDigit(s[1])) {
    size_t n = 1;
    while (n < s.size() && IsDigit(s[n])) ++n;
    int64_t scale = kNsPerSecond;
    for (size_t i = 1; i < n && i <= 9; ++i) {
      scale /= 10;
      nanos += (s[i] - '0') * scale;
    }
    s.remove_prefix(n);
  }
  int64_t offset_seconds = 0;
  if (s != "Z") {
    if (s.size() != 6) return false;
    const int oh = number(s.substr(1, 2), 0, 23);
    const int om = number(s.substr(4, 2), 0, 59);
    if (!ok || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
    offset_seconds = (oh * 60 + om) * 60 * (s[0] == '-' ? -1 : 1);
  }
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  *ms = seconds * 1000 + nanos / kNsPerMs;
  return true;
}

// Go's strconv.Atoi, with its error text.
absl::StatusOr<int64_t> GoAtoi(std::string_view s) {
  const auto fail = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("strconv.Atoi: parsing ", GoQuote(s), ": ", why));
  };
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return fail("invalid syntax");
  uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : digits) {
    if (!IsDigit(c)) return fail("invalid syntax");
    if (magnitude > (std::numeric_limits<uint64_t>::max() - 9) / 10) overflow = true;
    if (!overflow) magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (overflow || magnitude > limit) return fail("value out of range");
  return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

// ---- Request helpers ----------------------------------------------------------------------

// r.FormValue: the first value, or "".
std::string_view FormValue(const ApiParams& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return {};
}

// r.Form[name]: every value.
std::vector<std::string_view> FormValues(const ApiParams& params, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [n, v] : params) {
    if (n == name) values.push_back(v);
  }
  return values;
}

ApiResponse Error(ApiErrorType type, std::string_view message) {
  return ApiResponse{ApiErrorHttpStatus(type), ApiErrorJson(type, message)};
}

ApiResponse InvalidParam(std::string_view parameter, std::string_view message) {
  return Error(ApiErrorType::kBadData,
               StrCat("invalid parameter ", GoQuote(parameter), ": ", message));
}

ApiResponse StatusError(const absl::Status& status) {
  return Error(ApiErrorTypeForStatus(status), ToStd(status.message()));
}

// parseLimitParam: 0 (no limit) when absent.
absl::StatusOr<int64_t> ParseLimit(std::string_view text) {
  if (text.empty()) return 0;
  PL_ASSIGN_OR_RETURN(const int64_t limit, GoAtoi(text));
  if (limit < 0) return absl::InvalidArgumentError("limit must be non-negative");
  return limit;
}

// parseTimeParam: `fallback` when absent; otherwise wrapped as Prometheus 3 wraps it.
absl::StatusOr<int64_t> TimeParam(const ApiParams& params, std::string_view name,
                                  int64_t fallback) {
  const std::string_view text = FormValue(params, name);
  if (text.empty()) return fallback;
  absl::StatusOr<int64_t> t = ParseApiTimeMs(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        StrCat("invalid time value for '", name, "': ", ToStd(t.status().message())));
  }
  return t;
}

std::string Message(const absl::Status& status) { return std::string(ToStd(status.message())); }

// The per-query options a request asks for; `timeout_ns` is the request's own timeout
// (INT64_MAX when none). An error response when a parameter is bad.
struct RequestOptions {
  QueryOptions query;
  int64_t timeout_ns = std::numeric_limits<int64_t>::max();
};

std::variant<RequestOptions, ApiResponse> ReadQueryOptions(const ApiParams& params,
                                                           const QueryOptions& defaults) {
  RequestOptions options{defaults};
  if (std::string_view to = FormValue(params, "timeout"); !to.empty()) {
    absl::StatusOr<int64_t> timeout = ParseApiDurationNs(to);
    if (!timeout.ok()) return InvalidParam("timeout", Message(timeout.status()));
    options.timeout_ns = *timeout;
    if (*timeout >= kNsPerMs) {
      options.query.timeout_ms = std::min(options.query.timeout_ms, *timeout / kNsPerMs);
    }
  }
  if (std::string_view lookback = FormValue(params, "lookback_delta"); !lookback.empty()) {
    absl::StatusOr<int64_t> delta = ParseApiDurationNs(lookback);
    if (!delta.ok()) {
      return Error(ApiErrorType::kBadData,
                   StrCat("error parsing lookback delta duration: ", Message(delta.status())));
    }
    // Zero or negative keeps the default, as in Prometheus.
    if (*delta / kNsPerMs > 0) options.query.lookback_delta_ms = *delta / kNsPerMs;
  }
  return options;
}

// Prometheus' order of a matrix result: by labels, byte-wise.
void SortMatrix(Matrix* matrix) {
  if (matrix->size() < 2) return;
  std::vector<std::pair<std::vector<const storage::Label*>, size_t>> keys;
  keys.reserve(matrix->size());
  for (size_t i = 0; i < matrix->size(); ++i) {
    keys.emplace_back(ByteOrderedLabels((*matrix)[i].metric), i);
  }
  const bool sorted = std::is_sorted(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return CompareOrderedLabels(a.first, b.first) < 0;
  });
  if (sorted) return;
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return CompareOrderedLabels(a.first, b.first) < 0;
  });
  Matrix out;
  out.reserve(matrix->size());
  for (const auto& key : keys) out.push_back(std::move((*matrix)[key.second]));
  *matrix = std::move(out);
}

// truncateResults: the first `limit` series of a vector or matrix.
void Truncate(int64_t limit, QueryResult* result) {
  if (limit <= 0) return;
  const auto cut = [&](auto& series) {
    if (series.size() <= static_cast<size_t>(limit)) return;
    series.resize(static_cast<size_t>(limit));
    result->warnings.emplace_back(kTruncated);
  };
  if (auto* vector = std::get_if<Vector>(&result->value)) cut(*vector);
  if (auto* matrix = std::get_if<Matrix>(&result->value)) cut(*matrix);
}

ApiResponse QuerySuccess(absl::StatusOr<QueryResult> result, int64_t limit) {
  if (!result.ok()) return StatusError(result.status());
  if (auto* matrix = std::get_if<Matrix>(&result->value)) SortMatrix(matrix);
  Truncate(limit, &*result);
  return ApiResponse{200, QueryResultJson(*result)};
}

// A timeout under a millisecond has expired before evaluation starts (in Prometheus the
// query's setup alone takes longer).
ApiResponse Expired() {
  return Error(ApiErrorType::kTimeout, "query timed out in expression evaluation");
}

// parseMatchersParam: every selector parsed first, then each must have a matcher that does
// not match the empty string.
absl::StatusOr<std::vector<std::vector<storage::LabelMatcher>>> ParseMatchers(
    const std::vector<std::string_view>& selectors) {
  constexpr std::string_view kAllEmpty = "match[] must contain at least one non-empty matcher";
  std::vector<std::vector<storage::LabelMatcher>> sets;
  bool all_empty = false;  // the parser may refuse such a selector itself: told of last
  for (std::string_view selector : selectors) {
    absl::StatusOr<std::vector<storage::LabelMatcher>> matchers = ParseMetricSelector(selector);
    if (!matchers.ok()) {
      if (matchers.status().message() == ToAbsl(kAllEmpty)) {
        all_empty = true;
        continue;
      }
      return absl::InvalidArgumentError(Message(matchers.status()));
    }
    sets.push_back(*std::move(matchers));
  }
  if (all_empty) return absl::InvalidArgumentError(ToAbsl(kAllEmpty));
  for (const auto& set : sets) {
    if (std::none_of(set.begin(), set.end(),
                     [](const storage::LabelMatcher& m) { return !m.MatchesEmpty(); })) {
      return absl::InvalidArgumentError(ToAbsl(kAllEmpty));
    }
  }
  return sets;
}

int64_t ClampToStorage(int64_t t_ms) { return std::clamp(t_ms, -kStorageMaxMs, kStorageMaxMs); }

// {"status":"success","data":["a","b"]} with a truncation warning past `limit`.
ApiResponse StringList(std::vector<std::string> items, int64_t limit) {
  std::vector<std::string> warnings;
  if (limit > 0 && items.size() > static_cast<size_t>(limit)) {
    items.resize(static_cast<size_t>(limit));
    warnings.emplace_back(kTruncated);
  }
  std::string body;
  AppendSuccessBegin(&body);
  body.push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body.push_back(',');
    AppendJsonString(items[i], &body);
  }
  body.push_back(']');
  AppendSuccessEnd(warnings, &body);
  return ApiResponse{200, std::move(body)};
}

bool HasSelector(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      return false;
    case ExprKind::kVectorSelector:
    case ExprKind::kMatrixSelector:
      return true;
    case ExprKind::kSubquery:
      return HasSelector(*e.As<SubqueryExpr>().expr);
    case ExprKind::kParen:
      return HasSelector(*e.As<ParenExpr>().expr);
    case ExprKind::kUnary:
      return HasSelector(*e.As<UnaryExpr>().expr);
    case ExprKind::kBinary:
      return HasSelector(*e.As<BinaryExpr>().lhs) || HasSelector(*e.As<BinaryExpr>().rhs);
    case ExprKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      return HasSelector(*a.expr) || (a.param != nullptr && HasSelector(*a.param));
    }
    case ExprKind::kCall:
      for (const ExprPtr& arg : e.As<Call>().args) {
        if (HasSelector(*arg)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

absl::StatusOr<int64_t> ParseApiTimeMs(std::string_view text) {
  double seconds = 0;
  if (GoParseFloat(text, &seconds) && std::isfinite(seconds) &&
      std::fabs(seconds) < kMaxFloatSeconds) {
    // As Prometheus: whole seconds, and the fraction rounded to the millisecond.
    double whole = 0;
    double fraction = std::modf(seconds, &whole);
    fraction = std::round(fraction * 1000) / 1000;
    int64_t sec = static_cast<int64_t>(whole);
    int64_t nsec = static_cast<int64_t>(fraction * 1e9);
    if (nsec < 0 || nsec >= kNsPerSecond) {  // Go's time.Unix normalisation
      sec += nsec / kNsPerSecond;
      nsec %= kNsPerSecond;
      if (nsec < 0) {
        nsec += kNsPerSecond;
        --sec;
      }
    }
    return sec * 1000 + nsec / kNsPerMs;
  }
  int64_t ms = 0;
  if (ParseRfc3339Ms(text, &ms)) return ms;
  if (text == kMinTimeFormatted) return kApiMinTimeMs;
  if (text == kMaxTimeFormatted) return kApiMaxTimeMs;
  return absl::InvalidArgumentError(
      StrCat("cannot parse ", GoQuote(text), " to a valid timestamp"));
}

absl::StatusOr<int64_t> ParseApiDurationNs(std::string_view text) {
  double seconds = 0;
  if (GoParseFloat(text, &seconds)) {
    const double ns = seconds * 1e9;
    constexpr double kTwo63 = 9223372036854775808.0;
    if (ns > kTwo63 || ns < -kTwo63) {
      return absl::InvalidArgumentError(
          StrCat("cannot parse ", GoQuote(text), " to a valid duration. It overflows int64"));
    }
    // Go converts NaN and exactly 2^63 to the smallest int64 on amd64.
    if (std::isnan(ns) || ns >= kTwo63) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(ns);
  }
  absl::StatusOr<int64_t> ms = ParseDurationMs(text);
  if (ms.ok() && *ms >= 0 && *ms <= std::numeric_limits<int64_t>::max() / kNsPerMs) {
    return *ms * kNsPerMs;
  }
  return absl::InvalidArgumentError(StrCat("cannot parse ", GoQuote(text), " to a valid duration"));
}

PrometheusApi::PrometheusApi(storage::Engine* storage, const PromqlEngine* promql,
                             ApiOptions options)
    : storage_(storage), promql_(promql), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = SystemClock::Get();
}

int64_t PrometheusApi::NowMs() const { return options_.clock->NowMs(); }

ApiResponse PrometheusApi::Query(const ApiParams& params) const {
  absl::StatusOr<int64_t> limit = ParseLimit(FormValue(params, "limit"));
  if (!limit.ok()) return InvalidParam("limit", Message(limit.status()));
  absl::StatusOr<int64_t> time = TimeParam(params, "time", NowMs());
  if (!time.ok()) return InvalidParam("time", Message(time.status()));
  std::variant<RequestOptions, ApiResponse> options = ReadQueryOptions(params, options_.query);
  if (auto* error = std::get_if<ApiResponse>(&options)) return std::move(*error);
  const RequestOptions& request = std::get<RequestOptions>(options);

  absl::StatusOr<ExprPtr> expr = ParseExpr(FormValue(params, "query"));
  if (!expr.ok()) return InvalidParam("query", Message(expr.status()));
  if (request.timeout_ns < kNsPerMs) return Expired();
  return QuerySuccess(promql_->InstantExpr(**expr, *time, request.query), *limit);
}

ApiResponse PrometheusApi::QueryRange(const ApiParams& params) const {
  absl::StatusOr<int64_t> limit = ParseLimit(FormValue(params, "limit"));
  if (!limit.ok()) return InvalidParam("limit", Message(limit.status()));
  absl::StatusOr<int64_t> start = ParseApiTimeMs(FormValue(params, "start"));
  if (!start.ok()) return InvalidParam("start", Message(start.status()));
  absl::StatusOr<int64_t> end = ParseApiTimeMs(FormValue(params, "end"));
  if (!end.ok()) return InvalidParam("end", Message(end.status()));
  if (*end < *start) return InvalidParam("end", "end timestamp must not be before start time");
  absl::StatusOr<int64_t> step = ParseApiDurationNs(FormValue(params, "step"));
  if (!step.ok()) return InvalidParam("step", Message(step.status()));
  if (*step <= 0) {
    return InvalidParam(
        "step",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  // end.Sub(start) / step, with Go's Sub saturating at the largest duration.
  const __int128 span_ns =
      std::min<__int128>(static_cast<__int128>(*end - static_cast<__int128>(*start)) * kNsPerMs,
                         std::numeric_limits<int64_t>::max());
  if (span_ns / *step > kMaxPointsPerSeries) {
    return Error(ApiErrorType::kBadData,
                 "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
                 "the query resolution (?step=XX)");
  }
  std::variant<RequestOptions, ApiResponse> options = ReadQueryOptions(params, options_.query);
  if (auto* error = std::get_if<ApiResponse>(&options)) return std::move(*error);
  const RequestOptions& request = std::get<RequestOptions>(options);

  absl::StatusOr<ExprPtr> expr = ParseExpr(FormValue(params, "query"));
  if (!expr.ok()) return InvalidParam("query", Message(expr.status()));
  if (request.timeout_ns < kNsPerMs) return Expired();
  const int64_t step_ms = std::max<int64_t>(1, *step / kNsPerMs);
  absl::StatusOr<QueryResult> result =
      promql_->RangeExpr(**expr, *start, *end, step_ms, request.query);
  // The evaluator refuses an expression of the wrong type; Prometheus does so when it
  // creates the query, as a bad "query" parameter.
  if (!result.ok() && absl::IsInvalidArgument(result.status()) &&
      absl::StartsWith(result.status().message(), "invalid expression type")) {
    return InvalidParam("query", Message(result.status()));
  }
  return QuerySuccess(std::move(result), *limit);
}

ApiResponse PrometheusApi::QueryExemplars(const ApiParams& params) const {
  absl::StatusOr<int64_t> start = TimeParam(params, "start", kApiMinTimeMs);
  if (!start.ok()) return InvalidParam("start", Message(start.status()));
  absl::StatusOr<int64_t> end = TimeParam(params, "end", kApiMaxTimeMs);
  if (!end.ok()) return InvalidParam("end", Message(end.status()));
  if (*end < *start) {
    return Error(ApiErrorType::kBadData, "end timestamp must not be before start timestamp");
  }
  absl::StatusOr<ExprPtr> expr = ParseExpr(FormValue(params, "query"));
  if (!expr.ok()) return Error(ApiErrorType::kBadData, Message(expr.status()));
  // Prometheus answers 204 when the query selects nothing; exemplars are not stored.
  if (!HasSelector(**expr)) return ApiResponse{204, ""};
  std::string body;
  AppendSuccessBegin(&body);
  body.append("[]");
  AppendSuccessEnd({}, &body);
  return ApiResponse{200, std::move(body)};
}

ApiResponse PrometheusApi::Series(const ApiParams& params) const {
  const std::vector<std::string_view> selectors = FormValues(params, "match[]");
  if (selectors.empty()) return Error(ApiErrorType::kBadData, "no match[] parameter provided");
  absl::StatusOr<int64_t> limit = ParseLimit(FormValue(params, "limit"));
  if (!limit.ok()) return InvalidParam("limit", Message(limit.status()));
  absl::StatusOr<int64_t> start = TimeParam(params, "start", kApiMinTimeMs);
  if (!start.ok()) return InvalidParam("start", Message(start.status()));
  absl::StatusOr<int64_t> end = TimeParam(params, "end", kApiMaxTimeMs);
  if (!end.ok()) return InvalidParam("end", Message(end.status()));
  absl::StatusOr<std::vector<std::vector<storage::LabelMatcher>>> sets = ParseMatchers(selectors);
  if (!sets.ok()) return InvalidParam("match[]", Message(sets.status()));

  // Every set's series, merged: each label set once, in Prometheus' order.
  std::vector<storage::Labels> found;
  for (const std::vector<storage::LabelMatcher>& set : *sets) {
    absl::StatusOr<std::unique_ptr<storage::SeriesSet>> selected =
        storage_->Select(set, ClampToStorage(*start), ClampToStorage(*end));
    if (!selected.ok()) return StatusError(selected.status());
    for (const storage::Series& s : (*selected)->series()) found.push_back(s.labels);
  }
  std::vector<std::pair<std::vector<const storage::Label*>, size_t>> keys;
  keys.reserve(found.size());
  for (size_t i = 0; i < found.size(); ++i) keys.emplace_back(ByteOrderedLabels(found[i]), i);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return CompareOrderedLabels(a.first, b.first) < 0;
  });
  keys.erase(std::unique(keys.begin(), keys.end(),
                         [](const auto& a, const auto& b) {
                           return CompareOrderedLabels(a.first, b.first) == 0;
                         }),
             keys.end());
  std::vector<std::string> warnings;
  if (*limit > 0 && keys.size() > static_cast<size_t>(*limit)) {
    keys.resize(static_cast<size_t>(*limit));
    warnings.emplace_back(kTruncated);
  }

  std::string body;
  body.reserve(keys.size() * 96 + 64);
  AppendSuccessBegin(&body);
  body.push_back('[');
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) body.push_back(',');
    AppendLabelsObject(found[keys[i].second], &body);
  }
  body.push_back(']');
  AppendSuccessEnd(warnings, &body);
  return ApiResponse{200, std::move(body)};
}

ApiResponse PrometheusApi::LabelList(const ApiParams& params, const LabelLookup& lookup) const {
  absl::StatusOr<int64_t> limit = ParseLimit(FormValue(params, "limit"));
  if (!limit.ok()) return InvalidParam("limit", Message(limit.status()));
  absl::StatusOr<int64_t> start = TimeParam(params, "start", kApiMinTimeMs);
  if (!start.ok()) return InvalidParam("start", Message(start.status()));
  absl::StatusOr<int64_t> end = TimeParam(params, "end", kApiMaxTimeMs);
  if (!end.ok()) return InvalidParam("end", Message(end.status()));
  absl::StatusOr<std::vector<std::vector<storage::LabelMatcher>>> sets =
      ParseMatchers(FormValues(params, "match[]"));
  if (!sets.ok()) return Error(ApiErrorType::kBadData, Message(sets.status()));

  const int64_t mint = ClampToStorage(*start), maxt = ClampToStorage(*end);
  if (sets->size() <= 1) {
    const std::vector<storage::LabelMatcher> none;
    absl::StatusOr<std::vector<std::string>> list =
        lookup(sets->empty() ? none : sets->front(), mint, maxt);
    if (!list.ok()) return StatusError(list.status());
    return StringList(*std::move(list), *limit);
  }
  std::set<std::string> merged;
  for (const std::vector<storage::LabelMatcher>& set : *sets) {
    absl::StatusOr<std::vector<std::string>> some = lookup(set, mint, maxt);
    if (!some.ok()) return StatusError(some.status());
    merged.insert(std::make_move_iterator(some->begin()), std::make_move_iterator(some->end()));
  }
  return StringList(std::vector<std::string>(merged.begin(), merged.end()), *limit);
}

ApiResponse PrometheusApi::LabelNames(const ApiParams& params) const {
  return LabelList(params, [this](absl::Span<const storage::LabelMatcher> m, int64_t mint,
                                  int64_t maxt) { return storage_->LabelNames(m, mint, maxt); });
}

ApiResponse PrometheusApi::LabelValues(std::string_view name, const ApiParams& params) const {
  // Prometheus 3 takes any UTF-8 label name.
  if (name.empty() || !storage::IsValidUtf8(name)) {
    return Error(ApiErrorType::kBadData, StrCat("invalid label name: ", GoQuote(name)));
  }
  return LabelList(
      params, [this, name](absl::Span<const storage::LabelMatcher> m, int64_t mint, int64_t maxt) {
        return storage_->LabelValues(name, m, mint, maxt);
      });
}

ApiResponse PrometheusApi::Metadata(const ApiParams& params) const {
  int64_t limit = -1;
  if (std::string_view text = FormValue(params, "limit"); !text.empty()) {
    absl::StatusOr<int64_t> n = GoAtoi(text);
    if (!n.ok()) return Error(ApiErrorType::kBadData, "limit must be a number");
    limit = *n;
  }
  // Checked as Prometheus checks it; the store keeps one entry per metric, which no
  // limit_per_metric cuts (a metric always keeps its first).
  if (std::string_view text = FormValue(params, "limit_per_metric"); !text.empty()) {
    if (!GoAtoi(text).ok()) {
      return Error(ApiErrorType::kBadData, "limit_per_metric must be a number");
    }
  }
  absl::StatusOr<std::vector<storage::MetricMetadata>> all =
      storage_->Metadata(FormValue(params, "metric"));
  if (!all.ok()) return StatusError(all.status());
  std::sort(all->begin(), all->end(),
            [](const storage::MetricMetadata& a, const storage::MetricMetadata& b) {
              return a.metric < b.metric;
            });

  // {"metric":[{"type":"counter","help":"...","unit":""}], ...}
  std::string body;
  AppendSuccessBegin(&body);
  body.push_back('{');
  int64_t metrics = 0;
  for (const storage::MetricMetadata& md : *all) {
    if (limit >= 0 && metrics >= limit) break;
    if (metrics > 0) body.push_back(',');
    ++metrics;
    AppendJsonString(md.metric, &body);
    body.append(":[");
    body.append(R"({"type":)");
    AppendJsonString(md.type, &body);
    body.append(R"(,"help":)");
    AppendJsonString(md.help, &body);
    body.append(R"(,"unit":)");
    AppendJsonString(md.unit, &body);
    body.push_back('}');
    body.push_back(']');
  }
  body.push_back('}');
  AppendSuccessEnd({}, &body);
  return ApiResponse{200, std::move(body)};
}

ApiResponse PrometheusApi::BuildInfoResponse() const {
  const BuildInfo& info = options_.build_info;
  std::string body;
  AppendSuccessBegin(&body);
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"version", &info.version},      {"revision", &info.revision},
      {"branch", &info.branch},        {"buildUser", &info.build_user},
      {"buildDate", &info.build_date}, {"goVersion", &info.go_version},
  };
  body.push_back('{');
  for (const auto& [key, value] : fields) {
    if (body.back() != '{') body.push_back(',');
    AppendJsonString(key, &body);
    body.push_back(':');
    AppendJsonString(*value, &body);
  }
  body.push_back('}');
  AppendSuccessEnd({}, &body);
  return ApiResponse{200, std::move(body)};
}

}  // namespace plumbline::query
