// PromqlEngine entry points and the evaluator core: selectors, subqueries, step invariance,
// the per-step driver, label helpers. Operators, aggregations and functions live in
// eval_binary.cc, eval_aggregate.cc and eval_functions.cc.
#include "query/promql.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "query/internal/evaluator.h"
#include "query/internal/parallel.h"
#include "query/parser.h"
#include "storage/engine.h"

namespace plumbline::query {
namespace internal {

using storage::Label;
using storage::Labels;

void ThrowExecution(const std::string& message) {
  throw EvalError(absl::StatusCode::kFailedPrecondition, message);
}

void ThrowTooManySamples() {
  throw EvalError(absl::StatusCode::kResourceExhausted,
                  "query processing would load too many samples into memory in query "
                  "execution");
}

LabelsPtr MakeLabels(Labels labels) { return std::make_shared<const Labels>(std::move(labels)); }

const LabelsPtr& EmptyLabels() {
  static const LabelsPtr* empty = new LabelsPtr(std::make_shared<const Labels>());
  return *empty;
}

const Expr& Unparen(const Expr& expr) {
  const Expr* e = &expr;
  while (e->kind == ExprKind::kParen) e = e->As<ParenExpr>().expr.get();
  return *e;
}

// ---- labels

Labels DropMetricName(const Labels& labels) {
  if (labels.Get(storage::kMetricNameLabel).empty()) return labels;
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const Label& l : labels.items()) {
    if (l.name != storage::kMetricNameLabel) out.push_back(l);
  }
  return Labels::FromCanonicalUnchecked(std::move(out));
}

Labels WithLabel(const Labels& labels, std::string_view name, std::string_view value) {
  std::vector<Label> out;
  out.reserve(labels.size() + 1);
  bool placed = false;
  for (const Label& l : labels.items()) {
    if (!placed && !storage::CanonicalNameLess(l.name, name)) {
      placed = true;
      if (!value.empty()) out.push_back({std::string(name), std::string(value)});
      if (l.name == name) continue;
    }
    out.push_back(l);
  }
  if (!placed && !value.empty()) out.push_back({std::string(name), std::string(value)});
  return Labels::FromCanonicalUnchecked(std::move(out));
}

Labels KeepLabels(const Labels& labels, const std::vector<std::string>& names, bool keep) {
  std::vector<Label> out;
  for (const Label& l : labels.items()) {
    const bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (listed == keep) out.push_back(l);
  }
  return Labels::FromCanonicalUnchecked(std::move(out));
}

std::string MatchSignature(const Labels& labels, const std::vector<std::string>& names, bool on) {
  std::string sig;
  for (const Label& l : labels.items()) {
    const bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (on ? listed : (!listed && l.name != storage::kMetricNameLabel)) {
      sig.append(l.name);
      sig.push_back('\xff');
      sig.append(l.value);
      sig.push_back('\xff');
    }
  }
  return sig;
}

int CompareLabels(const Labels& a, const Labels& b) {
  const auto& x = a.items();
  const auto& y = b.items();
  const size_t n = std::min(x.size(), y.size());
  for (size_t i = 0; i < n; ++i) {
    if (x[i].name != y[i].name) return x[i].name < y[i].name ? -1 : 1;
    if (x[i].value != y[i].value) return x[i].value < y[i].value ? -1 : 1;
  }
  if (x.size() == y.size()) return 0;
  return x.size() < y.size() ? -1 : 1;
}

void MergeSameLabels(EMatrix* matrix) {
  if (matrix->size() < 2) return;
  absl::flat_hash_map<std::string, size_t> first;
  EMatrix merged;
  merged.reserve(matrix->size());
  bool duplicates = false;
  for (ESeries& s : *matrix) {
    auto [it, inserted] = first.try_emplace(s.metric->Encode(), merged.size());
    if (inserted) {
      merged.push_back(std::move(s));
      continue;
    }
    duplicates = true;
    ESeries& base = merged[it->second];
    base.floats.insert(base.floats.end(), s.floats.begin(), s.floats.end());
    base.drop_name = base.drop_name || s.drop_name;
  }
  if (!duplicates) {
    *matrix = std::move(merged);
    return;
  }
  for (ESeries& s : merged) {
    std::sort(s.floats.begin(), s.floats.end(),
              [](const FPoint& a, const FPoint& b) { return a.t < b.t; });
    for (size_t i = 1; i < s.floats.size(); ++i) {
      if (s.floats[i].t == s.floats[i - 1].t) {
        ThrowExecution("vector cannot contain metrics with the same labelset");
      }
    }
  }
  *matrix = std::move(merged);
}

void CleanupNames(EMatrix* matrix) {
  for (ESeries& s : *matrix) {
    if (s.drop_name && !s.metric->Get(storage::kMetricNameLabel).empty()) {
      s.metric = MakeLabels(DropMetricName(*s.metric));
    }
    s.drop_name = false;
  }
  MergeSameLabels(matrix);
}

// ---- step invariance (Prometheus' preprocessExprHelper)

namespace {

// Functions whose value depends on the evaluation time even when their arguments do not.
bool IsAtModifierUnsafe(std::string_view name) {
  static constexpr std::string_view kUnsafe[] = {
      "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",     "minute",
      "month",         "year",         "predict_linear", "time",        "timestamp"};
  for (std::string_view n : kUnsafe) {
    if (n == name) return true;
  }
  return false;
}

// Returns {is_step_invariant, should_wrap}.
std::pair<bool, bool> Preprocess(const Expr& expr, QueryContext* ctx) {
  switch (expr.kind) {
    case ExprKind::kVectorSelector: {
      const bool at = expr.As<VectorSelector>().at != AtKind::kNone;
      return {at, at};
    }
    case ExprKind::kAggregate: {
      const auto& e = expr.As<AggregateExpr>();
      if (e.param) Preprocess(*e.param, ctx);
      return Preprocess(Unparen(*e.expr), ctx);
    }
    case ExprKind::kBinary: {
      const auto& e = expr.As<BinaryExpr>();
      auto [li, lw] = Preprocess(*e.lhs, ctx);
      auto [ri, rw] = Preprocess(*e.rhs, ctx);
      if (li && ri) return {true, true};
      if (lw) ctx->step_invariant.insert(e.lhs.get());
      if (rw) ctx->step_invariant.insert(e.rhs.get());
      return {false, false};
    }
    case ExprKind::kCall: {
      const auto& e = expr.As<Call>();
      bool invariant = !IsAtModifierUnsafe(e.func->name);
      std::vector<bool> wrap(e.args.size());
      for (size_t i = 0; i < e.args.size(); ++i) {
        auto [ai, aw] = Preprocess(Unparen(*e.args[i]), ctx);
        invariant = invariant && ai;
        wrap[i] = aw;
      }
      if (invariant) return {true, true};
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (wrap[i]) ctx->step_invariant.insert(&Unparen(*e.args[i]));
      }
      return {false, false};
    }
    case ExprKind::kMatrixSelector: {
      auto [inv, wrap] = Preprocess(*expr.As<MatrixSelector>().vector_selector, ctx);
      (void)wrap;
      return {inv, false};
    }
    case ExprKind::kSubquery: {
      const auto& e = expr.As<SubqueryExpr>();
      auto [inv, wrap] = Preprocess(*e.expr, ctx);
      (void)wrap;
      if (inv) ctx->step_invariant.insert(e.expr.get());
      const bool at = e.at != AtKind::kNone;
      return {at, at};
    }
    case ExprKind::kParen:
      return Preprocess(*expr.As<ParenExpr>().expr, ctx);
    case ExprKind::kUnary:
      return Preprocess(*expr.As<UnaryExpr>().expr, ctx);
    case ExprKind::kStringLiteral:
    case ExprKind::kNumberLiteral:
      return {true, false};
  }
  return {false, false};
}

}  // namespace

