#include "app/event_command.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "app/http_client.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "query/notifier.h"

namespace plumbline::app {
namespace {

constexpr int64_t kRequestTimeoutMs = 15'000;

std::string CurrentUser() {
  if (const char* user = getenv("USER"); user != nullptr && *user != '\0') return user;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "";
}

// "a1b2c3d fix login" for the commit checked out in the working directory, or "" outside a
// git checkout (or without git).
std::string GitHeadSummary() {
  FILE* pipe = popen("git log -1 --format='%h %s' 2>/dev/null", "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  if (pclose(pipe) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

int RunEvent(const EventFlags& flags) {
  nlohmann::json body = nlohmann::json::object();
  body["type"] = flags.type;
  if (!flags.service.empty()) body["service"] = flags.service;
  const std::string who = flags.who.empty() ? CurrentUser() : flags.who;
  if (!who.empty()) body["who"] = who;
  std::string what = flags.what;
  if (what.empty()) what = GitHeadSummary();
  if (what.empty()) {
    std::cerr << "--what: required outside a git checkout (what changed: a sha, a description)\n";
    return 2;
  }
  body["what"] = what;
  if (!flags.url.empty()) body["url"] = flags.url;
  if (!flags.env.empty()) body["env"] = flags.env;
  if (!flags.time.empty()) body["time"] = flags.time;
  if (!flags.end.empty()) body["end"] = flags.end;
  if (!flags.tags.empty()) {
    nlohmann::json tags = nlohmann::json::object();
    for (const std::string& tag : flags.tags) {
      const size_t eq = tag.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "--tag: expected name=value, got \"" << tag << "\"\n";
        return 2;
      }
      tags[tag.substr(0, eq)] = tag.substr(eq + 1);
    }
    body["tags"] = std::move(tags);
  }
  std::string text;
  try {
    text = body.dump();
  } catch (const nlohmann::json::type_error&) {
    std::cerr << "a flag's value is not valid UTF-8\n";
    return 2;
  }

  const std::string token = TokenOrEnv(flags.token);
  HttpClient::Request request;
  request.method = "POST";
  request.url = ServerUrl(flags.server, "/api/v1/events");
  request.body = std::move(text);
  request.headers.push_back({"Content-Type", "application/json"});
  if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token});
  request.timeout_ms = kRequestTimeoutMs;
  HttpClient client;
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  if (!response.ok()) {
    std::cerr << response.status().message() << "\n";
    return 3;
  }
  if (response->status != 201) {
    std::cerr << "the server refused the event (HTTP " << response->status
              << "): " << ErrorMessageOf(response->body) << "\n";
    return 1;
  }
  nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_object()) {
    std::cerr << "unexpected answer from the server: " << response->body << "\n";
    return 1;
  }
  const nlohmann::json& data = answer["data"];
  storage::Event e;
  e.type = data.value("type", "");
  e.service = data.value("service", "");
  e.env = data.value("env", "");
  e.who = data.value("who", "");
  e.what = data.value("what", "");
  e.url = data.value("url", "");
  std::cout << "recorded " << e.type << " " << data.value("id", uint64_t{0}) << ": "
            << query::EventMessage(e) << "\n";
  return 0;
}

}  // namespace plumbline::app
