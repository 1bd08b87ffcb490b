#include "collector/flusher.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <new>
#include <thread>

#include "absl/types/span.h"
#include "collector/collector_metrics.h"
#include "collector/metric_name.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"

namespace plumbline::collector {
namespace {

// StatsD timers (ms) are written in seconds, as Prometheus names them and as statsd_exporter
// does; h and d are written as sent.
constexpr double kTimerScale = 0.001;

// An entry whose key maps to nothing (dropped by a rule, invalid, type conflict).
constexpr uint64_t kUnmapped = ~uint64_t{0};

// Samples per storage append within one flush (see Emit).
constexpr size_t kAppendBatchSamples = 8192;

uint64_t PackCache(uint32_t slot, uint32_t generation) {
  return (static_cast<uint64_t>(slot) << 32 | generation) + 1;
}

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  SanitizeMetricName(name, &out);
  for (char& c : out) {
    if (c == ':') c = '_';
  }
  return out;
}

std::string FormatBound(double b) {
  if (std::isinf(b)) return "+Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), b);
  return std::string(buf, end);
}

}  // namespace

struct Flusher::Series {
  // One allocation holds the series and its key right after it.
  static Series* Create(std::string_view key) {
    void* block = ::operator new(sizeof(Series) + key.size());
    Series* s = new (block) Series();
    s->key_size = static_cast<uint32_t>(key.size());
    std::memcpy(reinterpret_cast<char*>(s + 1), key.data(), key.size());
    return s;
  }
  static void Destroy(Series* s) {
    s->~Series();
    ::operator delete(s);
  }

  Entry::Kind kind = Entry::Kind::kCounter;
  bool touched = false;
  bool has_value = false;  // gauges, service checks
  uint32_t generation = 0;
  uint32_t key_size = 0;
  int64_t last_seen_ms = 0;
  // Counters: the cumulative total; observers: the cumulative count; gauges and service
  // checks: the value.
  double value = 0;
  storage::SeriesRef ref = 0;  // storage ref of the one written series (0: not known yet)

  // State of scaled, observer, set and Graphite series only: most series are counters and
  // gauges, and at 200 k keys every byte here is 200 kB.
  struct Extra {
    double scale = 1;                           // a mapping rule's `scale`
    const ObserverOptions* observer = nullptr;  // observers
    double timer_scale = 1;                     // ms timers are written in seconds
    double sum = 0;                             // observers
    // Observers: storage refs of the written series, in output order (0: not known yet).
    std::vector<storage::SeriesRef> refs;
    std::vector<double> buckets;        // observers: per-bucket (non-cumulative) weights, +Inf last
    std::vector<double> window_values;  // observers: for exact quantiles
    absl::flat_hash_set<std::string> members;          // sets: this window
    std::vector<std::pair<int64_t, double>> graphite;  // this window's points, snapped
  };
  std::unique_ptr<Extra> extra;

  // Canonical encoding of the labels with __name__: the identity, and (decoded) where the
  // labels of the written series come from when storage has no ref for them yet.
  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
  const ObserverOptions* observer() const { return extra ? extra->observer : nullptr; }
  double scale() const { return extra ? extra->scale : 1.0; }
  // Storage refs of the written series, in output order (see OutputLabels).
  absl::Span<storage::SeriesRef> refs() {
    if (extra && extra->observer) return absl::MakeSpan(extra->refs);
    return absl::MakeSpan(&ref, 1);
  }
};

void Flusher::SeriesDeleter::operator()(Series* s) const { Series::Destroy(s); }

namespace {

// The labels of output `index` of a series (see Flusher::Series::refs): for observers
// name_count, name_sum, name_bucket{le} per bound and +Inf, name{quantile} per quantile; for
// everything else the series' own labels. Empty when they do not form a valid label set.
storage::Labels OutputLabels(const storage::Labels& base, const ObserverOptions* observer,
                             size_t index) {
  if (observer == nullptr) return base;
  const std::string name(base.metric_name());
  std::string out_name;
  const char* extra_name = nullptr;
  std::string extra_value;
  const size_t buckets = observer->buckets.size() + 1;
  if (index == 0) {
    out_name = name + "_count";
  } else if (index == 1) {
    out_name = name + "_sum";
  } else if (index < 2 + buckets) {
    out_name = name + "_bucket";
    extra_name = "le";
    extra_value =
        index - 2 < observer->buckets.size() ? FormatBound(observer->buckets[index - 2]) : "+Inf";
  } else {
    out_name = name;
    extra_name = "quantile";
    extra_value = FormatBound(observer->quantiles[index - 2 - buckets]);
  }
  std::vector<storage::Label> l;
  for (const storage::Label& label : base.items()) {
    if (label.name != storage::kMetricNameLabel) l.push_back(label);
  }
  l.push_back({std::string(storage::kMetricNameLabel), std::move(out_name)});
  if (extra_name != nullptr) l.push_back({extra_name, std::move(extra_value)});
  absl::StatusOr<storage::Labels> labels = storage::Labels::FromPairs(std::move(l));
  return labels.ok() ? *std::move(labels) : storage::Labels();
}

size_t OutputCount(const ObserverOptions* observer) {
  return observer == nullptr ? 1 : 3 + observer->buckets.size() + observer->quantiles.size();
}

}  // namespace

