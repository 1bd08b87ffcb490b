// The deploy log's JSON: events as the HTTP API answers them and as clients post them.
//
//   {"id":7,"type":"deploy","service":"api","env":"prod","who":"alice",
//    "what":"a1b2c3 fix login","url":"https://ci/1","time":1764130000,"end":1764130090,
//    "tags":{"region":"eu"}}
//
// Times are unix seconds as the Prometheus API writes timestamps (1764130000, 1764130000.5);
// "end" is present only for regions. Posted bodies take the same fields (no "id"); "time"
// and "end" may also be RFC 3339 strings. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/events.h"

namespace plumbline::query {

// The types an event may have unless the server is configured with more.
const std::vector<std::string>& DefaultEventTypes();

// One event as a JSON object.
std::string EventToJson(const storage::Event& event);
void AppendEventJson(const storage::Event& event, std::string* out);

// Limits of a posted event body.
inline constexpr size_t kMaxEventBodyBytes = 64 << 10;

// Parses a posted event. `now_ms` is its time when "time" is absent; `types` lists the
// accepted types. InvalidArgument names the field at fault and what was expected
// ("time: expected unix seconds or an RFC 3339 time, got \"soon\""); unknown fields are
// refused so that a typo ("servce") is not silently dropped. The result passes
// storage::ValidateEvent.
absl::StatusOr<storage::Event> ParseEventJson(std::string_view body, int64_t now_ms,
                                              const std::vector<std::string>& types);

}  // namespace plumbline::query
