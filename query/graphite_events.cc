#include "query/graphite_events.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "query/json_format.h"

namespace plumbline::query {
namespace {

using Json = nlohmann::json;

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kDayMs = 86'400'000;
// Times Graphite accepts here: years 1970 .. 2200, as the events store does.
constexpr int64_t kMaxTimeMs = 7'258'118'400'000;
// Longest relative offset: more than the store's whole range.
constexpr int64_t kMaxOffsetMs = 400 * 365 * kDayMs;

absl::Status TimeError(std::string_view text) {
  return absl::InvalidArgumentError(
      StrCat("expected now, an offset like -6h or -30min, unix seconds, HH:MM_YYYYMMDD or "
             "YYYYMMDD, got \"",
             text, "\""));
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "6h", "30min", "2days" -> milliseconds.
bool ParseOffset(std::string_view s, int64_t* out_ms) {
  size_t digits = 0;
  while (digits < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[digits]))) {
    ++digits;
  }
  int64_t n = 0;
  if (digits == 0 || digits > 9 || !ParseInt(s.substr(0, digits), &n)) return false;
  std::string unit(s.substr(digits));
  if (unit.size() > 1 && unit.back() == 's' && unit != "s") unit.pop_back();  // plurals
  static const std::pair<const char*, int64_t> kUnits[] = {{"s", kSecondMs},
                                                           {"sec", kSecondMs},
                                                           {"second", kSecondMs},
                                                           {"min", 60 * kSecondMs},
                                                           {"minute", 60 * kSecondMs},
                                                           {"h", 3600 * kSecondMs},
                                                           {"hour", 3600 * kSecondMs},
                                                           {"d", kDayMs},
                                                           {"day", kDayMs},
                                                           {"w", 7 * kDayMs},
                                                           {"week", 7 * kDayMs},
                                                           {"mon", 30 * kDayMs},
                                                           {"month", 30 * kDayMs},
                                                           {"y", 365 * kDayMs},
                                                           {"year", 365 * kDayMs}};
  for (const auto& [name, ms] : kUnits) {
    if (unit == name) {
      if (n > kMaxOffsetMs / ms) return false;  // more than the store's years: no overflow
      *out_ms = n * ms;
      return true;
    }
  }
  return false;
}

// "YYYYMMDD" at 00:00 UTC, plus `minutes`.
bool ParseDate(std::string_view ymd, int64_t minutes, int64_t* out_ms) {
  int64_t y = 0, m = 0, d = 0;
  if (ymd.size() != 8 || !ParseInt(ymd.substr(0, 4), &y) || !ParseInt(ymd.substr(4, 2), &m) ||
      !ParseInt(ymd.substr(6, 2), &d) || y < 1970 || y >= 2200) {
    return false;
  }
  const absl::CivilDay day(y, static_cast<int>(m), static_cast<int>(d));
  if (day.year() != y || day.month() != m || day.day() != d) return false;  // e.g. 20260231
  *out_ms = absl::ToUnixMillis(absl::FromCivil(day, absl::UTCTimeZone())) + minutes * 60'000;
  return true;
}

std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != ',' && s[j] != '\t') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

absl::StatusOr<int64_t> ParseGraphiteTimeMs(std::string_view text, int64_t now_ms) {
  std::string s = absl::AsciiStrToLower(std::string(text));
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  int64_t base = now_ms;
  std::string_view rest = s;
  if (rest.rfind("now", 0) == 0) rest.remove_prefix(3);
  if (rest.empty()) {
    if (s.empty()) return TimeError(text);
    return base;
  }
  if (rest[0] == '-' || rest[0] == '+') {
    int64_t offset = 0;
    if (!ParseOffset(rest.substr(1), &offset)) return TimeError(text);
    return rest[0] == '-' ? base - offset : base + offset;
  }
  if (rest.size() != s.size()) return TimeError(text);  // "nowish"
  int64_t seconds = 0;
  if (ParseInt(s, &seconds) && s.size() != 8) {
    if (seconds < 0 || seconds > kMaxTimeMs / kSecondMs) return TimeError(text);
    return seconds * kSecondMs;
  }
  int64_t t = 0;
  if (s.size() == 8 && ParseDate(s, 0, &t)) return t;
  // HH:MM_YYYYMMDD
  int64_t hh = 0, mm = 0;
  if (s.size() == 14 && s[2] == ':' && s[5] == '_' && ParseInt(s.substr(0, 2), &hh) &&
      ParseInt(s.substr(3, 2), &mm) && hh < 24 && mm < 60 &&
      ParseDate(std::string_view(s).substr(6), hh * 60 + mm, &t)) {
    return t;
  }
  return TimeError(text);
}

