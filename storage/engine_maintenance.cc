// Engine: background upkeep — sealing idle open chunks, truncating the head log, evicting idle
// series from memory, retention, compaction — and RocksDB figures for /metrics.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "rocksdb/convenience.h"
#include "storage/internal/engine_impl.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"

namespace plumbline::storage {
namespace {

// An open chunk whose window ended this long ago is sealed even if no sample arrives.
constexpr int64_t kSealGraceMs = 10 * 60 * 1000;
// A series with no open chunk and no sample for this long leaves memory (it reloads lazily).
constexpr int64_t kEvictAfterMs = 2 * kChunkWindowMs;
constexpr int64_t kMaintenancePeriodMs = 60 * 1000;
constexpr int64_t kRetentionPeriodMs = 60 * 60 * 1000;
// Windows merged per hold of the engine's lock (each a read of its parts and an encode).
constexpr size_t kMergeWindowsPerLock = 256;

}  // namespace

absl::Status EngineImpl::Maintain() {
  {
    absl::MutexLock lock(&mu_);
    PL_RETURN_IF_ERROR(MaintainLocked());
  }
  return MergeParts();
}

absl::Status EngineImpl::MergeParts() {
  while (true) {
    absl::MutexLock lock(&mu_);
    if (merge_queue_.empty() || db_ == nullptr) return absl::OkStatus();
    rocksdb::WriteBatch batch;
    uint64_t merged = 0;
    const size_t take = std::min(kMergeWindowsPerLock, merge_queue_.size());
    // On any failure the jobs stay queued (their markers stay stored) for the next round; the
    // parts stay as they are meanwhile: the data is whole either way, only less compact.
    for (size_t i = 0; i < take; ++i) {
      PL_RETURN_IF_ERROR(MergeWindow(merge_queue_[merge_queue_.size() - 1 - i], &batch, &merged));
    }
    rocksdb::Status s = db_->db()->Write(write_options_, &batch);
    if (!s.ok()) return FromRocks(s, "merge chunk parts");
    merge_queue_.resize(merge_queue_.size() - take);
    metrics_->chunk_parts_merged->Increment(static_cast<double>(merged));
  }
}

absl::Status EngineImpl::MergeWindow(const MergeJob& job, rocksdb::WriteBatch* batch,
                                     uint64_t* merged) {
  const int64_t start = job.window * kChunkWindowMs;
  const uint32_t day = keys::DayOf(start);
  const std::string from = keys::ChunkKey(day, job.ref, start);
  const std::string to = keys::ChunkKey(day, job.ref, start + kChunkWindowMs);
  // Whatever follows, this window is done with: merged below, or left as it is.
  batch->Delete(db_->meta(), keys::MergeMarkerKey(job.ref, job.window));
  rocksdb::ReadOptions ro;
  // Read once and rewritten: cached, 200 k windows' parts would fill the block cache.
  ro.fill_cache = false;
  const rocksdb::Slice upper(to);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->chunks()));
  std::vector<std::string> part_keys;
  std::vector<int64_t> ts;
  std::vector<double> vs;
  codec::ChunkIterator chunk;
  for (it->Seek(from); it->Valid(); it->Next()) {
    const rocksdb::Slice value = it->value();
    if (!chunk.Init(std::string_view(value.data(), value.size())).ok()) return absl::OkStatus();
    const size_t n = chunk.info().num_samples;
    // Parts follow each other in time; anything else (an overlapping import) is left alone.
    if (!ts.empty() && chunk.info().min_t <= ts.back()) return absl::OkStatus();
    const size_t old = ts.size();
    ts.resize(old + n);
    vs.resize(old + n);
    if (chunk.NextBatch(ts.data() + old, vs.data() + old, n) != n) return absl::OkStatus();
    part_keys.push_back(it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read chunk parts");
  if (part_keys.size() < 2) return absl::OkStatus();
  // As few chunks as kMaxChunkSamples allows, of even sizes.
  const size_t chunks = (ts.size() + kMaxChunkSamples - 1) / kMaxChunkSamples;
  for (const std::string& key : part_keys) batch->Delete(db_->chunks(), key);
  std::string bytes;
  for (size_t c = 0, begin = 0; c < chunks; ++c) {
    const size_t end = ts.size() * (c + 1) / chunks;
    codec::EncodeChunk(absl::MakeConstSpan(ts).subspan(begin, end - begin),
                       absl::MakeConstSpan(vs).subspan(begin, end - begin), &bytes);
    batch->Put(db_->chunks(), keys::ChunkKey(day, job.ref, ts[begin]), bytes);
    begin = end;
  }
  *merged += part_keys.size();
  return absl::OkStatus();
}

absl::Status EngineImpl::MaintainLocked() {
  PL_RETURN_IF_ERROR(RecoverIfNeeded());
  const int64_t now = clock_->NowMs();
  last_maintenance_ms_ = now;
  PendingWrite pending;
  pending.next_ref_before = next_ref_;
  pending.next_seq_before = next_seq_;
  for (auto& [ref, state] : by_ref_) {
    if (state->head.num_samples() == 0) continue;
    const int64_t window_end = (state->window + 1) * kChunkWindowMs;
    if (window_end + kSealGraceMs <= now) Seal(state.get(), &pending, /*window_done=*/true);
  }
  if (pending.batch.Count() > 0) PL_RETURN_IF_ERROR(Commit(&pending));

  // Head log records before the oldest open chunk's first record are no longer needed.
  uint64_t keep_from = next_seq_;
  uint64_t head_samples = 0, head_bytes = 0;
  std::vector<uint64_t> evict;
  for (const auto& [ref, state] : by_ref_) {
    if (state->head.num_samples() > 0) {
      keep_from = std::min(keep_from, state->head_first_seq);
      head_samples += state->head.num_samples();
      head_bytes += state->head.MemoryBytes();
    } else if (state->last_append_ms + kEvictAfterMs <= now) {
      evict.push_back(ref);
    }
  }
  // A reader that has not replayed them yet (remote write) holds the newer records.
  keep_from = std::min(keep_from, head_log_hold_.load(std::memory_order_relaxed));
  // The next number is kept with the truncation, so that a restart finding no record numbers
  // the next one above every record ever written.
  rocksdb::WriteBatch truncate;
  truncate.DeleteRange(db_->head(), keys::HeadKey(0), keys::HeadKey(keep_from));
  std::string next_seq;
  keys::PutFixed64BE(&next_seq, next_seq_);
  truncate.Put(db_->meta(),
               rocksdb::Slice(keys::kHeadLogNextSeqKey.data(), keys::kHeadLogNextSeqKey.size()),
               next_seq);
  rocksdb::Status s = db_->db()->Write(write_options_, &truncate);
  if (!s.ok()) return FromRocks(s, "truncate head log");
  for (uint64_t ref : evict) {
    auto it = by_ref_.find(ref);
    by_key_.erase(it->second.get());
    by_ref_.erase(it);
  }
  metrics_->head_series->Set(static_cast<double>(by_ref_.size()));
  metrics_->head_samples->Set(static_cast<double>(head_samples));
  metrics_->head_bytes->Set(static_cast<double>(head_bytes));
  return absl::OkStatus();
}

absl::Status EngineImpl::EnforceRetention() {
  const int64_t now = clock_->NowMs();
  // Days entirely older than now - retention.
  const uint32_t cutoff = keys::DayOf(now - options_.retention_ms);
  PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db_handle, CurrentDb());
  db_handle->SetRetentionCutoffDay(cutoff);
  postings_cache_.DropBefore(cutoff);
  rocksdb::DB* db = db_handle->db();
  const std::string begin = keys::DayPrefix(0);
  const std::string end = keys::DayPrefix(cutoff);
  for (rocksdb::ColumnFamilyHandle* cf : {db_handle->chunks(), db_handle->postings()}) {
    PL_RETURN_IF_ERROR(
        FromRocks(db->DeleteRange(rocksdb::WriteOptions(), cf, begin, end), "drop expired days"));
    const rocksdb::Slice b(begin), e(end);
    PL_RETURN_IF_ERROR(
        FromRocks(rocksdb::DeleteFilesInRange(db, cf, &b, &e), "drop expired files"));
  }

  // Series whose last sealed sample is before the cutoff and that hold nothing in memory are
  // removed from the index.
  const int64_t cutoff_ms = keys::DayStartMs(cutoff);
  std::vector<std::pair<uint64_t, std::string>> expired;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), db_handle->series()));
    const std::string prefix(1, keys::kSeriesMaxSealed);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (it->key().size() != 9 || it->value().size() != 8) continue;
      if (keys::UnbiasTime(keys::GetFixed64BE(it->value().data())) >= cutoff_ms) continue;
      expired.emplace_back(keys::GetFixed64BE(it->key().data() + 1), std::string());
    }
    PL_RETURN_IF_ERROR(FromRocks(it->status(), "scan series"));
  }
  uint64_t removed = 0;
  if (!expired.empty()) {
    absl::MutexLock lock(&mu_);
    if (db_ != db_handle) return absl::UnavailableError("storage was reopened during retention");
    rocksdb::WriteBatch batch;
    for (auto& [ref, key] : expired) {
      auto mem = by_ref_.find(ref);
      if (mem != by_ref_.end()) {
        if (mem->second->head.num_samples() > 0 || mem->second->max_t >= cutoff_ms) continue;
        by_key_.erase(mem->second.get());
        by_ref_.erase(mem);
      }
      rocksdb::ColumnFamilyHandle* series = db_handle->series();
      rocksdb::Status s = db->Get(rocksdb::ReadOptions(), series, keys::SeriesByIdKey(ref), &key);
      if (s.ok()) batch.Delete(series, keys::SeriesByLabelsKey(key));
      batch.Delete(series, keys::SeriesByIdKey(ref));
      batch.Delete(series, keys::SeriesMaxSealedKey(ref));
      ++removed;
    }
    PL_RETURN_IF_ERROR(FromRocks(db->Write(write_options_, &batch), "remove expired series"));
  }
  metrics_->retention_runs->Increment();
  metrics_->series_removed->Increment(static_cast<double>(removed));
  if (removed > 0) PL_LOG(Info) << "retention removed " << removed << " expired series";
  return absl::OkStatus();
}

