// Graphite's events API over the deploy log, so that Grafana's Graphite data source draws our
// deploys as annotations (graphite-web's webapp/graphite/events):
//
//   POST /events/  {"what": "deploy api", "tags": ["deploy", "api"] | "deploy api",
//                   "when": 1764130000, "data": "a1b2c3 fix login"}
//   GET  /events/get_data?from=-6h&until=now&tags=deploy api
//        -> [{"when": 1764130000.0, "what": "...", "data": "...", "tags": ["deploy", ...], "id":
//        7}]
//
// A Graphite event maps onto ours: the first tag naming an event type (deploy, flag, ...) is
// its type (else "note"); tags `service:X`, `env:X`, `who:X` (or `=`) fill those fields; other
// `k:v` tags become tags, other words tags with an empty value; `what` and `data` become our
// `what`, as "what\ndata". Read back, an event's tags are its type, service and env, then its
// tags as `k:v` (or `k`). A get_data filter keeps events that carry every tag it names.
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/events.h"

namespace plumbline::query {

// Graphite's time forms (graphite-web render/attime.py): "now", relative offsets "-6h",
// "-30min", "-2d", "now-1w", "+1h" (units s, sec, min, h, d, w, mon = 30 d, y = 365 d, with
// optional plural; at most 400 years), unix seconds "1764130000", "HH:MM_YYYYMMDD" and "YYYYMMDD"
// (UTC). InvalidArgument says what was expected.
absl::StatusOr<int64_t> ParseGraphiteTimeMs(std::string_view text, int64_t now_ms);

// Tags of a get_data request: every `tags` parameter, each split on spaces and commas.
std::vector<std::string> SplitGraphiteTags(const std::vector<std::string>& params);

// A POST /events/ body as one of our events (validated as storage::ValidateEvent does).
absl::StatusOr<storage::Event> ParseGraphiteEventJson(std::string_view body, int64_t now_ms,
                                                      const std::vector<std::string>& types);

// The tags an event shows Graphite, and whether it carries all of `wanted`.
std::vector<std::string> GraphiteTagsOf(const storage::Event& event);
bool HasGraphiteTags(const storage::Event& event, const std::vector<std::string>& wanted);

// get_data's answer for `events` (in the order given).
std::string GraphiteEventsJson(const std::vector<storage::Event>& events);

}  // namespace plumbline::query
