// Engine: opening, the write path (Append and the head), and metadata.
#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "rocksdb/file_system.h"
#include "storage/internal/engine_impl.h"
#include "storage/internal/head_log.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"

namespace plumbline::storage {

namespace {
constexpr const char* kNextRefKey = "next_series_ref";
constexpr std::string_view kMetadataPrefix = "md/";
}  // namespace

// ---- AppendBatch -------------------------------------------------------------------------

void AppendBatch::Add(const Labels& labels, int64_t t, double v) {
  entries_.push_back(Entry{0, static_cast<uint32_t>(labels_.size()), t, v});
  labels_.push_back(labels);
}

void AppendBatch::Add(Labels&& labels, int64_t t, double v) {
  entries_.push_back(Entry{0, static_cast<uint32_t>(labels_.size()), t, v});
  labels_.push_back(std::move(labels));
}

void AppendBatch::Add(SeriesRef ref, int64_t t, double v) {
  entries_.push_back(Entry{ref, 0, t, v});
}

void AppendBatch::Clear() {
  entries_.clear();
  labels_.clear();
}

// ---- Pending writes and rollback ---------------------------------------------------------

EngineImpl::Undo& EngineImpl::PendingWrite::Touch(SeriesState* state) {
  auto [it, inserted] = undo_index.try_emplace(state, undo.size());
  if (inserted) {
    undo.push_back(Undo{state, state->max_t, state->window, state->head_first_seq,
                        state->head.Save(), state->postings_day, state->parts, std::nullopt});
  }
  return undo[it->second];
}

// ---- Opening ------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  DbOptions db_options;
  db_options.dir = options.data_dir;
  db_options.block_cache_bytes = options.block_cache_bytes;
  db_options.memtable_budget_bytes = options.memtable_budget_bytes;
  db_options.env = options.env;
  PL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(db_options));
  auto engine = std::make_unique<EngineImpl>(options, db_options, std::move(db));
  PL_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<Engine>(std::move(engine));
}

EngineImpl::EngineImpl(const EngineOptions& options, const DbOptions& db_options,
                       std::unique_ptr<Db> db)
    : options_(options),
      db_options_(db_options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Get()),
      metrics_(std::make_unique<StorageMetrics>(options.registry)),
      db_(std::move(db)),
      postings_cache_(options.postings_cache_refs) {
  events_ = NewEventStore(this, clock_, options.event_retention_ms);
  write_options_.sync = options.sync_wal;
  if (options.hold_head_log) head_log_hold_.store(0, std::memory_order_relaxed);
}

absl::StatusOr<std::shared_ptr<Db>> EngineImpl::CurrentDb() const {
  absl::ReaderMutexLock lock(&mu_);
  if (db_ == nullptr) return absl::UnavailableError("storage is recovering from a write error");
  return db_;
}

EngineImpl::~EngineImpl() {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  // Open chunks stay in the head log and are rebuilt on the next open.
}