bool MarkStepInvariant(const Expr& expr, QueryContext* context) {
  auto [invariant, wrap] = Preprocess(expr, context);
  if (wrap) context->step_invariant.insert(&expr);
  return invariant;
}

// ---- evaluator core

void Evaluator::CheckDeadline() const {
  if (MonotonicSeconds() > ctx_->deadline) {
    throw EvalError(absl::StatusCode::kDeadlineExceeded,
                    "query timed out in expression evaluation");
  }
}

void Evaluator::AddSamples(int64_t n) {
  ctx_->current_samples += n;
  if (ctx_->current_samples > ctx_->options.max_samples) ThrowTooManySamples();
}

void Evaluator::Warn(std::string message) {
  for (const std::string& w : ctx_->warnings) {
    if (w == message) return;
  }
  ctx_->warnings.push_back(std::move(message));
}

std::optional<int64_t> Evaluator::AtTime(AtKind kind, int64_t at_ms) const {
  switch (kind) {
    case AtKind::kNone:
      return std::nullopt;
    case AtKind::kTimestamp:
      return at_ms;
    case AtKind::kStart:
      return ctx_->query_start;
    case AtKind::kEnd:
      return ctx_->query_end;
  }
  return std::nullopt;
}

EValue Evaluator::Eval(const Expr& expr) {
  CheckDeadline();
  if (end_ < start_) return EValue{};
  if (start_ != end_ && ctx_->step_invariant.count(&expr) > 0) return EvalStepInvariant(expr);
  return EvalNode(expr);
}

