// HTTP request/response values and handler types shared by the server, the router and the
// API handlers. No Beast or Asio types here: handlers stay testable without sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace plumbline::web {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // raw request target, e.g. "/api/v1/query?query=up"
  std::string path;    // target before '?', percent-decoding NOT applied
  std::string query;   // target after '?', raw ("" when none)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;            // the whole body (buffered routes only)
  std::string remote_address;  // peer IP as text
  bool remote_is_loopback = false;

  // The first header named `name` (lower-case), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;

  void SetHeader(std::string name, std::string value);
};

// A handler for a route whose body is buffered (up to the route's limit) before it runs.
// Runs on a server thread; may block briefly (storage reads), never for long.
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponse& response)>;

// For routes whose body is large (bulk import): the server hands the body over piece by
// piece as it arrives, so memory stays bounded whatever the body size. One object per request.
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  // Called with consecutive pieces of the body. An error stops reading; Finish still runs.
  virtual absl::Status Consume(std::string_view piece) = 0;
  // Called once after the body ended or Consume failed (`status` says which); fills the answer.
  virtual void Finish(const absl::Status& status, HttpResponse& response) = 0;
};
// Creates the consumer once the headers are in; may answer at once (e.g. 401) by returning
// nullptr after filling `response`.
using StreamingHandler = std::function<std::unique_ptr<BodyConsumer>(const HttpRequest& request,
                                                                     HttpResponse& response)>;

// Standard reason phrase ("Not Found") for a status code.
std::string_view StatusReason(int status);

}  // namespace plumbline::web
