// The server's own metrics: build info, uptime and process figures, and the /metrics text.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/registry.h"
#include "storage/engine.h"

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

// Stores what /metrics shows in the server's own store every `interval_ms` (stamped at the
// scrape time, without job/instance labels), so that the shipped "Plumbline itself" dashboard
// and PromQL read the server's own figures. One background thread; the destructor stops it.
class SelfScraper {
 public:
  // `exposition` and `engine` must outlive the scraper.
  SelfScraper(const MetricsExposition* exposition, storage::Engine* engine, int64_t interval_ms);
  ~SelfScraper();
  SelfScraper(const SelfScraper&) = delete;
  SelfScraper& operator=(const SelfScraper&) = delete;

  // One scrape now (the thread calls it; public for tests). False when the store refused it.
  bool ScrapeOnce();

 private:
  void Loop();

  const MetricsExposition* const exposition_;
  storage::Engine* const engine_;
  const int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace plumbline::app