EValue Evaluator::EvalStepInvariant(const Expr& expr) {
  Evaluator once(ctx_, start_, start_, interval_);
  EValue value = once.EvalNode(expr);
  if (value.is_string) return value;
  const Expr& inner = Unparen(expr);
  if (inner.kind == ExprKind::kMatrixSelector || inner.kind == ExprKind::kSubquery) return value;
  for (ESeries& s : value.matrix) {
    if (s.floats.size() != 1) continue;
    const double f = s.floats[0].f;
    s.floats.reserve(NumSteps());
    for (int64_t ts = start_ + interval_; ts <= end_; ts += interval_) s.floats.push_back({ts, f});
    AddSamples(NumSteps() - 1);
  }
  return value;
}

EMatrix Evaluator::EvalNumber(double v) {
  ESeries s;
  s.metric = EmptyLabels();
  s.floats.reserve(NumSteps());
  for (int64_t ts = start_; ts <= end_; ts += interval_) s.floats.push_back({ts, v});
  AddSamples(static_cast<int64_t>(s.floats.size()));
  EMatrix m;
  m.push_back(std::move(s));
  return m;
}

EValue Evaluator::EvalNode(const Expr& expr) {
  EValue out;
  switch (expr.kind) {
    case ExprKind::kNumberLiteral:
      out.matrix = EvalNumber(expr.As<NumberLiteral>().value);
      return out;
    case ExprKind::kStringLiteral:
      out.is_string = true;
      out.str = expr.As<StringLiteral>().value;
      return out;
    case ExprKind::kParen:
      return Eval(*expr.As<ParenExpr>().expr);
    case ExprKind::kUnary: {
      const auto& e = expr.As<UnaryExpr>();
      out = Eval(*e.expr);
      if (e.negate) {
        for (ESeries& s : out.matrix) {
          s.drop_name = true;
          for (FPoint& p : s.floats) p.f = -p.f;
        }
      }
      return out;
    }
    case ExprKind::kVectorSelector:
      out.matrix = EvalVectorSelector(expr.As<VectorSelector>(), /*sample_timestamps=*/false);
      return out;
    case ExprKind::kMatrixSelector:
      out.matrix = EvalMatrixSelectorInstant(expr.As<MatrixSelector>());
      return out;
    case ExprKind::kSubquery:
      out.matrix = EvalSubquery(expr.As<SubqueryExpr>());
      return out;
    case ExprKind::kBinary:
      out.matrix = EvalBinary(expr.As<BinaryExpr>());
      return out;
    case ExprKind::kAggregate:
      out.matrix = EvalAggregate(expr.As<AggregateExpr>());
      return out;
    case ExprKind::kCall:
      out.matrix = EvalCall(expr.As<Call>());
      return out;
  }
  throw EvalError(absl::StatusCode::kInternal, "unhandled expression");
}

namespace {

std::unique_ptr<storage::SeriesSet> SelectSeries(storage::Engine* storage,
                                                 const std::vector<storage::LabelMatcher>& m,
                                                 int64_t mint, int64_t maxt) {
  auto set = storage->Select(m, std::max<int64_t>(mint, 0), maxt);
  if (!set.ok()) {
    throw EvalError(absl::StatusCode::kInternal,
                    absl::StrCat("expanding series: ", set.status().message()));
  }
  return std::move(*set);
}

}  // namespace

void ReadSamples(const storage::SeriesSet& set, size_t index, bool drop_stale,
                 std::vector<FPoint>* out) {
  out->clear();
  auto it = set.Samples(index);
  constexpr size_t kBatch = 1024;
  int64_t ts[kBatch];
  double vs[kBatch];
  bool any_stale = false;
  while (size_t n = it->NextBatch(ts, vs, kBatch)) {
    const size_t base = out->size();
    out->resize(base + n);
    FPoint* dst = out->data() + base;
    for (size_t i = 0; i < n; ++i) {
      dst[i] = {ts[i], vs[i]};
      any_stale |= IsStaleNaN(vs[i]);
    }
  }
  if (!it->status().ok()) {
    throw EvalError(absl::StatusCode::kInternal, std::string(it->status().message()));
  }
  if (drop_stale && any_stale) {
    std::erase_if(*out, [](const FPoint& p) { return IsStaleNaN(p.f); });
  }
}

