#include "tests/query/promqltest/selector_reads.h"

#include <utility>
#include <vector>

namespace plumbline::promqltest {
namespace {

struct Span {
  int64_t from = 0;
  int64_t to = 0;
};

class Collector {
 public:
  Collector(Span bounds, const ReadOptions& options) : bounds_(bounds), options_(options) {}

  // `anchors`: the times the node is evaluated at.
  void Visit(const query::Expr& e, Span anchors) {
    switch (e.kind) {
      case query::ExprKind::kVectorSelector:
        AddRead(e.As<query::VectorSelector>(), anchors, options_.lookback_ms);
        break;
      case query::ExprKind::kMatrixSelector: {
        const auto& ms = e.As<query::MatrixSelector>();
        if (ms.vector_selector && ms.vector_selector->kind == query::ExprKind::kVectorSelector) {
          AddRead(ms.vector_selector->As<query::VectorSelector>(), anchors, ms.range_ms);
        }
        break;
      }
      case query::ExprKind::kSubquery: {
        const auto& sq = e.As<query::SubqueryExpr>();
        const Span base = At(sq.at, sq.at_ms, anchors);
        const int64_t step = sq.step_ms > 0 ? sq.step_ms : options_.default_subquery_step_ms;
        // Steps are aligned within (t - offset - range, t - offset].
        const Span inner{base.from - sq.offset_ms - sq.range_ms - step, base.to - sq.offset_ms};
        if (sq.expr) Visit(*sq.expr, inner);
        break;
      }
      case query::ExprKind::kParen:
        Child(e.As<query::ParenExpr>().expr, anchors);
        break;
      case query::ExprKind::kUnary:
        Child(e.As<query::UnaryExpr>().expr, anchors);
        break;
      case query::ExprKind::kBinary:
        Child(e.As<query::BinaryExpr>().lhs, anchors);
        Child(e.As<query::BinaryExpr>().rhs, anchors);
        break;
      case query::ExprKind::kAggregate:
        Child(e.As<query::AggregateExpr>().expr, anchors);
        Child(e.As<query::AggregateExpr>().param, anchors);
        break;
      case query::ExprKind::kCall:
        for (const query::ExprPtr& arg : e.As<query::Call>().args) Child(arg, anchors);
        break;
      default:
        break;
    }
  }

  std::vector<SelectorRead> reads;

 private:
  void Child(const query::ExprPtr& e, Span anchors) {
    if (e) Visit(*e, anchors);
  }

  // `@ ts` fixes the time; `@ start()` / `@ end()` are somewhere in the query's bounds.
  Span At(query::AtKind at, int64_t at_ms, Span anchors) const {
    switch (at) {
      case query::AtKind::kTimestamp:
        return {at_ms, at_ms};
      case query::AtKind::kStart:
      case query::AtKind::kEnd:
        return bounds_;
      default:
        return anchors;
    }
  }

  void AddRead(const query::VectorSelector& vs, Span anchors, int64_t window_ms) {
    const Span base = At(vs.at, vs.at_ms, anchors);
    reads.push_back({&vs, base.from - vs.offset_ms - window_ms, base.to - vs.offset_ms});
  }

  const Span bounds_;
  const ReadOptions options_;
};

}  // namespace

std::vector<SelectorRead> SelectorReads(const query::Expr& expr, const EvalSpan& span,
                                        const ReadOptions& options) {
  Collector collector(Span{span.bounds_from_ms, span.bounds_to_ms}, options);
  collector.Visit(expr, Span{span.from_ms, span.to_ms});
  return std::move(collector.reads);
}

}  // namespace plumbline::promqltest
