// The flusher: on every tick of the wall-clock-aligned flush grid it closes each shard's window
// (the lock-free epoch hand-off of shard.h), merges the windows into one state per output
// series, and appends one batch to storage stamped exactly at the grid time.
//
// What a flush writes (DESIGN.md, "StatsD semantics"):
//   counter   name                  cumulative sum of value / sample rate
//   gauge     name                  last value; +N/-N adjust it; re-written until idle
//   timer, histogram, distribution
//             name_count, name_sum  cumulative (weighted by 1 / sample rate)
//             name_bucket{le}       cumulative, the mapping's buckets (+Inf last)
//             name{quantile}        exact over the window's raw values (nearest rank)
//   set       name                  distinct members seen in the window
//   service check  statsd_service_check{check} = status
//   Graphite  name                  the value at its own timestamp snapped to the grid
// A series idle (no data) for longer than its type's expiry stops being written; its state is
// dropped (a counter that comes back restarts from 0, which rate() reads as a reset).
//
// Owned by one thread (the flusher thread); Flush() is not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "collector/mapping.h"
#include "collector/shard.h"
#include "storage/engine.h"

namespace prometheus {
class Registry;
}

namespace plumbline::collector {

struct FlusherOptions {
  int64_t interval_ms = 10'000;
  int64_t counter_expiry_ms = 5 * 60'000;
  int64_t gauge_expiry_ms = 5 * 60'000;
  int64_t observer_expiry_ms = 5 * 60'000;
  int64_t set_expiry_ms = 5 * 60'000;
  // How long to wait for a receiver to close its window before leaving it for the next tick.
  int64_t switch_timeout_ms = 5'000;
  // Where DogStatsD events go (serve: the deploy log, which also keeps its series and notifies
  // chat); unset: straight into the engine's events store.
  std::function<absl::StatusOr<storage::Event>(storage::Event)> record_event;
};

struct FlushStats {
  size_t series_written = 0;
  size_t samples_written = 0;
  size_t samples_refused = 0;
  size_t events_written = 0;
  bool store_failed = false;
};

class CollectorMetrics;

class Flusher {
 public:
  // `shards`, `engine`, `mapper` and `metrics` must outlive the flusher.
  Flusher(const FlusherOptions& options, std::vector<Shard*> shards, storage::Engine* engine,
          const Mapper* mapper, CollectorMetrics* metrics);
  ~Flusher();

  // One flush stamped at `t_ms` (a grid time, or the stop time for the final flush).
  // `receivers_stopped`: the receivers have exited, so their windows are closed here.
  FlushStats Flush(int64_t t_ms, bool receivers_stopped);

 private:
  struct Series;
  Series* Resolve(Entry* entry);
  void Merge(Series* series, const Entry& entry, const Window& window, int64_t t_ms);
  void MergeEvents(std::vector<PendingEvent>& events, int64_t t_ms, FlushStats* stats);
  void Emit(int64_t t_ms, FlushStats* stats);

  const FlusherOptions options_;
  std::vector<Shard*> shards_;
  std::vector<uint64_t> pending_epoch_;  // per shard: epoch requested, not yet processed (0: none)
  storage::Engine* engine_;
  MappingCache mapping_;
  CollectorMetrics* metrics_;

  // Output series by identity (kind, name, canonical labels). Slots are reused; an entry's
  // cache holds (slot, generation) so a dropped series is never dereferenced.
  struct SeriesDeleter {
    void operator()(Series* s) const;
  };
  using SeriesPtr = std::unique_ptr<Series, SeriesDeleter>;
  std::vector<SeriesPtr> slots_;
  std::vector<uint32_t> free_slots_;
  // Slots by their series' key, looked up by key without a second copy of it.
  struct SlotHash {
    using is_transparent = void;
    const Flusher* flusher;
    size_t operator()(uint32_t slot) const;
    size_t operator()(std::string_view key) const;
  };
  struct SlotEq {
    using is_transparent = void;
    const Flusher* flusher;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t slot, std::string_view key) const;
    bool operator()(std::string_view key, uint32_t slot) const { return (*this)(slot, key); }
  };
  std::string_view KeyOf(uint32_t slot) const;
  absl::flat_hash_set<uint32_t, SlotHash, SlotEq> by_key_{0, SlotHash{this}, SlotEq{this}};
  uint32_t generation_ = 0;
};

}  // namespace plumbline::collector
