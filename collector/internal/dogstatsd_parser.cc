// DogStatsD events and service checks. The grammar and the decisions behind it are documented
// at the top of collector/statsd_parser.cc. Not on the hot path (events are rare), but held to
// the same rules: no allocation, views into the caller's line, never past its end.
#include <cstdint>
#include <string_view>

#include "collector/internal/statsd_lex.h"
#include "collector/statsd_parser.h"

namespace plumbline::collector {
namespace {

using internal::IsCleanUtf8;
using internal::ParseDigits;

constexpr int64_t kMaxInt64 = INT64_MAX;

// Splits "a|b|c" one section at a time.
std::string_view NextSection(std::string_view* rest) {
  const size_t bar = rest->find('|');
  const std::string_view section = rest->substr(0, bar);
  *rest = bar == std::string_view::npos ? rest->substr(rest->size()) : rest->substr(bar + 1);
  return section;
}

// A field "x:value" with a given prefix; false if the prefix differs.
bool Field(std::string_view section, std::string_view prefix, std::string_view* value) {
  if (!section.starts_with(prefix)) return false;
  *value = section.substr(prefix.size());
  return true;
}

// Marks `bit` seen; false if it already was.
bool FirstTime(unsigned bit, unsigned* seen) {
  if ((*seen & bit) != 0) return false;
  *seen |= bit;
  return true;
}

bool ParsePositiveSeconds(std::string_view text, int64_t* out) {
  return ParseDigits(text, kMaxInt64, out) && *out > 0;
}

// Origin-detection fields (DogStatsD v1.2, v1.5, v1.6) that events and service checks may carry
// too: accepted once each, non-empty, and ignored.
bool IgnoredOriginField(std::string_view section, unsigned* seen) {
  std::string_view value;
  unsigned bit;
  if (Field(section, "c:", &value)) {
    bit = 1u << 20;
  } else if (Field(section, "e:", &value)) {
    bit = 1u << 21;
  } else if (Field(section, "card:", &value)) {
    bit = 1u << 22;
  } else {
    return false;
  }
  return !value.empty() && FirstTime(bit, seen);
}

// "_e{" digits "," digits "}:" -> the two lengths and the rest of the line.
bool ParseEventHeader(std::string_view line, size_t* title_len, size_t* text_len,
                      std::string_view* body) {
  if (!line.starts_with("_e{")) return false;
  line.remove_prefix(3);
  const size_t comma = line.find(',');
  const size_t brace = line.find('}');
  if (comma == std::string_view::npos || brace == std::string_view::npos || brace < comma) {
    return false;
  }
  int64_t a, b;
  if (!ParseDigits(line.substr(0, comma), kMaxLineLength, &a) ||
      !ParseDigits(line.substr(comma + 1, brace - comma - 1), kMaxLineLength, &b)) {
    return false;
  }
  if (brace + 1 >= line.size() || line[brace + 1] != ':') return false;
  *title_len = static_cast<size_t>(a);
  *text_len = static_cast<size_t>(b);
  *body = line.substr(brace + 2);
  return true;
}

bool ParseEventSection(std::string_view s, unsigned* seen, StatsdEvent* out) {
  std::string_view v;
  if (Field(s, "d:", &v)) return FirstTime(1, seen) && ParsePositiveSeconds(v, &out->date_s);
  if (Field(s, "h:", &v)) {
    out->hostname = v;
    return FirstTime(2, seen);
  }
  if (Field(s, "k:", &v)) {
    out->aggregation_key = v;
    return FirstTime(4, seen);
  }
  if (Field(s, "p:", &v)) {
    out->priority = v;
    return FirstTime(8, seen) && (v == "normal" || v == "low");
  }
  if (Field(s, "s:", &v)) {
    out->source_type = v;
    return FirstTime(16, seen);
  }
  if (Field(s, "t:", &v)) {
    out->alert_type = v;
    return FirstTime(32, seen) && (v == "error" || v == "warning" || v == "info" || v == "success");
  }
  if (Field(s, "#", &v)) {
    out->tags = v;
    return FirstTime(64, seen) && !v.empty();
  }
  return IgnoredOriginField(s, seen);
}

bool ParseEventImpl(std::string_view line, StatsdEvent* out) {
  size_t title_len, text_len;
  std::string_view body;
  if (!ParseEventHeader(line, &title_len, &text_len, &body)) return false;
  // Both lengths are <= kMaxLineLength, so the sum cannot overflow.
  if (title_len == 0 || body.size() < title_len + 1 + text_len || body[title_len] != '|') {
    return false;
  }
  out->title = body.substr(0, title_len);
  out->text = body.substr(title_len + 1, text_len);
  std::string_view rest = body.substr(title_len + 1 + text_len);
  if (rest.empty()) return true;
  if (rest[0] != '|') return false;  // the text is longer than its length says
  rest.remove_prefix(1);
  unsigned seen = 0;
  for (;;) {
    const bool last = rest.find('|') == std::string_view::npos;
    if (!ParseEventSection(NextSection(&rest), &seen, out)) return false;
    if (last) return true;
  }
}

bool ParseServiceCheckImpl(std::string_view line, ServiceCheck* out) {
  if (!line.starts_with("_sc|")) return false;
  std::string_view rest = line.substr(4);
  const bool has_status = rest.find('|') != std::string_view::npos;
  out->name = NextSection(&rest);
  if (out->name.empty() || !has_status) return false;
  const bool has_sections = rest.find('|') != std::string_view::npos;
  const std::string_view status = NextSection(&rest);
  if (status.size() != 1 || status[0] < '0' || status[0] > '3') return false;
  out->status = status[0] - '0';
  if (!has_sections) return true;
  unsigned seen = 0;
  for (;;) {
    std::string_view v;
    if (Field(rest, "m:", &v)) {  // last by definition: the message runs to the end
      out->message = v;
      return true;
    }
    const bool last = rest.find('|') == std::string_view::npos;
    const std::string_view s = NextSection(&rest);
    bool ok;
    if (Field(s, "d:", &v)) {
      ok = FirstTime(1, &seen) && ParsePositiveSeconds(v, &out->timestamp_s);
    } else if (Field(s, "h:", &v)) {
      out->hostname = v;
      ok = FirstTime(2, &seen);
    } else if (Field(s, "#", &v)) {
      out->tags = v;
      ok = FirstTime(4, &seen) && !v.empty();
    } else {
      ok = IgnoredOriginField(s, &seen);
    }
    if (!ok) return false;
    if (last) return true;
  }
}

}  // namespace

ParseError ParseEvent(std::string_view line, StatsdEvent* out) noexcept {
  if (line.size() > kMaxLineLength) return ParseError::kTooLong;
  *out = StatsdEvent();
  if (!IsCleanUtf8(line) || !ParseEventImpl(line, out)) return ParseError::kBadEvent;
  return ParseError::kOk;
}

ParseError ParseServiceCheck(std::string_view line, ServiceCheck* out) noexcept {
  if (line.size() > kMaxLineLength) return ParseError::kTooLong;
  *out = ServiceCheck();
  if (!IsCleanUtf8(line) || !ParseServiceCheckImpl(line, out)) {
    return ParseError::kBadServiceCheck;
  }
  return ParseError::kOk;
}

}  // namespace plumbline::collector