absl::Status EngineImpl::Init() {
  absl::MutexLock lock(&mu_);
  PL_RETURN_IF_ERROR(LoadState());
  last_maintenance_ms_ = clock_->NowMs();
  if (options_.background_maintenance) {
    maintenance_thread_ = std::thread([this] { MaintenanceLoop(); });
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::LoadState() {
  by_key_.clear();
  by_ref_.clear();
  next_ref_ = 1;
  next_seq_ = 1;
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->meta(), kNextRefKey, &value);
  if (s.ok() && value.size() == 8) {
    next_ref_ = keys::GetFixed64BE(value.data());
  } else if (!s.ok() && !s.IsNotFound()) {
    return FromRocks(s, "read next series ref");
  }
  s = db_->db()->Get(
      rocksdb::ReadOptions(), db_->meta(),
      rocksdb::Slice(keys::kHeadLogNextSeqKey.data(), keys::kHeadLogNextSeqKey.size()), &value);
  if (s.ok() && value.size() == 8) {
    next_seq_ = std::max<uint64_t>(1, keys::GetFixed64BE(value.data()));
  } else if (!s.ok() && !s.IsNotFound()) {
    return FromRocks(s, "read head log number");
  }
  PL_RETURN_IF_ERROR(ReplayHeadLog());
  PL_RETURN_IF_ERROR(LoadMergeMarkers());
  metrics_->series->Set(static_cast<double>(next_ref_ - 1));
  db_->SetRetentionCutoffDay(keys::DayOf(clock_->NowMs() - options_.retention_ms));
  return absl::OkStatus();
}

absl::Status EngineImpl::LoadMergeMarkers() {
  merge_queue_.clear();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->meta()));
  const rocksdb::Slice prefix(keys::kMergeMarkerPrefix.data(), keys::kMergeMarkerPrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint64_t ref;
    int64_t window;
    if (!keys::ParseMergeMarkerKey(std::string_view(it->key().data(), it->key().size()), &ref,
                                   &window)) {
      continue;
    }
    // A window still open merges when it closes; any other one, at the next maintenance.
    auto state = by_ref_.find(ref);
    if (state != by_ref_.end() && state->second->head.num_samples() > 0 &&
        state->second->window == window) {
      state->second->parts = std::max<uint16_t>(state->second->parts, 1);
    } else {
      merge_queue_.push_back(MergeJob{ref, window});
    }
  }
  return FromRocks(it->status(), "read merge markers");
}

absl::Status EngineImpl::ProbeWritable() const {
  rocksdb::Env* env = options_.env != nullptr ? options_.env : rocksdb::Env::Default();
  const std::shared_ptr<rocksdb::FileSystem>& fs = env->GetFileSystem();
  const std::string path = db_options_.dir + "/RECOVERY_PROBE";
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr);
  if (s.ok()) s = file->Append(std::string(64 << 10, '\0'), rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = file->Sync(rocksdb::IOOptions(), nullptr);
  if (file != nullptr) (void)file->Close(rocksdb::IOOptions(), nullptr);
  (void)fs->DeleteFile(path, rocksdb::IOOptions(), nullptr);
  if (!s.ok()) {
    return absl::UnavailableError(StrCat(
        "storage is recovering from a write error; the disk still refuses writes: ", s.ToString()));
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::RecoverIfNeeded() {
  if (!write_failed_) return absl::OkStatus();
  if (db_ != nullptr) {
    rocksdb::Status s = db_->db()->Resume();
    if (s.ok()) {
      write_failed_ = false;
      PL_LOG(Info) << "storage writes resumed";
      return absl::OkStatus();
    }
    if (s.IsBusy() || s.severity() < rocksdb::Status::Severity::kFatalError) {
      return absl::UnavailableError(
          StrCat("storage is recovering from a write error: ", s.ToString()));
    }
    // RocksDB will not write again in this instance: reopen it, once the disk takes writes
    // again (so reads keep working meanwhile) and no reader holds it.
    PL_RETURN_IF_ERROR(ProbeWritable());
    if (db_.use_count() > 1) {
      return absl::UnavailableError("storage is recovering from a write error (readers active)");
    }
    db_.reset();
  }
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(db_options_);
  if (!db.ok()) {
    return absl::UnavailableError(
        StrCat("storage is recovering from a write error: ", db.status().message()));
  }
  db_ = std::move(*db);
  postings_cache_.Clear();
  // The failed write may or may not have reached the WAL: rebuild memory from what is stored.
  absl::Status s = LoadState();
  if (!s.ok()) {
    db_.reset();
    return absl::UnavailableError(
        StrCat("storage is recovering from a write error: ", s.message()));
  }
  write_failed_ = false;
  PL_LOG(Info) << "storage reopened after a write error; writes resumed";
  return absl::OkStatus();
}

absl::Status EngineImpl::ReplayHeadLog() {
  PendingWrite pending;
  pending.next_ref_before = next_ref_;
  pending.next_seq_before = next_seq_;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->head()));
  uint64_t records = 0, samples = 0, skipped = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) continue;
    const uint64_t seq = keys::GetFixed64BE(it->key().data());
    next_seq_ = std::max(next_seq_, seq + 1);
    HeadLogReader reader(std::string_view(it->value().data(), it->value().size()));
    PL_RETURN_IF_ERROR(reader.Init());
    uint64_t ref;
    int64_t t;
    double v;
    while (reader.Next(&ref, &t, &v)) {
      absl::StatusOr<SeriesState*> state = FindOrLoadByRef(ref);
      if (!state.ok()) {
        if (absl::IsNotFound(state.status())) {
          ++skipped;  // the series expired by retention meanwhile
          continue;
        }
        return state.status();
      }
      if (t <= (*state)->max_t) {
        ++skipped;  // already sealed into a chunk
        continue;
      }
      AppendToHead(*state, t, v, seq, &pending);
      ++samples;
    }
    PL_RETURN_IF_ERROR(reader.status());
    ++records;
  }
  PL_RETURN_IF_ERROR(FromRocks(it->status(), "read head log"));
  if (pending.batch.Count() > 0) PL_RETURN_IF_ERROR(Commit(&pending));
  if (records > 0) {
    PL_LOG(Info) << "rebuilt open chunks from the head log: " << records << " records, " << samples
                 << " samples, " << by_ref_.size() << " series (" << skipped
                 << " samples already sealed)";
  }
  return absl::OkStatus();
}

