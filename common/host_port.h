// "host:port" listen and connect addresses as flags and config files spell them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plumbline {

struct HostPort {
  std::string host;  // IPv4/IPv6 literal or a name; IPv6 without brackets; never empty
  uint16_t port = 0;
  // "127.0.0.1:8080", "[::1]:8080".
  std::string ToString() const;
};

// Accepts "host:port", "[v6]:port" and ":port" (all interfaces, host "0.0.0.0").
// Port 0 means "any free port". InvalidArgument says what is wrong.
[[nodiscard]] absl::StatusOr<HostPort> ParseHostPort(std::string_view text);

}  // namespace plumbline
