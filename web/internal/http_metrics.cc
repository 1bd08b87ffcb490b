#include "web/internal/http_metrics.h"

#include <exception>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace plumbline::web::internal {

HandlerMetrics::HandlerMetrics(prometheus::Family<prometheus::Counter>* requests,
                               prometheus::Histogram* duration, std::string name)
    : requests_(requests), duration_(duration), name_(std::move(name)) {}

void HandlerMetrics::Record(int status, double seconds) {
  if (status < kMinStatus || status > kMaxStatus) status = 500;
  std::atomic<prometheus::Counter*>& slot = by_status_[status - kMinStatus];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &requests_->Add({{"handler", name_}, {"code", std::to_string(status)}});
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
  duration_->Observe(seconds);
}

absl::StatusOr<std::unique_ptr<HttpMetrics>> HttpMetrics::Create(prometheus::Registry& registry,
                                                                 const std::vector<Route>& routes) {
  auto metrics = std::unique_ptr<HttpMetrics>(new HttpMetrics());
  try {
    auto& requests = prometheus::BuildCounter()
                         .Name("plumbline_http_requests_total")
                         .Help("HTTP requests answered, by handler and status code.")
                         .Register(registry);
    auto& durations =
        prometheus::BuildHistogram()
            .Name("plumbline_http_request_duration_seconds")
            .Help("Time from a request's first byte until its response is ready to be written.")
            .Register(registry);
    const prometheus::Histogram::BucketBoundaries buckets = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    std::map<std::string, HandlerMetrics*> by_name;
    const auto handler = [&](const std::string& name) {
      auto it = by_name.find(name);
      if (it != by_name.end()) return it->second;
      prometheus::Histogram* duration = &durations.Add({{"handler", name}}, buckets);
      metrics->handlers_.push_back(std::make_unique<HandlerMetrics>(&requests, duration, name));
      return by_name[name] = metrics->handlers_.back().get();
    };
    metrics->not_found_ = handler(kNotFoundHandler);
    for (const Route& route : routes) {
      metrics->by_route_.push_back(handler(route.name.empty() ? route.pattern : route.name));
    }
  } catch (const std::exception& e) {  // prometheus-cpp reports name clashes by throwing
    return absl::AlreadyExistsError(StrCat("cannot register HTTP metrics: ", e.what()));
  }
  metrics->first_route_ = routes.empty() ? nullptr : routes.data();
  return metrics;
}

HandlerMetrics& HttpMetrics::For(const Route* route) const {
  if (route == nullptr) return *not_found_;
  return *by_route_[static_cast<size_t>(route - first_route_)];
}

}  // namespace plumbline::web::internal
