// StatsD names to Prometheus names (DESIGN.md, "StatsD semantics").
#pragma once

#include <string>
#include <string_view>

namespace plumbline::collector {

// Replaces every character outside [a-zA-Z0-9_:] with '_' and prefixes '_' when the name
// starts with a digit, so the result is always a valid Prometheus metric name. A character is
// one UTF-8 sequence (statsd_exporter replaces rune by rune): "naïve" -> "na_ve".
// "api.login-time" -> "api_login_time", "5xx" -> "_5xx". An empty name stays empty.
void SanitizeMetricName(std::string_view name, std::string* out);

}  // namespace plumbline::collector
