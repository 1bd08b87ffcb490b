#include "remote/null_engine.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace plumbline::remote {
namespace {

class EmptySeriesSet final : public storage::SeriesSet {
 public:
  const std::vector<storage::Series>& series() const override { return series_; }
  std::unique_ptr<storage::SeriesIterator> Samples(size_t) const override { return nullptr; }

 private:
  std::vector<storage::Series> series_;
};

// Takes everything and keeps nothing (a ForwardingEngine around it forwards on Flush).
class DiscardingBulkWriter final : public storage::BulkWriter {
 public:
  uint32_t Intern(const storage::Labels&) override { return next_handle_++; }
  void Add(uint32_t, int64_t, double) override { ++buffered_; }
  size_t buffered() const override { return buffered_; }
  absl::StatusOr<storage::AppendResult> Flush() override {
    storage::AppendResult result;
    result.appended = buffered_;
    buffered_ = 0;
    return result;
  }

 private:
  uint32_t next_handle_ = 1;
  size_t buffered_ = 0;
};

class NoEventStore final : public storage::EventStore {
 public:
  absl::StatusOr<storage::Event> Add(storage::Event) override {
    return absl::FailedPreconditionError(
        "storage: none keeps no deploy log: record events on the central Plumbline");
  }
  absl::StatusOr<std::vector<storage::Event>> Find(const storage::EventQuery&) override {
    return std::vector<storage::Event>{};
  }
  absl::StatusOr<std::optional<storage::Event>> Get(uint64_t) override { return std::nullopt; }
  absl::Status EnforceRetention() override { return absl::OkStatus(); }
};

class NoCollectable final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override { return {}; }
};

class NullEngine final : public storage::Engine {
 public:
  absl::StatusOr<storage::AppendResult> Append(const storage::AppendBatch& batch) override {
    storage::AppendResult result;
    absl::MutexLock lock(&mu_);
    std::string key;
    // Touched only here, with mu_ held (through pointers, so the lambda needs no annotation).
    auto* const refs = &refs_;
    storage::SeriesRef* const next_ref = &next_ref_;
    batch.ForEach([&](const storage::Labels* labels, storage::SeriesRef ref, int64_t, double) {
      if (labels == nullptr) {
        if (ref == 0 || ref >= *next_ref) {
          ++result.unknown_ref;
        } else {
          ++result.appended;
        }
        return;
      }
      key.clear();
      labels->EncodeTo(&key);
      auto [it, inserted] = refs->try_emplace(key, *next_ref);
      if (inserted) {
        ++*next_ref;
        ++result.series_created;
      }
      result.refs.push_back(it->second);
      ++result.appended;
    });
    return result;
  }
  absl::StatusOr<std::unique_ptr<storage::SeriesSet>> Select(
      absl::Span<const storage::LabelMatcher>, int64_t, int64_t) override {
    return std::make_unique<EmptySeriesSet>();
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(absl::Span<const storage::LabelMatcher>,
                                                      int64_t, int64_t) override {
    return std::vector<std::string>{};
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(std::string_view,
                                                       absl::Span<const storage::LabelMatcher>,
                                                       int64_t, int64_t) override {
    return std::vector<std::string>{};
  }
  std::unique_ptr<storage::BulkWriter> NewBulkWriter() override {
    return std::make_unique<DiscardingBulkWriter>();
  }
  storage::EventStore* events() override { return &events_; }
  absl::Status PutMetadata(const storage::MetricMetadata&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<storage::MetricMetadata>> Metadata(std::string_view) override {
    return std::vector<storage::MetricMetadata>{};
  }
  absl::Status EnforceRetention() override { return absl::OkStatus(); }
  absl::Status Maintain() override { return absl::OkStatus(); }
  absl::Status CompactAll() override { return absl::OkStatus(); }
  storage::EngineStats Stats() override {
    absl::MutexLock lock(&mu_);
    storage::EngineStats stats;
    stats.next_series_ref = next_ref_;
    return stats;
  }
  std::shared_ptr<prometheus::Collectable> RocksDbCollector() override {
    return std::make_shared<NoCollectable>();
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, storage::SeriesRef> refs_ ABSL_GUARDED_BY(mu_);
  storage::SeriesRef next_ref_ ABSL_GUARDED_BY(mu_) = 1;
  NoEventStore events_;
};

}  // namespace

std::unique_ptr<storage::Engine> NewNullEngine() { return std::make_unique<NullEngine>(); }

}  // namespace plumbline::remote
