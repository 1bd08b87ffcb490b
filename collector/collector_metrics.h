// The collector's own metrics (plumbline_statsd_*). The receivers count into their shards'
// relaxed atomics; the flusher publishes the totals here once per tick. Used by the flusher
// thread only (prometheus-cpp objects are themselves thread-safe for /metrics).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/shard.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace plumbline::collector {

class CollectorMetrics {
 public:
  explicit CollectorMetrics(prometheus::Registry* registry);

  // Adds what each shard counted since the last call. `transports[i]` labels shards[i].
  void Publish(const std::vector<Shard*>& shards, const std::vector<std::string>& transports);
  // Kernel drops are read from /proc, cumulative per socket set.
  void SetKernelDrops(uint64_t total);

  prometheus::Histogram* flush_seconds;
  prometheus::Gauge* flush_series;
  prometheus::Counter* samples_written;
  prometheus::Counter* samples_refused;
  prometheus::Counter* store_failures;
  prometheus::Counter* type_conflicts;
  prometheus::Counter* invalid_series;
  prometheus::Counter* dropped_by_mapping;
  prometheus::Counter* events_written;
  prometheus::Counter* events_failed;
  prometheus::Gauge* keys;

 private:
  struct Published {
    uint64_t datagrams = 0, lines = 0, rejected = 0, truncated = 0, events_dropped = 0;
    uint64_t bad[kNumParseErrors] = {};
  };
  std::shared_ptr<prometheus::Registry> own_registry_;
  prometheus::Family<prometheus::Counter>* datagrams_;
  prometheus::Family<prometheus::Counter>* lines_;
  prometheus::Family<prometheus::Counter>* bad_lines_;
  prometheus::Counter* series_rejected_;
  prometheus::Counter* truncated_;
  prometheus::Counter* events_dropped_;
  prometheus::Counter* kernel_drops_;
  uint64_t kernel_drops_published_ = 0;
  std::vector<Published> published_;
};

}  // namespace plumbline::collector
