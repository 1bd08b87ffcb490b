#include "common/host_port.h"

#include <charconv>

#include "common/strings.h"

namespace plumbline {
namespace {

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("not a valid address \"", text, "\": ", why,
                                           " (expected host:port, e.g. 127.0.0.1:8080)"));
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return StrCat("[", host, "]:", port);
  return StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return Invalid(text, "missing ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':') return Invalid(text, "missing port");
    out.host = std::string(text.substr(1, close - 1));
    if (out.host.empty()) return Invalid(text, "empty host");
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Invalid(text, "missing port");
    if (text.substr(0, colon).find(':') != std::string_view::npos) {
      return Invalid(text, "IPv6 hosts need brackets");
    }
    out.host = std::string(text.substr(0, colon));
    if (out.host.empty()) out.host = "0.0.0.0";
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty()) return Invalid(text, "missing port");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Invalid(text, "port must be a number from 0 to 65535");
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace plumbline
