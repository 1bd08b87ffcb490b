// Opening the RocksDB database of a data directory with its column families, tuned per kind
// of data, and checking the format version. Owned by the Engine; thread-safe like rocksdb::DB.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/write_buffer_manager.h"

namespace plumbline::storage {

struct DbOptions {
  std::string dir;
  size_t block_cache_bytes = 128 << 20;
  size_t memtable_budget_bytes = 16 << 20;  // all column families' memtables together
  rocksdb::Env* env = nullptr;
};

class Db {
 public:
  // FailedPrecondition when the directory is locked by another process or holds an unknown
  // format; the message says which and what to do.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const DbOptions& options);
  ~Db();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[kMeta]; }
  rocksdb::ColumnFamilyHandle* series() const { return handles_[kSeries]; }
  rocksdb::ColumnFamilyHandle* postings() const { return handles_[kPostings]; }
  rocksdb::ColumnFamilyHandle* chunks() const { return handles_[kChunks]; }
  rocksdb::ColumnFamilyHandle* head() const { return handles_[kHead]; }
  rocksdb::ColumnFamilyHandle* events() const { return handles_[kEvents]; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles() const { return handles_; }
  rocksdb::Cache* block_cache() const { return cache_.get(); }

  // Keys of chunks and postings on days before this one are dropped by compaction (a safety
  // net behind DeleteRange). Written by retention, read by RocksDB's compaction threads.
  void SetRetentionCutoffDay(uint32_t day) { cutoff_day_->store(day, std::memory_order_relaxed); }

 private:
  enum Cf { kDefault, kMeta, kSeries, kPostings, kChunks, kHead, kEvents, kNumCf };
  Db() = default;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers_;
  std::shared_ptr<std::atomic<uint32_t>> cutoff_day_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::shared_ptr<void>> keep_alive_;  // compaction filters referenced by options
};

}  // namespace plumbline::storage
