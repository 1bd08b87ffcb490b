// Placeholder until the evaluator lands.
#include "query/promql.h"

#include "query/parser.h"

namespace plumbline::query {

absl::StatusOr<QueryResult> PromqlEngine::Instant(std::string_view query, int64_t time_ms,
                                                  const QueryOptions& options) const {
  auto expr = ParseExpr(query);
  if (!expr.ok()) return expr.status();
  return InstantExpr(**expr, time_ms, options);
}

absl::StatusOr<QueryResult> PromqlEngine::Range(std::string_view query, int64_t start_ms,
                                                int64_t end_ms, int64_t step_ms,
                                                const QueryOptions& options) const {
  auto expr = ParseExpr(query);
  if (!expr.ok()) return expr.status();
  return RangeExpr(**expr, start_ms, end_ms, step_ms, options);
}

absl::StatusOr<QueryResult> PromqlEngine::InstantExpr(const Expr&, int64_t,
                                                      const QueryOptions&) const {
  return absl::UnimplementedError("PromQL evaluator not built yet");
}

absl::StatusOr<QueryResult> PromqlEngine::RangeExpr(const Expr&, int64_t, int64_t, int64_t,
                                                    const QueryOptions&) const {
  return absl::UnimplementedError("PromQL evaluator not built yet");
}

}  // namespace plumbline::query
