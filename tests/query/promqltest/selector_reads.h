// Which samples a PromQL expression can read: for each selector, the span of sample times it
// may look at when the expression is evaluated at times in a given span. Used to skip only
// the evals that reach native histogram samples the harness could not load.
#pragma once

#include <cstdint>
#include <vector>

#include "query/ast.h"

namespace plumbline::promqltest {

struct SelectorRead {
  const query::VectorSelector* selector = nullptr;
  // Sample times the selector may read, inclusive (a little wider than Prometheus' left-open
  // windows).
  int64_t from_ms = 0;
  int64_t to_ms = 0;
};

struct ReadOptions {
  int64_t lookback_ms = 5 * 60 * 1000;
  int64_t default_subquery_step_ms = 60 * 1000;
};

// When `expr` is evaluated: at times in [from_ms, to_ms], by queries whose start and end
// (`@ start()`, `@ end()`) lie in [bounds_from_ms, bounds_to_ms].
struct EvalSpan {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  int64_t bounds_from_ms = 0;
  int64_t bounds_to_ms = 0;
};

// Every selector of `expr` with the span of sample times it reads after offsets, @, range
// windows (or the lookback) and enclosing subqueries.
std::vector<SelectorRead> SelectorReads(const query::Expr& expr, const EvalSpan& span,
                                        const ReadOptions& options = {});

}  // namespace plumbline::promqltest
