#include "app/webhook.h"

#include <string>
#include <string_view>

#include "app/http_client.h"
#include "common/build_info.h"
#include "common/strings.h"

namespace plumbline::app {
namespace {

absl::StatusOr<int> Post(const std::string& url, const std::string& body, int64_t timeout_ms) {
  // One client per call: deliveries are rare and each worker thread has its own call.
  HttpClient client;
  HttpClient::Request request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.timeout_ms = timeout_ms > 0 ? timeout_ms : 1;  // 0 would mean no limit
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", StrCat("Plumbline/", kVersion)},
                     {"Expect", ""}};  // no wait for "100 Continue" (libcurl asks over 1 MiB)
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  if (response.ok()) return response->status;
  // HttpClient says "cannot reach <url>: <reason>": keep the reason, never the URL.
  return absl::Status(response.status().code(),
                      StrCat("cannot reach the receiver: ", FailureReason(response.status(), url)));
}

}  // namespace

query::DeliverFn HttpDeliver() { return Post; }

}  // namespace plumbline::app