// ---- Series resolution --------------------------------------------------------------------

SeriesState* SeriesState::Create(uint64_t ref, std::string_view key) {
  void* block = ::operator new(sizeof(SeriesState) + key.size());
  SeriesState* s = new (block) SeriesState();
  s->ref = ref;
  s->key_size = static_cast<uint32_t>(key.size());
  std::memcpy(reinterpret_cast<char*>(s + 1), key.data(), key.size());
  return s;
}

void SeriesState::Destroy(SeriesState* state) {
  state->~SeriesState();
  ::operator delete(state);
}

SeriesState* EngineImpl::Insert(uint64_t ref, std::string_view key, int64_t sealed_max_t) {
  SeriesStatePtr state(SeriesState::Create(ref, key));
  state->max_t = sealed_max_t;
  SeriesState* raw = state.get();
  by_key_.insert(raw);
  by_ref_.emplace(ref, std::move(state));
  return raw;
}

absl::StatusOr<SeriesState*> EngineImpl::FindOrLoadByRef(uint64_t ref) {
  if (auto it = by_ref_.find(ref); it != by_ref_.end()) return it->second.get();
  std::string key;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->series(), keys::SeriesByIdKey(ref), &key);
  if (s.IsNotFound()) return absl::NotFoundError(StrCat("unknown series ref ", ref));
  PL_RETURN_IF_ERROR(FromRocks(s, "read series"));
  std::string max_value;
  int64_t max_t = INT64_MIN;
  s = db_->db()->Get(rocksdb::ReadOptions(), db_->series(), keys::SeriesMaxSealedKey(ref),
                     &max_value);
  if (s.ok() && max_value.size() == 8) {
    max_t = keys::UnbiasTime(keys::GetFixed64BE(max_value.data()));
  } else if (!s.ok() && !s.IsNotFound()) {
    return FromRocks(s, "read series");
  }
  return Insert(ref, key, max_t);
}

absl::StatusOr<SeriesState*> EngineImpl::FindOrCreate(const Labels& labels, PendingWrite* pending) {
  std::string key = labels.Encode();
  if (auto it = by_key_.find(std::string_view(key)); it != by_key_.end()) return *it;
  std::string ref_value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->series(),
                                     keys::SeriesByLabelsKey(key), &ref_value);
  if (s.ok() && ref_value.size() == 8) return FindOrLoadByRef(keys::GetFixed64BE(ref_value.data()));
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read series");
  const uint64_t ref = next_ref_++;
  std::string ref_bytes;
  keys::PutFixed64BE(&ref_bytes, ref);
  pending->batch.Put(db_->series(), keys::SeriesByLabelsKey(key), ref_bytes);
  pending->batch.Put(db_->series(), keys::SeriesByIdKey(ref), key);
  SeriesState* state = Insert(ref, key, INT64_MIN);
  pending->created.push_back(state);
  return state;
}

// ---- The head -----------------------------------------------------------------------------

