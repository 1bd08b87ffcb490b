// The HTTP/1.1 server: one port for API, UI and /metrics. Built on Boost.Beast, which stays
// inside http_server.cc (the slowest file to compile; nothing else includes Beast).
//
// Threads: `threads` Asio threads accept, read, run handlers and write. Thread-safe: Shutdown
// may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "web/router.h"

namespace prometheus {
class Registry;
}

namespace plumbline::web {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  int threads = 4;
  size_t max_header_bytes = 64 << 10;     // request line + headers; larger gets 431
  int64_t idle_timeout_ms = 120'000;      // keep-alive connection with no request
  int64_t read_timeout_ms = 60'000;       // a request must arrive in full within this
  size_t max_connections = 1024;          // beyond this, new connections get 503 and close
};

class HttpServer {
 public:
  // Binds and starts serving. `router` and `registry` must outlive the server. Registers
  // plumbline_http_requests_total{handler,code} and
  // plumbline_http_request_duration_seconds{handler} in `registry`.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           const Router* router,
                                                           prometheus::Registry* registry);
  virtual ~HttpServer() = default;

  // The bound port (useful with port 0).
  virtual int port() const = 0;

  // Graceful stop: stop accepting, let in-flight requests finish and their responses be
  // written (with Connection: close), close idle connections, then stop the threads.
  // Connections still busy after `deadline_ms` are closed. Idempotent.
  virtual void Shutdown(int64_t deadline_ms) = 0;
};

}  // namespace plumbline::web
