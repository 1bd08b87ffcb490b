// The Engine implementation. Private to storage/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "storage/codec/chunk.h"
#include "storage/engine.h"
#include "storage/internal/db.h"
#include "storage/internal/head_log.h"
#include "storage/internal/postings_cache.h"
#include "storage/internal/storage_metrics.h"

namespace plumbline::storage {

// What the engine holds in memory per active series. Guarded by EngineImpl::mu_. One
// allocation holds the state and its key (the canonical encoded labels) right after it: at
// 200 k series a separate std::string, and a second copy as the index's key, cost ~60 bytes
// each.
struct SeriesState {
  static SeriesState* Create(uint64_t ref, std::string_view key);
  static void Destroy(SeriesState* state);
  struct Deleter {
    void operator()(SeriesState* state) const { Destroy(state); }
  };

  uint64_t ref = 0;
  int64_t max_t = INT64_MIN;    // last accepted sample (head or sealed)
  int64_t window = INT64_MIN;   // 2h window index of the open chunk
  uint64_t head_first_seq = 0;  // head log record holding the open chunk's first sample
  int64_t last_append_ms = 0;   // wall clock, for eviction
  uint32_t postings_day = 0;    // last day whose postings were written (0: none)
  uint32_t key_size = 0;
  uint16_t parts = 0;         // chunks sealed in the open chunk's window before it (saturating)
  codec::ChunkAppender head;  // the open chunk (num_samples() == 0: none)

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }

 private:
  SeriesState() = default;
  ~SeriesState() = default;
};
using SeriesStatePtr = std::unique_ptr<SeriesState, SeriesState::Deleter>;

// The in-memory series by key: pointers hashed and compared by the key they hold, looked up
// by a string_view without a copy of the key.
struct SeriesKeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return absl::Hash<std::string_view>()(key); }
  size_t operator()(const SeriesState* s) const { return (*this)(s->key()); }
};
struct SeriesKeyEq {
  using is_transparent = void;
  bool operator()(const SeriesState* a, const SeriesState* b) const { return a == b; }
  bool operator()(const SeriesState* a, std::string_view b) const { return a->key() == b; }
  bool operator()(std::string_view a, const SeriesState* b) const { return a == b->key(); }
};

class EngineImpl final : public Engine {
 public:
  EngineImpl(const EngineOptions& options, const DbOptions& db_options, std::unique_ptr<Db> db);
  ~EngineImpl() override;

  absl::Status Init();  // reads counters, replays the head log, starts maintenance

  absl::StatusOr<AppendResult> Append(const AppendBatch& batch) override;
  absl::StatusOr<std::unique_ptr<SeriesSet>> Select(absl::Span<const LabelMatcher> matchers,
                                                    int64_t mint, int64_t maxt) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(absl::Span<const LabelMatcher> matchers,
                                                      int64_t mint, int64_t maxt) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(std::string_view name,
                                                       absl::Span<const LabelMatcher> matchers,
                                                       int64_t mint, int64_t maxt) override;
  absl::Status PutMetadata(const MetricMetadata& metadata) override;
  absl::StatusOr<std::vector<MetricMetadata>> Metadata(std::string_view metric) override;
  absl::Status EnforceRetention() override;
  absl::Status Maintain() override;
  absl::Status CompactAll() override;
  std::unique_ptr<BulkWriter> NewBulkWriter() override;
  EventStore* events() override { return events_.get(); }
  EngineStats Stats() override;
  absl::Status ReadHeadLog(uint64_t after_seq, const HeadLogFn& fn) override;
  void HoldHeadLog(uint64_t seq) override;
  std::shared_ptr<prometheus::Collectable> RocksDbCollector() override;

