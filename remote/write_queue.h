// The remote-write queue on disk: encoded WriteRequests waiting to be sent, in their own
// small RocksDB database (`<data-dir>/remote-write/`), so that they survive restarts and
// outages of the receivers.
//
// The queue holds streams: one per (URL, shard). Each stream is first in, first out:
//
//   key   url id (8 bytes BE) | shard (4 bytes BE) | seq (8 bytes BE)
//   value samples (4 bytes BE) | snappy-compressed WriteRequest
//
// Sequence numbers grow per stream and are restored at open, so a key's position is its age.
// Every Push is one atomic WriteBatch through the WAL (survives kill -9, not power loss).
// A Push may also record how far into its source it has got (remote write: the store's
// head-log record whose samples it holds), under the empty key, which sorts before every
// entry and lies in no URL's range:
//
//   key   "" (empty)
//   value source sequence number (8 bytes BE)
// The queue is bounded in bytes (keys + values): when a Push leaves it over the bound, the
// oldest entries of the largest streams are deleted until it fits, and reported to
// `on_dropped`. Entries are read by exact key (never by scanning over deleted ones), so
// tombstones at the head of a stream cost nothing.
//
// Thread-safe: one mutex guards the in-memory index (sequence, size and sample count of
// every entry); writes to RocksDB happen under it, reads of an entry's body outside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace rocksdb {
class DB;
}

namespace plumbline::remote {

struct StreamId {
  uint64_t url_id = 0;
  uint32_t shard = 0;
  friend bool operator==(const StreamId&, const StreamId&) = default;
  friend bool operator<(const StreamId& a, const StreamId& b) {
    return a.url_id != b.url_id ? a.url_id < b.url_id : a.shard < b.shard;
  }
  template <typename H>
  friend H AbslHashValue(H h, const StreamId& s) {
    return H::combine(std::move(h), s.url_id, s.shard);
  }
};

struct WriteQueueOptions {
  std::string dir;                  // created when missing
  uint64_t max_bytes = 1ULL << 30;  // keys + values
  // Entries dropped because the queue was full (called under the queue's lock: only count).
  std::function<void(uint64_t url_id, uint64_t entries, uint64_t samples)> on_dropped;
};

struct QueueEntry {
  uint64_t seq = 0;
  uint32_t samples = 0;
  std::string body;  // snappy-compressed WriteRequest
};

class WriteQueue {
 public:
  struct Item {
    StreamId stream;
    uint32_t samples = 0;
    std::string_view body;
  };
  struct Totals {
    uint64_t bytes = 0;
    uint64_t entries = 0;
    uint64_t samples = 0;
  };

  // Opens (creating) the queue and rebuilds its index from what is stored.
  static absl::StatusOr<std::unique_ptr<WriteQueue>> Open(const WriteQueueOptions& options);
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Every stream holding entries, sorted.
  std::vector<StreamId> Streams() const;
  // Deletes the streams of every URL id not in `keep` (URLs no longer configured); returns
  // the totals removed.
  absl::StatusOr<Totals> RemoveOtherUrls(absl::Span<const uint64_t> keep);

  // Appends each item at the tail of its stream, all in one atomic write (with `source_seq`,
  // when given, as the new source position); then enforces the bound. On error nothing was
  // added.
  absl::Status Push(absl::Span<const Item> items,
                    std::optional<uint64_t> source_seq = std::nullopt);
  // The source position the last Push recorded (before this process too); nullopt if none
  // ever did.
  std::optional<uint64_t> source_seq() const;
  // The oldest entry of `stream`, nullopt when it is empty.
  absl::StatusOr<std::optional<QueueEntry>> Front(StreamId stream);
  // Removes entry `seq` of `stream` if it is still the oldest (it may have been dropped
  // meanwhile to honour the bound; then nothing happens).
  absl::Status Pop(StreamId stream, uint64_t seq);

  Totals totals() const;
  Totals url_totals(uint64_t url_id) const;

 private:
  struct Meta {
    uint64_t seq;
    uint32_t bytes;
    uint32_t samples;
  };
  struct Stream {
    std::deque<Meta> entries;
    uint64_t next_seq = 1;
    uint64_t bytes = 0;
    uint64_t samples = 0;
  };

  WriteQueue(const WriteQueueOptions& options, std::unique_ptr<rocksdb::DB> db);
  absl::Status Load();
  // Drops oldest entries of the largest streams while over the bound.
  absl::Status EnforceBound() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WriteQueueOptions options_;
  const std::unique_ptr<rocksdb::DB> db_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<StreamId, Stream> streams_ ABSL_GUARDED_BY(mu_);
  Totals totals_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> source_seq_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plumbline::remote
