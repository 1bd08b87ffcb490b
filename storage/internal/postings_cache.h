// The refs a set of label matchers selected on one day, kept for the next query with the same
// matchers (dashboards refresh the same panels, rules evaluate the same selectors every
// interval). Reading a day's postings walks one RocksDB key per series and label: a selector
// of one series still reads every series of its metric name (VictoriaMetrics keeps the same
// cache, tag filters to metric IDs).
//
// Consistency: an entry is valid while its day's generation is unchanged. A writer bumps the
// generation of every day it wrote postings for *after* the write is visible (Invalidate);
// a reader takes the generation *before* it reads the postings (Generation) and inserts
// under it. A list read before a write therefore carries an older generation than the
// write leaves, and is never returned.
//
// Bounded by the refs it holds (oldest entries go first). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "storage/matcher.h"

namespace plumbline::storage {

class PostingsCache {
 public:
  using Refs = std::shared_ptr<const std::vector<uint64_t>>;

  // At most this many entries, whatever their size.
  static constexpr size_t kMaxEntries = 4096;

  // `max_refs` 0 turns the cache off.
  explicit PostingsCache(size_t max_refs) : max_refs_(max_refs) {}

  // The key of a matcher list (order matters: the same query repeats its order).
  static std::string Key(absl::Span<const LabelMatcher> matchers);

  // The cached refs of `key` on `day`, or null.
  Refs Lookup(uint32_t day, const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // The generation to pass to Insert; take it before reading the postings.
  uint64_t Generation(uint32_t day) ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps `refs` unless `day` was invalidated since `generation` or they alone exceed the bound.
  void Insert(uint32_t day, std::string key, uint64_t generation, std::vector<uint64_t> refs)
      ABSL_LOCKS_EXCLUDED(mu_);

  // After postings of `day` were written (or a write that may have written them failed).
  void Invalidate(uint32_t day) ABSL_LOCKS_EXCLUDED(mu_);
  // Days before `day` (retention dropped their postings): forgotten, and not cached again.
  void DropBefore(uint32_t day) ABSL_LOCKS_EXCLUDED(mu_);
  // Everything (the store was reopened).
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
    size_t refs = 0;
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    uint64_t generation;
    uint64_t serial;  // its record in order_
    Refs refs;
  };
  using EntryKey = std::pair<uint32_t, std::string>;

  uint64_t GenerationLocked(uint32_t day) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(absl::flat_hash_map<EntryKey, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_refs_;
  mutable absl::Mutex mu_;
  // Generations start at 1 for every day never invalidated (see Clear).
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 2;
  uint64_t base_generation_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint32_t, uint64_t> generations_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<EntryKey, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Insertion order as (key, serial): a record whose entry is gone or was inserted again
  // since is skipped.
  std::deque<std::pair<EntryKey, uint64_t>> order_ ABSL_GUARDED_BY(mu_);
  uint64_t next_serial_ ABSL_GUARDED_BY(mu_) = 0;
  size_t refs_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t first_day_ ABSL_GUARDED_BY(mu_) = 0;  // DropBefore's
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace plumbline::storage