void EngineImpl::WritePostings(SeriesState* state, uint32_t day, PendingWrite* pending) {
  if (std::find(pending->postings_days.begin(), pending->postings_days.end(), day) ==
      pending->postings_days.end()) {
    pending->postings_days.push_back(day);
  }
  rocksdb::WriteBatch* batch = &pending->batch;
  std::string ref_bytes;
  keys::PutFixed64BE(&ref_bytes, state->ref);
  std::string_view rest = state->key();  // "name\0value\0..."
  while (!rest.empty()) {
    const size_t name_end = rest.find('\0');
    const size_t value_end = rest.find('\0', name_end + 1);
    if (name_end == std::string_view::npos || value_end == std::string_view::npos) break;
    std::string key = keys::PostingsValuePrefix(
        day, rest.substr(0, name_end), rest.substr(name_end + 1, value_end - name_end - 1));
    key.append(ref_bytes);
    batch->Put(db_->postings(), key, rocksdb::Slice());
    rest.remove_prefix(value_end + 1);
  }
  std::string all = keys::AllPostingsPrefix(day);
  all.append(ref_bytes);
  batch->Put(db_->postings(), all, rocksdb::Slice());
}

void EngineImpl::Seal(SeriesState* state, PendingWrite* pending, bool window_done) {
  Undo& undo = pending->Touch(state);
  const codec::ChunkAppender& head = state->head;
  std::string bytes;
  head.SealTo(&bytes);
  pending->batch.Put(db_->chunks(),
                     keys::ChunkKey(keys::DayOf(head.min_t()), state->ref, head.min_t()), bytes);
  std::string max_bytes;
  keys::PutFixed64BE(&max_bytes, keys::BiasTime(head.max_t()));
  pending->batch.Put(db_->series(), keys::SeriesMaxSealedKey(state->ref), max_bytes);
  ++pending->chunks_sealed;
  pending->chunk_bytes += bytes.size();
  if (!undo.original_head.has_value()) undo.original_head.emplace(std::move(state->head));
  state->head = codec::ChunkAppender();
  if (window_done) {
    if (state->parts > 0) pending->merges.push_back(MergeJob{state->ref, state->window});
    state->parts = 0;
  } else {
    // Kept until the merge, so that a restart still finds the window to merge.
    pending->batch.Put(db_->meta(), keys::MergeMarkerKey(state->ref, state->window),
                       rocksdb::Slice());
    if (state->parts < UINT16_MAX) ++state->parts;
  }
}

void EngineImpl::AppendToHead(SeriesState* state, int64_t t, double v, uint64_t seq,
                              PendingWrite* pending) {
  pending->Touch(state);
  const int64_t window = WindowOf(t);
  if (state->head.num_samples() > 0) {
    if (state->window != window) {
      Seal(state, pending, /*window_done=*/true);
    } else if (state->head.num_samples() >= kMaxChunkSamples ||
               (options_.head_cut_bytes > 0 &&
                state->head.EncodedBytes() >= options_.head_cut_bytes)) {
      Seal(state, pending, /*window_done=*/false);
    }
  }
  if (state->head.num_samples() == 0) {
    state->window = window;
    state->head_first_seq = seq;
  }
  state->head.Append(t, v);
  state->max_t = t;
  state->last_append_ms = clock_->NowMs();
  const uint32_t day = keys::DayOf(t);
  if (state->postings_day != day) {
    WritePostings(state, day, pending);
    state->postings_day = day;
  }
}

absl::Status EngineImpl::Commit(PendingWrite* pending) {
  if (pending->record.count() > 0) {
    pending->batch.Put(db_->head(), keys::HeadKey(pending->seq), pending->record.Finish());
  }
  if (next_ref_ != pending->next_ref_before) {
    std::string value;
    keys::PutFixed64BE(&value, next_ref_);
    pending->batch.Put(db_->meta(), kNextRefKey, value);
  }
  rocksdb::Status s = db_->db()->Write(write_options_, &pending->batch);
  // After the write (visible now, or failed having perhaps reached the WAL): lists of these
  // days read before it are stale.
  for (uint32_t day : pending->postings_days) postings_cache_.Invalidate(day);
  if (!s.ok()) {
    if (!write_failed_) PL_LOG(Error) << "storage write failed: " << s.ToString();
    write_failed_ = true;
    metrics_->append_failures->Increment();
    Rollback(pending);
    return FromRocks(s, "write samples");
  }
  merge_queue_.insert(merge_queue_.end(), pending->merges.begin(), pending->merges.end());
  metrics_->chunks_sealed->Increment(static_cast<double>(pending->chunks_sealed));
  metrics_->chunk_bytes->Increment(static_cast<double>(pending->chunk_bytes));
  if (!pending->created.empty()) {
    metrics_->series_created->Increment(static_cast<double>(pending->created.size()));
    metrics_->series->Set(static_cast<double>(next_ref_ - 1));
  }
  return absl::OkStatus();
}

