// A small HTTP client for the CLI subcommands (import --server, deploy, query), on libcurl.
// Thread-compatible: use one per thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace plumbline::app {

class HttpClient {
 public:
  struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // used when body_source is not set
    // Streams the body (chunked): fills up to `capacity` bytes, returns the count, 0 at the
    // end, -1 on error.
    std::function<ssize_t(char* buffer, size_t capacity)> body_source;
    int64_t timeout_ms = 10'000;  // whole request; 0 = no limit (connecting still has one)
  };
  struct Response {
    int status = 0;
    std::string body;
  };

  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Unavailable when the server cannot be reached ("cannot reach http://...: Connection
  // refused"); any HTTP status is a Response.
  absl::StatusOr<Response> Send(const Request& request);

 private:
  void* curl_;  // CURL*, owned
};

// The "error" field of a Prometheus error envelope, or the body itself (trimmed).
std::string ErrorMessageOf(const std::string& body);

// Why Send failed for `url`, without the URL (which may hold a secret: a webhook token, a
// password): Send's "cannot reach <url>: <reason>" gives "<reason>"; any other message that
// names the URL gives "request failed".
std::string FailureReason(const absl::Status& status, const std::string& url);

// A --server flag's URL with `path` ("/api/v1/events") appended, without doubled slashes.
std::string ServerUrl(std::string_view server, std::string_view path);

// The --token flag, or $PLUMBLINE_TOKEN when the flag is empty.
std::string TokenOrEnv(const std::string& flag);

}  // namespace plumbline::app