std::vector<std::string> SplitGraphiteTags(const std::vector<std::string>& params) {
  std::vector<std::string> out;
  for (const std::string& p : params) {
    for (std::string& w : SplitWords(p)) out.push_back(std::move(w));
  }
  return out;
}

absl::StatusOr<storage::Event> ParseGraphiteEventJson(std::string_view body, int64_t now_ms,
                                                      const std::vector<std::string>& types) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("body: not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("body: expected a JSON object");
  storage::Event e;
  std::string data;
  std::vector<std::string> words;
  e.time_ms = now_ms;
  for (const auto& [key, value] : j.items()) {
    if (key == "what") {
      if (!value.is_string()) return absl::InvalidArgumentError("what: expected a string");
      e.what = value.get<std::string>();
    } else if (key == "data") {
      if (value.is_string()) {
        data = value.get<std::string>();
      } else if (!value.is_null()) {
        data = value.dump();  // graphite-web stores whatever it is given
      }
    } else if (key == "tags") {
      if (value.is_string()) {
        words = SplitWords(value.get<std::string>());
      } else if (value.is_array()) {
        for (const Json& t : value) {
          if (!t.is_string()) return absl::InvalidArgumentError("tags: expected strings");
          for (std::string& w : SplitWords(t.get<std::string>())) words.push_back(std::move(w));
        }
      } else if (!value.is_null()) {
        return absl::InvalidArgumentError("tags: expected an array of strings or a string");
      }
    } else if (key == "when") {
      if (value.is_number()) {
        const double s = value.get<double>();
        if (!(s >= 0 && s <= static_cast<double>(kMaxTimeMs / kSecondMs))) {
          return absl::InvalidArgumentError(StrCat("when: out of range (", value.dump(), ")"));
        }
        e.time_ms = static_cast<int64_t>(s * 1000);
      } else if (!value.is_null()) {
        return absl::InvalidArgumentError("when: expected unix seconds");
      }
    } else {
      return absl::InvalidArgumentError(
          StrCat(key, ": unknown field (expected what, tags, when, data)"));
    }
  }
  if (e.what.empty()) return absl::InvalidArgumentError("what: required");
  if (!data.empty()) e.what = StrCat(e.what, "\n", data);
  for (const std::string& w : words) {
    if (e.type.empty() && std::find(types.begin(), types.end(), w) != types.end()) {
      e.type = w;
      continue;
    }
    const size_t sep = w.find_first_of(":=");
    const std::string name = sep == std::string::npos ? w : w.substr(0, sep);
    const std::string value = sep == std::string::npos ? "" : w.substr(sep + 1);
    if (name == "service" && e.service.empty()) {
      e.service = value;
    } else if (name == "env" && e.env.empty()) {
      e.env = value;
    } else if ((name == "who" || name == "user") && e.who.empty()) {
      e.who = value;
    } else if (!name.empty() && std::none_of(e.tags.begin(), e.tags.end(),
                                             [&](const auto& tag) { return tag.first == name; })) {
      e.tags.emplace_back(name, value);
    }
  }
  if (e.type.empty()) e.type = "note";
  std::sort(e.tags.begin(), e.tags.end());
  PL_RETURN_IF_ERROR(storage::ValidateEvent(e));
  return e;
}

std::vector<std::string> GraphiteTagsOf(const storage::Event& e) {
  std::vector<std::string> tags = {e.type};
  if (!e.service.empty()) tags.push_back(e.service);
  if (!e.env.empty()) tags.push_back(e.env);
  for (const auto& [name, value] : e.tags) {
    tags.push_back(value.empty() ? name : StrCat(name, ":", value));
  }
  return tags;
}

bool HasGraphiteTags(const storage::Event& event, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  const std::vector<std::string> tags = GraphiteTagsOf(event);
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::find(tags.begin(), tags.end(), w) != tags.end();
  });
}

std::string GraphiteEventsJson(const std::vector<storage::Event>& events) {
  std::string out = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    const storage::Event& e = events[i];
    if (i > 0) out.push_back(',');
    const size_t newline = e.what.find('\n');
    out.append("{\"when\":");
    AppendTimestamp(e.time_ms, &out);
    out.append(",\"what\":");
    AppendJsonString(std::string_view(e.what).substr(0, newline), &out);
    out.append(",\"data\":");
    AppendJsonString(newline == std::string::npos ? std::string_view()
                                                  : std::string_view(e.what).substr(newline + 1),
                     &out);
    out.append(",\"tags\":[");
    const std::vector<std::string> tags = GraphiteTagsOf(e);
    for (size_t t = 0; t < tags.size(); ++t) {
      if (t > 0) out.push_back(',');
      AppendJsonString(tags[t], &out);
    }
    StrAppend(&out, "],\"id\":", e.id, "}");
  }
  out.push_back(']');
  return out;
}

}  // namespace plumbline::query