void SampleColumns::Assign(const std::vector<FPoint>& points) {
  size = points.size();
  known_even = 0;
  if (t.size() < size) {
    t.resize(size);
    f.resize(size);
  }
  for (size_t i = 0; i < size; ++i) {
    t[i] = points[i].t;
    f[i] = points[i].f;
  }
}

void ReadColumns(const storage::SeriesSet& set, size_t index, SampleColumns* out) {
  constexpr size_t kBatch = 1024;
  auto it = set.Samples(index);
  size_t n = 0;
  while (true) {
    if (out->t.size() < n + kBatch) {
      // Grow geometrically; the columns are reused, so this stops after the first series.
      const size_t grown = std::max(n + kBatch, 2 * out->t.size());
      out->t.resize(grown);
      out->f.resize(grown);
    }
    const size_t got = it->NextBatch(out->t.data() + n, out->f.data() + n, kBatch);
    if (got == 0) break;
    n += got;
  }
  out->size = n;
  out->known_even = std::min(n, it->KnownEvenPrefix());
  if (!it->status().ok()) {
    throw EvalError(absl::StatusCode::kInternal, std::string(it->status().message()));
  }
}

EMatrix Evaluator::EvalVectorSelector(const VectorSelector& vs, bool sample_timestamps) {
  const std::optional<int64_t> at = AtTime(vs.at, vs.at_ms);
  const int64_t lookback = ctx_->options.lookback_delta_ms;
  const int64_t first_ref = (at ? *at : start_) - vs.offset_ms;
  const int64_t last_ref = (at ? *at : end_) - vs.offset_ms;
  EMatrix out;
  if (last_ref < 0) return out;
  auto set = SelectSeries(ctx_->storage, vs.matchers, first_ref - lookback + 1, last_ref);
  const size_t num_series = set->series().size();
  std::vector<std::vector<FPoint>> results(num_series);
  const unsigned threads = WorkerThreads(num_series, NumSteps());
  std::vector<std::vector<FPoint>> buffers(threads);
  const double deadline = ctx_->deadline;
  SampleBudget budget(SamplesLeft());
  const int64_t start = start_, end = end_, interval = interval_, offset = vs.offset_ms;
  // Blocks of two series: the last block is the one a thread may finish alone.
  ParallelBlocks(num_series, 2, threads, [&](unsigned worker, size_t begin, size_t stop) {
    if (MonotonicSeconds() > deadline) {
      throw EvalError(absl::StatusCode::kDeadlineExceeded,
                      "query timed out in expression evaluation");
    }
    std::vector<FPoint>& samples = buffers[worker];
    for (size_t i = begin; i < stop; ++i) {
      ReadSamples(*set, i, /*drop_stale=*/false, &samples);
      std::vector<FPoint>& floats = results[i];
      size_t j = 0;  // first sample after the reference time
      for (int64_t ts = start; ts <= end; ts += interval) {
        const int64_t ref = (at ? *at : ts) - offset;
        while (j < samples.size() && samples[j].t <= ref) ++j;
        if (j == 0) continue;
        const FPoint& p = samples[j - 1];
        if (p.t <= ref - lookback || IsStaleNaN(p.f)) continue;
        floats.push_back({ts, sample_timestamps ? static_cast<double>(p.t) / 1000.0 : p.f});
      }
      budget.Take(static_cast<int64_t>(floats.size()));
    }
  });
  int64_t n = 0;
  for (size_t i = 0; i < num_series; ++i) {
    if (results[i].empty()) continue;
    ESeries s;
    s.floats = std::move(results[i]);
    n += static_cast<int64_t>(s.floats.size());
    s.metric = MakeLabels(set->series()[i].labels);
    out.push_back(std::move(s));
  }
  AddSamples(n);
  return out;
}

