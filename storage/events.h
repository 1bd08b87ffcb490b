// The events store: the deploy log (deploys, flag flips, config pushes, incidents, notes), in
// its own column family keyed by time, with its own retention (default 400 days).
//
//   events  't' time(biased BE) id(BE) -> event (JSON)
//           'i' id(BE)                 -> time(biased BE)
//   meta    "next_event_id"            -> fixed64 BE
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace plumbline::storage {

struct Event {
  uint64_t id = 0;   // assigned by Add
  std::string type;  // deploy, flag, config, incident, note, ... ([a-z0-9_-], 1..32)
  std::string service;
  std::string env;
  std::string who;
  std::string what;
  std::string url;
  int64_t time_ms = 0;
  int64_t end_ms = 0;  // 0: an instant; otherwise a region [time_ms, end_ms]
  std::vector<std::pair<std::string, std::string>> tags;  // sorted by name, unique names
  friend bool operator==(const Event&, const Event&) = default;
};

// Longest region an event may span; range reads look back this far for regions that began
// before the range.
inline constexpr int64_t kMaxEventSpanMs = 7LL * 24 * 3600 * 1000;

struct EventQuery {
  int64_t start_ms = 0;  // events at or overlapping [start_ms, end_ms]
  int64_t end_ms = 0;
  std::string type;  // filters: empty means any
  std::string service;
  std::string env;
  size_t limit = 1000;  // newest first, at most this many
};

// Checks an event as Add would, with a message naming the field ("what: longer than ...").
absl::Status ValidateEvent(const Event& event);

class EventStore {
 public:
  virtual ~EventStore() = default;
  // Validates, assigns the id and stores. InvalidArgument names the field at fault.
  virtual absl::StatusOr<Event> Add(Event event) = 0;
  virtual absl::StatusOr<std::vector<Event>> Find(const EventQuery& query) = 0;
  virtual absl::StatusOr<std::optional<Event>> Get(uint64_t id) = 0;
  // Drops events that ended before now - retention.
  virtual absl::Status EnforceRetention() = 0;
};

}  // namespace plumbline::storage
