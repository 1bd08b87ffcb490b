// Engine: the read path. Series are found through the per-day postings; samples come from
// sealed chunks (RocksDB snapshot) and a copy of the open chunk taken at the same moment.
#include <algorithm>
#include <set>

#include "common/status_macros.h"
#include "storage/internal/engine_impl.h"
#include "storage/internal/keys.h"
#include "storage/internal/postings.h"
#include "storage/internal/rocks_status.h"

namespace plumbline::storage {
namespace {

// Samples of one series from its sealed chunks, day by day, then from its open chunk.
class SeriesIteratorImpl final : public SeriesIterator {
 public:
  SeriesIteratorImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
                     const rocksdb::Snapshot* snapshot, uint64_t ref, int64_t mint, int64_t maxt,
                     uint32_t first_day, uint32_t last_day, std::string_view head)
      : db_(db),
        chunks_(chunks),
        snapshot_(snapshot),
        ref_(ref),
        mint_(mint),
        maxt_(maxt),
        day_(first_day),
        last_day_(last_day),
        head_(head) {}

  bool Next() override {
    even_open_ = false;  // KnownEvenPrefix() counts NextBatch's samples only
    while (true) {
      if (in_chunk_) {
        while (chunk_.Next()) {
          const int64_t t = chunk_.t();
          if (t < mint_) continue;
          if (t > maxt_) return Finish();
          t_ = t;
          v_ = chunk_.v();
          return true;
        }
        if (!chunk_.status().ok()) return Fail(chunk_.status());
        in_chunk_ = false;
      }
      if (!NextChunk()) return false;
    }
  }

  size_t NextBatch(int64_t* ts, double* vs, size_t capacity) override {
    size_t n = 0;
    while (n < capacity) {
      if (in_chunk_) {
        const size_t got = chunk_.NextBatch(ts + n, vs + n, capacity - n);
        if (got == 0) {
          if (!chunk_.status().ok()) {
            Fail(chunk_.status());
            break;
          }
          in_chunk_ = false;
          continue;
        }
        // A batch wholly inside [mint, maxt] (most of them) is kept as it is.
        if (ts[n] >= mint_ && ts[n + got - 1] <= maxt_) {
          NoteEvenRun(ts[n], ts[n + got - 1], got);
          n += got;
          continue;
        }
        // Keep only [mint, maxt]; chunks are sorted, so a sample past maxt ends everything.
        size_t keep = 0;
        bool past_end = false;
        for (size_t i = n; i < n + got; ++i) {
          if (ts[i] < mint_) continue;
          if (ts[i] > maxt_) {
            past_end = true;
            break;
          }
          ts[n + keep] = ts[i];
          vs[n + keep] = vs[i];
          ++keep;
        }
        if (keep > 0) NoteEvenRun(ts[n], ts[n + keep - 1], keep);
        n += keep;
        if (past_end) {
          Finish();
          break;
        }
        continue;
      }
      if (!NextChunk()) break;
    }
    return n;
  }

  int64_t t() const override { return t_; }
  double v() const override { return v_; }
  size_t KnownEvenPrefix() const override { return even_count_; }
  absl::Status status() const override { return status_; }

 private:
  // Extends the known-even prefix by `count` samples just returned from chunk_, first at
  // `first_t`, last at `last_t` (a run of consecutive samples of the chunk): while every run
  // so far came from a regular chunk with one interval d and each run starts d after the
  // previous one ended. The first run of another kind ends the prefix for good.
  void NoteEvenRun(int64_t first_t, int64_t last_t, size_t count) {
    if (!even_open_) return;
    const int64_t d = chunk_.info().interval;
    // (Unsigned: the difference of two far-apart timestamps would overflow.)
    const bool continues =
        d > 0 && (even_count_ == 0 ||
                  (d == even_interval_ && first_t > even_last_t_ &&
                   static_cast<uint64_t>(first_t) - static_cast<uint64_t>(even_last_t_) ==
                       static_cast<uint64_t>(d)));
    if (!continues) {
      even_open_ = false;
      return;
    }
    even_interval_ = d;
    even_last_t_ = last_t;
    even_count_ += count;
  }

  bool Finish() {
    done_ = true;
    in_chunk_ = false;
    return false;
  }
  bool Fail(absl::Status status) {
    status_ = std::move(status);
    return Finish();
  }

