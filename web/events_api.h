// The deploy log over HTTP (JSON in query/event_json.h, Graphite's forms in
// query/graphite_events.h):
//
//   POST /api/v1/events          record an event: 201 {"status":"success","data":{event}}
//   GET  /api/v1/events          ?start=&end=&type=&service=&env=&limit= newest first:
//                                {"status":"success","data":[event, ...]}; start/end are unix
//                                seconds or RFC 3339 (default: all time), limit 1..10000
//                                (default 100)
//   GET  /api/v1/events/<id>     one event, or 404 not_found
//   POST /events/                Graphite's events API (also /events)
//   GET  /events/get_data        ?from=&until=&tags= Graphite's form, oldest first
//
// Reading is open. Writing needs a deployer token when an auth file is configured, and a
// loopback client when not (web/auth.h). Errors use the Prometheus envelope and name the field:
// 400 bad_data for bad input, 401/403 for refused writes, 503 while storage is opening.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "common/clock.h"
#include "query/event_log.h"
#include "storage/events.h"
#include "web/auth.h"
#include "web/router.h"

namespace plumbline::web {

struct EventsContext {
  query::EventLog* log = nullptr;        // records writes
  storage::EventStore* store = nullptr;  // answers reads
  const AuthConfig* auth = nullptr;      // null: no auth file (loopback-only writes)
  const Clock* clock = nullptr;
  std::vector<std::string> types;  // accepted event types
};

// `context` is read per request (null while storage is opening: 503). The slot and what it
// points to must outlive the router.
std::vector<Route> EventsRoutes(const std::atomic<const EventsContext*>* context);

}  // namespace plumbline::web
