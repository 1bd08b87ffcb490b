// The server's Prometheus metrics, one set per route name:
//   plumbline_http_requests_total{handler,code}       counter
//   plumbline_http_request_duration_seconds{handler}  histogram, 1 ms .. 60 s
// `handler` is Route::name (the pattern when the name is empty), or "notfound" for requests
// that matched no route (including requests too malformed to route): never the raw path.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "web/router.h"

namespace prometheus {
class Counter;
class Histogram;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace plumbline::web::internal {

inline constexpr char kNotFoundHandler[] = "notfound";

// The metrics of one handler label. Thread-safe; Record costs no map lookup once a status
// code has been seen.
class HandlerMetrics {
 public:
  HandlerMetrics(prometheus::Family<prometheus::Counter>* requests, prometheus::Histogram* duration,
                 std::string name);
  HandlerMetrics(const HandlerMetrics&) = delete;
  HandlerMetrics& operator=(const HandlerMetrics&) = delete;

  // `status` outside 100..599 counts as 500.
  void Record(int status, double seconds);

 private:
  static constexpr int kMinStatus = 100;
  static constexpr int kMaxStatus = 599;

  prometheus::Family<prometheus::Counter>* const requests_;  // owned by the registry
  prometheus::Histogram* const duration_;                    // owned by the registry
  const std::string name_;
  // The counter of each status code, created on its first use. Writer: the first Record of
  // that code (any server thread; racing writers store the same pointer, since
  // Family::Add returns the existing child). Reader: every Record. Release/acquire, so the
  // counter is fully built before another thread uses it.
  std::array<std::atomic<prometheus::Counter*>, kMaxStatus - kMinStatus + 1> by_status_{};
};

// Every handler's metrics, built once when the server starts. Thread-safe (read-only after
// Create).
class HttpMetrics {
 public:
  // Registers both families in `registry` (which must outlive this) and one histogram per
  // route name. `routes` must not change afterwards: For() finds a route by its position.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpMetrics>> Create(
      prometheus::Registry& registry, const std::vector<Route>& routes);

  // The metrics of `route` (one of the routes given to Create), or "notfound" for nullptr.
  HandlerMetrics& For(const Route* route) const;

 private:
  HttpMetrics() = default;

  const Route* first_route_ = nullptr;
  std::vector<std::unique_ptr<HandlerMetrics>> handlers_;  // one per distinct label
  std::vector<HandlerMetrics*> by_route_;                  // parallel to the routes
  HandlerMetrics* not_found_ = nullptr;
};

}  // namespace plumbline::web::internal
