#include "collector/shard.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "absl/hash/hash.h"
#include "common/strings.h"

namespace plumbline::collector {
namespace {

Entry::Kind KindOf(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return Entry::Kind::kCounter;
    case MetricType::kGauge:
      return Entry::Kind::kGauge;
    case MetricType::kTimer:
    case MetricType::kHistogram:
    case MetricType::kDistribution:
      return Entry::Kind::kObserver;
    case MetricType::kSet:
      return Entry::Kind::kSet;
  }
  return Entry::Kind::kCounter;
}

std::string CopyText(std::string_view text) { return std::string(text); }

}  // namespace

Entry* Entry::Create(Kind k, MetricType t, std::string_view name, std::string_view tags) {
  const size_t key_size = name.size() + 1 + tags.size();
  const size_t slots = KeepsSamples(k) ? 2 * sizeof(WindowSamples*) : 0;
  void* block = ::operator new(sizeof(Entry) + slots + key_size);
  Entry* e =
      new (block) Entry(k, t, static_cast<uint32_t>(name.size()), static_cast<uint32_t>(key_size));
  if (slots != 0) e->SamplesSlots()[0] = e->SamplesSlots()[1] = nullptr;
  char* key = const_cast<char*>(e->KeyData());
  std::memcpy(key, name.data(), name.size());
  key[name.size()] = '\0';
  if (!tags.empty()) std::memcpy(key + name.size() + 1, tags.data(), tags.size());
  return e;
}

void Entry::Destroy(Entry* e) {
  if (KeepsSamples(e->kind)) {
    delete e->SamplesSlots()[0];
    delete e->SamplesSlots()[1];
  }
  e->~Entry();
  ::operator delete(e);
}

WindowSamples& Entry::MutableSamples(int parity) {
  WindowSamples*& slot = SamplesSlots()[parity];
  if (slot == nullptr) slot = new WindowSamples();
  return *slot;
}

void Entry::Reset(int parity) {
  has_set[parity] = false;
  sums[parity] = Sums();
  if (KeepsSamples(kind) && SamplesSlots()[parity] != nullptr) SamplesSlots()[parity]->Clear();
}

size_t Shard::KeyHash::operator()(const KeyView& k) const {
  return absl::HashOf(static_cast<uint8_t>(k.kind), ToAbsl(k.name), ToAbsl(k.tags));
}

size_t Shard::KeyHash::operator()(const Entry* e) const {
  return (*this)(KeyView{e->kind, e->name(), e->tags()});
}

bool Shard::KeyEq::operator()(const Entry* a, const KeyView& b) const {
  return a->kind == b.kind && a->name() == b.name && a->tags() == b.tags;
}

Shard::Shard(const ShardOptions& options) : options_(options) {}

Shard::~Shard() {
  for (Entry* e : entries_) Entry::Destroy(e);
}

Entry* Shard::Find(Entry::Kind kind, MetricType type, std::string_view name,
                   std::string_view tags) {
  const KeyView view{kind, name, tags};
  auto it = entries_.find(view);
  if (it != entries_.end()) return *it;
  if (entries_.size() >= options_.max_series) {
    Bump(counters_.series_rejected);
    return nullptr;
  }
  Entry* e = Entry::Create(kind, type, name, tags);
  entries_.insert(e);
  size_.store(entries_.size(), std::memory_order_relaxed);
  return e;
}

int Shard::Touch(Entry* e) {
  const int parity = static_cast<int>(epoch_ & 1);
  const auto epoch = static_cast<uint32_t>(epoch_);
  if (e->last_epoch != epoch) {
    e->last_epoch = epoch;
    touched_[parity].push_back(e);
  }
  return parity;
}

void Shard::HandleLine(std::string_view line) {
  switch (KindOf(line)) {
    case LineKind::kMetric:
      HandleMetric(line);
      return;
    case LineKind::kEvent:
      HandleEvent(line);
      return;
    case LineKind::kServiceCheck:
      HandleServiceCheck(line);
      return;
  }
}

void Shard::HandleMetric(std::string_view line) {
  StatsdLine parsed;
  const ParseError error = ParseLine(line, &parsed);
  if (error != ParseError::kOk) {
    CountBadLine(error);
    return;
  }
  Bump(counters_.lines);
  const Entry::Kind kind = KindOf(parsed.type);
  Entry* e = Find(kind, parsed.type, parsed.name, parsed.tags);
  if (e == nullptr) return;
  const int parity = Touch(e);
  Entry::Sums& w = e->sums[parity];
  const double weight =
      parsed.sample_rate == 1 ? 1.0 : 1.0 / std::max(parsed.sample_rate, options_.min_sample_rate);
  // Every value of the line: the parser's own number for the common one-value line, else
  // a walk over the DogStatsD packing. `fn(value, is_delta)`.
  const auto for_each_value = [&](auto&& fn) {
    if (parsed.single_value) {
      const char sign = parsed.values[0];
      fn(parsed.value, parsed.type == MetricType::kGauge && (sign == '+' || sign == '-'));
      return;
    }
    ValueReader values(parsed.values, parsed.type);
    double v = 0;
    bool delta = false;
    while (values.Next(&v, &delta)) fn(v, delta);
  };
  switch (kind) {
    case Entry::Kind::kCounter:
      for_each_value([&](double v, bool) { w.a += v * weight; });
      break;
    case Entry::Kind::kGauge:
      for_each_value([&](double v, bool delta) {
        if (delta) {
          w.b += v;
        } else {
          e->has_set[parity] = true;
          w.a = v;
          w.b = 0;
        }
      });
      break;
    case Entry::Kind::kObserver: {
      WindowSamples& s = e->MutableSamples(parity);
      for_each_value([&](double v, bool) {
        if (weight != 1.0 && s.weights.size() < s.values.size()) {
          s.weights.resize(s.values.size(), 1.0f);
        }
        s.values.push_back(v);
        if (!s.weights.empty() || weight != 1.0) s.weights.push_back(static_cast<float>(weight));
        w.a += weight;
        w.b += v * weight;
      });
      break;
    }
    case Entry::Kind::kSet: {
      auto& members = e->MutableSamples(parity).members;
      if (members.find(ToAbsl(parsed.values)) == members.end()) {
        members.insert(CopyText(parsed.values));
      }
      break;
    }
    case Entry::Kind::kGraphite:
    case Entry::Kind::kServiceCheck:
      break;
  }
}

