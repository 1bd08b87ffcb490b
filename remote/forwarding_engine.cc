#include "remote/forwarding_engine.h"

#include <deque>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/status_macros.h"

namespace plumbline::remote {

ForwardingEngine::ForwardingEngine(std::unique_ptr<storage::Engine> inner,
                                   std::unique_ptr<Sender> sender, bool fail_when_not_queued)
    : inner_(std::move(inner)),
      sender_(std::move(sender)),
      fail_when_not_queued_(fail_when_not_queued) {}

// The sender stops first (no thread reads the queue any more), then the inner store closes.
ForwardingEngine::~ForwardingEngine() { sender_->Stop(); }

// Hot path, once per flush and per rule evaluation: the inner Append, then one pass over the
// batch to resolve labels, then Sender::Enqueue (encode + one queue write).
absl::StatusOr<storage::AppendResult> ForwardingEngine::Append(const storage::AppendBatch& batch) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<storage::AppendResult> result = inner_->Append(batch);
  if (!result.ok()) return result;
  std::vector<SeriesSample> samples;
  samples.reserve(batch.size());
  size_t by_labels = 0;
  uint64_t unknown = 0;
  // The map is only touched here, with mu_ held (through a pointer, which the lambda may use
  // without a lock annotation of its own).
  auto* const labels_of = &labels_of_;
  batch.ForEach([&](const storage::Labels* labels, storage::SeriesRef ref, int64_t t, double v) {
    if (labels != nullptr) {
      const storage::SeriesRef assigned =
          by_labels < result->refs.size() ? result->refs[by_labels] : 0;
      ++by_labels;
      if (assigned != 0) labels_of->try_emplace(assigned, *labels);
      samples.push_back(SeriesSample{labels, t, v});
      return;
    }
    auto it = labels_of->find(ref);
    if (it == labels_of->end()) {
      ++unknown;  // a ref this engine never handed out: nothing to name it by
      return;
    }
    samples.push_back(SeriesSample{&it->second, t, v});
  });
  if (unknown > 0) sender_->CountDropped(unknown, "unknown_ref");
  const std::optional<uint64_t> head_seq =
      result->head_seq != 0 ? std::optional<uint64_t>(result->head_seq) : std::nullopt;
  if (absl::Status queued = Forward(samples, head_seq); !queued.ok()) return queued;
  // Queued (or given up and counted): the store may truncate the record.
  if (head_seq.has_value()) inner_->HoldHeadLog(*head_seq + 1);
  return result;
}

absl::Status ForwardingEngine::Recover() {
  absl::MutexLock lock(&mu_);
  const uint64_t next = inner_->Stats().next_head_seq;
  if (next == 0) return absl::OkStatus();  // no head log: the queue is the only copy
  const std::optional<uint64_t> queued = sender_->queued_head_seq();
  if (!queued.has_value() || *queued >= next) {
    // Remote write is new to this store (or the store is younger than the queue): what it
    // holds already is not sent; from here on every record is.
    PL_RETURN_IF_ERROR(sender_->Enqueue({}, next - 1));
    inner_->HoldHeadLog(next);
    return absl::OkStatus();
  }
  std::deque<storage::Labels> labels;  // stable addresses for the samples
  std::vector<SeriesSample> samples;
  uint64_t last = *queued;
  PL_RETURN_IF_ERROR(inner_->ReadHeadLog(
      *queued, [&](uint64_t seq, const storage::Labels& series, int64_t t, double v) {
        if (labels.empty() || !(labels.back() == series)) labels.push_back(series);
        samples.push_back(SeriesSample{&labels.back(), t, v});
        last = seq;
      }));
  if (last != *queued) {
    PL_LOG(Info) << "remote write: queueing " << samples.size()
                 << " samples stored but not queued before the last stop (head-log records "
                 << *queued + 1 << " to " << last << ")";
    PL_RETURN_IF_ERROR(sender_->Enqueue(samples, last));
  }
  inner_->HoldHeadLog(last + 1);
  return absl::OkStatus();
}

absl::Status ForwardingEngine::Forward(absl::Span<const SeriesSample> samples,
                                       std::optional<uint64_t> head_seq) {
  absl::Status queued = sender_->Enqueue(samples, head_seq);
  if (queued.ok() || fail_when_not_queued_) return queued;
  sender_->CountDropped(samples.size(), "queue_error");
  PL_LOG(Warn) << "remote write: " << samples.size()
               << " samples stored locally but not queued: " << queued.message();
  return absl::OkStatus();
}

// The inner writer, plus the labels of its handles and the samples since the last Flush.
// Owned by one thread, like the writer it wraps.
class ForwardingEngine::Writer final : public storage::BulkWriter {
 public:
  Writer(ForwardingEngine* engine, std::unique_ptr<storage::BulkWriter> inner)
      : engine_(engine), inner_(std::move(inner)) {}

  uint32_t Intern(const storage::Labels& labels) override {
    const uint32_t handle = inner_->Intern(labels);
    labels_.try_emplace(handle, labels);
    return handle;
  }
  void Add(uint32_t series, int64_t t, double v) override {
    inner_->Add(series, t, v);
    auto it = labels_.find(series);
    if (it != labels_.end()) pending_.push_back(SeriesSample{&it->second, t, v});
  }
  size_t buffered() const override { return inner_->buffered(); }
  absl::StatusOr<storage::AppendResult> Flush() override {
    absl::StatusOr<storage::AppendResult> result = inner_->Flush();
    if (result.ok()) {
      absl::MutexLock lock(&engine_->mu_);  // in order with Append
      if (absl::Status s = engine_->Forward(pending_); !s.ok()) result = s;
    }
    pending_.clear();
    return result;
  }

 private:
  ForwardingEngine* const engine_;
  const std::unique_ptr<storage::BulkWriter> inner_;
  absl::node_hash_map<uint32_t, storage::Labels> labels_;  // stable addresses
  std::vector<SeriesSample> pending_;
};

std::unique_ptr<storage::BulkWriter> ForwardingEngine::NewBulkWriter() {
  return std::make_unique<Writer>(this, inner_->NewBulkWriter());
}

}  // namespace plumbline::remote
