// The time-series engine: one RocksDB database in a data directory holding the series
// index, time-partitioned postings, compressed chunks, the head log and metadata.
//
// Write path: Append(batch) is one atomic RocksDB WriteBatch through the WAL. When it returns
// OK, the samples survive kill -9 (the WAL is in the OS page cache); with sync_wal they also
// survive power loss. Samples go to each series' open chunk (the head, in memory); the batch
// itself is logged in the head column family so the head is rebuilt on restart. A chunk is
// sealed (encoded and written under `day | series id | min_t`) when its 2-hour window ends or
// it is full.
//
// Per series, timestamps must increase: a sample at or before the series' last timestamp is
// refused (counted as out_of_order), except an exact duplicate (same timestamp, same value
// bits), which is ignored (counted as duplicate). Samples older than the retention are
// refused (too_old). This is Prometheus' head rule without its out-of-order window.
//
// Thread-safe. Writers are serialised; readers see a consistent view per SeriesSet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "storage/events.h"
#include "storage/labels.h"
#include "storage/matcher.h"

namespace rocksdb {
class Env;
}
namespace prometheus {
class Registry;
class Collectable;
}  // namespace prometheus

namespace plumbline::storage {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;
inline constexpr int64_t kChunkWindowMs = 2LL * 3600 * 1000;
inline constexpr uint32_t kMaxChunkSamples = 4096;
// An open chunk holding this many bytes of encoded samples is sealed as a part of its window
// and a new one opened: open chunks are memory (200 k series x a 2-hour window of 10 s
// samples would hold ~85 MB more at the window's end). Parts of a closed window are merged
// back into one chunk by maintenance.
inline constexpr size_t kHeadCutBytes = 128;
// The on-disk format this build reads and writes (meta "format_version").
inline constexpr int kFormatVersion = 1;

struct EngineOptions {
  std::string data_dir;
  int64_t retention_ms = 15 * kDayMs;         // samples; enforced in whole UTC days
  int64_t event_retention_ms = 400 * kDayMs;  // the deploy log
  Clock* clock = nullptr;                     // default: SystemClock
  prometheus::Registry* registry = nullptr;   // self-metrics, when set
  bool sync_wal = false;                      // fsync the WAL on every Append
  size_t block_cache_bytes = 128 << 20;
  // Open chunks holding this many bytes of encoded samples are sealed as parts of their
  // window (merged back when it closes); 0: only at the window's end or kMaxChunkSamples.
  size_t head_cut_bytes = kHeadCutBytes;
  // All memtables of all column families together; past it RocksDB flushes the largest.
  size_t memtable_budget_bytes = 16 << 20;
  // Series refs the postings cache may hold (8 bytes each), over every day and selector;
  // 0 turns it off (storage/internal/postings_cache.h).
  size_t postings_cache_refs = 512 << 10;
  // Runs retention and head maintenance in a background thread (every minute).
  bool background_maintenance = true;
  // Keeps every head-log record until HoldHeadLog() names the first one still needed (a
  // reader that replays them, remote write, sets this so that none is truncated before it
  // has caught up).
  bool hold_head_log = false;
  rocksdb::Env* env = nullptr;  // tests only: fault injection
};

// Persistent series id, dense, never reused. Valid for the life of the store.
using SeriesRef = uint64_t;

// Samples for one Append. Entries by labels are resolved (and created) by the engine; entries
// by ref skip the lookup. Thread-compatible.
class AppendBatch {
 public:
  void Add(const Labels& labels, int64_t t, double v);
  void Add(Labels&& labels, int64_t t, double v);
  void Add(SeriesRef ref, int64_t t, double v);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void Clear();
  // Calls fn(const Labels* labels, SeriesRef ref, int64_t t, double v) for every entry in
  // order; `labels` is null for entries added by ref (and `ref` is 0 for entries by labels).
  template <typename F>
  void ForEach(F&& fn) const {
    for (const Entry& e : entries_) {
      fn(e.ref == 0 ? &labels_[e.labels_index] : nullptr, e.ref, e.t, e.v);
    }
  }

 private:
  friend class EngineImpl;
  struct Entry {
    SeriesRef ref;          // 0 when by labels
    uint32_t labels_index;  // into labels_ when ref == 0
    int64_t t;
    double v;
  };
  std::vector<Entry> entries_;
  std::vector<Labels> labels_;
};

struct AppendResult {
  uint64_t appended = 0;
  uint64_t duplicate = 0;     // same timestamp and value as the last sample: ignored
  uint64_t out_of_order = 0;  // at or before the series' last timestamp (value differs)
  uint64_t too_old = 0;       // older than the retention
  uint64_t unknown_ref = 0;   // a SeriesRef the store does not know
  uint64_t series_created = 0;
  // For each Add(labels, ...) entry in order: its series ref (0 when refused).
  std::vector<SeriesRef> refs;
  // The head-log record holding the appended samples (0 when none was written). Records
  // are numbered in the order they were written, increasing across restarts.
  uint64_t head_seq = 0;
  uint64_t refused() const { return out_of_order + too_old + unknown_ref; }
};

struct Series {
  SeriesRef ref = 0;
  Labels labels;
};

// Samples of one series within [mint, maxt], decoded lazily chunk by chunk. Owned by one thread.
class SeriesIterator {
 public:
  virtual ~SeriesIterator() = default;
  // Advances; false at the end or on error (see status()).
  virtual bool Next() = 0;
  virtual int64_t t() const = 0;
  virtual double v() const = 0;
  // Decodes up to `capacity` next samples into the arrays; returns how many (0 at the end).
  virtual size_t NextBatch(int64_t* ts, double* vs, size_t capacity) = 0;
  // How many of the samples NextBatch has returned, from the first, are known to be evenly
  // spaced (t_0 + i * d) without reading their timestamps: the chunks they came from say
  // so. A reader may skip checking those. Samples read with Next() count for nothing.
  virtual size_t KnownEvenPrefix() const { return 0; }
  virtual absl::Status status() const = 0;
};

// The result of Select: series sorted by labels, and their samples from one consistent view
// of the store (a RocksDB snapshot plus a copy of the open chunks). Samples() may be called
// from several threads at once (each iterator reads the snapshot on its own); keep the set
// short-lived (it pins a snapshot).
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual const std::vector<Series>& series() const = 0;
  virtual std::unique_ptr<SeriesIterator> Samples(size_t index) const = 0;
};