EMatrix Evaluator::EvalMatrixSelectorInstant(const MatrixSelector& ms) {
  if (start_ != end_) {
    throw EvalError(absl::StatusCode::kInternal, "cannot do range evaluation of matrix selector");
  }
  const auto& vs = ms.vector_selector->As<VectorSelector>();
  const std::optional<int64_t> at = AtTime(vs.at, vs.at_ms);
  const int64_t ref = (at ? *at : start_) - vs.offset_ms;
  EMatrix out;
  if (ref < 0) return out;
  auto set = SelectSeries(ctx_->storage, vs.matchers, ref - ms.range_ms + 1, ref);
  std::vector<FPoint> samples;
  for (size_t i = 0; i < set->series().size(); ++i) {
    ReadSamples(*set, i, /*drop_stale=*/false, &samples);
    ESeries s;
    for (const FPoint& p : samples) {
      if (p.t > ref - ms.range_ms && p.t <= ref && !IsStaleNaN(p.f)) s.floats.push_back(p);
    }
    if (s.floats.empty()) continue;
    AddSamples(static_cast<int64_t>(s.floats.size()));
    s.metric = MakeLabels(set->series()[i].labels);
    out.push_back(std::move(s));
  }
  return out;
}

EMatrix Evaluator::EvalSubquery(const SubqueryExpr& sq) {
  const std::optional<int64_t> at = AtTime(sq.at, sq.at_ms);
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->options.default_subquery_step_ms;
  const int64_t eff_start = (at ? *at : start_) - sq.offset_ms;
  const int64_t eff_end = (at ? *at : end_) - sq.offset_ms;
  int64_t inner_start = step * ((eff_start - sq.range_ms) / step);
  if (inner_start <= eff_start - sq.range_ms) inner_start += step;
  if (inner_start > eff_end) return {};
  Evaluator inner(ctx_, inner_start, eff_end, step);
  EValue v = inner.Eval(*sq.expr);
  return std::move(v.matrix);
}

EMatrix Evaluator::RangeEval(const std::vector<const Expr*>& args, const StepFn& fn) {
  std::vector<EMatrix> inputs;
  inputs.reserve(args.size());
  for (const Expr* a : args) {
    if (a == nullptr || a->type() == ValueType::kString) {
      inputs.emplace_back();
    } else {
      inputs.push_back(std::move(Eval(*a).matrix));
    }
  }
  return RangeEvalMatrices(std::move(inputs), fn);
}

EMatrix Evaluator::RangeEvalMatrices(std::vector<EMatrix> inputs, const StepFn& fn) {
  std::vector<std::vector<size_t>> cursor(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) cursor[i].assign(inputs[i].size(), 0);
  std::vector<EVector> vectors(inputs.size());
  EMatrix out;
  absl::flat_hash_map<const storage::Labels*, size_t> by_pointer;
  absl::flat_hash_map<std::string, size_t> by_content;
  std::vector<int64_t> last_ts;
  const int steps = NumSteps();
  int step = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
    if ((step & 63) == 0) CheckDeadline();
    for (size_t i = 0; i < inputs.size(); ++i) {
      EVector& vec = vectors[i];
      vec.clear();
      for (size_t si = 0; si < inputs[i].size(); ++si) {
        const ESeries& s = inputs[i][si];
        size_t& c = cursor[i][si];
        if (c < s.floats.size() && s.floats[c].t == ts) {
          vec.push_back({s.metric, ts, s.floats[c].f, s.drop_name});
          ++c;
        }
      }
    }
    EVector result = fn(ts, vectors);
    if (start_ == end_) {
      out.reserve(result.size());
      for (ESample& r : result) {
        ESeries s;
        s.metric = std::move(r.metric);
        s.floats.push_back({ts, r.f});
        s.drop_name = r.drop_name;
        out.push_back(std::move(s));
      }
      AddSamples(static_cast<int64_t>(out.size()));
      return out;
    }
    for (ESample& r : result) {
      size_t index;
      auto pit = by_pointer.find(r.metric.get());
      if (pit != by_pointer.end()) {
        index = pit->second;
      } else {
        auto [cit, inserted] = by_content.try_emplace(r.metric->Encode(), out.size());
        index = cit->second;
        if (inserted) {
          ESeries s;
          s.metric = r.metric;
          s.drop_name = r.drop_name;
          s.floats.reserve(std::min(steps, 64));
          out.push_back(std::move(s));
          last_ts.push_back(INT64_MIN);
          // Only pointers the output keeps alive may be remembered: a label set built for
          // one step can be freed and its address reused by another.
          by_pointer.emplace(r.metric.get(), index);
        }
      }
      if (last_ts[index] == ts) {
        ThrowExecution("vector cannot contain metrics with the same labelset");
      }
      last_ts[index] = ts;
      out[index].floats.push_back({ts, r.f});
      if (r.drop_name) out[index].drop_name = true;
    }
    AddSamples(static_cast<int64_t>(result.size()));
  }
  return out;
}

}  // namespace internal