absl::Status EngineImpl::CompactAll() {
  PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, CurrentDb());
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* cf : db->handles()) {
    PL_RETURN_IF_ERROR(FromRocks(db->db()->CompactRange(options, cf, nullptr, nullptr), "compact"));
  }
  return absl::OkStatus();
}

void EngineImpl::MaintenanceLoop() {
  int64_t last_retention = INT64_MIN;  // so retention also runs right at start
  while (true) {
    const int64_t now = clock_->NowMs();
    if (last_retention == INT64_MIN || now - last_retention >= kRetentionPeriodMs) {
      last_retention = now;
      absl::Status s = EnforceRetention();
      if (!s.ok()) PL_LOG(Warn) << "storage retention: " << s.message();
      s = events_->EnforceRetention();
      if (!s.ok()) PL_LOG(Warn) << "event retention: " << s.message();
    }
    {
      absl::MutexLock lock(&stop_mu_);
      // Wakes early on shutdown.
      stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(kMaintenancePeriodMs));
      if (stop_) return;
    }
    if (absl::Status s = Maintain(); !s.ok())
      PL_LOG(Warn) << "storage maintenance: " << s.message();
  }
}

namespace {

// Reads RocksDB properties when /metrics is scraped.
class RocksDbCollector final : public prometheus::Collectable {
 public:
  explicit RocksDbCollector(const EngineImpl* engine) : engine_(engine) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    absl::StatusOr<std::shared_ptr<Db>> db = engine_->CurrentDb();
    if (!db.ok()) return out;
    struct Property {
      const char* rocks;
      const char* name;
      const char* help;
    };
    static constexpr Property kPerCf[] = {
        {"rocksdb.live-sst-files-size", "plumbline_storage_sst_bytes",
         "Bytes of live SST files, by column family."},
        {"rocksdb.estimate-pending-compaction-bytes", "plumbline_storage_pending_compaction_bytes",
         "Estimated bytes compaction still has to rewrite, by column family."},
        {"rocksdb.cur-size-all-mem-tables", "plumbline_storage_memtable_bytes",
         "Bytes in memtables, by column family."},
        {"rocksdb.estimate-num-keys", "plumbline_storage_keys",
         "Estimated number of keys, by column family."},
    };
    for (const Property& p : kPerCf) {
      prometheus::MetricFamily family{p.name, p.help, prometheus::MetricType::Gauge, {}};
      for (rocksdb::ColumnFamilyHandle* cf : (*db)->handles()) {
        uint64_t value = 0;
        if (!(*db)->db()->GetIntProperty(cf, p.rocks, &value)) continue;
        prometheus::ClientMetric m;
        m.label = {{"cf", cf->GetName()}};
        m.gauge.value = static_cast<double>(value);
        family.metric.push_back(std::move(m));
      }
      out.push_back(std::move(family));
    }
    prometheus::MetricFamily cache{"plumbline_storage_block_cache_bytes",
                                   "Bytes held by the RocksDB block cache.",
                                   prometheus::MetricType::Gauge,
                                   {}};
    prometheus::ClientMetric m;
    m.gauge.value = static_cast<double>((*db)->block_cache()->GetUsage());
    cache.metric.push_back(m);
    out.push_back(std::move(cache));
    return out;
  }

 private:
  const EngineImpl* engine_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> EngineImpl::RocksDbCollector() {
  return std::make_shared<storage::RocksDbCollector>(this);
}

}  // namespace plumbline::storage
