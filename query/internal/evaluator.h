// The PromQL evaluator's internals, shared by promql.cc (entry points, selectors, subqueries,
// dispatch), eval_binary.cc, eval_aggregate.cc and eval_functions.cc.
//
// The evaluator follows Prometheus' engine.go: every node is evaluated over all steps of the
// current evaluation range [start, end] at once and yields an EMatrix (scalars are one series
// with no labels); range functions walk each series' samples once with a sliding window,
// aggregations map each input series to its group once. Names are removed late, as with
// Prometheus' delayed __name__ removal: operations that change a metric's meaning set
// drop_name, and the name is dropped when the result is returned.
//
// Errors inside the evaluator are thrown as EvalError and turned into a Status at the entry
// points (promql.cc); nothing else throws. Thread-compatible: one Evaluator per query.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "query/ast.h"
#include "query/promql.h"
#include "query/value.h"
#include "storage/labels.h"

namespace plumbline::storage {
class Engine;
class SeriesSet;
}  // namespace plumbline::storage

namespace plumbline::query::internal {

// Label sets are shared between a series and the samples gathered from it at each step.
using LabelsPtr = std::shared_ptr<const storage::Labels>;
LabelsPtr MakeLabels(storage::Labels labels);
// The empty label set (scalars, aggregations without grouping).
const LabelsPtr& EmptyLabels();

struct ESeries {
  LabelsPtr metric;
  std::vector<FPoint> floats;
  bool drop_name = false;
};
using EMatrix = std::vector<ESeries>;

struct ESample {
  LabelsPtr metric;
  int64_t t = 0;
  double f = 0;
  bool drop_name = false;
};
using EVector = std::vector<ESample>;

// A node's value over the evaluation range: a matrix (instant vectors and scalars, one point
// per step) or a string.
struct HistogramGroup;

struct EValue {
  EMatrix matrix;
  bool is_string = false;
  std::string str;
};

class EvalError : public std::runtime_error {
 public:
  EvalError(absl::StatusCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  absl::StatusCode code() const { return code_; }

 private:
  absl::StatusCode code_;
};
// An execution error ("vector cannot contain metrics with the same labelset").
[[noreturn]] void ThrowExecution(const std::string& message);
// Prometheus' "query processing would load too many samples into memory ..." error.
[[noreturn]] void ThrowTooManySamples();

// The points worker threads may still produce before the query is over its sample limit;
// shared by the workers of one selection, so a huge selection fails early instead of being
// materialised first. Thread-safe.
class SampleBudget {
 public:
  explicit SampleBudget(int64_t remaining) : remaining_(remaining) {}
  // Counts `n` more points; throws once the total exceeds the budget.
  void Take(int64_t n) {
    if (used_.fetch_add(n, std::memory_order_relaxed) + n > remaining_) ThrowTooManySamples();
  }

 private:
  const int64_t remaining_;
  std::atomic<int64_t> used_{0};
};

// Per-query state shared by an evaluator and the evaluators of its subqueries.
struct QueryContext {
  storage::Engine* storage = nullptr;
  QueryOptions options;
  double deadline = 0;          // MonotonicSeconds() after which the query times out
  int64_t query_start = 0;      // resolves @ start()
  int64_t query_end = 0;        // resolves @ end()
  int64_t current_samples = 0;  // samples held, against options.max_samples
  // Nodes evaluated once at the start of the range and repeated (Prometheus'
  // StepInvariantExpr).
  std::unordered_set<const Expr*> step_invariant;
  std::vector<std::string> warnings;
};

// Label helpers.
storage::Labels DropMetricName(const storage::Labels& labels);
// Sets (or, for an empty value, removes) one label.
storage::Labels WithLabel(const storage::Labels& labels, std::string_view name,
                          std::string_view value);
// The labels named (keep) or all but those named (!keep).
storage::Labels KeepLabels(const storage::Labels& labels, const std::vector<std::string>& names,
                           bool keep);
// A byte signature of the named labels (on) or of all but them and __name__ (!on).
std::string MatchSignature(const storage::Labels& labels, const std::vector<std::string>& names,
                           bool on);
// Prometheus' labels.Compare order.
int CompareLabels(const storage::Labels& a, const storage::Labels& b);
// Merges series with equal label sets when their timestamps do not overlap; two points of one
// label set at one timestamp are an execution error (Prometheus'
// mergeSeriesWithSameLabelset).
void MergeSameLabels(EMatrix* matrix);
// Removes __name__ where drop_name is set, then MergeSameLabels.
void CleanupNames(EMatrix* matrix);

class Evaluator {
 public:
  Evaluator(QueryContext* context, int64_t start, int64_t end, int64_t interval)
      : ctx_(context), start_(start), end_(end), interval_(interval) {}

