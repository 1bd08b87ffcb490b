#include "app/query_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "app/http_client.h"
#include "common/clock.h"
#include "common/strings.h"
#include "common/url.h"
#include "nlohmann/json.hpp"
#include "query/api.h"
#include "query/json_format.h"

namespace plumbline::app {
namespace {

using Json = nlohmann::json;

constexpr int64_t kDefaultRangeMs = 5 * 60 * 1000;
// promtool's default resolution: 250 points over the range, at least a second apart.
constexpr int64_t kDefaultPoints = 250;
// The server gives a query at most 2 minutes; the client waits a little longer.
constexpr int64_t kRequestTimeoutMs = 150'000;

std::string FormBody(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body.push_back('&');
    StrAppend(&body, PercentEncode(name), "=", PercentEncode(value));
  }
  return body;
}

std::string SecondsText(int64_t ms) {
  std::string out;
  query::AppendTimestamp(ms, &out);
  return out;
}

// A JSON timestamp (seconds with up to millisecond precision) as the API printed it.
std::string TimestampText(const Json& t) {
  return t.is_number() ? SecondsText(std::llround(t.get<double>() * 1000)) : t.dump();
}

// up{instance="a", job="api"}, as Prometheus prints a label set; {} when empty.
std::string LabelsText(const Json& metric) {
  std::string name, labels;
  if (metric.is_object()) {
    for (const auto& [key, value] : metric.items()) {
      const std::string v = value.is_string() ? value.get<std::string>() : value.dump();
      if (key == "__name__") {
        name = v;
        continue;
      }
      if (!labels.empty()) labels += ", ";
      StrAppend(&labels, key, "=\"");
      for (char c : v) {
        if (c == '\\' || c == '"') labels.push_back('\\');
        if (c == '\n') {
          labels += "\\n";
          continue;
        }
        labels.push_back(c);
      }
      labels.push_back('"');
    }
  }
  if (labels.empty()) return name.empty() ? "{}" : name;
  return StrCat(name, "{", labels, "}");
}

std::string ValueText(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Prints the table of a success response's data; false when the data is not one.
bool PrintResult(const Json& data) {
  if (!data.is_object() || !data.contains("resultType") || !data.contains("result")) return false;
  const std::string type =
      data["resultType"].is_string() ? data["resultType"].get<std::string>() : std::string();
  const Json& result = data["result"];
  if (type == "scalar" || type == "string") {
    if (!result.is_array() || result.size() != 2) return false;
    std::printf("%s\n", ValueText(result[1]).c_str());
    return true;
  }
  if (!result.is_array()) return false;
  if (type == "vector") {
    std::vector<std::pair<std::string, std::string>> rows;
    size_t width = 0;
    for (const Json& sample : result) {
      const Json& value = sample.contains("value") ? sample["value"] : Json();
      rows.emplace_back(LabelsText(sample.value("metric", Json::object())),
                        value.is_array() && value.size() == 2 ? ValueText(value[1]) : "");
      width = std::max(width, rows.back().first.size());
    }
    for (const auto& [labels, value] : rows) {
      std::printf("%-*s  %s\n", static_cast<int>(width), labels.c_str(), value.c_str());
    }
    return true;
  }
  if (type == "matrix") {
    for (const Json& series : result) {
      std::printf("%s\n", LabelsText(series.value("metric", Json::object())).c_str());
      if (!series.contains("values") || !series["values"].is_array()) continue;
      std::vector<std::pair<std::string, std::string>> rows;
      size_t width = 0;
      for (const Json& point : series["values"]) {
        if (!point.is_array() || point.size() != 2) continue;
        rows.emplace_back(TimestampText(point[0]), ValueText(point[1]));
        width = std::max(width, rows.back().first.size());
      }
      for (const auto& [t, value] : rows) {
        std::printf("  %-*s  %s\n", static_cast<int>(width), t.c_str(), value.c_str());
      }
    }
    return true;
  }
  return false;
}

void PrintAnnotations(const Json& body) {
  for (const char* key : {"warnings", "infos"}) {
    if (!body.contains(key) || !body[key].is_array()) continue;
    for (const Json& text : body[key]) {
      std::fprintf(stderr, "%s: %s\n", key[0] == 'w' ? "warning" : "info", ValueText(text).c_str());
    }
  }
}

// Fills in the defaults of a range query: end now, start end - 5m, step for 250 points.
bool RangeParams(const QueryFlags& flags, std::vector<std::pair<std::string, std::string>>* out) {
  std::string end = flags.end.empty() ? SecondsText(SystemClock::Get()->NowMs()) : flags.end;
  std::string start = flags.start;
  std::string step = flags.step;
  if (start.empty() || step.empty()) {
    absl::StatusOr<int64_t> end_ms = query::ParseApiTimeMs(end);
    if (!end_ms.ok()) {
      std::fprintf(stderr, "query: invalid parameter \"end\": %s\n",
                   std::string(end_ms.status().message()).c_str());
      return false;
    }
    if (start.empty()) start = SecondsText(*end_ms - kDefaultRangeMs);
    absl::StatusOr<int64_t> start_ms = query::ParseApiTimeMs(start);
    if (!start_ms.ok()) {
      std::fprintf(stderr, "query: invalid parameter \"start\": %s\n",
                   std::string(start_ms.status().message()).c_str());
      return false;
    }
    if (step.empty()) {
      step = std::to_string(std::max<int64_t>((*end_ms - *start_ms) / 1000 / kDefaultPoints, 1));
    }
  }
  out->emplace_back("start", start);
  out->emplace_back("end", end);
  out->emplace_back("step", step);
  return true;
}

}  // namespace

int RunQuery(const QueryFlags& flags) {
  const bool range = !flags.start.empty() || !flags.end.empty() || !flags.step.empty();
  if (range && !flags.time.empty()) {
    std::fprintf(stderr,
                 "query: --time is for instant queries; a range takes --start, --end, "
                 "--step\n");
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> params = {{"query", flags.expr}};
  if (range) {
    if (!RangeParams(flags, &params)) return 1;
  } else if (!flags.time.empty()) {
    params.emplace_back("time", flags.time);
  }

  HttpClient::Request request;
  request.method = "POST";
  request.url = ServerUrl(flags.server, range ? "/api/v1/query_range" : "/api/v1/query");
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  if (!flags.token.empty()) request.headers.push_back({"Authorization", "Bearer " + flags.token});
  request.body = FormBody(params);
  request.timeout_ms = kRequestTimeoutMs;
  HttpClient client;
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  if (!response.ok()) {
    std::fprintf(stderr, "query: %s\n", std::string(response.status().message()).c_str());
    return 1;
  }
  if (response->status != 200) {
    std::fprintf(stderr, "query: %s\n", ErrorMessageOf(response->body).c_str());
    return 1;
  }
  const Json body = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("data") || !PrintResult(body["data"])) {
    std::fprintf(stderr, "query: unexpected answer from %s: %s\n", request.url.c_str(),
                 response->body.substr(0, 200).c_str());
    return 1;
  }
  PrintAnnotations(body);
  return 0;
}

}  // namespace plumbline::app
