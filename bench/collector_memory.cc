// The collector's own memory per StatsD key: what a receiver shard and the flusher hold for N
// distinct keys once they have been seen and flushed (steady state), measured as the growth
// of the heap in use (glibc mallinfo2, all arenas).
//
// The flusher writes into a sink engine that keeps nothing, so what is measured is the
// collector alone; the storage engine's share (open chunks, series index, memtables) is not
// in it. `bench/ingest_matrix.py` measures the whole process (peak RSS) instead.
//
//   build/bench/collector_memory [--keys 200000] [--kind counter|timer|tagged]
#include <malloc.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "collector/collector_metrics.h"
#include "collector/flusher.h"
#include "collector/mapping.h"
#include "collector/shard.h"
#include "prometheus/registry.h"
#include "storage/engine.h"

namespace plumbline::collector {
namespace {

// Takes every batch and gives each new series a ref; stores nothing.
class SinkEngine final : public storage::Engine {
 public:
  absl::StatusOr<storage::AppendResult> Append(const storage::AppendBatch& batch) override {
    storage::AppendResult r;
    r.appended = batch.size();
    for (size_t i = 0; i < batch.size(); ++i) r.refs.push_back(++next_ref_);
    return r;
  }
  absl::StatusOr<std::unique_ptr<storage::SeriesSet>> Select(
      absl::Span<const storage::LabelMatcher>, int64_t, int64_t) override {
    return absl::UnimplementedError("sink");
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(absl::Span<const storage::LabelMatcher>,
                                                      int64_t, int64_t) override {
    return absl::UnimplementedError("sink");
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(std::string_view,
                                                       absl::Span<const storage::LabelMatcher>,
                                                       int64_t, int64_t) override {
    return absl::UnimplementedError("sink");
  }
  std::unique_ptr<storage::BulkWriter> NewBulkWriter() override { return nullptr; }
  storage::EventStore* events() override { return nullptr; }
  absl::Status PutMetadata(const storage::MetricMetadata&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<storage::MetricMetadata>> Metadata(std::string_view) override {
    return std::vector<storage::MetricMetadata>();
  }
  absl::Status EnforceRetention() override { return absl::OkStatus(); }
  absl::Status Maintain() override { return absl::OkStatus(); }
  absl::Status CompactAll() override { return absl::OkStatus(); }
  storage::EngineStats Stats() override { return {}; }
  std::shared_ptr<prometheus::Collectable> RocksDbCollector() override { return nullptr; }

 private:
  uint64_t next_ref_ = 0;
};

size_t HeapInUse() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

std::string Line(const std::string& kind, int key, int i) {
  const std::string name =
      "service.endpoint" + std::to_string(key % 100) + ".k" + std::to_string(key);
  if (kind == "timer") return name + ":" + std::to_string(i % 500) + "|ms";
  if (kind == "tagged")
    return name + ":1|c|#env:prod,region:eu-west-1,host:h" + std::to_string(key % 50);
  return name + ":1|c";
}

int Main(int argc, char** argv) {
  CLI::App app("Heap the collector holds per StatsD key (shard + flusher, no storage).");
  int keys = 200'000;
  std::string kind = "counter";
  app.add_option("--keys", keys, "distinct keys")->check(CLI::Range(1, 10'000'000));
  app.add_option("--kind", kind, "counter, timer or tagged")
      ->check(CLI::IsMember({"counter", "timer", "tagged"}));
  CLI11_PARSE(app, argc, argv);

  prometheus::Registry registry;
  CollectorMetrics metrics(&registry);
  std::unique_ptr<Mapper> mapper = Mapper::Empty();
  SinkEngine engine;
  std::vector<std::string> lines;
  lines.reserve(keys);
  for (int k = 0; k < keys; ++k) lines.push_back(Line(kind, k, k));

  const size_t base = HeapInUse();
  Shard shard({});
  FlusherOptions options;
  options.interval_ms = 10'000;
  Flusher flusher(options, {&shard}, &engine, mapper.get(), &metrics);
  for (const std::string& l : lines) shard.HandleLine(l);
  const size_t shard_bytes = HeapInUse() - base;
  // Two windows and two flushes: both of a key's windows and every flusher structure exist,
  // as in steady state.
  int64_t t = 1'764'115'200'000;
  for (int round = 0; round < 2; ++round) {
    if (round > 0) {
      for (const std::string& l : lines) shard.HandleLine(l);
    }
    flusher.Flush(t += options.interval_ms, /*receivers_stopped=*/true);
  }
  const size_t total = HeapInUse() - base;
  std::printf(
      "%d %s keys: shard %.1f MB (%.0f bytes/key), shard + flusher %.1f MB (%.0f bytes/key)\n",
      keys, kind.c_str(), shard_bytes / 1e6, static_cast<double>(shard_bytes) / keys, total / 1e6,
      static_cast<double>(total) / keys);
  return 0;
}

}  // namespace
}  // namespace plumbline::collector

int main(int argc, char** argv) { return plumbline::collector::Main(argc, argv); }