  EValue Eval(const Expr& expr);

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  int NumSteps() const { return static_cast<int>((end_ - start_) / interval_) + 1; }

  // Throws on timeout.
  void CheckDeadline() const;
  // Accounts `n` more samples held; throws when over the limit.
  void AddSamples(int64_t n);
  // The samples this query may still hold.
  int64_t SamplesLeft() const { return ctx_->options.max_samples - ctx_->current_samples; }
  void Warn(std::string message);

 private:
  EValue EvalNode(const Expr& expr);
  EValue EvalStepInvariant(const Expr& expr);
  EMatrix EvalVectorSelector(const VectorSelector& vs, bool sample_timestamps);
  EMatrix EvalMatrixSelectorInstant(const MatrixSelector& ms);
  EMatrix EvalSubquery(const SubqueryExpr& sq);
  EMatrix EvalBinary(const BinaryExpr& e);
  EMatrix EvalAggregate(const AggregateExpr& e);
  EMatrix EvalCall(const Call& e);
  // rate, increase, ..., *_over_time: a sliding window over each series (eval_range.cc).
  EMatrix EvalRangeFunction(const Call& e);
  EMatrix EvalNumber(double v);
  std::vector<HistogramGroup> GroupBuckets(const EVector& samples);

  // The @ time of a selector or subquery, resolved (start()/end()), or nullopt.
  std::optional<int64_t> AtTime(AtKind kind, int64_t at_ms) const;

  // Per-step evaluation of instant-vector operands (Prometheus' rangeEval): evaluates `args`
  // (string arguments are passed as empty vectors), then for every step calls fn(ts,
  // vectors) and collects the output samples into series. Errors on a duplicate output label
  // set at one step.
  using StepFn = std::function<EVector(int64_t ts, std::vector<EVector>& vectors)>;
  EMatrix RangeEval(const std::vector<const Expr*>& args, const StepFn& fn);
  EMatrix RangeEvalMatrices(std::vector<EMatrix> inputs, const StepFn& fn);

  QueryContext* ctx_;
  int64_t start_;
  int64_t end_;
  int64_t interval_;
};

// Decodes one series of a selection into `out` (time order), without staleness markers when
// `drop_stale`. Safe to call from several threads on one set. Throws on a storage error.
void ReadSamples(const storage::SeriesSet& set, size_t index, bool drop_stale,
                 std::vector<FPoint>* out);

// One series' samples as two columns, the layout the storage iterators decode into. The
// vectors only grow (a worker reuses them from series to series); the first `size` entries
// hold the samples.
struct SampleColumns {
  std::vector<int64_t> t;
  std::vector<double> f;
  size_t size = 0;
  // t[0, known_even) are evenly spaced, as the storage knew without reading them
  // (SeriesIterator::KnownEvenPrefix).
  size_t known_even = 0;
  void Assign(const std::vector<FPoint>& points);
};
// Decodes one series of a selection into `out`, stale markers included. Safe to call from
// several threads on one set. Throws on a storage error.
void ReadColumns(const storage::SeriesSet& set, size_t index, SampleColumns* out);

// Whether `name` takes a range vector (evaluated by EvalRangeFunction).
bool IsRangeFunction(std::string_view name);
// Labels of absent()'s and absent_over_time()'s output: the equality matchers of the
// selector (Prometheus' createLabelsForAbsentFunction; a label matched twice is left out).
storage::Labels AbsentLabels(const Expr& arg);

// Walks an expression before evaluation: marks step-invariant subtrees (as Prometheus'
// PreprocessExpr) in context->step_invariant. Returns whether the whole tree is.
bool MarkStepInvariant(const Expr& expr, QueryContext* context);

// Unwraps parentheses.
const Expr& Unparen(const Expr& expr);

}  // namespace plumbline::query::internal
