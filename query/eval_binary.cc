// Binary operators: arithmetic, comparisons (filtering or `bool`), and/or/unless, with
// Prometheus' vector matching (on/ignoring, group_left/group_right) and its errors.
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "query/internal/evaluator.h"

namespace plumbline::query::internal {
namespace {

using storage::Labels;

bool ChangesMetricSchema(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kPow:
    case BinaryOp::kMod:
    case BinaryOp::kAtan2:
      return true;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop for floats: the value and whether the element is kept.
std::pair<double, bool> ElemBinop(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return {l + r, true};
    case BinaryOp::kSub:
      return {l - r, true};
    case BinaryOp::kMul:
      return {l * r, true};
    case BinaryOp::kDiv:
      return {l / r, true};
    case BinaryOp::kPow:
      return {std::pow(l, r), true};
    case BinaryOp::kMod:
      return {std::fmod(l, r), true};
    case BinaryOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinaryOp::kEql:
      return {l, l == r};
    case BinaryOp::kNeq:
      return {l, l != r};
    case BinaryOp::kGtr:
      return {l, l > r};
    case BinaryOp::kLss:
      return {l, l < r};
    case BinaryOp::kGte:
      return {l, l >= r};
    case BinaryOp::kLte:
      return {l, l <= r};
    default:
      break;
  }
  throw EvalError(absl::StatusCode::kInternal, "operator not allowed between vectors");
}

double ScalarBinop(BinaryOp op, double l, double r) {
  if (IsComparisonOp(op)) return ElemBinop(op, l, r).second ? 1 : 0;
  return ElemBinop(op, l, r).first;
}

// The labels a match group is shown with in errors (Prometheus' MatchLabels).
Labels MatchLabels(const Labels& l, const VectorMatching& m) {
  if (m.on) return KeepLabels(l, m.matching_labels, true);
  std::vector<std::string> drop = m.matching_labels;
  drop.emplace_back(storage::kMetricNameLabel);
  return KeepLabels(l, drop, false);
}

// Caches each input series' join signature across steps. Node-based: callers keep
// string_views of the signatures while the cache grows.
class SignatureCache {
 public:
  explicit SignatureCache(const VectorMatching& m) : m_(m) {}
  const std::string& Get(const LabelsPtr& labels) {
    auto it = cache_.find(labels.get());
    if (it != cache_.end()) return it->second;
    return cache_.emplace(labels.get(), MatchSignature(*labels, m_.matching_labels, m_.on))
        .first->second;
  }

 private:
  const VectorMatching& m_;
  absl::node_hash_map<const Labels*, std::string> cache_;
};

}  // namespace

EMatrix Evaluator::EvalBinary(const BinaryExpr& e) {
  const ValueType lt = e.lhs->type();
  const ValueType rt = e.rhs->type();
  const BinaryOp op = e.op;
  const bool return_bool = e.return_bool;

  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    return RangeEval({e.lhs.get(), e.rhs.get()}, [op](int64_t ts, std::vector<EVector>& v) {
      EVector out;
      if (v[0].empty() || v[1].empty()) return out;
      out.push_back({EmptyLabels(), ts, ScalarBinop(op, v[0][0].f, v[1][0].f), false});
      return out;
    });
  }