Flusher::Flusher(const FlusherOptions& options, std::vector<Shard*> shards, storage::Engine* engine,
                 const Mapper* mapper, CollectorMetrics* metrics)
    : options_(options),
      shards_(std::move(shards)),
      pending_epoch_(shards_.size(), 0),
      engine_(engine),
      mapping_(mapper),
      metrics_(metrics) {}

Flusher::~Flusher() = default;

std::string_view Flusher::KeyOf(uint32_t slot) const { return slots_[slot]->key(); }

size_t Flusher::SlotHash::operator()(uint32_t slot) const {
  return absl::Hash<std::string_view>()(flusher->KeyOf(slot));
}

size_t Flusher::SlotHash::operator()(std::string_view key) const {
  return absl::Hash<std::string_view>()(key);
}

bool Flusher::SlotEq::operator()(uint32_t slot, std::string_view key) const {
  return flusher->KeyOf(slot) == key;
}

Flusher::Series* Flusher::Resolve(Entry* entry) {
  if (entry->flush_cache == kUnmapped) return nullptr;
  if (entry->flush_cache != 0) {
    const uint64_t packed = entry->flush_cache - 1;
    const uint32_t slot = static_cast<uint32_t>(packed >> 32);
    const uint32_t generation = static_cast<uint32_t>(packed);
    if (slot < slots_.size() && slots_[slot] && slots_[slot]->generation == generation) {
      return slots_[slot].get();
    }
  }
  // Name and labels: service checks have a fixed name; everything else goes through the
  // mapping rules, or is sanitised when no rule matches.
  std::string name;
  std::vector<storage::Label> labels;
  const ObserverOptions* observer = nullptr;
  bool honor_labels = false;
  double scale = 1;
  if (entry->kind == Entry::Kind::kServiceCheck) {
    name = "statsd_service_check";
    labels.push_back({"check", std::string(entry->name())});
  } else {
    const MappingResult& m = mapping_.Lookup(entry->name(), entry->type);
    switch (m.action) {
      case MappingResult::Action::kDrop:
        metrics_->dropped_by_mapping->Increment();
        entry->flush_cache = kUnmapped;
        return nullptr;
      case MappingResult::Action::kInvalidName:
        metrics_->invalid_series->Increment();
        entry->flush_cache = kUnmapped;
        return nullptr;
      case MappingResult::Action::kMap:
        name = m.name;
        labels = m.labels;
        honor_labels = m.honor_labels;
        scale = m.scale;
        break;
      case MappingResult::Action::kNoMatch:
        SanitizeMetricName(entry->name(), &name);
        break;
    }
    observer = m.observer;
  }
  // Tags become labels. A rule's labels win over tags of the same name (unless the rule says
  // honor_labels); a tag without a value becomes "true" (an empty value would mean "no label"
  // in Prometheus); the last of repeated tags wins.
  TagReader tags(entry->tags());
  std::string_view tag_name, tag_value;
  const size_t rule_labels = labels.size();
  while (tags.Next(&tag_name, &tag_value)) {
    std::string label = SanitizeLabelName(tag_name);
    if (label.empty() || label.starts_with("__")) continue;
    std::string value = tag_value.empty() ? "true" : std::string(tag_value);
    auto same = std::find_if(labels.begin(), labels.end(),
                             [&](const storage::Label& l) { return l.name == label; });
    if (same == labels.end()) {
      labels.push_back({std::move(label), std::move(value)});
    } else if (honor_labels || same - labels.begin() >= static_cast<ptrdiff_t>(rule_labels)) {
      same->value = std::move(value);
    }
  }
  std::vector<storage::Label> all = labels;
  all.push_back({std::string(storage::kMetricNameLabel), name});
  absl::StatusOr<storage::Labels> canonical = storage::Labels::FromPairs(std::move(all));
  if (!canonical.ok() || name.empty()) {
    metrics_->invalid_series->Increment();
    entry->flush_cache = kUnmapped;
    return nullptr;
  }
  const std::string key = canonical->Encode();
  auto it = by_key_.find(std::string_view(key));
  Series* series;
  uint32_t slot;
  if (it != by_key_.end()) {
    slot = *it;
    series = slots_[slot].get();
    if (series->kind != entry->kind) {
      metrics_->type_conflicts->Increment();
      entry->flush_cache = kUnmapped;
      return nullptr;
    }
  } else {
    SeriesPtr created(Series::Create(key));
    created->kind = entry->kind;
    created->generation = ++generation_;
    if (entry->kind == Entry::Kind::kObserver) {
      created->extra = std::make_unique<Series::Extra>();
      created->extra->observer = observer != nullptr ? observer : &mapping_.mapper().defaults();
      created->extra->timer_scale = entry->type == MetricType::kTimer ? kTimerScale : 1.0;
      created->extra->buckets.assign(created->extra->observer->buckets.size() + 1, 0.0);
    } else if (entry->kind == Entry::Kind::kSet || entry->kind == Entry::Kind::kGraphite) {
      created->extra = std::make_unique<Series::Extra>();
    }
    if (scale != 1) {
      if (!created->extra) created->extra = std::make_unique<Series::Extra>();
      created->extra->scale = scale;
    }
    if (created->observer() != nullptr) {
      created->extra->refs.assign(OutputCount(created->observer()), 0);
    }
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slots_[slot] = std::move(created);
    } else {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.push_back(std::move(created));
    }
    series = slots_[slot].get();
    by_key_.insert(slot);
  }
  entry->flush_cache = PackCache(slot, series->generation);
  return series;
}