void EngineImpl::Rollback(PendingWrite* pending) {
  for (auto it = pending->undo.rbegin(); it != pending->undo.rend(); ++it) {
    SeriesState* state = it->state;
    if (it->original_head.has_value()) state->head = std::move(*it->original_head);
    state->head.Restore(it->checkpoint);
    state->max_t = it->max_t;
    state->window = it->window;
    state->head_first_seq = it->head_first_seq;
    state->postings_day = it->postings_day;
    state->parts = it->parts;
  }
  for (SeriesState* state : pending->created) {
    by_key_.erase(state);
    by_ref_.erase(state->ref);
  }
  next_ref_ = pending->next_ref_before;
  next_seq_ = pending->next_seq_before;
}

// ---- Append -------------------------------------------------------------------------------

absl::StatusOr<AppendResult> EngineImpl::Append(const AppendBatch& batch) {
  const double start = MonotonicSeconds();
  AppendResult result;
  absl::MutexLock lock(&mu_);
  if (absl::Status s = RecoverIfNeeded(); !s.ok()) {
    metrics_->append_failures->Increment();
    return s;
  }
  const int64_t now = clock_->NowMs();
  const int64_t oldest = now - options_.retention_ms;
  PendingWrite pending;
  pending.next_ref_before = next_ref_;
  pending.next_seq_before = next_seq_;
  pending.seq = next_seq_++;
  // At most one undo record per sample: sized once, not doubled (a 200 k-series flush would
  // otherwise hold up to twice its undo log while growing it).
  pending.undo.reserve(batch.entries_.size());
  pending.undo_index.reserve(batch.entries_.size());
  for (const AppendBatch::Entry& entry : batch.entries_) {
    const bool by_labels = entry.ref == 0;
    if (by_labels) result.refs.push_back(0);
    if (entry.t < oldest) {
      ++result.too_old;
      continue;
    }
    absl::StatusOr<SeriesState*> found =
        by_labels ? FindOrCreate(batch.labels_[entry.labels_index], &pending)
                  : FindOrLoadByRef(entry.ref);
    if (!found.ok()) {
      if (!by_labels && absl::IsNotFound(found.status())) {
        ++result.unknown_ref;
        continue;
      }
      Rollback(&pending);
      return found.status();
    }
    SeriesState* state = *found;
    if (by_labels) result.refs.back() = state->ref;
    if (entry.t <= state->max_t) {
      if (entry.t == state->max_t && state->head.num_samples() > 0 &&
          std::bit_cast<uint64_t>(entry.v) == std::bit_cast<uint64_t>(state->head.last_value())) {
        ++result.duplicate;
      } else {
        ++result.out_of_order;
      }
      continue;
    }
    AppendToHead(state, entry.t, entry.v, pending.seq, &pending);
    pending.record.Add(state->ref, entry.t, entry.v);
    ++result.appended;
  }
  result.series_created = pending.created.size();
  if (pending.batch.Count() > 0 || pending.record.count() > 0) {
    const bool recorded = pending.record.count() > 0;  // Commit finishes the record
    PL_RETURN_IF_ERROR(Commit(&pending));
    if (recorded) result.head_seq = pending.seq;
  } else {
    next_seq_ = pending.next_seq_before;
  }
  metrics_->samples_appended->Increment(static_cast<double>(result.appended));
  metrics_->samples_duplicate->Increment(static_cast<double>(result.duplicate));
  metrics_->refused_out_of_order->Increment(static_cast<double>(result.out_of_order));
  metrics_->refused_too_old->Increment(static_cast<double>(result.too_old));
  metrics_->refused_unknown_ref->Increment(static_cast<double>(result.unknown_ref));
  if (!options_.background_maintenance && now - last_maintenance_ms_ >= 60'000) {
    PL_RETURN_IF_ERROR(MaintainLocked());
  }
  metrics_->append_seconds->Observe(MonotonicSeconds() - start);
  return result;
}