namespace {

using internal::EMatrix;
using internal::EvalError;
using internal::Evaluator;
using internal::QueryContext;

QueryContext NewContext(storage::Engine* storage, const QueryOptions& options, int64_t start,
                        int64_t end) {
  QueryContext ctx;
  ctx.storage = storage;
  ctx.options = options;
  ctx.deadline = MonotonicSeconds() + static_cast<double>(options.timeout_ms) / 1000.0;
  ctx.query_start = start;
  ctx.query_end = end;
  return ctx;
}

absl::Status ToStatus(const EvalError& e) { return absl::Status(e.code(), e.what()); }

Series ToSeries(internal::ESeries&& s) {
  Series out;
  out.metric = *s.metric;
  out.floats = std::move(s.floats);
  return out;
}

void SortMatrix(Matrix* m) {
  std::sort(m->begin(), m->end(), [](const Series& a, const Series& b) {
    return internal::CompareLabels(a.metric, b.metric) < 0;
  });
}

}  // namespace

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

absl::StatusOr<QueryResult> PromqlEngine::InstantExpr(const Expr& expr, int64_t time_ms,
                                                      const QueryOptions& options) const {
  QueryContext ctx = NewContext(storage_, options, time_ms, time_ms);
  QueryTurn turn(gate_.get(), ctx.deadline);
  if (!turn.status().ok()) return turn.status();
  QueryResult result;
  try {
    internal::MarkStepInvariant(expr, &ctx);
    Evaluator ev(&ctx, time_ms, time_ms, 1);
    internal::EValue v = ev.Eval(expr);
    if (v.is_string) {
      result.value = String{time_ms, std::move(v.str)};
    } else {
      internal::CleanupNames(&v.matrix);
      switch (expr.type()) {
        case ValueType::kScalar: {
          double f = v.matrix.empty() || v.matrix[0].floats.empty() ? NAN : v.matrix[0].floats[0].f;
          result.value = Scalar{time_ms, f};
          break;
        }
        case ValueType::kMatrix: {
          Matrix m;
          m.reserve(v.matrix.size());
          for (auto& s : v.matrix) m.push_back(ToSeries(std::move(s)));
          result.value = std::move(m);
          break;
        }
        default: {
          Vector vec;
          vec.reserve(v.matrix.size());
          for (auto& s : v.matrix) {
            if (s.floats.empty()) continue;
            vec.push_back(Sample{*s.metric, time_ms, s.floats[0].f});
          }
          result.value = std::move(vec);
          break;
        }
      }
    }
  } catch (const EvalError& e) {
    return ToStatus(e);
  }
  result.warnings = std::move(ctx.warnings);
  return result;
}

absl::StatusOr<QueryResult> PromqlEngine::RangeExpr(const Expr& expr, int64_t start_ms,
                                                    int64_t end_ms, int64_t step_ms,
                                                    const QueryOptions& options) const {
  if (expr.type() != ValueType::kVector && expr.type() != ValueType::kScalar) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid expression type \"", std::string(ValueTypeName(expr.type())),
                     "\" for range query, must be Scalar or instant Vector"));
  }
  if (step_ms <= 0) return absl::InvalidArgumentError("step must be positive");
  if (end_ms < start_ms) return absl::InvalidArgumentError("end must not be before start");
  QueryContext ctx = NewContext(storage_, options, start_ms, end_ms);
  QueryTurn turn(gate_.get(), ctx.deadline);
  if (!turn.status().ok()) return turn.status();
  QueryResult result;
  try {
    internal::MarkStepInvariant(expr, &ctx);
    Evaluator ev(&ctx, start_ms, end_ms, step_ms);
    internal::EValue v = ev.Eval(expr);
    internal::CleanupNames(&v.matrix);
    Matrix m;
    m.reserve(v.matrix.size());
    for (auto& s : v.matrix) {
      if (!s.floats.empty()) m.push_back(ToSeries(std::move(s)));
    }
    SortMatrix(&m);
    result.value = std::move(m);
  } catch (const EvalError& e) {
    return ToStatus(e);
  }
  result.warnings = std::move(ctx.warnings);
  return result;
}

}  // namespace plumbline::query
