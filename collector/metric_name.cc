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
  for (char c : name) out->push_back(IsNameChar(c) ? c : '_');
}

}  // namespace plumbline::collector
