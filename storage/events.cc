#include "storage/events.h"

#include <algorithm>

#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "storage/internal/engine_impl.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"
#include "storage/labels.h"

namespace plumbline::storage {
namespace {

constexpr char kByTime = 't';
constexpr char kById = 'i';
constexpr const char* kNextEventIdKey = "next_event_id";
// Times must be plausible: 1970 .. 2200.
constexpr int64_t kMaxTimeMs = 7'258'118'400'000;

std::string TimeKey(int64_t time_ms, uint64_t id) {
  std::string key(1, kByTime);
  keys::PutFixed64BE(&key, keys::BiasTime(time_ms));
  keys::PutFixed64BE(&key, id);
  return key;
}

std::string IdKey(uint64_t id) {
  std::string key(1, kById);
  keys::PutFixed64BE(&key, id);
  return key;
}

absl::Status CheckText(std::string_view field, const std::string& value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        StrCat(field, ": longer than ", max_bytes, " bytes (", value.size(), ")"));
  }
  if (!IsValidUtf8(value)) return absl::InvalidArgumentError(StrCat(field, ": not valid UTF-8"));
  return absl::OkStatus();
}

std::string Encode(const Event& e) {
  nlohmann::json j = {{"id", e.id},   {"type", e.type},    {"service", e.service},
                      {"env", e.env}, {"who", e.who},      {"what", e.what},
                      {"url", e.url}, {"time", e.time_ms}, {"end", e.end_ms}};
  nlohmann::json tags = nlohmann::json::object();
  for (const auto& [k, v] : e.tags) tags[k] = v;
  j["tags"] = std::move(tags);
  return j.dump();
}

absl::StatusOr<Event> Decode(std::string_view bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::DataLossError("corrupt event record");
  Event e;
  try {
    e.id = j.at("id").get<uint64_t>();
    e.type = j.at("type").get<std::string>();
    e.service = j.at("service").get<std::string>();
    e.env = j.at("env").get<std::string>();
    e.who = j.at("who").get<std::string>();
    e.what = j.at("what").get<std::string>();
    e.url = j.at("url").get<std::string>();
    e.time_ms = j.at("time").get<int64_t>();
    e.end_ms = j.at("end").get<int64_t>();
    for (const auto& [k, v] : j.at("tags").items()) e.tags.emplace_back(k, v.get<std::string>());
  } catch (const nlohmann::json::exception& ex) {
    return absl::DataLossError(StrCat("corrupt event record: ", ex.what()));
  }
  return e;
}

bool Matches(const Event& e, const EventQuery& q) {
  if (!q.type.empty() && e.type != q.type) return false;
  if (!q.service.empty() && e.service != q.service) return false;
  if (!q.env.empty() && e.env != q.env) return false;
  const int64_t last = e.end_ms > 0 ? e.end_ms : e.time_ms;
  return e.time_ms <= q.end_ms && last >= q.start_ms;
}

class EventStoreImpl final : public EventStore {
 public:
  EventStoreImpl(EngineImpl* engine, Clock* clock, int64_t retention_ms)
      : engine_(engine), clock_(clock), retention_ms_(retention_ms) {}

