// Streaming parser for bulk import of Prometheus text exposition and OpenMetrics text.
//
// Feeds `plumbline import FILE|-` and `POST /api/v1/import/prometheus`. Accepts, line by line:
//   name{a="b",c="d"} 123 1764130000000     Prometheus text, timestamp in milliseconds
//   name{a="b"} 1.5e3 1764130000.123        OpenMetrics text, timestamp in seconds
//   name 42                                 no timestamp: the caller decides (import time)
//   # HELP name text   # TYPE name gauge   # UNIT name seconds   # EOF   # any other comment
//
// Grammar, as Prometheus' text parser (model/textparse/promlex.l) tolerates it:
//   * lines end with "\n" or "\r\n"; blank and whitespace-only lines are skipped; whitespace is
//     spaces and tabs, allowed before the name, between tokens and at the end of the line;
//   * metric and label names as plumbline::storage::ValidateMetricName/ValidateLabelName;
//     label values in double quotes with the escapes \\ \" \n (any other escape is kept as
//     written); values must be UTF-8 without NUL; a trailing comma in the label list is fine;
//     duplicate label names are an error (labels with an empty value do not count);
//   * values in Go ParseFloat syntax minus hex and '_' (as Prometheus): decimal with optional
//     fraction and exponent, Inf/+Inf/-Inf/Infinity/NaN in any case. NaN is stored as
//     Prometheus' "normal" NaN (0x7ff8000000000001). Overflow (1e400) is an error, underflow
//     gives 0;
//   * timestamps: [+-]digits[.digits][e[+-]digits], converted exactly (no float rounding) and
//     truncated toward zero to whole milliseconds. Must fit int64 milliseconds. See
//     TimestampUnit for the unit;
//   * an OpenMetrics exemplar after the value or timestamp (" # {trace_id="x"} 1 [ts]") is
//     checked for syntax and ignored;
//   * "# EOF" (OpenMetrics) ends the input: any later non-blank line is an error.
// Not supported: Prometheus 3 quoted UTF-8 names (`{"my.metric"}`), which the label
// validation refuses anyway.
//
// Errors never stop the parse: the sink hears OnError for the line, the line is skipped.
// Memory is bounded by max_line_bytes whatever is fed: a longer line is discarded as it
// arrives and reported as an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage/labels.h"

namespace plumbline::storage::import {

namespace internal {
struct SeriesScratch;
}  // namespace internal

// How to read a sample's timestamp.
//   kMilliseconds: the number is milliseconds (Prometheus text, VictoriaMetrics import);
//                  a fraction is truncated.
//   kSeconds:      the number is seconds, possibly fractional (OpenMetrics).
//   kAuto:         per line: a timestamp written with '.' or an exponent is seconds, a plain
//                  integer is milliseconds. Right for both standard formats, but an
//                  OpenMetrics file with integer-second timestamps needs kSeconds.
enum class TimestampUnit { kAuto, kMilliseconds, kSeconds };

struct SampleLine {
  // The raw series text "name{...}" as written (escapes unresolved, no trailing whitespace).
  // Valid only while the callback runs. Equal text means the same series, so the caller can
  // cache series resolution by comparing with the previous line's text, and resolve a miss
  // with ParseSeries(), which always succeeds on this text (the parser has validated it).
  std::string_view series;
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;  // 0 when !has_timestamp
  uint64_t line_number = 0;  // 1-based
};

enum class MetadataKind { kType, kHelp, kUnit };

struct MetadataLine {
  MetadataKind kind = MetadataKind::kType;
  std::string_view metric;  // valid only while the callback runs
  // kType: one of counter gauge histogram summary untyped unknown info stateset
  // gaugehistogram. kHelp: unescaped (\\ \n \"), may be empty. kUnit: as written.
  std::string text;
  uint64_t line_number = 0;
};

// Receives what the parser finds, in input order, on the parser's thread.
class ParserSink {
 public:
  virtual ~ParserSink() = default;
  virtual void OnSample(const SampleLine& sample) = 0;
  virtual void OnMetadata(const MetadataLine& metadata) = 0;
  // `message` is complete and printable, e.g. `line 12: expected a float value after the
  // series, got "1.2.3"`. The line is skipped; parsing goes on.
  virtual void OnError(uint64_t line_number, std::string_view message) = 0;
};

// Owned by one thread. Results do not depend on how the input is split between Feed calls.
//
// Hot path, per line: memchr('\n') -> compare the line's start with the previous series
// text -> integer fast paths for value and timestamp -> sink->OnSample. In steady state: no
// allocation (the partial-line buffer and scratch are reused), no copy of complete lines.
class PromTextParser {
 public:
  explicit PromTextParser(ParserSink* sink, TimestampUnit unit = TimestampUnit::kAuto,
                          size_t max_line_bytes = size_t{1} << 20);
  ~PromTextParser();
  PromTextParser(const PromTextParser&) = delete;
  PromTextParser& operator=(const PromTextParser&) = delete;

  // Any split of the input is fine, including mid-line and mid-UTF-8 sequence.
  void Feed(std::string_view bytes);
  // Parses a last line that has no newline. Call once at the end of the input.
  void Finish();

  uint64_t lines() const { return line_number_; }  // lines seen, blank and comments included
  uint64_t bytes() const { return bytes_; }        // bytes fed
  uint64_t samples() const { return samples_; }    // OnSample calls
  uint64_t errors() const { return errors_; }      // OnError calls
  bool saw_eof() const { return saw_eof_; }        // "# EOF" seen

 private:
  void AppendPending(const char* begin, const char* end);
  void FlushPending();
  void HandleLine(std::string_view line);
  void HandleComment(std::string_view line);
  void HandleSample(std::string_view line);
  void ReportError(std::string_view message);

  ParserSink* const sink_;
  const TimestampUnit unit_;
  const size_t max_line_bytes_;

  std::string pending_;      // start of a line split across Feed calls, <= max_line_bytes_
  bool discarding_ = false;  // the pending line exceeded max_line_bytes_: drop to newline
  bool saw_eof_ = false;

  // Fast path key: the text of the last series that passed validation.
  std::string last_series_;
  bool last_series_has_labels_ = false;  // ends with '}'

  uint64_t line_number_ = 0;
  uint64_t bytes_ = 0;
  uint64_t samples_ = 0;
  uint64_t errors_ = 0;

  // Reused per line.
  SampleLine sample_;
  MetadataLine metadata_;
  std::unique_ptr<internal::SeriesScratch> scratch_;
  std::string error_;
  std::string report_;
};

// Parses and validates the series text of a SampleLine ("name" or "name{a="b",...}") into
// canonical Labels, resolving escapes. InvalidArgument names the problem.
[[nodiscard]] absl::StatusOr<Labels> ParseSeries(std::string_view series);

}  // namespace plumbline::storage::import
