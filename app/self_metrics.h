// The server's own metrics: build info, uptime and process figures, and the /metrics text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace plumbline::app {

// process_* metrics read from /proc at scrape time (as Prometheus' Go client exposes them),
// plus plumbline_build_info and plumbline_uptime_seconds. Thread-safe.
class ProcessCollector final : public prometheus::Collectable {
 public:
  ProcessCollector();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double start_time_seconds_;  // wall clock at construction
  double start_monotonic_;
};

// Everything /metrics exposes, serialised in the Prometheus text format 0.0.4. Thread-safe;
// sources are added before serving starts.
class MetricsExposition {
 public:
  void Add(std::shared_ptr<prometheus::Collectable> source);
  std::string Render() const;
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
};

}  // namespace plumbline::app