  absl::StatusOr<Event> Add(Event event) override {
    std::sort(event.tags.begin(), event.tags.end());
    PL_RETURN_IF_ERROR(ValidateEvent(event));
    PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, engine_->CurrentDb());
    absl::MutexLock lock(&mu_);
    uint64_t next = 1;
    std::string value;
    rocksdb::Status s = db->db()->Get(rocksdb::ReadOptions(), db->meta(), kNextEventIdKey, &value);
    if (s.ok() && value.size() == 8) {
      next = keys::GetFixed64BE(value.data());
    } else if (!s.ok() && !s.IsNotFound()) {
      return FromRocks(s, "read next event id");
    }
    event.id = next;
    std::string next_bytes, time_bytes;
    keys::PutFixed64BE(&next_bytes, next + 1);
    keys::PutFixed64BE(&time_bytes, keys::BiasTime(event.time_ms));
    rocksdb::WriteBatch batch;
    batch.Put(db->events(), TimeKey(event.time_ms, event.id), Encode(event));
    batch.Put(db->events(), IdKey(event.id), time_bytes);
    batch.Put(db->meta(), kNextEventIdKey, next_bytes);
    PL_RETURN_IF_ERROR(FromRocks(db->db()->Write(rocksdb::WriteOptions(), &batch), "write event"));
    return event;
  }

  absl::StatusOr<std::vector<Event>> Find(const EventQuery& query) override {
    std::vector<Event> out;
    if (query.start_ms > query.end_ms || query.limit == 0) return out;
    PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, engine_->CurrentDb());
    std::unique_ptr<rocksdb::Iterator> it(
        db->db()->NewIterator(rocksdb::ReadOptions(), db->events()));
    const int64_t lowest = query.start_ms - kMaxEventSpanMs;
    // Newest first: from the last key at or before end_ms back to start - longest region.
    for (it->SeekForPrev(TimeKey(query.end_ms, UINT64_MAX)); it->Valid(); it->Prev()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != 17 || key[0] != kByTime) break;
      if (keys::UnbiasTime(keys::GetFixed64BE(key.data() + 1)) < lowest) break;
      PL_ASSIGN_OR_RETURN(Event e, Decode(it->value().ToStringView()));
      if (!Matches(e, query)) continue;
      out.push_back(std::move(e));
      if (out.size() >= query.limit) break;
    }
    PL_RETURN_IF_ERROR(FromRocks(it->status(), "read events"));
    return out;
  }

  absl::StatusOr<std::optional<Event>> Get(uint64_t id) override {
    PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, engine_->CurrentDb());
    std::string time_bytes;
    rocksdb::Status s = db->db()->Get(rocksdb::ReadOptions(), db->events(), IdKey(id), &time_bytes);
    if (s.IsNotFound()) return std::optional<Event>();
    PL_RETURN_IF_ERROR(FromRocks(s, "read event"));
    if (time_bytes.size() != 8) return absl::DataLossError("corrupt event index");
    std::string value;
    s = db->db()->Get(rocksdb::ReadOptions(), db->events(),
                      TimeKey(keys::UnbiasTime(keys::GetFixed64BE(time_bytes.data())), id), &value);
    if (s.IsNotFound()) return std::optional<Event>();
    PL_RETURN_IF_ERROR(FromRocks(s, "read event"));
    PL_ASSIGN_OR_RETURN(Event e, Decode(value));
    return std::optional<Event>(std::move(e));
  }

  absl::Status EnforceRetention() override {
    PL_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, engine_->CurrentDb());
    // An event leaves once it ended before the cutoff; regions are at most kMaxEventSpanMs
    // long, so only events that started before cutoff - span are certainly gone.
    const int64_t cutoff = clock_->NowMs() - retention_ms_;
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(
        db->db()->NewIterator(rocksdb::ReadOptions(), db->events()));
    const std::string first(1, kByTime);
    for (it->Seek(first); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != 17 || key[0] != kByTime) break;
      if (keys::UnbiasTime(keys::GetFixed64BE(key.data() + 1)) >= cutoff) break;
      PL_ASSIGN_OR_RETURN(Event e, Decode(it->value().ToStringView()));
      if ((e.end_ms > 0 ? e.end_ms : e.time_ms) >= cutoff) continue;
      batch.Delete(db->events(), key);
      batch.Delete(db->events(), IdKey(e.id));
    }
    PL_RETURN_IF_ERROR(FromRocks(it->status(), "read events"));
    if (batch.Count() == 0) return absl::OkStatus();
    return FromRocks(db->db()->Write(rocksdb::WriteOptions(), &batch), "drop expired events");
  }

 private:
  EngineImpl* engine_;
  Clock* clock_;
  const int64_t retention_ms_;
  absl::Mutex mu_;  // serialises id allocation
};

}  // namespace

absl::Status ValidateEvent(const Event& e) {
  if (e.type.empty() || e.type.size() > 32 ||
      !std::all_of(e.type.begin(), e.type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      })) {
    return absl::InvalidArgumentError(StrCat(
        "type: expected 1 to 32 of [a-z0-9_-] (deploy, flag, config, incident, note), got \"",
        e.type, "\""));
  }
  PL_RETURN_IF_ERROR(CheckText("service", e.service, 256));
  PL_RETURN_IF_ERROR(CheckText("env", e.env, 256));
  PL_RETURN_IF_ERROR(CheckText("who", e.who, 256));
  PL_RETURN_IF_ERROR(CheckText("what", e.what, 4096));
  PL_RETURN_IF_ERROR(CheckText("url", e.url, 2048));
  if (e.time_ms < 0 || e.time_ms > kMaxTimeMs) {
    return absl::InvalidArgumentError(StrCat("time: out of range (", e.time_ms / 1000, " s)"));
  }
  if (e.end_ms != 0 && (e.end_ms < e.time_ms || e.end_ms - e.time_ms > kMaxEventSpanMs)) {
    return absl::InvalidArgumentError("end: must be at or after time and at most 7 days after it");
  }
  if (e.tags.size() > 32) return absl::InvalidArgumentError("tags: more than 32");
  for (size_t i = 0; i < e.tags.size(); ++i) {
    const auto& [k, v] = e.tags[i];
    if (k.empty()) return absl::InvalidArgumentError("tags: empty tag name");
    PL_RETURN_IF_ERROR(CheckText(StrCat("tags.", k), k, 128));
    PL_RETURN_IF_ERROR(CheckText(StrCat("tags.", k), v, 1024));
    if (i > 0 && e.tags[i - 1].first == k) {
      return absl::InvalidArgumentError(StrCat("tags: duplicate tag \"", k, "\""));
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<EventStore> NewEventStore(EngineImpl* engine, Clock* clock, int64_t retention_ms) {
  return std::make_unique<EventStoreImpl>(engine, clock, retention_ms);
}

}  // namespace plumbline::storage
