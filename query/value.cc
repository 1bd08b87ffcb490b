#include "query/value.h"

#include <bit>
#include <charconv>
#include <cmath>

namespace plumbline::query {

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Fixed notation of the shortest round-trip digits: at most 309 integer digits plus the
  // 17 significant digits of a tiny number with its leading zeros (5e-324: 324 decimals).
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

}  // namespace plumbline::query
