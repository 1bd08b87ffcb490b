// libcurl under query::QueryBackend: one HttpClient per calling thread.
#include "app/query_backend_client.h"

#include <string>
#include <string_view>

#include "app/http_client.h"
#include "common/build_info.h"
#include "common/strings.h"

namespace plumbline::app {
namespace {

absl::StatusOr<query::BackendResponse> Post(const std::string& url, const std::string& form_body,
                                            int64_t timeout_ms) {
  // HTTP threads and rule groups each ask from their own thread; keeping the client keeps
  // its connection to the backend open between requests.
  thread_local HttpClient client;
  HttpClient::Request request;
  request.method = "POST";
  request.url = url;
  request.body = form_body;
  request.timeout_ms = timeout_ms > 0 ? timeout_ms : 1;  // 0 would mean no limit
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"},
                     {"User-Agent", StrCat("Plumbline/", kVersion)},
                     {"Expect", ""}};  // no wait for "100 Continue" (libcurl asks over 1 MiB)
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  if (response.ok()) return query::BackendResponse{response->status, std::move(response->body)};
  // The caller names the backend itself (without its user info).
  return absl::Status(response.status().code(), FailureReason(response.status(), url));
}

}  // namespace

query::BackendPost HttpBackendPost() { return Post; }

}  // namespace plumbline::app
