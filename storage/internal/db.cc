#include "storage/internal/db.h"

#include <algorithm>
#include <filesystem>

#include "common/strings.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "storage/engine.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"

namespace plumbline::storage {
namespace {

constexpr const char* kCfNames[] = {"default", "meta", "series", "postings",
                                    "chunks",  "head", "events"};
constexpr const char* kFormatKey = "format_version";

// Drops keys whose leading 4-byte day is before the retention cutoff.
class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(std::shared_ptr<std::atomic<uint32_t>> cutoff)
      : cutoff_(std::move(cutoff)) {}
  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    if (key.size() < 4) return false;
    return keys::GetFixed32BE(key.data()) < cutoff_->load(std::memory_order_relaxed);
  }
  const char* Name() const override { return "plumbline.RetentionFilter"; }

 private:
  std::shared_ptr<std::atomic<uint32_t>> cutoff_;
};

rocksdb::ColumnFamilyOptions BaseCfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t block_size, bool bloom) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = block_size;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.level_compaction_dynamic_level_bytes = true;
  // LZ4 where data is young and rewritten often, ZSTD where it settles.
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  cf.bottommost_compression_opts.level = 3;
  cf.bottommost_compression_opts.enabled = true;
  return cf;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const DbOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        StrCat("cannot create data dir ", options.dir, ": ", ec.message()));
  }

  std::unique_ptr<Db> db(new Db());
  db->cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  db->cutoff_day_ = std::make_shared<std::atomic<uint32_t>>(0);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 5;
  db_options.max_total_wal_size = 256 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // One budget for every memtable: a burst of new series fills the series and postings
  // memtables at once, and each alone is allowed to grow to its write_buffer_size. Past the
  // budget RocksDB flushes the largest (mutable memtables past 7/8 of it, or all past it).
  db->write_buffers_ = std::make_shared<rocksdb::WriteBufferManager>(options.memtable_budget_bytes);
  db_options.write_buffer_manager = db->write_buffers_;
  if (options.env != nullptr) db_options.env = options.env;

  // Refuse a store written by a newer build: it may hold column families we do not know.
  std::vector<std::string> existing;
  rocksdb::Status list = rocksdb::DB::ListColumnFamilies(db_options, options.dir, &existing);
  if (list.ok()) {
    for (const std::string& name : existing) {
      if (std::find(std::begin(kCfNames), std::end(kCfNames), name) == std::end(kCfNames)) {
        return absl::FailedPreconditionError(
            StrCat("data dir ", options.dir, " holds column family \"", name,
                   "\" unknown to this build (format ", kFormatVersion,
                   "): it was written by a newer Plumbline"));
      }
    }
  }

  auto filter = std::make_shared<RetentionFilter>(db->cutoff_day_);
  db->keep_alive_.push_back(filter);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kNumCf; ++i) {
    rocksdb::ColumnFamilyOptions cf;
    switch (static_cast<Cf>(i)) {
      case kDefault:
      case kMeta:
      case kEvents:
        cf = BaseCfOptions(db->cache_, 4 << 10, /*bloom=*/false);
        cf.write_buffer_size = 4 << 20;
        break;
      case kSeries:
        cf = BaseCfOptions(db->cache_, 8 << 10, /*bloom=*/true);
        // Written once per new series: small memtables keep a burst of new series cheap in RSS.
        cf.write_buffer_size = 16 << 20;
        break;
      case kPostings:
        cf = BaseCfOptions(db->cache_, 16 << 10, /*bloom=*/false);
        cf.write_buffer_size = 16 << 20;
        cf.compaction_filter = filter.get();
        break;
      case kChunks:
        // Chunks are already entropy-coded; big blocks keep index and key overhead small.
        cf = BaseCfOptions(db->cache_, 32 << 10, /*bloom=*/false);
        cf.write_buffer_size = 64 << 20;
        cf.compaction_filter = filter.get();
        break;
      case kHead:
        // Short-lived log records, deleted by range once their chunks are sealed. They are
        // read back only at start: a small memtable costs nothing but RSS saved.
        cf = BaseCfOptions(db->cache_, 16 << 10, /*bloom=*/false);
        cf.write_buffer_size = 16 << 20;
        cf.compression = rocksdb::kNoCompression;
        cf.bottommost_compression = rocksdb::kNoCompression;
        break;
      case kNumCf:
        break;
    }
    descriptors.emplace_back(kCfNames[i], cf);
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.dir, descriptors, &db->handles_, &raw);
  if (!s.ok()) {
    const std::string text = s.ToString();
    if (s.IsIOError() && text.find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(StrCat("data dir ", options.dir,
                                                  " is in use by another process (", text,
                                                  "); stop it or choose another --data-dir"));
    }
    return FromRocks(s, StrCat("cannot open data dir ", options.dir));
  }
  db->db_.reset(raw);

  std::string version;
  s = raw->Get(rocksdb::ReadOptions(), db->meta(), kFormatKey, &version);
  if (s.IsNotFound()) {
    s = raw->Put(rocksdb::WriteOptions(), db->meta(), kFormatKey, std::to_string(kFormatVersion));
    if (!s.ok()) return FromRocks(s, "write format version");
  } else if (!s.ok()) {
    return FromRocks(s, "read format version");
  } else if (version != std::to_string(kFormatVersion)) {
    return absl::FailedPreconditionError(StrCat("data dir ", options.dir, " holds storage format ",
                                                version, "; this build reads format ",
                                                kFormatVersion));
  }
  return db;
}

Db::~Db() {
  if (db_) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close();
    db_.reset();
  }
}

}  // namespace plumbline::storage
