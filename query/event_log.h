// The deploy log's one way in: every event — from the HTTP API, Graphite's events API, the CLI
// or a DogStatsD `_e` line — is recorded here, which
//   1. stores it in the events store (storage/events.h), where it gets its id;
//   2. keeps two series per (type, service, env) so that any PromQL tool can mark it:
//        plumbline_events_total{type,service,env}                  events recorded (a counter)
//        plumbline_event_last_timestamp_seconds{type,service,env}  time of the latest event
//      e.g. `changes(plumbline_event_last_timestamp_seconds[$__interval]) > 0` in Grafana.
//      A bump is stamped at the event's time (not before the series' last sample, not after
//      now); the first event of a label set is preceded by a 0 one millisecond earlier, and
//      every series is re-written on the hold grid (like a scraped gauge), so that a window
//      holding an event also holds the value before it. Empty service/env leave the label out.
//      The series' last values are read back from storage at Start, so counts survive restarts.
//   3. hands it to `on_recorded` (the chat notifiers), which must not block.
// Thread-safe: Record may be called from any thread; series writes are serialised.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "storage/engine.h"
#include "storage/events.h"

namespace plumbline::query {

inline constexpr std::string_view kEventsTotalMetric = "plumbline_events_total";
inline constexpr std::string_view kEventLastTimestampMetric =
    "plumbline_event_last_timestamp_seconds";

struct EventLogOptions {
  // The two series are re-written on this grid (the StatsD flush interval); 0: never.
  int64_t hold_interval_ms = 10'000;
  // Whether Start() starts the thread that calls Hold() on the grid (tests call it themselves).
  bool hold_thread = true;
  // Events that ended longer ago than this are refused (they would be dropped at once).
  int64_t retention_ms = 400LL * 24 * 3600 * 1000;
};

class EventLog {
 public:
  // `engine` and `clock` must outlive the log.
  EventLog(storage::Engine* engine, const Clock* clock, const EventLogOptions& options,
           std::function<void(const storage::Event&)> on_recorded);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Reads the series' last values back from storage and starts the hold thread.
  absl::Status Start();

  // Validates, stores and announces one event. InvalidArgument names the field at fault
  // (nothing is stored then); an error after storing it (the series append) is logged, not
  // returned: the event is in the log.
  absl::StatusOr<storage::Event> Record(storage::Event event);

  // Re-writes every series at the hold grid time at or before `now_ms` (the hold thread calls
  // it; public for tests).
  void Hold(int64_t now_ms);

 private:
  struct SeriesState {
    double count = 0;
    double last_timestamp = 0;  // seconds
    int64_t last_sample_ms = INT64_MIN;
    storage::SeriesRef count_ref = 0;
    storage::SeriesRef timestamp_ref = 0;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // type, service, env

  absl::Status Load();
  // Appends (t, count) and (t, last_timestamp) for `key`, by ref when known.
  void WriteLocked(const Key& key, SeriesState* state, int64_t t_ms, double count, double timestamp)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HoldLoop();

  storage::Engine* const engine_;
  const Clock* const clock_;
  const EventLogOptions options_;
  const std::function<void(const storage::Event&)> on_recorded_;

  absl::Mutex mu_;
  std::map<Key, SeriesState> series_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread hold_thread_;
};

}  // namespace plumbline::query
