#include "storage/import/prom_text_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "storage/import/internal/comment_line.h"
#include "storage/import/internal/error_text.h"
#include "storage/import/internal/exemplar.h"
#include "storage/import/internal/number.h"
#include "storage/import/internal/series_scanner.h"

namespace plumbline::storage::import {
namespace {

using internal::NumberError;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

const char* SkipSpaces(const char* p, const char* end) {
  while (p < end && IsSpace(*p)) ++p;
  return p;
}

const char* TokenEnd(const char* p, const char* end) {
  while (p < end && !IsSpace(*p)) ++p;
  return p;
}

// Integers of up to 15 digits are exact doubles; up to 18 digits fit int64.
constexpr ptrdiff_t kMaxFastValueDigits = 15;
constexpr ptrdiff_t kMaxFastTimestampDigits = 18;
constexpr uint64_t kMaxSecondsForMs = 9'223'372'036'854'775;  // * 1000 <= INT64_MAX
constexpr ptrdiff_t kMaxFastSecondsDigits = 15;

// Fast path for seconds with a short fraction: `dot` points at the '.' after the integer
// `*ms` seconds. Takes up to 3 decimals followed by whitespace or the end, scales *ms to
// milliseconds and sets *after past them. False (nothing changed) for anything else.
bool ParseMillis(const char* dot, const char* end, uint64_t* ms, const char** after) {
  if (dot == end || *dot != '.') return false;
  const char* q = dot + 1;
  uint64_t millis = 0;
  int decimals = 0;
  for (; q < end && IsDigit(*q) && decimals < 3; ++q, ++decimals) millis = millis * 10 + (*q - '0');
  if (q < end && !IsSpace(*q)) return false;
  for (; decimals < 3; ++decimals) millis *= 10;
  *ms = *ms * 1000 + millis;
  *after = q;
  return true;
}

}  // namespace

PromTextParser::PromTextParser(ParserSink* sink, TimestampUnit unit, size_t max_line_bytes)
    : sink_(sink),
      unit_(unit),
      max_line_bytes_(max_line_bytes),
      scratch_(std::make_unique<internal::SeriesScratch>()) {}

PromTextParser::~PromTextParser() = default;

// Lines complete in `bytes` are parsed in place; only a line split across calls is copied,
// into pending_, which never grows beyond max_line_bytes_.
void PromTextParser::Feed(std::string_view bytes) {
  bytes_ += bytes.size();
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  if (!pending_.empty() || discarding_) {
    const auto* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (newline == nullptr) {
      AppendPending(p, end);
      return;
    }
    AppendPending(p, newline);
    FlushPending();
    p = newline + 1;
  }
  while (p < end) {
    const auto* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (newline == nullptr) break;
    HandleLine(std::string_view(p, newline - p));
    p = newline + 1;
  }
  if (p < end) AppendPending(p, end);
}

void PromTextParser::Finish() {
  if (!pending_.empty() || discarding_) FlushPending();
}

void PromTextParser::AppendPending(const char* begin, const char* end) {
  if (discarding_) return;
  const size_t size = pending_.size() + (end - begin);
  if (size > max_line_bytes_) {
    discarding_ = true;
    pending_.clear();
    return;
  }
  if (size > pending_.capacity()) {
    pending_.reserve(std::min(max_line_bytes_, std::max(size, 2 * pending_.capacity())));
  }
  pending_.append(begin, end);
}

void PromTextParser::FlushPending() {
  if (discarding_) {
    discarding_ = false;
    ++line_number_;
    ReportError(StrCat("line is longer than the limit of ", max_line_bytes_, " bytes"));
    return;
  }
  HandleLine(pending_);
  pending_.clear();
}

void PromTextParser::HandleLine(std::string_view line) {
  ++line_number_;
  if (line.size() > max_line_bytes_) {
    ReportError(StrCat("line is longer than the limit of ", max_line_bytes_, " bytes"));
    return;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t start = 0;
  while (start < line.size() && IsSpace(line[start])) ++start;
  if (start == line.size()) return;  // blank
  line.remove_prefix(start);
  if (saw_eof_) {
    ReportError("unexpected content after # EOF");
  } else if (line[0] == '#') {
    HandleComment(line);
  } else {
    HandleSample(line);
  }
}

void PromTextParser::HandleComment(std::string_view line) {
  switch (internal::ParseCommentLine(line, &metadata_, &error_)) {
    case internal::CommentLineKind::kComment:
      return;
    case internal::CommentLineKind::kEof:
      saw_eof_ = true;
      return;
    case internal::CommentLineKind::kMetadata:
      metadata_.line_number = line_number_;
      sink_->OnMetadata(metadata_);
      return;
    case internal::CommentLineKind::kError:
      ReportError(error_);
      return;
  }
}

// `line` is non-empty, starts with neither whitespace nor '#', and has no line end.
void PromTextParser::HandleSample(std::string_view line) {
  const char* const end = line.data() + line.size();

  // Series. Consecutive lines mostly repeat it: if the line starts with the last valid series
  // text and the series cannot continue past it, the scan would find the same series.
  std::string_view series;
  const size_t n = last_series_.size();
  if (n != 0 && line.size() > n && std::memcmp(line.data(), last_series_.data(), n) == 0 &&
      (last_series_has_labels_ ||
       (IsSpace(line[n]) && *SkipSpaces(line.data() + n, end - 1) != '{'))) {
    series = line.substr(0, n);
  } else {
    if (!internal::ScanSeries(line, scratch_.get(), &series, &error_)) {
      ReportError(error_);
      return;
    }
    last_series_.assign(series);
    last_series_has_labels_ = series.back() == '}';
  }
  const char* p = SkipSpaces(line.data() + series.size(), end);

  // Value: fast path for short integers, else the full syntax.
  double value = 0;
  {
    const char* digits = p < end && *p == '-' ? p + 1 : p;
    const char* q = digits;
    uint64_t u = 0;
    while (q < end && IsDigit(*q)) u = u * 10 + static_cast<uint64_t>(*q++ - '0');
    if (q != digits && q - digits <= kMaxFastValueDigits && (q == end || IsSpace(*q))) {
      value = digits != p ? -static_cast<double>(u) : static_cast<double>(u);
      p = q;
    } else {
      const char* token_end = TokenEnd(p, end);
      const std::string_view token(p, token_end - p);
      switch (token.empty() ? NumberError::kSyntax : internal::ParseValue(token, &value)) {
        case NumberError::kOk:
          break;
        case NumberError::kSyntax:
          ReportError(
              StrCat("expected a float value after the series, got ", internal::Got(token)));
          return;
        case NumberError::kOutOfRange:
          ReportError(StrCat("float value ", internal::Got(token), " is out of range"));
          return;
      }
      p = token_end;
    }
  }
  p = SkipSpaces(p, end);

  // Optional timestamp: fast path for integers, else exact decimal conversion.
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
  if (p < end && *p != '#') {
    has_timestamp = true;
    const char* q = p;
    uint64_t u = 0;
    while (q < end && IsDigit(*q)) u = u * 10 + static_cast<uint64_t>(*q++ - '0');
    if (q != p && q - p <= kMaxFastTimestampDigits && (q == end || IsSpace(*q)) &&
        (unit_ != TimestampUnit::kSeconds || u <= kMaxSecondsForMs)) {
      timestamp_ms = static_cast<int64_t>(unit_ == TimestampUnit::kSeconds ? u * 1000 : u);
      p = q;
    } else if (unit_ != TimestampUnit::kMilliseconds && q != p && q - p <= kMaxFastSecondsDigits &&
               ParseMillis(q, end, &u, &q)) {
      timestamp_ms = static_cast<int64_t>(u);  // OpenMetrics "1764130000.123"
      p = q;
    } else {
      const char* token_end = TokenEnd(p, end);
      const std::string_view token(p, token_end - p);
      switch (internal::ParseTimestampMs(token, unit_, &timestamp_ms)) {
        case NumberError::kOk:
          break;
        case NumberError::kSyntax:
          ReportError(StrCat("expected a timestamp after the value, got ", internal::Got(token)));
          return;
        case NumberError::kOutOfRange:
          ReportError(
              StrCat("timestamp ", internal::Got(token), " does not fit int64 milliseconds"));
          return;
      }
      p = token_end;
    }
    p = SkipSpaces(p, end);
  }
  if (p < end) {
    if (*p != '#') {
      ReportError(StrCat("expected end of line after the timestamp, got ",
                         internal::Got(std::string_view(p, end - p))));
      return;
    }
    if (!internal::CheckExemplar(std::string_view(p, end - p), unit_, &scratch_->labels, &error_)) {
      ReportError(error_);
      return;
    }
  }

  sample_.series = series;
  sample_.value = value;
  sample_.has_timestamp = has_timestamp;
  sample_.timestamp_ms = timestamp_ms;
  sample_.line_number = line_number_;
  ++samples_;
  sink_->OnSample(sample_);
}

void PromTextParser::ReportError(std::string_view message) {
  ++errors_;
  report_.clear();
  absl::StrAppend(&report_, "line ", line_number_, ": ");
  internal::SanitizeMessage(message, &report_);
  sink_->OnError(line_number_, report_);
}

}  // namespace plumbline::storage::import
