#include "remote/write_queue.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace plumbline::remote {
namespace {

constexpr size_t kKeySize = 8 + 4 + 8;
constexpr size_t kValueHeader = 4;

// The one place RocksDB's status becomes ours.
absl::Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = StrCat("remote-write queue: ", what, ": ", s.ToString());
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(message);  // another process holds the queue
  }
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNoSpace() || s.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBE(std::string_view in, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[pos + i]);
  return v;
}

std::string Key(StreamId stream, uint64_t seq) {
  std::string key;
  key.reserve(kKeySize);
  PutBE(&key, stream.url_id, 8);
  PutBE(&key, stream.shard, 4);
  PutBE(&key, seq, 8);
  return key;
}

std::string UrlPrefix(uint64_t url_id) {
  std::string key;
  PutBE(&key, url_id, 8);
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WriteQueue>> WriteQueue::Open(const WriteQueueOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("remote-write queue: cannot create ", options.dir, ": ", ec.message()));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  // A queue: small memtables, entries live seconds to hours.
  db_options.write_buffer_size = 16 << 20;
  db_options.max_write_buffer_number = 2;
  db_options.keep_log_file_num = 2;
  db_options.max_background_jobs = 2;
  rocksdb::DB* raw = nullptr;
  PL_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options.dir, &raw), "open"));
  auto queue =
      std::unique_ptr<WriteQueue>(new WriteQueue(options, std::unique_ptr<rocksdb::DB>(raw)));
  PL_RETURN_IF_ERROR(queue->Load());
  return queue;
}

WriteQueue::WriteQueue(const WriteQueueOptions& options, std::unique_ptr<rocksdb::DB> db)
    : options_(options), db_(std::move(db)) {}

WriteQueue::~WriteQueue() = default;

absl::Status WriteQueue::Load() {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    if (key.empty() && value.size() == 8) {
      source_seq_ = GetBE(std::string_view(value.data(), value.size()), 0, 8);
      continue;
    }
    if (key.size() != kKeySize || value.size() < kValueHeader) {
      return absl::DataLossError(StrCat("remote-write queue: malformed entry in ", options_.dir,
                                        " (key of ", key.size(), " bytes)"));
    }
    const std::string_view k(key.data(), key.size());
    const StreamId id{GetBE(k, 0, 8), static_cast<uint32_t>(GetBE(k, 8, 4))};
    const uint64_t seq = GetBE(k, 12, 8);
    const auto samples =
        static_cast<uint32_t>(GetBE(std::string_view(value.data(), value.size()), 0, 4));
    const auto bytes = static_cast<uint32_t>(key.size() + value.size());
    Stream& stream = streams_[id];
    stream.entries.push_back(Meta{seq, bytes, samples});
    stream.next_seq = seq + 1;
    stream.bytes += bytes;
    stream.samples += samples;
    totals_.bytes += bytes;
    totals_.entries += 1;
    totals_.samples += samples;
  }
  return FromRocks(it->status(), "read");
}

std::vector<StreamId> WriteQueue::Streams() const {
  absl::MutexLock lock(&mu_);
  std::vector<StreamId> out;
  for (const auto& [id, stream] : streams_) {
    if (!stream.entries.empty()) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<WriteQueue::Totals> WriteQueue::RemoveOtherUrls(absl::Span<const uint64_t> keep) {
  absl::MutexLock lock(&mu_);
  Totals removed;
  std::vector<StreamId> gone;
  rocksdb::WriteBatch batch;
  for (const auto& [id, stream] : streams_) {
    if (std::find(keep.begin(), keep.end(), id.url_id) != keep.end()) continue;
    gone.push_back(id);
  }
  std::sort(gone.begin(), gone.end());
  uint64_t last_url = 0;
  bool any = false;
  for (const StreamId& id : gone) {
    if (!any || id.url_id != last_url) {
      // [url, url + 1): every stream of the URL at once.
      const std::string begin = UrlPrefix(id.url_id);
      std::string end = UrlPrefix(id.url_id + 1);
      if (id.url_id == UINT64_MAX) end = std::string(kKeySize + 1, '\xff');
      batch.DeleteRange(begin, end);
      last_url = id.url_id;
      any = true;
    }
  }
  if (!any) return removed;
  PL_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "delete"));
  for (const StreamId& id : gone) {
    const Stream& stream = streams_[id];
    for (const Meta& m : stream.entries) {
      removed.bytes += m.bytes;
      removed.entries += 1;
      removed.samples += m.samples;
    }
    streams_.erase(id);
  }
  totals_.bytes -= removed.bytes;
  totals_.entries -= removed.entries;
  totals_.samples -= removed.samples;
  return removed;
}

