// The PromQL parser: query text to a type-checked syntax tree (ast.h), with Prometheus 3's
// grammar, operator precedence and associativity, and its error messages and positions.
//
// Errors are InvalidArgument carrying exactly Prometheus' text, e.g.
//   "1:6: parse error: unclosed left parenthesis"
//   "1:1: parse error: expected type range vector in call to function \"rate\", got instant vector"
// (line:column of the offending token, 1-based, columns in bytes). Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/ast.h"
#include "storage/matcher.h"

namespace plumbline::query {

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input);

// A series selector alone, as /api/v1/series' match[] takes it: `up`, `{job="a"}`,
// `up{job=~"a.*"}`. At least one matcher must not match the empty string, as Prometheus
// requires ("match[] must contain at least one non-empty matcher" is the API's message).
absl::StatusOr<std::vector<storage::LabelMatcher>> ParseMetricSelector(std::string_view input);

// A PromQL duration as Prometheus' model.ParseDuration reads it: units ms s m h d w y,
// combined largest first ("1h30m", "90s"). InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

}  // namespace plumbline::query