  if (lt == ValueType::kVector && rt == ValueType::kVector) {
    VectorMatching matching;
    if (e.matching) matching = *e.matching;
    if (IsSetOp(op)) matching.card = VectorMatching::Card::kManyToMany;
    auto sigs = std::make_shared<SignatureCache>(matching);

    if (op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless) {
      return RangeEval({e.lhs.get(), e.rhs.get()}, [op, sigs](int64_t, std::vector<EVector>& v) {
        EVector& lhs = v[0];
        EVector& rhs = v[1];
        EVector out;
        if (op == BinaryOp::kAnd) {
          if (lhs.empty() || rhs.empty()) return out;
          absl::flat_hash_set<std::string_view> right;
          for (const ESample& r : rhs) right.insert(sigs->Get(r.metric));
          for (ESample& l : lhs) {
            if (right.contains(sigs->Get(l.metric))) out.push_back(l);
          }
        } else if (op == BinaryOp::kOr) {
          absl::flat_hash_set<std::string_view> left;
          for (ESample& l : lhs) {
            left.insert(sigs->Get(l.metric));
            out.push_back(l);
          }
          for (ESample& r : rhs) {
            if (!left.contains(sigs->Get(r.metric))) out.push_back(r);
          }
        } else {
          if (lhs.empty() || rhs.empty()) return lhs;
          absl::flat_hash_set<std::string_view> right;
          for (const ESample& r : rhs) right.insert(sigs->Get(r.metric));
          for (ESample& l : lhs) {
            if (!right.contains(sigs->Get(l.metric))) out.push_back(l);
          }
        }
        return out;
      });
    }

    // Result label sets by (lhs, rhs) pair: the same pair gives the same labels at every step.
    using PairKey = std::pair<const Labels*, const Labels*>;
    auto result_metrics = std::make_shared<absl::flat_hash_map<PairKey, LabelsPtr>>();
    return RangeEval({e.lhs.get(), e.rhs.get()}, [op, return_bool, matching, sigs, result_metrics](
                                                     int64_t ts, std::vector<EVector>& v) {
      EVector out;
      EVector* lhs = &v[0];
      EVector* rhs = &v[1];
      if (lhs->empty() || rhs->empty()) return out;
      const bool one_to_many = matching.card == VectorMatching::Card::kOneToMany;
      if (one_to_many) std::swap(lhs, rhs);

      absl::flat_hash_map<std::string_view, const ESample*> right;
      for (const ESample& rs : *rhs) {
        auto [it, inserted] = right.try_emplace(sigs->Get(rs.metric), &rs);
        if (!inserted) {
          ThrowExecution(absl::StrCat(
              "found duplicate series for the match group ",
              MatchLabels(*rs.metric, matching).ToString(), " on the ",
              one_to_many ? "left" : "right", " hand-side of the operation: [",
              rs.metric->ToString(), ", ", it->second->metric->ToString(),
              "];many-to-many matching not allowed: matching labels must be unique on one side"));
        }
      }
      // For one-to-one: signatures matched; for many-to-one: result label sets per signature.
      absl::flat_hash_map<std::string_view, absl::flat_hash_set<std::string>> matched;
      for (const ESample& ls : *lhs) {
        const std::string& sig = sigs->Get(ls.metric);
        auto rit = right.find(sig);
        if (rit == right.end()) continue;
        const ESample& rs = *rit->second;
        double fl = ls.f;
        double fr = rs.f;
        if (one_to_many) std::swap(fl, fr);
        auto [value, keep] = ElemBinop(op, fl, fr);
        if (return_bool) value = keep ? 1.0 : 0.0;

        LabelsPtr& metric = (*result_metrics)[PairKey{ls.metric.get(), rs.metric.get()}];
        if (!metric) {
          Labels m = *ls.metric;
          if (ChangesMetricSchema(op)) m = DropMetricName(m);
          if (matching.card == VectorMatching::Card::kOneToOne) {
            m = KeepLabels(m, matching.matching_labels, matching.on);
          }
          for (const std::string& name : matching.include) {
            m = WithLabel(m, name, rs.metric->Get(name));
          }
          metric = MakeLabels(std::move(m));
        }
        auto [mit, first] = matched.try_emplace(sig);
        if (matching.card == VectorMatching::Card::kOneToOne) {
          if (!first) {
            ThrowExecution(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)");
          }
        } else if (!mit->second.insert(metric->Encode()).second) {
          ThrowExecution("multiple matches for labels: grouping labels must ensure unique matches");
        }
        if (!keep && !return_bool) continue;
        out.push_back({metric, ts, value, return_bool});
      }
      return out;
    });
  }

  // Vector and scalar, either side.
  const bool swap = lt == ValueType::kScalar;
  const Expr* vec_expr = swap ? e.rhs.get() : e.lhs.get();
  const Expr* scalar_expr = swap ? e.lhs.get() : e.rhs.get();
  return RangeEval({vec_expr, scalar_expr},
                   [op, swap, return_bool](int64_t, std::vector<EVector>& v) {
                     EVector out;
                     if (v[1].empty()) return out;
                     const double scalar = v[1][0].f;
                     for (ESample& s : v[0]) {
                       double lf = s.f;
                       double rf = scalar;
                       if (swap) std::swap(lf, rf);
                       auto [value, keep] = ElemBinop(op, lf, rf);
                       // A comparison keeps the vector's value even when the vector is on the
                       // right.
                       if (IsComparisonOp(op) && swap) value = rf;
                       if (return_bool) {
                         value = keep ? 1.0 : 0.0;
                         keep = true;
                       }
                       if (!keep) continue;
                       ESample r = s;
                       r.f = value;
                       if (ChangesMetricSchema(op) || return_bool) r.drop_name = true;
                       out.push_back(std::move(r));
                     }
                     return out;
                   });
}

}  // namespace plumbline::query::internal
