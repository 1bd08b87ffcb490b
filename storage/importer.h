// Bulk import of Prometheus text exposition (VictoriaMetrics' /api/v1/import/prometheus
// format, millisecond timestamps) and OpenMetrics text (second timestamps, # EOF), streamed:
// bytes in, sealed chunks out through a BulkWriter, in batches of `flush_samples` samples.
//
// Bad lines are reported with their line number and skipped; the valid rest is kept. Samples
// the store refuses (out of order per series, older than the retention) are counted. Each
// batch is one atomic write, so the store is consistent whenever the import stops.
// Lines without a timestamp get the import's start time. Owned by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "storage/engine.h"
#include "storage/import/prom_text_parser.h"

namespace plumbline::storage {

struct ImportOptions {
  import::TimestampUnit timestamp_unit = import::TimestampUnit::kAuto;
  size_t flush_samples = 1 << 20;
  size_t max_errors_kept = 20;
};

struct ImportSummary {
  uint64_t bytes = 0;
  uint64_t lines = 0;
  uint64_t samples_parsed = 0;
  uint64_t samples_imported = 0;
  uint64_t series = 0;                    // distinct series seen
  uint64_t lines_rejected = 0;            // syntax errors
  uint64_t out_of_order = 0;              // refused by the store
  uint64_t too_old = 0;                   // refused by the store
  uint64_t metadata = 0;                  // # HELP / # TYPE / # UNIT lines kept
  std::vector<std::string> first_errors;  // "line 12: ..." (at most max_errors_kept)
  uint64_t rejected() const { return lines_rejected + out_of_order + too_old; }
  // "imported 8640000 samples of 1000 series; 2 lines rejected (line 3: ...)"
  std::string ToString() const;
};

class Importer final : private import::ParserSink {
 public:
  Importer(Engine* engine, const ImportOptions& options = {});
  ~Importer() override;

  // Feeds the next bytes (any split). An error means the store refused a write: stop.
  absl::Status Feed(std::string_view bytes);
  // Parses the rest, writes the last batch and the metadata.
  absl::StatusOr<ImportSummary> Finish();
  // Figures so far (for progress displays).
  const ImportSummary& progress() const { return summary_; }

 private:
  void OnSample(const import::SampleLine& sample) override;
  void OnMetadata(const import::MetadataLine& metadata) override;
  void OnError(uint64_t line_number, std::string_view message) override;
  void FlushBatch();

  Engine* engine_;
  ImportOptions options_;
  std::unique_ptr<BulkWriter> writer_;
  import::PromTextParser parser_;
  int64_t now_ms_;
  absl::Status status_;  // first write error
  ImportSummary summary_;

  std::string last_series_;
  uint32_t last_handle_ = 0;
  bool have_last_ = false;
  absl::flat_hash_map<std::string, uint32_t> series_cache_;
  absl::flat_hash_map<std::string, MetricMetadata> metadata_;
};

}  // namespace plumbline::storage
