// Names, types and the canonical printer of the syntax tree. ToString() follows Prometheus'
// printer.go String() methods: no parentheses are added (ParenExpr nodes carry them), label
// matchers are sorted, numbers are strconv.FormatFloat(v, 'f', -1, 64), durations are
// model.Duration strings, strings and label values are strconv.Quote'd.
#include "query/ast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/duration.h"
#include "common/strings.h"
#include "query/lexer.h"

namespace plumbline::query {
namespace {

bool IsLegacyLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Whether a grouping label can be written bare: Prometheus prints every legacy-valid name
// bare, but `without`, `inf` and `nan` would not read back as labels, so they are quoted.
bool IsBareGroupingLabel(std::string_view s) {
  if (!IsLegacyLabelName(s)) return false;
  std::string lower(s);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower != "without" && lower != "inf" && lower != "nan";
}

void AppendLabels(std::string* out, const std::vector<std::string>& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->append(", ");
    if (IsBareGroupingLabel(labels[i])) {
      out->append(labels[i]);
    } else {
      out->append(GoQuote(labels[i]));
    }
  }
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

// model.Duration(seconds * 1e9).String(), for a duration-literal NumberLiteral. Rounded to
// the millisecond (Go truncates nanoseconds), so that large durations print back stably.
std::string FormatDurationSeconds(double seconds) {
  const double ms = std::round(seconds * 1000);
  if (!(std::fabs(ms) < 9223372036854775808.0)) return FormatNumber(seconds);
  return FormatDurationMs(static_cast<int64_t>(ms));
}

std::string FormatOffset(int64_t offset_ms) {
  if (offset_ms > 0) return StrCat(" offset ", FormatDurationMs(offset_ms));
  if (offset_ms < 0) return StrCat(" offset -", FormatDurationMs(-offset_ms));
  return "";
}

std::string FormatAt(AtKind at, int64_t at_ms) {
  switch (at) {
    case AtKind::kNone:
      return "";
    case AtKind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof buf, " @ %.3f", static_cast<double>(at_ms) / 1000.0);
      return buf;
    }
    case AtKind::kStart:
      return " @ start()";
    case AtKind::kEnd:
      return " @ end()";
  }
  return "";
}

std::string_view MatchOp(storage::LabelMatcher::Type t) {
  switch (t) {
    case storage::LabelMatcher::Type::kEqual:
      return "=";
    case storage::LabelMatcher::Type::kNotEqual:
      return "!=";
    case storage::LabelMatcher::Type::kRegexMatch:
      return "=~";
    case storage::LabelMatcher::Type::kRegexNoMatch:
      return "!~";
  }
  return "=";
}

// labels.Matcher.String(): the name quoted when it is not a plain identifier.
std::string MatcherString(const storage::LabelMatcher& m) {
  std::string out = IsLegacyLabelName(m.name()) ? m.name() : GoQuote(m.name());
  StrAppend(&out, MatchOp(m.type()), GoQuote(m.value()));
  return out;
}

// The selector without its @ and offset.
std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const auto& m : vs.matchers) {
    if (m.name() == "__name__" && m.type() == storage::LabelMatcher::Type::kEqual &&
        m.value() == vs.name && !m.value().empty()) {
      continue;
    }
    parts.push_back(MatcherString(m));
  }
  std::string out = vs.name;
  if (!parts.empty()) {
    std::sort(parts.begin(), parts.end());
    out.push_back('{');
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(parts[i]);
    }
    out.push_back('}');
  }
  return out;
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "";
}

bool IsComparisonOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte:
      return true;
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
    case BinaryOp::kPow:
    case BinaryOp::kAtan2:
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
    case BinaryOp::kUnless:
      return false;
  }
  return false;
}

bool IsSetOp(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

std::string_view AggregateOpName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kQuantile:
      return "quantile";
    case AggregateOp::kCountValues:
      return "count_values";
  }
  return "";
}

ValueType Expr::type() const {
  switch (kind) {
    case ExprKind::kNumberLiteral:
      return ValueType::kScalar;
    case ExprKind::kStringLiteral:
      return ValueType::kString;
    case ExprKind::kVectorSelector:
      return ValueType::kVector;
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:
      return ValueType::kMatrix;
    case ExprKind::kParen:
      return As<ParenExpr>().expr->type();
    case ExprKind::kUnary:
      return As<UnaryExpr>().expr->type();
    case ExprKind::kBinary: {
      const auto& b = As<BinaryExpr>();
      return b.lhs->type() == ValueType::kScalar && b.rhs->type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    }
    case ExprKind::kAggregate:
      return ValueType::kVector;
    case ExprKind::kCall: {
      const auto& c = As<Call>();
      return c.func != nullptr ? c.func->return_type : ValueType::kNone;
    }
  }
  return ValueType::kNone;
}

