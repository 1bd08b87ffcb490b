// The remote query API client: form encoding, forwarding and the /api/v1/query JSON read
// back into Value.
#include "query/query_backend.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/strings.h"
#include "common/url.h"
#include "nlohmann/json.hpp"
#include "query/api_error.h"

namespace plumbline::query {
namespace {

using Json = nlohmann::json;

// Seconds with millisecond precision, as the API's `time` parameter takes them.
std::string FormatApiTime(int64_t ms) {
  const char* sign = ms < 0 ? "-" : "";
  const int64_t abs = ms < 0 ? -ms : ms;
  return absl::StrFormat("%s%d.%03d", sign, abs / 1000, abs % 1000);
}

// Prometheus names its error types; VictoriaMetrics puts the HTTP status there ("422").
absl::StatusCode CodeOfError(std::string_view type, int http_status) {
  if (type == "bad_data") return absl::StatusCode::kInvalidArgument;
  if (type == "execution") return absl::StatusCode::kFailedPrecondition;
  if (type == "timeout") return absl::StatusCode::kDeadlineExceeded;
  if (type == "canceled") return absl::StatusCode::kCancelled;
  if (type == "unavailable") return absl::StatusCode::kUnavailable;
  if (type == "not_found") return absl::StatusCode::kNotFound;
  int status = http_status;
  if (!type.empty() && !absl::SimpleAtoi(ToAbsl(type), &status)) status = 500;
  switch (status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 422:
      return absl::StatusCode::kFailedPrecondition;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusOr<double> ParseSampleValue(const Json& v) {
  if (!v.is_string()) return absl::InvalidArgumentError("a sample value is not a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "+Inf" || s == "Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  double d = 0;
  if (!absl::SimpleAtod(s, &d)) {
    return absl::InvalidArgumentError(StrCat("a sample value is not a number: \"", s, "\""));
  }
  return d;
}

absl::StatusOr<int64_t> ParseSampleTime(const Json& t) {
  if (!t.is_number()) return absl::InvalidArgumentError("a sample time is not a number");
  const double seconds = t.get<double>();
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e15) {
    return absl::InvalidArgumentError("a sample time is out of range");
  }
  return static_cast<int64_t>(std::llround(seconds * 1000));
}

// [<time>, "<value>"]
absl::StatusOr<FPoint> ParsePoint(const Json& pair) {
  if (!pair.is_array() || pair.size() != 2) {
    return absl::InvalidArgumentError("a sample is not a [time, \"value\"] pair");
  }
  absl::StatusOr<int64_t> t = ParseSampleTime(pair[0]);
  if (!t.ok()) return t.status();
  absl::StatusOr<double> f = ParseSampleValue(pair[1]);
  if (!f.ok()) return f.status();
  return FPoint{*t, *f};
}

absl::StatusOr<storage::Labels> ParseMetric(const Json& metric) {
  if (!metric.is_object()) return absl::InvalidArgumentError("a \"metric\" is not an object");
  std::vector<storage::Label> labels;
  for (auto it = metric.begin(); it != metric.end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(StrCat("label ", it.key(), " is not a string"));
    }
    labels.push_back({it.key(), it.value().get<std::string>()});
  }
  return storage::Labels::FromPairs(std::move(labels));
}

// The "metric" of a vector or matrix element; native histograms are out of scope.
absl::StatusOr<storage::Labels> ElementMetric(const Json& element) {
  if (!element.is_object()) return absl::InvalidArgumentError("a result element is not an object");
  if (element.contains("histogram") || element.contains("histograms")) {
    return absl::InvalidArgumentError("native histograms are not supported");
  }
  if (!element.contains("metric")) return storage::Labels();
  return ParseMetric(element["metric"]);
}

absl::StatusOr<Value> ParseData(const Json& data) {
  if (!data.is_object() || !data.contains("resultType") || !data["resultType"].is_string() ||
      !data.contains("result")) {
    return absl::InvalidArgumentError("\"data\" lacks resultType or result");
  }
  const std::string type = data["resultType"].get<std::string>();
  const Json& result = data["result"];
  if (type == "scalar" || type == "string") {
    if (!result.is_array() || result.size() != 2) {
      return absl::InvalidArgumentError(StrCat("a ", type, " result is not a [time, value] pair"));
    }
    absl::StatusOr<int64_t> t = ParseSampleTime(result[0]);
    if (!t.ok()) return t.status();
    if (type == "string") {
      if (!result[1].is_string()) return absl::InvalidArgumentError("a string result is no string");
      return Value(String{*t, result[1].get<std::string>()});
    }
    absl::StatusOr<double> v = ParseSampleValue(result[1]);
    if (!v.ok()) return v.status();
    return Value(Scalar{*t, *v});
  }
  if (type != "vector" && type != "matrix") {
    return absl::InvalidArgumentError(StrCat("unknown resultType \"", type, "\""));
  }
  if (!result.is_array()) return absl::InvalidArgumentError("a result is not an array");
  if (type == "vector") {
    Vector vector;
    for (const Json& element : result) {
      absl::StatusOr<storage::Labels> metric = ElementMetric(element);
      if (!metric.ok()) return metric.status();
      if (!element.contains("value")) return absl::InvalidArgumentError("a sample has no value");
      absl::StatusOr<FPoint> point = ParsePoint(element["value"]);
      if (!point.ok()) return point.status();
      vector.push_back(Sample{*std::move(metric), point->t, point->f});
    }
    return Value(std::move(vector));
  }
  Matrix matrix;
  for (const Json& element : result) {
    absl::StatusOr<storage::Labels> metric = ElementMetric(element);
    if (!metric.ok()) return metric.status();
    Series series{*std::move(metric), {}};
    if (element.contains("values")) {
      if (!element["values"].is_array()) return absl::InvalidArgumentError("values is no array");
      for (const Json& pair : element["values"]) {
        absl::StatusOr<FPoint> point = ParsePoint(pair);
        if (!point.ok()) return point.status();
        series.floats.push_back(*point);
      }
    }
    matrix.push_back(std::move(series));
  }
  return Value(std::move(matrix));
}

// The first 200 bytes of a body that is not the API's JSON, for an error message.
std::string Excerpt(std::string_view body) {
  std::string text(absl::StripAsciiWhitespace(ToAbsl(body.substr(0, 200))));
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text.empty() ? "an empty body" : StrCat("\"", text, "\"");
}

}  // namespace

absl::Status ValidateQueryBackendUrl(std::string_view url) {
  absl::string_view rest = ToAbsl(url);
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError(
        "expected the http:// or https:// URL of a Prometheus-compatible query API");
  }
  if (url.find_first_of("?# \t\r\n") != std::string_view::npos) {
    return absl::InvalidArgumentError("expected a URL without query, fragment or spaces");
  }
  absl::string_view authority = rest.substr(0, rest.find('/'));
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (authority.empty() || authority[0] == ':') {
    return absl::InvalidArgumentError("the URL has no host");
  }
  return absl::OkStatus();
}

std::string EncodeForm(const ApiParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    AppendPercentEncoded(name, &out);
    out.push_back('=');
    AppendPercentEncoded(value, &out);
  }
  return out;
}