void Flusher::Merge(Series* s, const Entry& entry, const Window& w, int64_t t_ms) {
  s->touched = true;
  s->last_seen_ms = t_ms;
  const double scale = s->scale();
  switch (s->kind) {
    case Entry::Kind::kCounter:
      s->value += w.a * scale;
      break;
    case Entry::Kind::kGauge:
    case Entry::Kind::kServiceCheck:
      // Windows of several receivers: a set replaces, deltas add (last receiver's set wins).
      if (w.has_set) {
        s->value = (w.a + w.b) * scale;
      } else {
        s->value += w.b * scale;
      }
      s->has_value = true;
      break;
    case Entry::Kind::kObserver: {
      s->value += w.a;
      s->extra->sum += w.b * s->extra->timer_scale * scale;
      if (!w.samples) break;
      const std::vector<double>& bounds = s->extra->observer->buckets;
      const std::vector<double>& values = w.samples->values;
      const std::vector<float>& weights = w.samples->weights;
      for (size_t i = 0; i < values.size(); ++i) {
        const double v = values[i] * s->extra->timer_scale * scale;
        const size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
        s->extra->buckets[bucket] += weights.empty() ? 1.0 : weights[i];
        s->extra->window_values.push_back(v);
      }
      break;
    }
    case Entry::Kind::kSet:
      if (w.samples) {
        for (const std::string& m : w.samples->members) s->extra->members.insert(m);
      }
      break;
    case Entry::Kind::kGraphite:
      if (w.samples) {
        const std::vector<int64_t>& times = w.samples->times;
        const std::vector<double>& values = w.samples->values;
        for (size_t i = 0; i < times.size() && i < values.size(); ++i) {
          const int64_t t =
              times[i] < 0 ? t_ms : times[i] * 1000 / options_.interval_ms * options_.interval_ms;
          s->extra->graphite.emplace_back(t, values[i] * scale);
        }
      }
      break;
  }
  (void)entry;
}

