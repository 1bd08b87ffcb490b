#include "storage/internal/storage_metrics.h"

namespace plumbline::storage {
namespace {

prometheus::Counter* MakeCounter(prometheus::Registry& r, const char* name, const char* help,
                                 const prometheus::Labels& labels = {}) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Gauge* MakeGauge(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Histogram* MakeHistogram(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add(
      {},
      prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
}

}  // namespace

StorageMetrics::StorageMetrics(prometheus::Registry* registry) {
  if (registry == nullptr) {
    own_registry = std::make_shared<prometheus::Registry>();
    registry = own_registry.get();
  }
  prometheus::Registry& r = *registry;
  samples_appended =
      MakeCounter(r, "plumbline_storage_samples_appended_total", "Samples written to the store.");
  samples_duplicate = MakeCounter(r, "plumbline_storage_samples_duplicate_total",
                                  "Samples ignored because they repeat the last sample exactly.");
  auto& refused = prometheus::BuildCounter()
                      .Name("plumbline_storage_samples_refused_total")
                      .Help("Samples refused by the store, by reason.")
                      .Register(r);
  refused_out_of_order = &refused.Add({{"reason", "out_of_order"}});
  refused_too_old = &refused.Add({{"reason", "too_old"}});
  refused_unknown_ref = &refused.Add({{"reason", "unknown_series"}});
  series_created = MakeCounter(r, "plumbline_storage_series_created_total", "Series created.");
  series_removed = MakeCounter(r, "plumbline_storage_series_removed_total",
                               "Series removed from the index after their data expired.");
  auto& postings_cache = prometheus::BuildCounter()
                             .Name("plumbline_storage_postings_cache_requests_total")
                             .Help(
                                 "Day lookups of label matchers, by whether the postings "
                                 "cache held their series.")
                             .Register(r);
  postings_cache_hits = &postings_cache.Add({{"result", "hit"}});
  postings_cache_misses = &postings_cache.Add({{"result", "miss"}});
  chunks_sealed =
      MakeCounter(r, "plumbline_storage_chunks_sealed_total", "Chunks encoded and written.");
  chunk_parts_merged = MakeCounter(r, "plumbline_storage_chunk_parts_merged_total",
                                   "Chunks sealed in parts of a window and merged back into one.");
  chunk_bytes = MakeCounter(r, "plumbline_storage_chunk_bytes_total",
                            "Bytes of encoded chunks written (before RocksDB compression).");
  append_failures = MakeCounter(r, "plumbline_storage_append_failures_total",
                                "Appends that failed to write (nothing of them was stored).");
  retention_runs = MakeCounter(r, "plumbline_storage_retention_runs_total",
                               "Retention passes that dropped expired days.");
  series = MakeGauge(r, "plumbline_storage_series", "Series ever created (next series ref - 1).");
  head_series = MakeGauge(r, "plumbline_storage_head_series", "Series held in memory.");
  head_samples = MakeGauge(r, "plumbline_storage_head_samples", "Samples in open chunks.");
  head_bytes =
      MakeGauge(r, "plumbline_storage_head_chunk_bytes", "Bytes held by open chunks in memory.");
  append_seconds = MakeHistogram(r, "plumbline_storage_append_duration_seconds",
                                 "Time to write one batch of samples.");
  select_seconds = MakeHistogram(r, "plumbline_storage_select_duration_seconds",
                                 "Time to resolve matchers and open a series set.");
}

}  // namespace plumbline::storage
