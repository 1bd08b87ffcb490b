// The PromQL syntax tree, as Prometheus 3 defines it (promql/parser/ast.go), produced by
// ParseExpr (parser.h) and read by the evaluator (promql.h).
//
// Nodes are plain structs owned through ExprPtr; `kind` says which struct a node is, and
// As<T>() casts to it. The parser has type-checked the tree: every node's type() is what
// its parent expects. ToString() prints canonical PromQL, as Prometheus' String() does
// (`sum by (job) (rate(x{a="b"}[5m] offset 1m))`), so a parsed query prints back to a query
// that parses to the same tree. Immutable after parsing; thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/matcher.h"

namespace plumbline::query {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
// As Prometheus' error messages name them: "scalar", "instant vector", "range vector", "string".
std::string_view ValueTypeName(ValueType type);

// Byte offsets [start, end) of a node in the query text.
struct PosRange {
  int32_t start = 0;
  int32_t end = 0;
};

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};
// "+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless".
std::string_view BinaryOpName(BinaryOp op);
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);  // and, or, unless

enum class AggregateOp {
  kSum,
  kAvg,
  kMin,
  kMax,
  kCount,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
};
std::string_view AggregateOpName(AggregateOp op);  // "sum", "count_values", ...

enum class ExprKind {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

struct Expr {
  explicit Expr(ExprKind k) : kind(k) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  // The type this node evaluates to.
  ValueType type() const;
  // Canonical PromQL for this subtree.
  std::string ToString() const;

  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }
  template <typename T>
  T& As() {
    return static_cast<T&>(*this);
  }

  const ExprKind kind;
  PosRange pos;
};
using ExprPtr = std::unique_ptr<Expr>;

// 1, 1.5e3, 0x1f, Inf, NaN, and durations used as numbers (`5m` is 300 where a number is
// expected, as Prometheus 3 allows).
struct NumberLiteral : Expr {
  NumberLiteral() : Expr(ExprKind::kNumberLiteral) {}
  double value = 0;
  // Written as a duration (`5m`, value 300): printed back as one, as Prometheus does.
  bool duration = false;
};

struct StringLiteral : Expr {
  StringLiteral() : Expr(ExprKind::kStringLiteral) {}
  std::string value;  // unescaped
};

// The `@` modifier of a selector or subquery.
enum class AtKind { kNone, kTimestamp, kStart, kEnd };

struct VectorSelector : Expr {
  VectorSelector() : Expr(ExprKind::kVectorSelector) {}
  // The metric name when written before the braces (`foo{a="b"}`), else "".
  std::string name;
  // Every matcher, including __name__="foo" for a leading name (first, as Prometheus puts it).
  std::vector<storage::LabelMatcher> matchers;
  // `offset 5m` is 300000; `offset -5m` is -300000.
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;  // when at == kTimestamp
};

// `selector[5m]`; `vector_selector` is a VectorSelector (offset and @ live there).
struct MatrixSelector : Expr {
  MatrixSelector() : Expr(ExprKind::kMatrixSelector) {}
  ExprPtr vector_selector;
  int64_t range_ms = 0;
};

// `expr[range:step] offset .. @ ..`; step_ms 0 means the default (the global evaluation
// interval, 1m unless configured).
struct SubqueryExpr : Expr {
  SubqueryExpr() : Expr(ExprKind::kSubquery) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;
};

struct ParenExpr : Expr {
  ParenExpr() : Expr(ExprKind::kParen) {}
  ExprPtr expr;
};

// `-expr` (negate) or `+expr`.
struct UnaryExpr : Expr {
  UnaryExpr() : Expr(ExprKind::kUnary) {}
  bool negate = true;
  ExprPtr expr;
};

struct VectorMatching {
  enum class Card { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Card card = Card::kOneToOne;
  // The labels of on(...) when `on`, else of ignoring(...).
  std::vector<std::string> matching_labels;
  bool on = false;
  // The labels of group_left(...) / group_right(...).
  std::vector<std::string> include;
};

struct BinaryExpr : Expr {
  BinaryExpr() : Expr(ExprKind::kBinary) {}
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;  // `bool` modifier of a comparison
  // Set when both sides are instant vectors (card kManyToMany for and/or/unless), and
  // whenever on/ignoring/group_x was written.
  std::optional<VectorMatching> matching;
};

struct AggregateExpr : Expr {
  AggregateExpr() : Expr(ExprKind::kAggregate) {}
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile: a scalar; count_values: a string; else null
  std::vector<std::string> grouping;
  bool without = false;
};

// A function's signature, as Prometheus' parser.Functions table has it.
struct FunctionInfo {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types; n > 0: up to n of the trailing args may be left out
  // (round(v) or round(v, 1)); -1: the last arg type repeats without bound (label_join).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};
// The function of that name, or null. Only the functions this engine evaluates are listed.
const FunctionInfo* LookupFunction(std::string_view name);
// Whether `name` is one of Prometheus' experimental functions (sort_by_label, info, ...), which
// this engine does not enable: the parser says `function "info" is not enabled` for them.
bool IsExperimentalFunction(std::string_view name);

struct Call : Expr {
  Call() : Expr(ExprKind::kCall) {}
  const FunctionInfo* func = nullptr;
  std::vector<ExprPtr> args;
};

}  // namespace plumbline::query