void Flusher::MergeEvents(std::vector<PendingEvent>& events, int64_t t_ms, FlushStats* stats) {
  for (PendingEvent& p : events) {
    storage::Event e;
    // Tags say what the event is about; a tag type:/event_type: names its type (deploy, flag,
    // ...); otherwise an error alert is an incident and anything else a note.
    std::string type_tag;
    TagReader tags(p.tags);
    std::string_view name, value;
    while (tags.Next(&name, &value)) {
      if (name == "type" || name == "event_type") {
        type_tag = std::string(value);
      } else if (name == "service") {
        e.service = std::string(value);
      } else if (name == "env") {
        e.env = std::string(value);
      } else if (name == "user" || name == "who") {
        e.who = std::string(value);
      } else if (name == "url") {
        e.url = std::string(value);
      } else {
        e.tags.emplace_back(std::string(name), std::string(value));
      }
    }
    e.type = !type_tag.empty() ? type_tag : p.alert_type == "error" ? "incident" : "note";
    e.what = p.title;
    if (!p.text.empty()) {
      std::string text;
      for (size_t i = 0; i < p.text.size(); ++i) {  // DogStatsD escapes newlines as "\\n"
        if (p.text[i] == '\\' && i + 1 < p.text.size() && p.text[i + 1] == 'n') {
          text.push_back('\n');
          ++i;
        } else {
          text.push_back(p.text[i]);
        }
      }
      e.what = StrCat(e.what, "\n", text).substr(0, 4096);
    }
    if (e.who.empty()) e.who = p.hostname;
    for (auto [field, v] : {std::pair<const char*, const std::string*>{"host", &p.hostname},
                            {"aggregation_key", &p.aggregation_key},
                            {"priority", &p.priority},
                            {"source", &p.source_type},
                            {"alert_type", &p.alert_type}}) {
      if (!v->empty()) e.tags.emplace_back(field, *v);
    }
    std::sort(e.tags.begin(), e.tags.end());
    e.tags.erase(std::unique(e.tags.begin(), e.tags.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 e.tags.end());
    e.time_ms = p.timestamp_s > 0 ? p.timestamp_s * 1000 : t_ms;
    absl::StatusOr<storage::Event> added = options_.record_event
                                               ? options_.record_event(std::move(e))
                                               : engine_->events()->Add(std::move(e));
    if (added.ok()) {
      ++stats->events_written;
      metrics_->events_written->Increment();
    } else {
      metrics_->events_failed->Increment();
      PL_LOG(Debug) << "DogStatsD event refused: " << added.status().message();
    }
  }
}

void Flusher::Emit(int64_t t_ms, FlushStats* stats) {
  storage::AppendBatch batch;
  // For each Add by labels, where its ref goes once storage assigned it.
  std::vector<std::pair<Series*, size_t>> unresolved;
  // Appends what the batch holds and clears it. A flush goes to storage in batches of about
  // kAppendBatchSamples, whole series each: the first flush of 200 k new series would
  // otherwise build every label set, posting and log record at once (~100 MB of peak RSS).
  // After a failed append the rest of the flush is dropped; the next flush retries.
  bool failed = false;
  auto commit = [&] {
    if (batch.empty()) return;
    if (!failed) {
      absl::StatusOr<storage::AppendResult> result = engine_->Append(batch);
      if (!result.ok()) {
        failed = true;
        stats->store_failed = true;
        metrics_->store_failures->Increment();
        PL_LOG(Warn) << "flush of " << batch.size()
                     << " samples failed: " << result.status().message();
      } else {
        for (size_t i = 0; i < unresolved.size() && i < result->refs.size(); ++i) {
          unresolved[i].first->refs()[unresolved[i].second] = result->refs[i];
        }
        if (result->unknown_ref > 0) {
          // Series removed by retention meanwhile: resolve everything by labels next time.
          for (auto& s : slots_) {
            if (s) std::fill(s->refs().begin(), s->refs().end(), 0);
          }
        }
        stats->samples_written += result->appended;
        stats->samples_refused += result->refused();
        metrics_->samples_written->Increment(static_cast<double>(result->appended));
        metrics_->samples_refused->Increment(static_cast<double>(result->refused()));
      }
    }
    batch.Clear();
    unresolved.clear();
  };
  // The series' labels, decoded from its key when a sample must go by labels (the first
  // flush of a series, and after storage forgot it).
  storage::Labels base;
  const Series* base_of = nullptr;
  auto add = [&](Series* s, size_t output, int64_t t, double v) {
    const storage::SeriesRef ref = s->refs()[output];
    if (ref != 0) {
      batch.Add(ref, t, v);
      return;
    }
    if (base_of != s) {
      absl::StatusOr<storage::Labels> decoded = storage::Labels::Decode(s->key());
      base = decoded.ok() ? *std::move(decoded) : storage::Labels();
      base_of = s;
    }
    storage::Labels labels = OutputLabels(base, s->observer(), output);
    if (labels.empty()) return;  // could not form valid labels
    batch.Add(std::move(labels), t, v);
    unresolved.emplace_back(s, output);
  };
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    Series* s = slots_[slot].get();
    if (s == nullptr) continue;
    int64_t expiry = options_.gauge_expiry_ms;
    switch (s->kind) {
      case Entry::Kind::kCounter:
        expiry = options_.counter_expiry_ms;
        break;
      case Entry::Kind::kObserver:
        expiry = options_.observer_expiry_ms;
        break;
      case Entry::Kind::kSet:
        expiry = options_.set_expiry_ms;
        break;
      case Entry::Kind::kGauge:
      case Entry::Kind::kServiceCheck:
      case Entry::Kind::kGraphite:
        break;
    }
    if (t_ms - s->last_seen_ms > expiry) {
      by_key_.erase(slot);
      slots_[slot].reset();
      free_slots_.push_back(slot);
      continue;
    }
    ++stats->series_written;
    switch (s->kind) {
      case Entry::Kind::kCounter:
        add(s, 0, t_ms, s->value);
        break;
      case Entry::Kind::kGauge:
      case Entry::Kind::kServiceCheck:
        if (s->has_value) add(s, 0, t_ms, s->value);
        break;
      case Entry::Kind::kSet:
        add(s, 0, t_ms, static_cast<double>(s->extra->members.size()));
        s->extra->members.clear();
        break;
      case Entry::Kind::kGraphite: {
        // Only what arrived, each point at its own grid slot; per slot the last to arrive
        // wins. A slot before what the series already holds is the engine's to refuse (and
        // count, as out of order).
        auto& points = s->extra->graphite;
        std::stable_sort(points.begin(), points.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (size_t i = 0; i < points.size(); ++i) {
          if (i + 1 < points.size() && points[i + 1].first == points[i].first) continue;
          add(s, 0, points[i].first, points[i].second);
        }
        points.clear();
        break;
      }
      case Entry::Kind::kObserver: {
        add(s, 0, t_ms, s->value);
        add(s, 1, t_ms, s->extra->sum);
        double cumulative = 0;
        const std::vector<double>& buckets = s->extra->buckets;
        for (size_t b = 0; b < buckets.size(); ++b) {
          cumulative += buckets[b];
          add(s, 2 + b, t_ms, cumulative);
        }
        if (!s->extra->window_values.empty()) {
          std::vector<double>& v = s->extra->window_values;
          std::sort(v.begin(), v.end());
          const size_t first_quantile = 2 + buckets.size();
          const ObserverOptions& observer = *s->extra->observer;
          for (size_t q = 0; q < observer.quantiles.size(); ++q) {
            // Nearest rank: the smallest value with at least q of the values at or below it.
            const double rank = std::ceil(observer.quantiles[q] * static_cast<double>(v.size()));
            const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
            add(s, first_quantile + q, t_ms, v[std::min(index, v.size() - 1)]);
          }
          v.clear();
        }
        break;
      }
    }
    s->touched = false;
    if (batch.size() >= kAppendBatchSamples) commit();
  }
  commit();
}

FlushStats Flusher::Flush(int64_t t_ms, bool receivers_stopped) {
  const double start = MonotonicSeconds();
  FlushStats stats;
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard* shard = shards_[i];
    if (pending_epoch_[i] == 0) pending_epoch_[i] = shard->RequestEpoch();
    const uint64_t epoch = pending_epoch_[i];
    if (receivers_stopped) shard->SwitchEpochStopped();
    // Receivers switch between two receive batches, at most ~100 ms apart when idle.
    const double deadline = MonotonicSeconds() + options_.switch_timeout_ms / 1000.0;
    while (!shard->Switched(epoch) && MonotonicSeconds() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!shard->Switched(epoch)) {
      PL_LOG(Warn) << "a receiver did not close its window in time; it is merged next flush";
      continue;
    }
    const int parity = static_cast<int>((epoch - 1) & 1);
    for (Entry* entry : shard->ClosedEntries(epoch)) {
      if (Series* series = Resolve(entry)) Merge(series, *entry, entry->window(parity), t_ms);
    }
    MergeEvents(shard->ClosedEvents(epoch), t_ms, &stats);
    shard->FinishWindow(epoch);
    pending_epoch_[i] = 0;
  }
  Emit(t_ms, &stats);
  metrics_->flush_series->Set(static_cast<double>(stats.series_written));
  metrics_->flush_seconds->Observe(MonotonicSeconds() - start);
  return stats;
}

}  // namespace plumbline::collector