// Bulk loading (import): samples are buffered per series and written as sealed chunks, one
// atomic WriteBatch per Flush, without going through the head log. The same per-series
// ordering rule as Append applies. Owned by one thread; the Engine must outlive it.
class BulkWriter {
 public:
  virtual ~BulkWriter() = default;
  // A handle for `labels`, stable for the writer's life (cheap to call again for the same set).
  virtual uint32_t Intern(const Labels& labels) = 0;
  virtual void Add(uint32_t series, int64_t t, double v) = 0;
  // Samples buffered since the last Flush.
  virtual size_t buffered() const = 0;
  // Writes everything buffered in one atomic batch. On error nothing of it is stored.
  virtual absl::StatusOr<AppendResult> Flush() = 0;
};

struct MetricMetadata {
  std::string metric;
  std::string type;  // counter, gauge, histogram, summary, unknown, ...
  std::string help;
  std::string unit;
};

struct EngineStats {
  uint64_t series_in_memory = 0;
  uint64_t head_samples = 0;
  uint64_t head_bytes = 0;
  uint64_t next_series_ref = 0;
  uint64_t next_head_seq = 0;  // the number the next head-log record gets; 0: no head log
};

class Engine {
 public:
  // Opens (creating if missing) the store in options.data_dir and rebuilds the head from the
  // head log. FailedPrecondition when another process holds the directory, or when it holds
  // a format this build does not read.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  virtual ~Engine() = default;

  // One atomic write. OK with counts when some samples were refused; an error status when
  // nothing was written (e.g. disk full): the store is unchanged and the call can be retried.
  virtual absl::StatusOr<AppendResult> Append(const AppendBatch& batch) = 0;

  // Series matching all `matchers` with data in days overlapping [mint, maxt], sorted.
  // At least one matcher is required.
  virtual absl::StatusOr<std::unique_ptr<SeriesSet>> Select(absl::Span<const LabelMatcher> matchers,
                                                            int64_t mint, int64_t maxt) = 0;
  // Label names / values of series with data in [mint, maxt] (whole days), sorted;
  // restricted to series matching `matchers` when any are given.
  virtual absl::StatusOr<std::vector<std::string>> LabelNames(
      absl::Span<const LabelMatcher> matchers, int64_t mint, int64_t maxt) = 0;
  virtual absl::StatusOr<std::vector<std::string>> LabelValues(
      std::string_view name, absl::Span<const LabelMatcher> matchers, int64_t mint,
      int64_t maxt) = 0;

  virtual std::unique_ptr<BulkWriter> NewBulkWriter() = 0;

  // The deploy log, stored alongside (same database, own column family and retention).
  virtual EventStore* events() = 0;

  virtual absl::Status PutMetadata(const MetricMetadata& metadata) = 0;
  // All metadata, or one metric's when `metric` is not empty.
  virtual absl::StatusOr<std::vector<MetricMetadata>> Metadata(std::string_view metric) = 0;

  // Drops whole days older than now - retention (also runs in the background).
  virtual absl::Status EnforceRetention() = 0;
  // Seals open chunks whose window has ended, truncates the head log, evicts idle series
  // (also runs in the background).
  virtual absl::Status Maintain() = 0;
  // Full compaction of every column family (for measurements and before backups).
  virtual absl::Status CompactAll() = 0;

  virtual EngineStats Stats() = 0;

  // The head log: every Append's samples as one numbered record, kept until their chunks
  // are sealed (and, with EngineOptions::hold_head_log, until released by HoldHeadLog).
  // Calls fn for each sample of every record numbered after `after_seq`, in order. Engines
  // without a head log call nothing.
  using HeadLogFn = std::function<void(uint64_t seq, const Labels& labels, int64_t t, double v)>;
  virtual absl::Status ReadHeadLog(uint64_t after_seq, const HeadLogFn& fn) {
    (void)after_seq;
    (void)fn;
    return absl::OkStatus();
  }
  // Records numbered `seq` and later survive maintenance's truncation (a no-op without a
  // head log, or without EngineOptions::hold_head_log).
  virtual void HoldHeadLog(uint64_t seq) { (void)seq; }

  // RocksDB figures (sst bytes, pending compaction, block cache) for /metrics at scrape time.
  virtual std::shared_ptr<prometheus::Collectable> RocksDbCollector() = 0;
};

}  // namespace plumbline::storage
