// Durations in Prometheus' notation ("10s", "1h30m", "15d", "500ms").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plumbline {

// Parses a Prometheus duration: one or more <integer><unit> terms with units in
// decreasing order, each at most once (y=365d, w, d, h, m, s, ms). "0" is zero.
// Returns the duration in milliseconds, or InvalidArgument naming what was expected.
[[nodiscard]] absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

// Formats milliseconds as Prometheus does ("1h30m", "15d", "0s").
std::string FormatDurationMs(int64_t ms);

}  // namespace plumbline