void Shard::HandleGraphiteLine(std::string_view line) {
  GraphiteLine parsed;
  const ParseError error = ParseGraphiteLine(line, &parsed);
  if (error != ParseError::kOk) {
    CountBadLine(error);
    return;
  }
  if (parsed.timestamp_s > INT64_MAX / 1000) {  // not a time in milliseconds any more
    CountBadLine(ParseError::kBadTimestamp);
    return;
  }
  Bump(counters_.lines);
  Entry* e = Find(Entry::Kind::kGraphite, MetricType::kGauge, parsed.path, {});
  if (e == nullptr) return;
  // Every point is kept: a Graphite sender may backfill several slots in one window. The
  // flusher snaps them to the grid; per slot, the last one to arrive wins (as in carbon).
  WindowSamples& samples = e->MutableSamples(Touch(e));
  samples.values.push_back(parsed.value);
  samples.times.push_back(parsed.timestamp_s);
}

void Shard::HandleEvent(std::string_view line) {
  StatsdEvent parsed;
  const ParseError error = ParseEvent(line, &parsed);
  if (error != ParseError::kOk) {
    CountBadLine(error);
    return;
  }
  Bump(counters_.lines);
  std::vector<PendingEvent>& events = events_[epoch_ & 1];
  if (events.size() >= options_.max_events_per_window) {
    Bump(counters_.events_dropped);
    return;
  }
  PendingEvent& e = events.emplace_back();
  e.kind = PendingEvent::Kind::kEvent;
  e.title = CopyText(parsed.title);
  e.text = CopyText(parsed.text);
  e.hostname = CopyText(parsed.hostname);
  e.aggregation_key = CopyText(parsed.aggregation_key);
  e.priority = CopyText(parsed.priority);
  e.source_type = CopyText(parsed.source_type);
  e.alert_type = CopyText(parsed.alert_type);
  e.tags = CopyText(parsed.tags);
  e.timestamp_s = parsed.date_s;
}

void Shard::HandleServiceCheck(std::string_view line) {
  ServiceCheck parsed;
  const ParseError error = ParseServiceCheck(line, &parsed);
  if (error != ParseError::kOk) {
    CountBadLine(error);
    return;
  }
  Bump(counters_.lines);
  // Written as a gauge: statsd_service_check{check="name", tags...} = status.
  Entry* e = Find(Entry::Kind::kServiceCheck, MetricType::kGauge, parsed.name, parsed.tags);
  if (e == nullptr) return;
  const int parity = Touch(e);
  e->has_set[parity] = true;
  e->sums[parity].a = parsed.status;
}

void Shard::MaybeSwitchEpoch() {
  const uint64_t requested = requested_.load(std::memory_order_acquire);
  if (requested == epoch_) return;
  epoch_ = requested;
  acked_.store(epoch_, std::memory_order_release);
  if (++epochs_since_evict_ >= 8) {
    epochs_since_evict_ = 0;
    EvictIdle();
  }
}

void Shard::EvictIdle() {
  // Entries of the window the flusher holds were touched at epoch_ - 1: never idle here.
  const uint64_t idle = std::max<uint64_t>(options_.idle_epochs, 2);
  std::vector<Entry*> gone;
  for (Entry* e : entries_) {
    // Epochs since the last touch, on the low 32 bits the entry keeps.
    if (static_cast<uint32_t>(epoch_) - e->last_epoch > idle) gone.push_back(e);
  }
  for (Entry* e : gone) {
    entries_.erase(e);
    Entry::Destroy(e);
  }
  size_.store(entries_.size(), std::memory_order_relaxed);
}

uint64_t Shard::RequestEpoch() {
  const uint64_t next = requested_.load(std::memory_order_relaxed) + 1;
  requested_.store(next, std::memory_order_release);
  return next;
}

bool Shard::Switched(uint64_t epoch) const {
  return acked_.load(std::memory_order_acquire) >= epoch;
}

const std::vector<Entry*>& Shard::ClosedEntries(uint64_t epoch) const {
  return touched_[(epoch - 1) & 1];
}

std::vector<PendingEvent>& Shard::ClosedEvents(uint64_t epoch) { return events_[(epoch - 1) & 1]; }

void Shard::FinishWindow(uint64_t epoch) {
  const int parity = static_cast<int>((epoch - 1) & 1);
  for (Entry* e : touched_[parity]) e->Reset(parity);
  touched_[parity].clear();
  events_[parity].clear();
}

}  // namespace plumbline::collector
