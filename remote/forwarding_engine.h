// A storage::Engine that also remote-writes what is appended: Append goes to the inner
// engine, then the same samples are queued by a Sender (by labels; entries the caller gave by
// ref are resolved with the labels this engine saw for the ref). Every other call delegates.
// Used for everything Plumbline stores: the collector's flusher, the rules, the event log, the
// remote-write receiver, imports and the self-scrape (bulk writers forward on Flush).
//
// When the queue cannot be written: with `fail_when_not_queued` (agent mode, where the queue
// is the only copy) Append returns the error, so the flusher keeps the samples and writes
// them again at its next flush; otherwise the samples are stored locally and counted as
// dropped for the remote (reason "queue_error").
//
// A kill between the inner Append and the queue write would leave samples stored but never
// sent. So each queue write also records the inner store's head-log record it holds
// (atomically, WriteQueue's source position), the store keeps the records after it
// (EngineOptions::hold_head_log, released by HoldHeadLog as the queue advances), and Recover,
// at start, queues the samples of every record after the recorded one. Bulk writers (imports)
// do not go through the head log; a kill between their Flush and its queue write leaves the
// importing client without an answer, and its retry forwards every sample again (the writer
// forwards what it was given, the store's duplicates included).
//
// Thread-safe. Appends are serialised (as in the inner engine), so the queue holds samples
// in the order the store received them. Memory: one label set per series ever appended by
// labels (the ref -> labels map), like the flusher's own.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "remote/sender.h"
#include "storage/engine.h"

namespace plumbline::remote {

class ForwardingEngine final : public storage::Engine {
 public:
  ForwardingEngine(std::unique_ptr<storage::Engine> inner, std::unique_ptr<Sender> sender,
                   bool fail_when_not_queued);
  ~ForwardingEngine() override;

  // Queues what the inner store holds in its head log after the record the queue last
  // recorded: samples stored but not queued when the previous process died. On the first
  // run over a store (nothing recorded yet) it queues nothing and records where the log is.
  // Call once, before the first Append.
  absl::Status Recover();

  absl::StatusOr<storage::AppendResult> Append(const storage::AppendBatch& batch) override;

  absl::StatusOr<std::unique_ptr<storage::SeriesSet>> Select(
      absl::Span<const storage::LabelMatcher> matchers, int64_t mint, int64_t maxt) override {
    return inner_->Select(matchers, mint, maxt);
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(
      absl::Span<const storage::LabelMatcher> matchers, int64_t mint, int64_t maxt) override {
    return inner_->LabelNames(matchers, mint, maxt);
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(
      std::string_view name, absl::Span<const storage::LabelMatcher> matchers, int64_t mint,
      int64_t maxt) override {
    return inner_->LabelValues(name, matchers, mint, maxt);
  }
  std::unique_ptr<storage::BulkWriter> NewBulkWriter() override;
  storage::EventStore* events() override { return inner_->events(); }
  absl::Status PutMetadata(const storage::MetricMetadata& metadata) override {
    return inner_->PutMetadata(metadata);
  }
  absl::StatusOr<std::vector<storage::MetricMetadata>> Metadata(std::string_view metric) override {
    return inner_->Metadata(metric);
  }
  absl::Status EnforceRetention() override { return inner_->EnforceRetention(); }
  absl::Status Maintain() override { return inner_->Maintain(); }
  absl::Status CompactAll() override { return inner_->CompactAll(); }
  storage::EngineStats Stats() override { return inner_->Stats(); }
  std::shared_ptr<prometheus::Collectable> RocksDbCollector() override {
    return inner_->RocksDbCollector();
  }

  Sender* sender() { return sender_.get(); }

 private:
  class Writer;
  // Queues what a bulk writer stored (after the inner Flush succeeded).
  absl::Status Forward(absl::Span<const SeriesSample> samples,
                       std::optional<uint64_t> head_seq = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<storage::Engine> inner_;
  const std::unique_ptr<Sender> sender_;
  const bool fail_when_not_queued_;
  absl::Mutex mu_;
  // Labels of every ref handed out through this engine (node map: stable addresses).
  absl::node_hash_map<storage::SeriesRef, storage::Labels> labels_of_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plumbline::remote
