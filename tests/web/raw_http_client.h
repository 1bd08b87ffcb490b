// A blocking HTTP/1.1 client on plain POSIX sockets, for tests that must send exact bytes
// (malformed requests, 10 MB headers, pipelining). Every wait is bounded by a socket timeout.
// Owned by one thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plumbline::web::testing {

struct RawResponse {
  int status = 0;
  std::string status_line;                                   // without CRLF
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first header named `name` (lower-case), or "" when absent.
  std::string Header(std::string_view name) const;
};

class RawHttpClient {
 public:
  // Connects to `host` (an IPv4 or IPv6 literal) on `port`; connected() says whether it did.
  explicit RawHttpClient(int port, const std::string& host = "127.0.0.1");
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int connect_errno() const { return connect_errno_; }

  // Sends all of `data`; false when the connection failed (errno kept in last_errno()).
  bool Send(std::string_view data);
  // Reads one response. `head` says the request was HEAD (no body follows). False on EOF,
  // error or timeout before a complete response.
  bool Read(RawResponse* response, bool head = false);
  // Send + Read.
  bool RoundTrip(std::string_view request, RawResponse* response, bool head = false);
  // Waits until the server closes the connection (EOF or reset), discarding what arrives.
  // False on timeout.
  bool WaitForClose();
  int last_errno() const { return last_errno_; }

 private:
  // Reads more bytes into buffer_; false on EOF, error or timeout.
  bool Fill();

  int fd_ = -1;
  int connect_errno_ = 0;
  int last_errno_ = 0;
  std::string buffer_;  // received, not yet consumed
};

// A request "METHOD target HTTP/1.1" with a Host header, `extra_headers` (each ending in
// CRLF) and, when `body` is not empty, a Content-Length.
std::string MakeRequest(std::string_view method, std::string_view target,
                        std::string_view body = "", std::string_view extra_headers = "");

}  // namespace plumbline::web::testing
