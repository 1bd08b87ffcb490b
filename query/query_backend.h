// A remote Prometheus-compatible query API (Prometheus, VictoriaMetrics, Thanos, ...) that
// the web UI's API routes and the rule engine ask instead of the local store
// (`--query-backend URL`). Requests go to `<URL>/api/v1/...` as form-encoded POSTs, which
// every Prometheus-compatible server accepts. The HTTP transport is injected: query/ knows
// nothing of sockets (app/ passes one on libcurl).
//
// Thread-safe when the transport is: one QueryBackend serves every HTTP thread and every
// rule group.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "query/api.h"
#include "query/value.h"

namespace plumbline::query {

// What the backend answered: any HTTP status is an answer.
struct BackendResponse {
  int status = 0;
  std::string body;
};

// POSTs `form_body` (application/x-www-form-urlencoded) to `url`, waiting at most
// `timeout_ms` for the whole exchange. A non-OK status (Unavailable, DeadlineExceeded) when
// no HTTP answer came; its message is the reason alone ("Couldn't connect to server"),
// without the URL.
using BackendPost = std::function<absl::StatusOr<BackendResponse>(
    const std::string& url, const std::string& form_body, int64_t timeout_ms)>;

// Checks a --query-backend value: an http:// or https:// URL with a host, optionally a path
// prefix (e.g. VictoriaMetrics cluster's http://vmselect:8481/select/0/prometheus), no query
// or fragment. InvalidArgument says what is wrong.
absl::Status ValidateQueryBackendUrl(std::string_view url);

// `params` as application/x-www-form-urlencoded text, in order, repeated names kept.
std::string EncodeForm(const ApiParams& params);

// The result of an /api/v1/query answer: a vector, scalar, string or matrix as Value.
// A Prometheus error envelope becomes the status of its errorType (bad_data ->
// InvalidArgument, execution -> FailedPrecondition, timeout -> DeadlineExceeded, canceled ->
// Cancelled, unavailable -> Unavailable; an HTTP status there, as VictoriaMetrics writes it,
// or none: 400, 422, 503, 504 likewise; anything else -> Internal) with its message; an
// answer that is not the API's JSON is Internal, naming the HTTP status and what was wrong.
absl::StatusOr<Value> ParseQueryResponse(int http_status, std::string_view body);

class QueryBackend {
 public:
  // Covers PromQL's default query timeout of two minutes, plus the trip.
  static constexpr int64_t kDefaultTimeoutMs = 2 * 60 * 1000 + 10'000;

  // `url` must pass ValidateQueryBackendUrl; a trailing '/' is dropped.
  QueryBackend(std::string_view url, BackendPost post, int64_t timeout_ms = kDefaultTimeoutMs);

  // The URL without user info ("http://vm:8428"), for messages and logs.
  const std::string& display_url() const { return display_url_; }

  // Sends `params` to `<URL>/<api_path>` (e.g. "api/v1/query_range") and answers what the
  // backend answered, status and body unchanged. When it cannot be reached: 503 with
  // {"status":"error","errorType":"unavailable","error":"query backend <URL>: <reason>"}.
  ApiResponse Forward(std::string_view api_path, const ApiParams& params) const;

  // An instant query at `time_ms`, as the rule engine and the `query` template function run
  // it. Errors carry "query backend <URL>: " before the reason or the backend's own message.
  absl::StatusOr<Value> Instant(std::string_view expr, int64_t time_ms) const;

 private:
  std::string url_;  // without a trailing '/'
  std::string display_url_;
  BackendPost post_;
  int64_t timeout_ms_;
};

}  // namespace plumbline::query
