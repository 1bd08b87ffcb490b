// The HTTP/1.1 server: one port for API, UI and /metrics. Built on Boost.Beast, which stays
// inside http_server.cc (the slowest file to compile; nothing else includes Beast).
//
// Threads: `io_threads` Asio threads accept, read and write; handlers (and streaming body
// consumers) run on `threads` threads of their own, so that handlers may block. Thread-safe:
// Shutdown may be called from any thread.
//
// Answers: 400 malformed request, 404 no route, 405 wrong method (with Allow), 413 body over
// Route::max_body_bytes (buffered routes; streaming routes have no limit), 431 request line +
// headers over max_header_bytes, 503 over max_connections, 500 when a handler throws. After
// an answer that leaves request bytes unread, the server shuts down its write side and reads
// and discards what the client still sends (at most 30 s / 64 MiB) before closing, so that
// the client reads the answer instead of a connection reset. Every response carries
// Content-Length and Date. Metrics: see web/internal/http_metrics.h.
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
  int threads = 4;                        // handler threads: requests handled at once
  int io_threads = 0;                     // socket threads; 0: one per two cores, 1 to 4
  size_t max_header_bytes = 64 << 10;     // request line + headers; larger gets 431
  // Timeouts; 0 or less means none.
  int64_t idle_timeout_ms = 120'000;  // keep-alive connection with no request
  // From its first byte, a request (headers and, for buffered routes, the body) must arrive
  // in full within this; a streaming body must make progress (a read) within this. Also
  // bounds the writing of a response to a client that does not read.
  int64_t read_timeout_ms = 60'000;
  size_t max_connections = 1024;  // beyond this, new connections get 503 and close
};

// Thread-safe.
class HttpServer {
 public:
  // Binds and starts serving. `router` and `registry` must outlive the server, and no route
  // may be added once it started. Registers plumbline_http_requests_total{handler,code} and
  // plumbline_http_request_duration_seconds{handler} in `registry`.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           const Router* router,
                                                           prometheus::Registry* registry);
  virtual ~HttpServer() = default;

  // The bound port (useful with port 0).
  virtual int port() const = 0;

  // Graceful stop: stop accepting, let in-flight requests finish and their responses be
  // written (with Connection: close), close idle connections, then stop the threads.
  // Connections still busy after `deadline_ms` are closed (a handler still running is waited
  // for: handlers are synchronous). Idempotent; concurrent callers all return once the
  // server has stopped. Called on one of the server's own threads (from a handler), it only
  // starts the shutdown and returns; a later call from another thread, or the destructor,
  // waits and joins. Not async-signal-safe: call it from a signal-handling thread, not from
  // a signal handler. The destructor calls Shutdown(5000) when needed; never destroy the
  // server on one of its own threads.
  virtual void Shutdown(int64_t deadline_ms) = 0;
};

}  // namespace plumbline::web
