// The storage engine's own metrics (plumbline_storage_*). Thread-safe (prometheus-cpp).
#pragma once

#include <memory>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace plumbline::storage {

struct StorageMetrics {
  // Registers in `registry`, or in a private registry when it is null.
  explicit StorageMetrics(prometheus::Registry* registry);

  std::shared_ptr<prometheus::Registry> own_registry;
  prometheus::Counter* samples_appended;
  prometheus::Counter* samples_duplicate;
  prometheus::Counter* refused_out_of_order;
  prometheus::Counter* refused_too_old;
  prometheus::Counter* refused_unknown_ref;
  prometheus::Counter* series_created;
  prometheus::Counter* chunks_sealed;
  prometheus::Counter* chunk_parts_merged;
  prometheus::Counter* chunk_bytes;
  prometheus::Counter* append_failures;
  prometheus::Counter* retention_runs;
  prometheus::Counter* series_removed;
  prometheus::Counter* postings_cache_hits;
  prometheus::Counter* postings_cache_misses;
  prometheus::Gauge* series;
  prometheus::Gauge* head_series;
  prometheus::Gauge* head_samples;
  prometheus::Gauge* head_bytes;
  prometheus::Histogram* append_seconds;
  prometheus::Histogram* select_seconds;
};

}  // namespace plumbline::storage
