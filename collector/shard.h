// A Shard is the aggregation state of one receiver thread (one UDP socket, or the TCP thread).
//
// Hot path, owned by the receiver thread:
//   line -> ParseLine -> lookup (type, name, tags) in this shard's map -> add to the entry's
//   accumulator for the current window.
// Per line: no mutex, no allocation in steady state (a key allocates once, when first seen),
// no logging. Failures bump this shard's counters.
//
// Hand-off to the flusher, lock-free, by epochs: each entry keeps two windows, indexed by the
// parity of the epoch. The flusher asks for epoch e+1 (release store of `requested_`); the
// receiver, between two receive batches, switches to it and acknowledges (release store of
// `acked_`). From then on the window of epoch e — and the list of entries touched in it — belong
// to the flusher, which reads and resets them, and only then asks for the next epoch. So the two
// threads never touch the same window at the same time, and no lock is taken.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "collector/statsd_parser.h"

namespace plumbline::collector {

inline constexpr int kNumParseErrors = static_cast<int>(ParseError::kTooLong) + 1;

// Observer values and set members of one window; allocated on first use, then reused.
struct WindowSamples {
  std::vector<double> values;  // observers: raw values (exact quantiles); graphite: values
  std::vector<float> weights;  // observers: 1 / sample rate, only once some rate was not 1
  std::vector<int64_t> times;  // graphite: timestamps in seconds (-1: arrival time)
  absl::flat_hash_set<std::string> members;  // sets
  void Clear() {
    values.clear();
    weights.clear();
    times.clear();
    members.clear();
  }
};

// What arrived for one key in one flush window, as the flusher reads it. The receiver fills the
// window of the current epoch; the flusher reads and resets the other.
//   counter:  a = sum of value / sample rate
//   gauge:    has_set, a = last absolute value of the window, b = sum of deltas after it
//   observer: a = sum of weights (count), b = weighted sum, samples->values
//   set:      samples->members
//   graphite: samples->values and samples->times, every point in arrival order
//   service check: a = last status (0 ok, 1 warning, 2 critical, 3 unknown)
struct Window {
  bool has_set = false;
  double a = 0;
  double b = 0;
  const WindowSamples* samples = nullptr;  // null when none were kept
};

// One distinct (kind, raw name, raw tags) a shard has seen. Allocated once per key: the entry,
// then (observers, sets, Graphite paths only) its two windows' sample pointers, then its key
// (name, '\0', tags). A counter key costs ~80 bytes with its key: at 200 k keys, every byte
// here is 200 kB.
struct Entry {
  enum class Kind : uint8_t { kCounter, kGauge, kObserver, kSet, kGraphite, kServiceCheck };
  static Entry* Create(Kind k, MetricType t, std::string_view name, std::string_view tags);
  static void Destroy(Entry* e);

  Kind kind;
  MetricType type;       // the StatsD type as sent (for mapping)
  bool has_set[2] = {};  // per window: a gauge's absolute value was set (see Window)
  uint32_t name_size;
  uint32_t key_size;
  uint32_t last_epoch = 0;   // receiver: epoch (low 32 bits) in which it was last touched
  uint64_t flush_cache = 0;  // flusher only: its series for this entry (0: unresolved)
  struct Sums {
    double a = 0;
    double b = 0;
  } sums[2];  // per window, indexed by the parity of the epoch

  std::string_view key() const { return {KeyData(), key_size}; }
  std::string_view name() const { return key().substr(0, name_size); }
  std::string_view tags() const { return key().substr(name_size + 1); }

  // The window of `parity` as the flusher reads it.
  Window window(int parity) const {
    return {has_set[parity], sums[parity].a, sums[parity].b, SamplesOf(parity)};
  }
  // Receiver: the samples of the window of `parity`, allocated on first use (then reused).
  // Only for kinds that keep samples (observers, sets, Graphite).
  WindowSamples& MutableSamples(int parity);
  // Flusher: resets the window of `parity` for its next use by the receiver.
  void Reset(int parity);

