// Placeholder until the parser lands.
#include "query/parser.h"

namespace plumbline::query {

absl::StatusOr<ExprPtr> ParseExpr(std::string_view) {
  return absl::UnimplementedError("PromQL parser not built yet");
}
absl::StatusOr<std::vector<storage::LabelMatcher>> ParseMetricSelector(std::string_view) {
  return absl::UnimplementedError("PromQL parser not built yet");
}
absl::StatusOr<int64_t> ParseDurationMs(std::string_view) {
  return absl::UnimplementedError("PromQL parser not built yet");
}

}  // namespace plumbline::query
