#include "app/drill_command.h"

#include <iostream>

#include "app/http_client.h"
#include "common/url.h"
#include "nlohmann/json.hpp"

namespace plumbline::app {
namespace {

// A drill waits for each destination in turn, each up to its own timeout.
constexpr int64_t kRequestTimeoutMs = 120'000;

}  // namespace

int RunDrill(const DrillFlags& flags) {
  const std::string token = TokenOrEnv(flags.token);
  HttpClient::Request request;
  request.method = "POST";
  request.url = ServerUrl(flags.server, "/-/drill");
  if (!flags.service.empty()) request.url += "?service=" + PercentEncode(flags.service);
  if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token});
  request.timeout_ms = kRequestTimeoutMs;
  HttpClient client;
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  if (!response.ok()) {
    std::cerr << response.status().message() << "\n";
    return 3;
  }
  nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
  const bool has_results = answer.is_object() && answer.contains("data") &&
                           answer["data"].is_object() && answer["data"].contains("results") &&
                           answer["data"]["results"].is_array();
  if (!has_results) {
    std::cerr << "the server refused the drill (HTTP " << response->status
              << "): " << ErrorMessageOf(response->body) << "\n";
    return 1;
  }
  const nlohmann::json& results = answer["data"]["results"];
  if (results.empty()) {
    std::cout << "fire drill: the server has no Alertmanager (--alertmanager-url) and no chat "
                 "notifier (notifiers:) to send alerts to\n";
    return 1;
  }
  bool all_ok = true;
  std::cout << "fire drill" << (flags.service.empty() ? "" : " for " + flags.service) << ":\n";
  for (const nlohmann::json& r : results) {
    const bool ok = r.value("ok", false);
    all_ok = all_ok && ok;
    std::cout << "  " << (ok ? "ok    " : "FAILED") << "  " << r.value("target", "?") << ": "
              << r.value("detail", "") << "\n";
  }
  return all_ok ? 0 : 1;
}

}  // namespace plumbline::app