std::string Expr::ToString() const {
  switch (kind) {
    case ExprKind::kNumberLiteral: {
      const auto& n = As<NumberLiteral>();
      if (!n.duration) return FormatNumber(n.value);
      if (n.value < 0) return StrCat("-", FormatDurationSeconds(-n.value));
      return FormatDurationSeconds(n.value);
    }
    case ExprKind::kStringLiteral:
      return GoQuote(As<StringLiteral>().value);
    case ExprKind::kVectorSelector: {
      const auto& vs = As<VectorSelector>();
      return StrCat(SelectorBody(vs), FormatAt(vs.at, vs.at_ms), FormatOffset(vs.offset_ms));
    }
    case ExprKind::kMatrixSelector: {
      const auto& m = As<MatrixSelector>();
      const auto& vs = m.vector_selector->As<VectorSelector>();
      return StrCat(SelectorBody(vs), "[", FormatDurationMs(m.range_ms), "]",
                    FormatAt(vs.at, vs.at_ms), FormatOffset(vs.offset_ms));
    }
    case ExprKind::kSubquery: {
      const auto& sq = As<SubqueryExpr>();
      return StrCat(sq.expr->ToString(), "[", FormatDurationMs(sq.range_ms), ":",
                    sq.step_ms != 0 ? FormatDurationMs(sq.step_ms) : std::string(), "]",
                    FormatAt(sq.at, sq.at_ms), FormatOffset(sq.offset_ms));
    }
    case ExprKind::kParen:
      return StrCat("(", As<ParenExpr>().expr->ToString(), ")");
    case ExprKind::kUnary: {
      const auto& u = As<UnaryExpr>();
      return StrCat(u.negate ? "-" : "+", u.expr->ToString());
    }
    case ExprKind::kBinary: {
      const auto& b = As<BinaryExpr>();
      std::string out = b.lhs->ToString();
      // `+Inf ^ 2` would read back as +(Inf ^ 2); Prometheus prints it so, we print `Inf ^ 2`.
      if (b.op == BinaryOp::kPow && out.starts_with('+')) out.erase(0, 1);
      StrAppend(&out, " ", BinaryOpName(b.op));
      if (b.return_bool) out.append(" bool");
      // Prometheus drops the matching of scalar operands while type checking.
      if (b.matching.has_value() && b.lhs->type() == ValueType::kVector &&
          b.rhs->type() == ValueType::kVector) {
        const VectorMatching& vm = *b.matching;
        const bool grouped = vm.card == VectorMatching::Card::kManyToOne ||
                             vm.card == VectorMatching::Card::kOneToMany;
        if (!vm.matching_labels.empty() || vm.on || grouped) {
          out.append(vm.on ? " on (" : " ignoring (");
          AppendLabels(&out, vm.matching_labels);
          out.push_back(')');
        }
        if (grouped) {
          out.append(vm.card == VectorMatching::Card::kManyToOne ? " group_left ("
                                                                 : " group_right (");
          AppendLabels(&out, vm.include);
          out.push_back(')');
        }
      }
      StrAppend(&out, " ", b.rhs->ToString());
      return out;
    }
    case ExprKind::kAggregate: {
      const auto& a = As<AggregateExpr>();
      std::string out(AggregateOpName(a.op));
      if (a.without) {
        out.append(" without (");
        AppendLabels(&out, a.grouping);
        out.append(") ");
      } else if (!a.grouping.empty()) {
        out.append(" by (");
        AppendLabels(&out, a.grouping);
        out.append(") ");
      }
      out.push_back('(');
      if (a.param != nullptr) StrAppend(&out, a.param->ToString(), ", ");
      StrAppend(&out, a.expr->ToString(), ")");
      return out;
    }
    case ExprKind::kCall: {
      const auto& c = As<Call>();
      std::string out = StrCat(c.func != nullptr ? c.func->name : std::string_view(), "(");
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) out.append(", ");
        out.append(c.args[i]->ToString());
      }
      out.push_back(')');
      return out;
    }
  }
  return "";
}

}  // namespace plumbline::query
