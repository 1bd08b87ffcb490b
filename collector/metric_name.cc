#include "collector/metric_name.h"

namespace plumbline::collector {
namespace {

constexpr bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

}  // namespace

void SanitizeMetricName(std::string_view name, std::string* out) {
  out->clear();
  if (name.empty()) return;
  if (name[0] >= '0' && name[0] <= '9') out->push_back('_');
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (IsNameChar(c)) {
      out->push_back(c);
      continue;
    }
    out->push_back('_');
    // One '_' per character, not per byte: a UTF-8 lead byte takes its continuation bytes
    // (10xxxxxx) with it, as many as it announces. Malformed sequences degrade to one '_'
    // per byte.
    const auto lead = static_cast<unsigned char>(c);
    const size_t more = lead >= 0xF8   ? 0
                        : lead >= 0xF0 ? 3
                        : lead >= 0xE0 ? 2
                        : lead >= 0xC0 ? 1
                                       : 0;
    for (size_t k = 0; k < more && i + 1 < name.size() &&
                       (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80;
         ++k) {
      ++i;
    }
  }
}

}  // namespace plumbline::collector
