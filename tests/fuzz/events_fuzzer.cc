// Fuzzes the deploy log's input parsers: a posted event (ParseEventJson), a Graphite event
// (ParseGraphiteEventJson) and Graphite's time forms (ParseGraphiteTimeMs). Checks, beyond
// "no crash, no UB, no leak, no exception":
//   * an error is InvalidArgument with a message;
//   * what is accepted passes storage::ValidateEvent, and what we print for it is valid JSON
//     that parses back to the same event (our form) or the same fields (Graphite's);
//   * a Graphite time is within the years the events store accepts, or relative to now.
// Input: the first byte picks the parser; the rest is its text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "query/event_json.h"
#include "query/graphite_events.h"
#include "storage/events.h"
#include "tests/fuzz/fuzz_check.h"

namespace plumbline::query {
namespace {

constexpr int64_t kNow = 1'795'651'200'000;  // 2026-11-26T00:00:00Z

using fuzz::Check;

void CheckError(const absl::Status& s) {
  Check(absl::IsInvalidArgument(s), "errors are InvalidArgument");
  Check(!s.message().empty(), "errors say why");
}

void FuzzEvent(std::string_view text) {
  absl::StatusOr<storage::Event> e = ParseEventJson(text, kNow, DefaultEventTypes());
  if (!e.ok()) return CheckError(e.status());
  Check(storage::ValidateEvent(*e).ok(), "accepted events are valid");
  // Printed, less its id, it parses back to the same event.
  nlohmann::json printed = nlohmann::json::parse(EventToJson(*e), nullptr, false);
  Check(printed.is_object(), "printed events are JSON objects");
  printed.erase("id");
  absl::StatusOr<storage::Event> again = ParseEventJson(printed.dump(), kNow, DefaultEventTypes());
  Check(again.ok(), "printed events parse back");
  Check(*again == *e, "printed events parse back to themselves");
}

void FuzzGraphiteEvent(std::string_view text) {
  absl::StatusOr<storage::Event> e = ParseGraphiteEventJson(text, kNow, DefaultEventTypes());
  if (!e.ok()) return CheckError(e.status());
  Check(storage::ValidateEvent(*e).ok(), "accepted Graphite events are valid");
  nlohmann::json printed = nlohmann::json::parse(GraphiteEventsJson({*e}), nullptr, false);
  Check(printed.is_array() && printed.size() == 1, "get_data prints a JSON array");
  Check(HasGraphiteTags(*e, GraphiteTagsOf(*e)), "an event carries its own tags");
}

void FuzzGraphiteTime(std::string_view text) {
  absl::StatusOr<int64_t> t = ParseGraphiteTimeMs(text, kNow);
  if (!t.ok()) return CheckError(t.status());
  // Offsets are at most 400 years either side of now; absolute times 1970..2200.
  constexpr int64_t kMaxOffsetMs = 400LL * 365 * 86'400'000;
  Check(*t >= kNow - kMaxOffsetMs && *t <= kNow + kMaxOffsetMs, "times are in range");
}

}  // namespace
}  // namespace plumbline::query

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      plumbline::query::FuzzEvent(text);
      break;
    case 1:
      plumbline::query::FuzzGraphiteEvent(text);
      break;
    default:
      plumbline::query::FuzzGraphiteTime(text);
      break;
  }
  return 0;
}
