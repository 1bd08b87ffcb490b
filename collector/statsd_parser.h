// StatsD / DogStatsD / Graphite line parsing. Hot path: no allocation, no exceptions, no
// logging; results point into the caller's buffer. The line grammar and every decision
// (which of Etsy StatsD's and DogStatsD's behaviours we follow) are documented in the .cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace plumbline::collector {

// Longest line any parser below accepts, in bytes (without its '\n'); longer is kTooLong.
inline constexpr size_t kMaxLineLength = 64 << 10;

enum class MetricType : uint8_t {
  kCounter,       // c
  kGauge,         // g
  kTimer,         // ms
  kHistogram,     // h
  kDistribution,  // d
  kSet,           // s
};

// Why a line was refused. Each is a value of the reason label of
// plumbline_statsd_bad_lines_total (ParseErrorName).
enum class ParseError : uint8_t {
  kOk,
  kNoValue,          // no ':' or nothing after it
  kBadName,          // empty name, or bytes a name may not hold (NUL, invalid UTF-8)
  kBadValue,         // not a number (or a delta where the type takes none)
  kNoType,           // no '|type'
  kBadType,          // unknown type
  kBadRate,          // '@' not followed by a number in (0, 1]
  kBadTags,          // malformed '#tags' section
  kBadTimestamp,     // malformed '|T<unix seconds>'
  kBadField,         // an unknown '|x' section
  kBadEvent,         // malformed DogStatsD '_e{...}'
  kBadServiceCheck,  // malformed DogStatsD '_sc|...'
  kBadGraphite,      // malformed Graphite plaintext line
  kTooLong,          // over the maximum line length
};
const char* ParseErrorName(ParseError error);  // "no_value", "bad_name", ...

// One metric line: name:value[:value...]|type[|@rate][|#tags][|T<unix seconds>][|c:<container>]
struct StatsdLine {
  std::string_view name;    // as sent (not sanitised)
  std::string_view values;  // the value field: "1", "+3", "1:2:3" (DogStatsD packing), set member
  MetricType type = MetricType::kCounter;
  double sample_rate = 1;      // in (0, 1]
  std::string_view tags;       // "env:prod,canary" without the '#'; "" when none
  int64_t timestamp_s = 0;     // 0 when absent
  std::string_view container;  // DogStatsD 'c:' field; "" when absent
  // When `values` holds one number (no DogStatsD packing; not a set): that number, parsed
  // once here so the caller need not walk `values` again.
  bool single_value = false;
  double value = 0;
};

// Parses one line (without its '\n'). On kOk, every packed value has been validated.
[[nodiscard]] ParseError ParseLine(std::string_view line, StatsdLine* out) noexcept;

// Walks the values of a line that parsed OK. For gauges, a leading '+' or '-' makes the value
// a delta (Etsy StatsD); for counters '-' is a negative increment; sets yield no numbers (the
// member is `values` itself, whole, for sets: DogStatsD packing does not apply to sets).
// Thread-compatible; views the caller's text, which must outlive it.
class ValueReader {
 public:
  ValueReader(std::string_view values, MetricType type) : rest_(values), type_(type) {}
  // False after the last value.
  bool Next(double* value, bool* is_delta) noexcept;

 private:
  std::string_view rest_;
  MetricType type_;
};

// Walks "a:b,c,d:e" tags: ("a","b"), ("c",""), ("d","e"). Empty entries are skipped.
// Thread-compatible; views the caller's text, which must outlive it.
class TagReader {
 public:
  explicit TagReader(std::string_view tags) : rest_(tags) {}
  bool Next(std::string_view* name, std::string_view* value) noexcept;

 private:
  std::string_view rest_;
};

// _e{title_len,text_len}:title|text[|d:date][|h:host][|k:key][|p:priority][|s:source]
// [|t:alert_type][|#tags]
struct StatsdEvent {
  std::string_view title;
  std::string_view text;  // as sent: DogStatsD escapes newlines as "\\n"
  int64_t date_s = 0;     // 0 when absent
  std::string_view hostname, aggregation_key, priority, source_type, alert_type;
  std::string_view tags;
};
[[nodiscard]] ParseError ParseEvent(std::string_view line, StatsdEvent* out) noexcept;

// _sc|name|status[|d:timestamp][|h:hostname][|#tags][|m:message]  (status 0..3)
struct ServiceCheck {
  std::string_view name;
  int status = 0;
  int64_t timestamp_s = 0;
  std::string_view hostname, tags, message;
};
[[nodiscard]] ParseError ParseServiceCheck(std::string_view line, ServiceCheck* out) noexcept;

// Graphite plaintext: "path value timestamp" (timestamp may be -1 or "N": now).
struct GraphiteLine {
  std::string_view path;
  double value = 0;
  int64_t timestamp_s = -1;  // -1: now
};
[[nodiscard]] ParseError ParseGraphiteLine(std::string_view line, GraphiteLine* out) noexcept;

// What kind of line this is, from its first bytes (no validation).
enum class LineKind : uint8_t { kMetric, kEvent, kServiceCheck };
inline LineKind KindOf(std::string_view line) noexcept {
  if (line.size() >= 3 && line[0] == '_') {
    if (line[1] == 'e' && line[2] == '{') return LineKind::kEvent;
    if (line[1] == 's' && line[2] == 'c' && line.size() >= 4 && line[3] == '|') {
      return LineKind::kServiceCheck;
    }
  }
  return LineKind::kMetric;
}

// Calls fn(line) for every non-empty line of a datagram or stream chunk ('\n' separated; a
// trailing '\r' is dropped).
template <typename Fn>
inline void ForEachLine(std::string_view data, Fn&& fn) noexcept {
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) fn(line);
  }
}

}  // namespace plumbline::collector