absl::StatusOr<Value> ParseQueryResponse(int http_status, std::string_view body) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("status") || !json["status"].is_string()) {
    return absl::InternalError(
        StrCat("HTTP ", http_status, " without the query API's JSON: ", Excerpt(body)));
  }
  if (json["status"] != "success") {
    const std::string type =
        json.contains("errorType") && json["errorType"].is_string() ? json["errorType"] : "";
    const std::string error = json.contains("error") && json["error"].is_string()
                                  ? json["error"].get<std::string>()
                                  : StrCat("HTTP ", http_status, " without an error message");
    return absl::Status(CodeOfError(type, http_status), error);
  }
  if (!json.contains("data")) return absl::InternalError("a success without \"data\"");
  absl::StatusOr<Value> value = ParseData(json["data"]);
  if (!value.ok()) {
    return absl::InternalError(StrCat("unexpected query result: ", value.status().message()));
  }
  return value;
}

QueryBackend::QueryBackend(std::string_view url, BackendPost post, int64_t timeout_ms)
    : url_(absl::StripSuffix(ToAbsl(url), "/")),
      display_url_(WithoutUserInfo(url_)),
      post_(std::move(post)),
      timeout_ms_(timeout_ms) {}

ApiResponse QueryBackend::Forward(std::string_view api_path, const ApiParams& params) const {
  absl::StatusOr<BackendResponse> answer =
      post_(StrCat(url_, "/", api_path), EncodeForm(params), timeout_ms_);
  if (!answer.ok()) {
    return {ApiErrorHttpStatus(ApiErrorType::kUnavailable),
            ApiErrorJson(ApiErrorType::kUnavailable,
                         StrCat("query backend ", display_url_, ": ", answer.status().message()))};
  }
  return {answer->status, std::move(answer->body)};
}

absl::StatusOr<Value> QueryBackend::Instant(std::string_view expr, int64_t time_ms) const {
  const ApiParams params = {{"query", std::string(expr)}, {"time", FormatApiTime(time_ms)}};
  absl::StatusOr<BackendResponse> answer =
      post_(StrCat(url_, "/api/v1/query"), EncodeForm(params), timeout_ms_);
  absl::StatusOr<Value> value = answer.ok() ? ParseQueryResponse(answer->status, answer->body)
                                            : absl::StatusOr<Value>(answer.status());
  if (value.ok()) return value;
  return absl::Status(value.status().code(),
                      StrCat("query backend ", display_url_, ": ", value.status().message()));
}

}  // namespace plumbline::query
