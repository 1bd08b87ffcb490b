// Engine: bulk loading. Samples are buffered per series and written as sealed chunks cut on
// the same 2-hour windows as the head's, so chunks of a series never overlap in time.
#include <algorithm>

#include "common/status_macros.h"
#include "storage/internal/engine_impl.h"
#include "storage/internal/keys.h"

namespace plumbline::storage {

class BulkWriterImpl final : public BulkWriter {
 public:
  explicit BulkWriterImpl(EngineImpl* engine) : engine_(engine) {}

  uint32_t Intern(const Labels& labels) override {
    std::string key = labels.Encode();
    auto [it, inserted] = index_.try_emplace(std::move(key), static_cast<uint32_t>(labels_.size()));
    if (inserted) {
      labels_.push_back(labels);
      runs_.emplace_back();
    }
    return it->second;
  }

  void Add(uint32_t series, int64_t t, double v) override {
    Run& run = runs_[series];
    if (run.ts.empty()) touched_.push_back(series);
    run.ts.push_back(t);
    run.vs.push_back(v);
    ++buffered_;
  }

  size_t buffered() const override { return buffered_; }

  absl::StatusOr<AppendResult> Flush() override;

 private:
  struct Run {
    std::vector<int64_t> ts;
    std::vector<double> vs;
  };

  EngineImpl* engine_;
  std::vector<Labels> labels_;
  absl::flat_hash_map<std::string, uint32_t> index_;
  std::vector<Run> runs_;
  std::vector<uint32_t> touched_;
  size_t buffered_ = 0;
};

absl::StatusOr<AppendResult> BulkWriterImpl::Flush() {
  AppendResult result;
  if (touched_.empty()) return result;
  EngineImpl& e = *engine_;
  const double start = MonotonicSeconds();
  absl::MutexLock lock(&e.mu_);
  if (absl::Status s = e.RecoverIfNeeded(); !s.ok()) {
    e.metrics_->append_failures->Increment();
    return s;
  }
  const int64_t oldest = e.clock_->NowMs() - e.options_.retention_ms;
  EngineImpl::PendingWrite pending;
  pending.next_ref_before = e.next_ref_;
  pending.next_seq_before = e.next_seq_;
  std::vector<int64_t> ts;
  std::vector<double> vs;
  std::string bytes;
  for (uint32_t handle : touched_) {
    Run& run = runs_[handle];
    // Keep what is newer than the series' last sample and increasing; refuse the rest.
    absl::StatusOr<SeriesState*> found = e.FindOrCreate(labels_[handle], &pending);
    if (!found.ok()) {
      e.Rollback(&pending);
      return found.status();
    }
    SeriesState* state = *found;
    pending.Touch(state);
    ts.clear();
    vs.clear();
    int64_t last = state->max_t;
    for (size_t i = 0; i < run.ts.size(); ++i) {
      const int64_t t = run.ts[i];
      if (t < oldest) {
        ++result.too_old;
      } else if (t <= last) {
        ++result.out_of_order;
      } else {
        ts.push_back(t);
        vs.push_back(run.vs[i]);
        last = t;
      }
    }
    run.ts.clear();
    run.vs.clear();
    if (ts.empty()) continue;
    // An open chunk ends before the bulk samples begin: seal it first to keep chunks ordered.
    if (state->head.num_samples() > 0) e.Seal(state, &pending, /*window_done=*/true);
    size_t begin = 0;
    while (begin < ts.size()) {
      const int64_t window = WindowOf(ts[begin]);
      size_t end = begin + 1;
      while (end < ts.size() && end - begin < kMaxChunkSamples && WindowOf(ts[end]) == window) {
        ++end;
      }
      bytes.clear();
      codec::EncodeChunk(absl::MakeConstSpan(ts.data() + begin, end - begin),
                         absl::MakeConstSpan(vs.data() + begin, end - begin), &bytes);
      const uint32_t day = keys::DayOf(ts[begin]);
      pending.batch.Put(e.db_->chunks(), keys::ChunkKey(day, state->ref, ts[begin]), bytes);
      ++pending.chunks_sealed;
      pending.chunk_bytes += bytes.size();
      if (state->postings_day != day) {
        e.WritePostings(state, day, &pending);
        state->postings_day = day;
      }
      begin = end;
    }
    state->max_t = ts.back();
    state->last_append_ms = e.clock_->NowMs();
    std::string max_bytes;
    keys::PutFixed64BE(&max_bytes, keys::BiasTime(state->max_t));
    pending.batch.Put(e.db_->series(), keys::SeriesMaxSealedKey(state->ref), max_bytes);
    result.appended += ts.size();
  }
  touched_.clear();
  buffered_ = 0;
  result.series_created = pending.created.size();
  if (pending.batch.Count() > 0) PL_RETURN_IF_ERROR(e.Commit(&pending));
  e.metrics_->samples_appended->Increment(static_cast<double>(result.appended));
  e.metrics_->refused_out_of_order->Increment(static_cast<double>(result.out_of_order));
  e.metrics_->refused_too_old->Increment(static_cast<double>(result.too_old));
  e.metrics_->append_seconds->Observe(MonotonicSeconds() - start);
  return result;
}

std::unique_ptr<BulkWriter> EngineImpl::NewBulkWriter() {
  return std::make_unique<BulkWriterImpl>(this);
}

}  // namespace plumbline::storage
