// The PromQL evaluator: instant and range queries over a storage::Engine, with Prometheus 3
// semantics (lookback window, left-open range windows (t - r, t], staleness markers,
// offset, @, subqueries, __name__ dropping, duplicate-labelset errors).
//
// Evaluation is series-major: a selector pulls each series' decoded chunks from the storage
// iterator once and walks every step over them (range functions slide their window over
// the samples without re-decoding); aggregations and binary operators group or match each
// input series once and then combine step by step.
//
// Errors, and the API error type each maps to (ApiErrorTypeForStatus in api_error.h):
//   InvalidArgument    parse errors ("1:6: parse error: ..."), bad parameters  -> bad_data
//   DeadlineExceeded   "query timed out in expression evaluation" (or "... in query queue")
//                                                                             -> timeout
//   Unavailable        too many queries running and waiting                   -> unavailable
//   Cancelled          the caller cancelled                                   -> canceled
//   Internal/DataLoss  storage failures                                       -> internal
//   anything else      evaluation errors, e.g. FailedPrecondition("vector cannot contain
//                      metrics with the same labelset"), ResourceExhausted("query
//                      processing would load too many samples into memory in query
//                      execution")                                            -> execution
//
// Thread-safe: one PromqlEngine serves concurrent queries. A query is evaluated on the
// calling thread, which shares the series of a large selection (decoding and range
// functions) with threads it starts for that part, one per core in all (at most 8;
// query/internal/parallel.h). Each writes its own slots, so answers do not depend on the
// thread count; every thread checks the query's deadline and sample budget.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/ast.h"
#include "query/query_gate.h"
#include "query/value.h"

namespace plumbline::storage {
class Engine;
}

namespace plumbline::query {

struct QueryOptions {
  // How far back an instant selector looks for a sample.
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Wall-clock budget of one query.
  int64_t timeout_ms = 2 * 60 * 1000;
  // Most samples held in memory at once by one query.
  int64_t max_samples = 50'000'000;
  // The step of a subquery written without one (`x[1h:]`).
  int64_t default_subquery_step_ms = 60 * 1000;
};

struct QueryResult {
  Value value;
  std::vector<std::string> warnings;
};

struct EngineOptions {
  // Queries evaluating at once, and queries that may wait for a turn (beyond that a query is
  // refused with Unavailable); Prometheus' --query.max-concurrency is 20.
  int max_concurrent_queries = 20;
  int max_queued_queries = 40;
};

class PromqlEngine {
 public:
  // `storage` must outlive the engine.
  explicit PromqlEngine(storage::Engine* storage, EngineOptions options = {})
      : storage_(storage),
        gate_(std::make_unique<QueryGate>(options.max_concurrent_queries,
                                          options.max_queued_queries)) {}

  // Evaluates `query` at `time_ms`.
  absl::StatusOr<QueryResult> Instant(std::string_view query, int64_t time_ms,
                                      const QueryOptions& options = {}) const;
  // Evaluates `query` at start, start + step, ... <= end. The result is always a Matrix,
  // sorted by labels. InvalidArgument when the expression is not a scalar or instant vector
  // ("invalid expression type \"range vector\" for range query, must be Scalar or instant
  // Vector"), when end < start or step <= 0.
  absl::StatusOr<QueryResult> Range(std::string_view query, int64_t start_ms, int64_t end_ms,
                                    int64_t step_ms, const QueryOptions& options = {}) const;

  // The same on an already parsed expression (the rules engine parses once).
  absl::StatusOr<QueryResult> InstantExpr(const Expr& expr, int64_t time_ms,
                                          const QueryOptions& options = {}) const;
  absl::StatusOr<QueryResult> RangeExpr(const Expr& expr, int64_t start_ms, int64_t end_ms,
                                        int64_t step_ms, const QueryOptions& options = {}) const;

 private:
  storage::Engine* storage_;
  std::unique_ptr<QueryGate> gate_;
};

}  // namespace plumbline::query
