#include "common/duration.h"

#include <array>
#include <limits>

#include "absl/status/status.h"
#include "common/strings.h"

namespace plumbline {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};

// Largest first; "ms" before "m" would mis-parse, so matching below checks "ms" explicitly.
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 24 * 3600 * 1000},
                                         {"w", 7LL * 24 * 3600 * 1000},
                                         {"d", 24LL * 3600 * 1000},
                                         {"h", 3600LL * 1000},
                                         {"m", 60LL * 1000},
                                         {"s", 1000},
                                         {"ms", 1}}};

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("not a valid duration \"", text, "\": ", why,
                                           " (expected e.g. 500ms, 10s, 1m30s, 2h, 15d)"));
}

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  if (text == "0") return 0;
  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits of the smallest unit still allowed
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return Invalid(text, "expected a number");
    int64_t number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (number > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        return Invalid(text, "too large");
      }
      number = number * 10 + (text[i] - '0');
      ++i;
    }
    size_t end = i;
    while (end < text.size() && (text[end] < '0' || text[end] > '9')) ++end;
    std::string_view unit = text.substr(i, end - i);
    if (unit.empty()) return Invalid(text, "missing unit");
    size_t found = kUnits.size();
    for (size_t u = 0; u < kUnits.size(); ++u) {
      if (kUnits[u].name == unit) found = u;
    }
    if (found == kUnits.size()) return Invalid(text, StrCat("unknown unit \"", unit, "\""));
    if (found < next_unit) return Invalid(text, "units out of order or repeated");
    next_unit = found + 1;
    if (number > std::numeric_limits<int64_t>::max() / kUnits[found].ms) {
      return Invalid(text, "too large");
    }
    const int64_t add = number * kUnits[found].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return Invalid(text, "too large");
    total += add;
    i = end;
  }
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& unit : kUnits) {
    // As Prometheus: years and weeks only when they divide the rest exactly ("90d", not "12w6d").
    if ((unit.name == "y" || unit.name == "w") && ms % unit.ms != 0) continue;
    if (ms >= unit.ms) {
      StrAppend(&out, ms / unit.ms, unit.name);
      ms %= unit.ms;
    }
  }
  return out;
}

}  // namespace plumbline