absl::Status WriteQueue::Push(absl::Span<const Item> items, std::optional<uint64_t> source_seq) {
  if (items.empty() && !source_seq.has_value()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  rocksdb::WriteBatch batch;
  if (source_seq.has_value()) {
    std::string position;
    PutBE(&position, *source_seq, 8);
    batch.Put(rocksdb::Slice(), position);
  }
  // Sequence numbers are taken only once the write succeeded.
  absl::flat_hash_map<StreamId, uint64_t> next;
  std::string value;
  for (const Item& item : items) {
    auto [it, inserted] = next.try_emplace(item.stream, 0);
    if (inserted) {
      auto found = streams_.find(item.stream);
      it->second = found == streams_.end() ? 1 : found->second.next_seq;
    }
    value.clear();
    PutBE(&value, item.samples, 4);
    value.append(item.body);
    batch.Put(Key(item.stream, it->second++), value);
  }
  PL_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "write"));
  if (source_seq.has_value()) source_seq_ = source_seq;
  for (const Item& item : items) {
    Stream& stream = streams_[item.stream];
    const auto bytes = static_cast<uint32_t>(kKeySize + kValueHeader + item.body.size());
    stream.entries.push_back(Meta{stream.next_seq++, bytes, item.samples});
    stream.bytes += bytes;
    stream.samples += item.samples;
    totals_.bytes += bytes;
    totals_.entries += 1;
    totals_.samples += item.samples;
  }
  return EnforceBound();
}

absl::Status WriteQueue::EnforceBound() {
  if (totals_.bytes <= options_.max_bytes) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  absl::flat_hash_map<uint64_t, std::pair<uint64_t, uint64_t>> dropped;  // url: entries, samples
  while (totals_.bytes > options_.max_bytes) {
    Stream* largest = nullptr;
    StreamId largest_id;
    for (auto& [id, stream] : streams_) {
      if (!stream.entries.empty() && (largest == nullptr || stream.bytes > largest->bytes)) {
        largest = &stream;
        largest_id = id;
      }
    }
    if (largest == nullptr) break;
    const Meta m = largest->entries.front();
    largest->entries.pop_front();
    largest->bytes -= m.bytes;
    largest->samples -= m.samples;
    totals_.bytes -= m.bytes;
    totals_.entries -= 1;
    totals_.samples -= m.samples;
    batch.Delete(Key(largest_id, m.seq));
    auto& d = dropped[largest_id.url_id];
    d.first += 1;
    d.second += m.samples;
  }
  if (options_.on_dropped) {
    for (const auto& [url_id, d] : dropped) options_.on_dropped(url_id, d.first, d.second);
  }
  // The index already forgot them; a failed delete leaves them on disk until the next open,
  // where they are counted again and sent (never lost silently).
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "drop oldest");
}

absl::StatusOr<std::optional<QueueEntry>> WriteQueue::Front(StreamId stream) {
  for (;;) {
    Meta front;
    {
      absl::MutexLock lock(&mu_);
      auto it = streams_.find(stream);
      if (it == streams_.end() || it->second.entries.empty()) return std::nullopt;
      front = it->second.entries.front();
    }
    std::string value;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Key(stream, front.seq), &value);
    if (s.IsNotFound()) continue;  // dropped meanwhile to honour the bound
    PL_RETURN_IF_ERROR(FromRocks(s, "read"));
    if (value.size() < kValueHeader) {
      return absl::DataLossError("remote-write queue: entry shorter than its header");
    }
    QueueEntry entry;
    entry.seq = front.seq;
    entry.samples = static_cast<uint32_t>(GetBE(value, 0, 4));
    entry.body = value.substr(kValueHeader);
    return entry;
  }
}

absl::Status WriteQueue::Pop(StreamId stream, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.entries.empty() || it->second.entries.front().seq != seq) {
    return absl::OkStatus();
  }
  PL_RETURN_IF_ERROR(FromRocks(db_->Delete(rocksdb::WriteOptions(), Key(stream, seq)), "delete"));
  const Meta m = it->second.entries.front();
  it->second.entries.pop_front();
  it->second.bytes -= m.bytes;
  it->second.samples -= m.samples;
  totals_.bytes -= m.bytes;
  totals_.entries -= 1;
  totals_.samples -= m.samples;
  return absl::OkStatus();
}

std::optional<uint64_t> WriteQueue::source_seq() const {
  absl::MutexLock lock(&mu_);
  return source_seq_;
}

WriteQueue::Totals WriteQueue::totals() const {
  absl::MutexLock lock(&mu_);
  return totals_;
}

WriteQueue::Totals WriteQueue::url_totals(uint64_t url_id) const {
  absl::MutexLock lock(&mu_);
  Totals t;
  for (const auto& [id, stream] : streams_) {
    if (id.url_id != url_id) continue;
    t.bytes += stream.bytes;
    t.entries += stream.entries.size();
    t.samples += stream.samples;
  }
  return t;
}

}  // namespace plumbline::remote