 private:
  static bool KeepsSamples(Kind k) {
    return k == Kind::kObserver || k == Kind::kSet || k == Kind::kGraphite;
  }
  WindowSamples** SamplesSlots() const {
    return reinterpret_cast<WindowSamples**>(const_cast<Entry*>(this) + 1);
  }
  const WindowSamples* SamplesOf(int parity) const {
    return KeepsSamples(kind) ? SamplesSlots()[parity] : nullptr;
  }
  const char* KeyData() const {
    return reinterpret_cast<const char*>(this + 1) + (KeepsSamples(kind) ? 2 * sizeof(void*) : 0);
  }
  Entry(Kind k, MetricType t, uint32_t name_bytes, uint32_t key_bytes)
      : kind(k), type(t), name_size(name_bytes), key_size(key_bytes) {}
  ~Entry() = default;
};

// Events and service checks travel as copies (they are rare).
struct PendingEvent {
  enum class Kind : uint8_t { kEvent, kServiceCheck };
  Kind kind = Kind::kEvent;
  std::string title, text, hostname, aggregation_key, priority, source_type, alert_type, tags;
  int64_t timestamp_s = 0;
  int status = 0;  // service checks
};

// Cumulative figures a shard publishes. Writer: the receiver thread (relaxed load + store,
// it is the only writer). Reader: the flusher, for /metrics (relaxed: counts, no ordering).
struct ShardCounters {
  std::atomic<uint64_t> datagrams{0};
  std::atomic<uint64_t> lines{0};
  std::atomic<uint64_t> bad_lines[kNumParseErrors] = {};
  std::atomic<uint64_t> series_rejected{0};
  std::atomic<uint64_t> truncated{0};
  std::atomic<uint64_t> events_dropped{0};
};

struct ShardOptions {
  size_t max_series = 1'000'000;   // distinct keys; beyond, new keys are refused and counted
  double min_sample_rate = 0.001;  // smaller rates are clamped: @1e-7 cannot make 1e7 of one hit
  size_t max_events_per_window = 1000;
  // Receiver epochs a key may go untouched before it leaves the shard (it comes back if seen).
  uint64_t idle_epochs = 30;
};

class Shard {
 public:
  explicit Shard(const ShardOptions& options);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // --- Receiver thread ---------------------------------------------------------------------
  // One datagram or stream chunk of complete lines.
  void HandleDatagram(std::string_view datagram) {
    ForEachLine(datagram, [this](std::string_view line) { HandleLine(line); });
  }
  void HandleLine(std::string_view line);
  void HandleGraphiteLine(std::string_view line);
  void CountDatagram() { Bump(counters_.datagrams); }
  void CountTruncated() { Bump(counters_.truncated); }
  void CountBadLine(ParseError e) { Bump(counters_.bad_lines[static_cast<int>(e)]); }
  // Switches to a requested epoch, if any. Call between receive batches (and when idle).
  void MaybeSwitchEpoch();

  // --- Flusher thread ------------------------------------------------------------------------
  // Asks the receiver to close the current window. Returns the epoch asked for.
  uint64_t RequestEpoch();
  // Whether the receiver switched to `epoch` (then the previous window belongs to the flusher).
  bool Switched(uint64_t epoch) const;
  // After Switched(epoch): entries touched in the closed window, and its events. The flusher
  // reads entry->window(parity) (parity = (epoch - 1) & 1), then calls FinishWindow.
  const std::vector<Entry*>& ClosedEntries(uint64_t epoch) const;
  std::vector<PendingEvent>& ClosedEvents(uint64_t epoch);
  // Resets the closed window so the receiver can reuse it at epoch + 1.
  void FinishWindow(uint64_t epoch);
  // For a receiver that has stopped (final flush): switch on its behalf.
  void SwitchEpochStopped() { MaybeSwitchEpoch(); }

  const ShardCounters& counters() const { return counters_; }
  // Keys held (approximate when read by the flusher; exact on the receiver thread).
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct KeyView {
    Entry::Kind kind;
    std::string_view name;
    std::string_view tags;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const;
    size_t operator()(const Entry* e) const;
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(const Entry* a, const Entry* b) const { return a == b; }
    bool operator()(const Entry* a, const KeyView& b) const;
    bool operator()(const KeyView& a, const Entry* b) const { return (*this)(b, a); }
  };

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // The entry for a key, created when new; nullptr when the shard is full.
  Entry* Find(Entry::Kind kind, MetricType type, std::string_view name, std::string_view tags);
  // Marks `e` touched in the current window; returns the window's parity.
  int Touch(Entry* e);
  void HandleMetric(std::string_view line);
  void HandleEvent(std::string_view line);
  void HandleServiceCheck(std::string_view line);
  void EvictIdle();

  const ShardOptions options_;
  ShardCounters counters_;

  // Receiver-owned.
  absl::flat_hash_set<Entry*, KeyHash, KeyEq> entries_;
  uint64_t epoch_ = 1;
  std::vector<Entry*> touched_[2];
  std::vector<PendingEvent> events_[2];
  uint64_t epochs_since_evict_ = 0;

  // Writer: the flusher (RequestEpoch, release); reader: the receiver (acquire).
  std::atomic<uint64_t> requested_{1};
  // Writer: the receiver (release, after its last write to the closed window); reader: the
  // flusher (acquire, before it reads that window).
  std::atomic<uint64_t> acked_{1};
  // Writer: the receiver; reader: the flusher's metrics (relaxed).
  std::atomic<size_t> size_{0};
};

}  // namespace plumbline::collector