  // Positions chunk_ on the next chunk overlapping [mint, maxt]; false when there is none.
  bool NextChunk() {
    if (done_) return false;
    while (!sealed_done_) {
      if (it_ == nullptr) {
        rocksdb::ReadOptions ro;
        ro.snapshot = snapshot_;
        it_.reset(db_->NewIterator(ro, chunks_));
        SeekDay();
      } else if (advance_) {
        it_->Next();
      }
      advance_ = true;
      if (!it_->Valid() || !it_->key().starts_with(prefix_)) {
        if (!it_->status().ok()) return Fail(FromRocks(it_->status(), "read chunks"));
        if (day_ >= last_day_) {
          sealed_done_ = true;
          break;
        }
        ++day_;
        SeekDay();
        advance_ = false;
        continue;
      }
      const rocksdb::Slice value = it_->value();
      absl::Status s = chunk_.Init(std::string_view(value.data(), value.size()));
      if (!s.ok()) return Fail(std::move(s));
      if (chunk_.info().max_t < mint_) continue;
      if (chunk_.info().min_t > maxt_) return Finish();
      in_chunk_ = true;
      return true;
    }
    if (!head_done_) {
      head_done_ = true;
      if (!head_.empty()) {
        absl::Status s = chunk_.Init(head_);
        if (!s.ok()) return Fail(std::move(s));
        if (chunk_.info().max_t >= mint_ && chunk_.info().min_t <= maxt_) {
          in_chunk_ = true;
          return true;
        }
      }
    }
    return Finish();
  }

  void SeekDay() {
    prefix_ = keys::ChunkSeriesPrefix(day_, ref_);
    const int64_t day_start = keys::DayStartMs(day_);
    // The chunk window of mint_ when it falls inside this day (computed only then: for an
    // open range end like INT64_MIN it would overflow).
    const int64_t from =
        mint_ <= day_start ? day_start : std::max(day_start, WindowOf(mint_) * kChunkWindowMs);
    it_->Seek(keys::ChunkKey(day_, ref_, from));
  }

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* chunks_;
  const rocksdb::Snapshot* snapshot_;
  const uint64_t ref_;
  const int64_t mint_, maxt_;
  uint32_t day_;
  const uint32_t last_day_;
  std::string_view head_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::string prefix_;
  codec::ChunkIterator chunk_;
  bool in_chunk_ = false;
  bool advance_ = false;
  bool sealed_done_ = false;
  bool head_done_ = false;
  bool done_ = false;
  int64_t t_ = 0;
  double v_ = 0;
  // KnownEvenPrefix(): its length, interval, last timestamp, and whether it can still grow.
  size_t even_count_ = 0;
  int64_t even_interval_ = 0;
  int64_t even_last_t_ = 0;
  bool even_open_ = true;
  absl::Status status_;
};

class SeriesSetImpl final : public SeriesSet {
 public:
  SeriesSetImpl(int64_t mint, int64_t maxt, uint32_t first_day, uint32_t last_day)
      : mint_(mint), maxt_(maxt), first_day_(first_day), last_day_(last_day) {}
  ~SeriesSetImpl() override {
    if (snapshot_ != nullptr) db_->db()->ReleaseSnapshot(snapshot_);
  }

  const std::vector<Series>& series() const override { return series_; }
  std::unique_ptr<SeriesIterator> Samples(size_t index) const override {
    return std::make_unique<SeriesIteratorImpl>(db_->db(), db_->chunks(), snapshot_,
                                                series_[index].ref, mint_, maxt_, first_day_,
                                                last_day_, heads_[index]);
  }

  std::vector<Series> series_;
  std::vector<std::string> heads_;
  // Kept alive (and so never reopened) while this set exists.
  std::shared_ptr<Db> db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;

 private:
  int64_t mint_, maxt_;
  uint32_t first_day_, last_day_;
};

bool LabelsLess(const Labels& a, const Labels& b) {
  const auto& x = a.items();
  const auto& y = b.items();
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (x[i].name != y[i].name) return CanonicalNameLess(x[i].name, y[i].name);
    if (x[i].value != y[i].value) return x[i].value < y[i].value;
  }
  return x.size() < y.size();
}

