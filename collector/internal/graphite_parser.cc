// Graphite plaintext lines, "path value timestamp". The decisions are documented at the top of
// collector/statsd_parser.cc. No allocation; views into the caller's line.
#include <cstdint>
#include <string_view>

#include "collector/internal/statsd_lex.h"
#include "collector/statsd_parser.h"

namespace plumbline::collector {
namespace {

using internal::IsCleanUtf8;
using internal::IsDigit;
using internal::ParseDecimal;
using internal::ParseDigits;

constexpr bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The next run of non-blank bytes after any blanks; empty at the end of the line.
std::string_view NextField(std::string_view* rest) {
  size_t i = 0;
  while (i < rest->size() && IsBlank((*rest)[i])) ++i;
  size_t j = i;
  while (j < rest->size() && !IsBlank((*rest)[j])) ++j;
  const std::string_view field = rest->substr(i, j - i);
  rest->remove_prefix(j);
  return field;
}

// Unix seconds: digits, an optional fraction that is dropped; > 0. "-1" and "N" mean now.
bool ParseTimestamp(std::string_view text, int64_t* out) {
  if (text == "-1" || text == "N") {
    *out = -1;
    return true;
  }
  const size_t dot = text.find('.');
  if (dot != std::string_view::npos) {
    for (char c : text.substr(dot + 1)) {
      if (!IsDigit(c)) return false;
    }
    text = text.substr(0, dot);
  }
  return ParseDigits(text, INT64_MAX, out) && *out > 0;
}

}  // namespace

ParseError ParseGraphiteLine(std::string_view line, GraphiteLine* out) noexcept {
  if (line.size() > kMaxLineLength) return ParseError::kTooLong;
  *out = GraphiteLine();
  std::string_view rest = line;
  const std::string_view path = NextField(&rest);
  const std::string_view value = NextField(&rest);
  const std::string_view timestamp = NextField(&rest);
  if (path.empty() || timestamp.empty() || !NextField(&rest).empty()) {
    return ParseError::kBadGraphite;
  }
  if (!IsCleanUtf8(path) || !ParseDecimal(value, &out->value) ||
      !ParseTimestamp(timestamp, &out->timestamp_s)) {
    return ParseError::kBadGraphite;
  }
  out->path = path;
  return ParseError::kOk;
}

}  // namespace plumbline::collector
