// Runs a parsed PromQL test script (script.h) against a real storage::Engine and the
// PromqlEngine, with the semantics of Prometheus' promqltest/test.go:
//
//  - Each file starts on an empty store in a fresh temporary directory; `clear` closes it and
//    opens another. `load` writes its samples at 0, interval, 2*interval, ... with one
//    AppendBatch; the store's clock is a FakeClock kept a day past the newest sample, and
//    the retention is a century, so samples at 1970 are accepted.
//  - `eval range` runs one range query. `eval instant` runs the instant query, then the same
//    expression with `@ <eval time>` set on every selector and subquery not inside a
//    subquery, at the times test.go picks (-10t, 0, t/5, t, 10t; -1s, 0, 1s when t is 0),
//    unless it calls a function whose value depends on the evaluation time. Each of these
//    instant queries is also run as a range query from t-1m to t+1m step 1m, whose points at t
//    must match the same expectations (not for `expect string`, `expect range vector`,
//    ordered results, or expressions calling start(), end(), range() or step()).
//  - Expectations: see compare.h. Annotations (expect warn/info/no_warn/no_info, eval_warn,
//    eval_info) are counted but not checked: the engine reports warnings as plain strings
//    without Prometheus' warn/info split.
//
// Skipped (never counted as pass or fail), each with a reason:
//  - evals that need native histograms: an expected value is `{{...}}`, or a selector of the
//    query matches a series the harness could not load (`{{...}}` values, or the native
//    histogram series load_with_nhcb derives from classic buckets);
//  - evals of experimental features (Prometheus' Experimental functions, limitk/limit_ratio,
//    duration expressions, fill modifiers, anchored/smoothed) that our parser refuses.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/promql.h"
#include "tests/query/promqltest/script.h"

namespace plumbline::promqltest {

enum class Outcome { kPass, kFail, kSkip };

struct EvalOutcome {
  int line = 0;
  std::string expr;
  Outcome outcome = Outcome::kPass;
  // A short category for the summary: failures "value mismatch", "unexpected error: ...";
  // skips "native histograms: reads them", "experimental function \"step\"".
  std::string kind;
  // Failures: what went wrong; skips: the reason.
  std::string message;
  // Failures: expected (-) and actual (+) lines that differ.
  std::vector<std::string> diff;
};

struct FileResult {
  std::vector<EvalOutcome> evals;
  // Harness notes: samples the store refused, series it could not take.
  std::vector<std::string> notes;
  // Annotation expectations seen (counted, not checked).
  int annotation_expectations = 0;
  // Queries run: instant ones (with the @ variants) and range ones (with the range-mode
  // re-runs of instant evals).
  int instant_queries = 0;
  int range_queries = 0;

  int Count(Outcome outcome) const;
};

struct RunnerOptions {
  query::QueryOptions query_options;  // lookback 5m and the other defaults
};

// Runs every command of `script`. An error only when the harness itself cannot work (the
// store does not open); query failures are outcomes.
absl::StatusOr<FileResult> RunScript(const Script& script, const RunnerOptions& options = {});

}  // namespace plumbline::promqltest