// The days of [mint, maxt] that can hold data: clamped to the first and last day present in
// the postings, so an open-ended range does not walk billions of empty days.
bool DayRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* postings,
              const rocksdb::ReadOptions& ro, int64_t mint, int64_t maxt, uint32_t* first,
              uint32_t* last) {
  if (mint > maxt) return false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, postings));
  it->SeekToFirst();
  if (!it->Valid() || it->key().size() < 4) return false;
  const uint32_t data_first = keys::GetFixed32BE(it->key().data());
  it->SeekToLast();
  if (!it->Valid() || it->key().size() < 4) return false;
  const uint32_t data_last = keys::GetFixed32BE(it->key().data());
  *first = std::max(keys::DayOf(mint), data_first);
  *last = std::min(keys::DayOf(maxt), data_last);
  return *first <= *last;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SeriesSet>> EngineImpl::Select(
    absl::Span<const LabelMatcher> matchers, int64_t mint, int64_t maxt) {
  if (matchers.empty()) return absl::InvalidArgumentError("at least one matcher is required");
  const double start = MonotonicSeconds();
  PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db_handle, CurrentDb());
  rocksdb::DB* db = db_handle->db();
  rocksdb::ReadOptions ro;
  uint32_t first_day = 0, last_day = 0;
  std::vector<uint64_t> refs;
  if (DayRange(db, db_handle->postings(), ro, mint, maxt, &first_day, &last_day)) {
    PostingsReader postings(db, db_handle->postings(), ro);
    const std::string cache_key = PostingsCache::Key(matchers);
    for (uint32_t day = first_day; day <= last_day; ++day) {
      if (PostingsCache::Refs hit = postings_cache_.Lookup(day, cache_key)) {
        metrics_->postings_cache_hits->Increment();
        refs.insert(refs.end(), hit->begin(), hit->end());
        continue;
      }
      metrics_->postings_cache_misses->Increment();
      const uint64_t generation = postings_cache_.Generation(day);
      PL_ASSIGN_OR_RETURN(std::vector<uint64_t> day_refs, postings.Select(day, matchers));
      refs.insert(refs.end(), day_refs.begin(), day_refs.end());
      postings_cache_.Insert(day, cache_key, generation, std::move(day_refs));
    }
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  }
  auto set = std::make_unique<SeriesSetImpl>(mint, maxt, first_day, last_day);
  if (!refs.empty()) {
    std::vector<std::string> key_storage;
    key_storage.reserve(refs.size());
    for (uint64_t ref : refs) key_storage.push_back(keys::SeriesByIdKey(ref));
    std::vector<rocksdb::Slice> key_slices(key_storage.begin(), key_storage.end());
    std::vector<rocksdb::PinnableSlice> values(refs.size());
    std::vector<rocksdb::Status> statuses(refs.size());
    db->MultiGet(ro, db_handle->series(), refs.size(), key_slices.data(), values.data(),
                 statuses.data());
    set->series_.reserve(refs.size());
    for (size_t i = 0; i < refs.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;  // removed by retention meanwhile
      PL_RETURN_IF_ERROR(FromRocks(statuses[i], "read series labels"));
      PL_ASSIGN_OR_RETURN(Labels labels, Labels::Decode(values[i].ToStringView()));
      set->series_.push_back(Series{refs[i], std::move(labels)});
    }
    std::sort(set->series_.begin(), set->series_.end(),
              [](const Series& a, const Series& b) { return LabelsLess(a.labels, b.labels); });
  }
  set->heads_.resize(set->series_.size());
  {
    // The snapshot and the open chunks at one instant: an Append seals chunks and updates the
    // head under the exclusive lock, so every sample is in exactly one of the two.
    absl::ReaderMutexLock lock(&mu_);
    if (db_ == nullptr) return absl::UnavailableError("storage is recovering from a write error");
    set->db_ = db_;
    set->snapshot_ = db_->db()->GetSnapshot();
    for (size_t i = 0; i < set->series_.size(); ++i) {
      auto it = by_ref_.find(set->series_[i].ref);
      if (it == by_ref_.end()) continue;
      const codec::ChunkAppender& head = it->second->head;
      if (head.num_samples() == 0 || head.max_t() < mint || head.min_t() > maxt) continue;
      head.EncodeTo(&set->heads_[i]);
    }
  }
  metrics_->select_seconds->Observe(MonotonicSeconds() - start);
  return std::unique_ptr<SeriesSet>(std::move(set));
}

absl::StatusOr<std::vector<std::string>> EngineImpl::LabelNames(
    absl::Span<const LabelMatcher> matchers, int64_t mint, int64_t maxt) {
  std::set<std::string> names;
  if (matchers.empty()) {
    PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, CurrentDb());
    rocksdb::ReadOptions ro;
    uint32_t first = 0, last = 0;
    if (DayRange(db->db(), db->postings(), ro, mint, maxt, &first, &last)) {
      PostingsReader postings(db->db(), db->postings(), ro);
      for (uint32_t day = first; day <= last; ++day) {
        PL_RETURN_IF_ERROR(postings.LabelNames(day, &names));
      }
    }
  } else {
    PL_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, Select(matchers, mint, maxt));
    for (const Series& s : set->series()) {
      for (const Label& l : s.labels.items()) names.insert(l.name);
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

absl::StatusOr<std::vector<std::string>> EngineImpl::LabelValues(
    std::string_view name, absl::Span<const LabelMatcher> matchers, int64_t mint, int64_t maxt) {
  std::set<std::string> values;
  if (matchers.empty()) {
    PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, CurrentDb());
    rocksdb::ReadOptions ro;
    uint32_t first = 0, last = 0;
    if (DayRange(db->db(), db->postings(), ro, mint, maxt, &first, &last)) {
      PostingsReader postings(db->db(), db->postings(), ro);
      for (uint32_t day = first; day <= last; ++day) {
        PL_RETURN_IF_ERROR(postings.LabelValues(day, name, &values));
      }
    }
  } else {
    PL_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, Select(matchers, mint, maxt));
    for (const Series& s : set->series()) {
      const std::string_view v = s.labels.Get(name);
      if (!v.empty()) values.emplace(v);
    }
  }
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace plumbline::storage
