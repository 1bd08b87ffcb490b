// One HTTP connection for a remote-write shard: POSTs a snappy WriteRequest with the
// protocol's headers on libcurl, keeping the connection alive between requests.
// Owned by one thread (one per shard); create it on the thread that starts the shards.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plumbline::remote {

class HttpPoster {
 public:
  // `abort_at_ms` (may be null) is polled during a transfer: once it holds a time (steady
  // clock, ms; 0: none) that has passed, the request is abandoned.
  HttpPoster(int64_t timeout_ms, const std::atomic<int64_t>* abort_at_ms);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  struct Response {
    int status = 0;
    std::string body;  // the first KiB, for error messages
  };
  // Unavailable when the receiver cannot be reached or the transfer failed ("cannot reach
  // http://...: Connection refused"); any HTTP status is a Response.
  absl::StatusOr<Response> Post(const std::string& url, std::string_view body);

 private:
  void* curl_;  // CURL*, owned
  const int64_t timeout_ms_;
  const std::atomic<int64_t>* abort_at_ms_;
};

// Milliseconds of the steady clock (the time base of `abort_at_ms`).
int64_t SteadyNowMs();

}  // namespace plumbline::remote
