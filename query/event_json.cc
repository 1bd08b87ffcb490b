#include "query/event_json.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "query/api.h"
#include "query/json_format.h"

namespace plumbline::query {
namespace {

using Json = nlohmann::json;

absl::Status FieldError(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(field, ": ", message));
}

// What a JSON value is, for messages ("got a number").
std::string Kind(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "something else";
  }
}

absl::StatusOr<std::string> StringField(const Json& j, std::string_view field) {
  if (!j.is_string()) return FieldError(field, StrCat("expected a string, got ", Kind(j)));
  return j.get<std::string>();
}

// Unix seconds (a number, or a string as the Prometheus API takes it) or RFC 3339.
absl::StatusOr<int64_t> Time(const Json& j, std::string_view field) {
  if (j.is_number()) {
    const double s = j.get<double>();
    if (!std::isfinite(s) || std::fabs(s) > 1e13) {
      return FieldError(field, StrCat("out of range (", j.dump(), ")"));
    }
    return static_cast<int64_t>(std::llround(s * 1000));
  }
  if (j.is_string()) {
    absl::StatusOr<int64_t> t = ParseApiTimeMs(j.get<std::string>());
    if (t.ok()) return t;
  }
  return FieldError(field, StrCat("expected unix seconds or an RFC 3339 time, got ", j.dump()));
}

absl::Status CheckUrl(const std::string& url) {
  if (url.empty() || url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
    return absl::OkStatus();
  }
  return FieldError("url", "expected an http:// or https:// URL");
}

}  // namespace

const std::vector<std::string>& DefaultEventTypes() {
  static const std::vector<std::string> types = {"deploy", "flag", "config", "incident", "note"};
  return types;
}

void AppendEventJson(const storage::Event& e, std::string* out) {
  StrAppend(out, "{\"id\":", e.id, ",\"type\":");
  AppendJsonString(e.type, out);
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"service", &e.service},
                             {"env", &e.env},
                             {"who", &e.who},
                             {"what", &e.what},
                             {"url", &e.url}}) {
    StrAppend(out, ",\"", name, "\":");
    AppendJsonString(*value, out);
  }
  out->append(",\"time\":");
  AppendTimestamp(e.time_ms, out);
  if (e.end_ms != 0) {
    out->append(",\"end\":");
    AppendTimestamp(e.end_ms, out);
  }
  out->append(",\"tags\":{");
  for (size_t i = 0; i < e.tags.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(e.tags[i].first, out);
    out->push_back(':');
    AppendJsonString(e.tags[i].second, out);
  }
  out->append("}}");
}

std::string EventToJson(const storage::Event& event) {
  std::string out;
  AppendEventJson(event, &out);
  return out;
}

absl::StatusOr<storage::Event> ParseEventJson(std::string_view body, int64_t now_ms,
                                              const std::vector<std::string>& types) {
  if (body.size() > kMaxEventBodyBytes) {
    return absl::InvalidArgumentError(
        StrCat("body: larger than ", kMaxEventBodyBytes, " bytes (", body.size(), ")"));
  }
  Json j;
  try {
    j = Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag;
    // also out_of_range.406 for a number too large for a double ("1e999").
    std::string what = e.what();
    const size_t tag_end = what.find("] ");
    if (tag_end != std::string::npos) what = what.substr(tag_end + 2);
    return absl::InvalidArgumentError(StrCat("body: not valid JSON: ", what));
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError(StrCat("body: expected a JSON object, got ", Kind(j)));
  }
  storage::Event e;
  bool has_time = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "type") {
      PL_ASSIGN_OR_RETURN(e.type, StringField(value, key));
    } else if (key == "service") {
      PL_ASSIGN_OR_RETURN(e.service, StringField(value, key));
    } else if (key == "env") {
      PL_ASSIGN_OR_RETURN(e.env, StringField(value, key));
    } else if (key == "who") {
      PL_ASSIGN_OR_RETURN(e.who, StringField(value, key));
    } else if (key == "what") {
      PL_ASSIGN_OR_RETURN(e.what, StringField(value, key));
    } else if (key == "url") {
      PL_ASSIGN_OR_RETURN(e.url, StringField(value, key));
    } else if (key == "time") {
      if (!value.is_null()) {
        PL_ASSIGN_OR_RETURN(e.time_ms, Time(value, key));
        has_time = true;
      }
    } else if (key == "end") {
      if (!value.is_null()) {
        PL_ASSIGN_OR_RETURN(e.end_ms, Time(value, key));
      }
    } else if (key == "tags") {
      if (value.is_null()) continue;
      if (!value.is_object()) {
        return FieldError(key, StrCat("expected an object of strings, got ", Kind(value)));
      }
      for (const auto& [name, v] : value.items()) {
        PL_ASSIGN_OR_RETURN(std::string text, StringField(v, StrCat("tags.", name)));
        e.tags.emplace_back(name, std::move(text));
      }
    } else if (key == "id") {
      return FieldError(key, "assigned by the server; leave it out");
    } else {
      return FieldError(key,
                        "unknown field (expected type, service, env, who, what, url, time, "
                        "end, tags)");
    }
  }
  if (e.type.empty()) {
    return FieldError("type", StrCat("required: one of ", absl::StrJoin(types, ", ")));
  }
  if (std::find(types.begin(), types.end(), e.type) == types.end()) {
    return FieldError(
        "type", StrCat("expected one of ", absl::StrJoin(types, ", "), ", got \"", e.type, "\""));
  }
  if (e.what.empty()) return FieldError("what", "required: what changed");
  PL_RETURN_IF_ERROR(CheckUrl(e.url));
  if (!has_time) e.time_ms = now_ms;
  if (e.end_ms != 0 && e.end_ms == e.time_ms) e.end_ms = 0;
  std::sort(e.tags.begin(), e.tags.end());
  PL_RETURN_IF_ERROR(storage::ValidateEvent(e));
  return e;
}

}  // namespace plumbline::query