  // The open database, shared with readers so it outlives their snapshots. Unavailable while
  // the engine reopens it after a fatal write error.
  absl::StatusOr<std::shared_ptr<Db>> CurrentDb() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class BulkWriterImpl;
  // Per-series changes of one Append, undone if the write fails.
  struct Undo {
    SeriesState* state;
    int64_t max_t, window;
    uint64_t head_first_seq;
    codec::ChunkAppender::Checkpoint checkpoint;
    uint32_t postings_day;
    uint16_t parts;
    std::optional<codec::ChunkAppender> original_head;  // set when the head was sealed
  };
  // A closed window of one series whose chunks were sealed in parts, to be merged.
  struct MergeJob {
    uint64_t ref;
    int64_t window;
  };
  // One atomic write being prepared: the RocksDB batch plus how to undo the memory changes.
  struct PendingWrite {
    rocksdb::WriteBatch batch;
    HeadLogWriter record;
    uint64_t seq = 0;
    uint64_t next_ref_before = 0;
    uint64_t next_seq_before = 0;
    std::vector<Undo> undo;
    absl::flat_hash_map<SeriesState*, size_t> undo_index;
    std::vector<SeriesState*> created;
    std::vector<MergeJob> merges;         // queued on commit
    std::vector<uint32_t> postings_days;  // days whose postings `batch` writes
    uint64_t chunks_sealed = 0;
    uint64_t chunk_bytes = 0;

    // Records `state` as it was before this write (first call per state).
    Undo& Touch(SeriesState* state);
  };

  // Resolution of series: memory, then the series column family, then creation.
  absl::StatusOr<SeriesState*> FindOrLoadByRef(uint64_t ref) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<SeriesState*> FindOrCreate(const Labels& labels, PendingWrite* pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SeriesState* Insert(uint64_t ref, std::string_view key, int64_t sealed_max_t)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Appends one sample to `state` (checks done), sealing and writing postings as needed.
  void AppendToHead(SeriesState* state, int64_t t, double v, uint64_t seq, PendingWrite* pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Seals the open chunk. `window_done`: nothing more is expected in its window (the next
  // sample is in a later one, or the window ended), so parts sealed before it get merged;
  // otherwise it is one more part of the window.
  void Seal(SeriesState* state, PendingWrite* pending, bool window_done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Merges queued windows' parts into as few chunks as kMaxChunkSamples allows, a bounded
  // number of windows per hold of mu_ so that appends and reads go on in between.
  absl::Status MergeParts() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status MergeWindow(const MergeJob& job, rocksdb::WriteBatch* batch, uint64_t* merged)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WritePostings(SeriesState* state, uint32_t day, PendingWrite* pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits `pending` or undoes it.
  absl::Status Commit(PendingWrite* pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Rollback(PendingWrite* pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads the counters and rebuilds the open chunks from the head log.
  absl::Status LoadState() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReplayHeadLog() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the windows whose parts a previous run left unmerged (meta "mp/" markers).
  absl::Status LoadMergeMarkers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a failed write: RocksDB's Resume(), or, when RocksDB calls the error fatal (a failed
  // WAL write), closing and reopening the database and rebuilding the memory state from it.
  absl::Status RecoverIfNeeded() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the data dir takes a small synced write (through options_.env).
  absl::Status ProbeWritable() const;
  absl::Status MaintainLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaintenanceLoop();

  const EngineOptions options_;
  const DbOptions db_options_;
  Clock* const clock_;
  std::unique_ptr<StorageMetrics> metrics_;
  std::unique_ptr<EventStore> events_;
  rocksdb::WriteOptions write_options_;

  // Writers hold mu_ exclusively for a whole Append; readers hold it shared only while they
  // take a RocksDB snapshot and copy the open chunks they need.
  mutable absl::Mutex mu_;
  std::shared_ptr<Db> db_ ABSL_GUARDED_BY(mu_);  // null only while a reopen failed
  absl::flat_hash_set<SeriesState*, SeriesKeyHash, SeriesKeyEq> by_key_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, SeriesStatePtr> by_ref_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ref_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  // Maintenance keeps head-log records numbered from here on (EngineOptions::hold_head_log).
  std::atomic<uint64_t> head_log_hold_{UINT64_MAX};
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;  // RocksDB may need Resume()
  int64_t last_maintenance_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<MergeJob> merge_queue_ ABSL_GUARDED_BY(mu_);
  // Select's matchers to refs per day; invalidated by Commit for the days it wrote postings.
  PostingsCache postings_cache_;

  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread maintenance_thread_;
};

std::unique_ptr<EventStore> NewEventStore(EngineImpl* engine, Clock* clock, int64_t retention_ms);

// Window index and bounds of the 2-hour chunk windows.
inline int64_t WindowOf(int64_t t) {
  int64_t w = t / kChunkWindowMs;
  if (t % kChunkWindowMs < 0) --w;
  return w;
}

}  // namespace plumbline::storage