// ---- Metadata -----------------------------------------------------------------------------

absl::Status EngineImpl::PutMetadata(const MetricMetadata& metadata) {
  std::string value = StrCat(metadata.type, std::string_view("\0", 1), metadata.help,
                             std::string_view("\0", 1), metadata.unit);
  PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, CurrentDb());
  return FromRocks(
      db->db()->Put(write_options_, db->meta(), StrCat(kMetadataPrefix, metadata.metric), value),
      "write metadata");
}

absl::StatusOr<std::vector<MetricMetadata>> EngineImpl::Metadata(std::string_view metric) {
  std::vector<MetricMetadata> out;
  const std::string prefix = StrCat(kMetadataPrefix, metric);
  PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, CurrentDb());
  std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(rocksdb::ReadOptions(), db->meta()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    MetricMetadata md;
    md.metric = it->key().ToString().substr(kMetadataPrefix.size());
    if (!metric.empty() && md.metric != metric) break;
    const std::string value = it->value().ToString();
    const size_t a = value.find('\0');
    const size_t b = a == std::string::npos ? std::string::npos : value.find('\0', a + 1);
    if (b == std::string::npos) continue;
    md.type = value.substr(0, a);
    md.help = value.substr(a + 1, b - a - 1);
    md.unit = value.substr(b + 1);
    out.push_back(std::move(md));
  }
  PL_RETURN_IF_ERROR(FromRocks(it->status(), "read metadata"));
  return out;
}

EngineStats EngineImpl::Stats() {
  absl::ReaderMutexLock lock(&mu_);
  EngineStats stats;
  stats.series_in_memory = by_ref_.size();
  stats.next_series_ref = next_ref_;
  stats.next_head_seq = next_seq_;
  for (const auto& [ref, state] : by_ref_) {
    stats.head_samples += state->head.num_samples();
    stats.head_bytes += state->head.MemoryBytes();
  }
  return stats;
}

absl::Status EngineImpl::ReadHeadLog(uint64_t after_seq, const HeadLogFn& fn) {
  PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, CurrentDb());
  // Labels by ref, read once per series (the log names series by ref only).
  absl::flat_hash_map<uint64_t, std::optional<Labels>> labels_of;
  std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(rocksdb::ReadOptions(), db->head()));
  const std::string start = keys::HeadKey(after_seq + 1);
  for (it->Seek(start); it->Valid(); it->Next()) {
    if (it->key().size() != 8) continue;
    const uint64_t seq = keys::GetFixed64BE(it->key().data());
    HeadLogReader reader(std::string_view(it->value().data(), it->value().size()));
    PL_RETURN_IF_ERROR(reader.Init());
    uint64_t ref;
    int64_t t;
    double v;
    while (reader.Next(&ref, &t, &v)) {
      auto [found, inserted] = labels_of.try_emplace(ref);
      if (inserted) {
        std::string key;
        rocksdb::Status s =
            db->db()->Get(rocksdb::ReadOptions(), db->series(), keys::SeriesByIdKey(ref), &key);
        if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read series");
        if (s.ok()) {
          PL_ASSIGN_OR_RETURN(Labels labels, Labels::Decode(key));
          found->second = std::move(labels);
        }
      }
      // A series gone by retention meanwhile has nothing left to name it by.
      if (found->second.has_value()) fn(seq, *found->second, t, v);
    }
    PL_RETURN_IF_ERROR(reader.status());
  }
  return FromRocks(it->status(), "read head log");
}

void EngineImpl::HoldHeadLog(uint64_t seq) {
  if (options_.hold_head_log) head_log_hold_.store(seq, std::memory_order_relaxed);
}

}  // namespace plumbline::storage
