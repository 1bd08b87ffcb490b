// A recursive-descent, precedence-climbing PromQL parser that reproduces Prometheus' goyacc
// parser (promql/parser/generated_parser.y, parse.go): the same trees, the same type checks
// (checkAST), and the same first error message at the same position.
//
// Prometheus collects errors in the order its parser meets them and reports the first. This
// parser stops at the first error instead, so it only has to meet errors in the same order:
//   * a token the lexer refuses is reported when it is read, and Prometheus reads one token
//     ahead only where the grammar needs it; semantic checks therefore run right after the
//     last token of their construct, before peeking at the next one, except where yacc must
//     look ahead first (binary operators, unary operators, aggregations without a trailing
//     by/without, identifiers);
//   * a syntax error names the innermost enclosing construct that has an error production in
//     the grammar: label matching, grouping options, offset, @, brackets, or else the
//     innermost aggregation ("unexpected X in aggregation"), or nothing.
// Experimental features (duration arithmetic, step()/range(), fill modifiers, anchored and
// smoothed, limitk/limit_ratio, experimental functions) give Prometheus' "not enabled" errors.
#include "query/parser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/strings.h"
#include "query/lexer.h"
#include "re2/re2.h"

namespace plumbline::query {
namespace {

// Nesting deeper than this is a parse error, so that neither the parser nor anything walking
// the tree recursively can run out of stack.
constexpr int kMaxDepth = 1000;

// Go's float64(1<<63)/1e9: the largest magnitude, in seconds, of a time.Duration.
constexpr double kMaxDurationSeconds = 9223372036.854775808;
constexpr double kTwoTo63 = 9223372036854775808.0;

constexpr int kMulPrecedence = 5;

int BinaryPrecedence(TokenType t) {
  switch (t) {
    case TokenType::kLor:
      return 1;
    case TokenType::kLand:
    case TokenType::kLunless:
      return 2;
    case TokenType::kEqlc:
    case TokenType::kNeq:
    case TokenType::kGtr:
    case TokenType::kLss:
    case TokenType::kGte:
    case TokenType::kLte:
      return 3;
    case TokenType::kAdd:
    case TokenType::kSub:
      return 4;
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
    case TokenType::kAtan2:
      return 5;
    case TokenType::kPow:
      return 6;
    default:
      return 0;
  }
}

int DurationPrecedence(TokenType t) {
  switch (t) {
    case TokenType::kAdd:
    case TokenType::kSub:
      return 4;
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
      return 5;
    case TokenType::kPow:
      return 6;
    default:
      return 0;
  }
}

BinaryOp ToBinaryOp(TokenType t) {
  switch (t) {
    case TokenType::kAdd:
      return BinaryOp::kAdd;
    case TokenType::kSub:
      return BinaryOp::kSub;
    case TokenType::kMul:
      return BinaryOp::kMul;
    case TokenType::kDiv:
      return BinaryOp::kDiv;
    case TokenType::kMod:
      return BinaryOp::kMod;
    case TokenType::kPow:
      return BinaryOp::kPow;
    case TokenType::kAtan2:
      return BinaryOp::kAtan2;
    case TokenType::kEqlc:
      return BinaryOp::kEql;
    case TokenType::kNeq:
      return BinaryOp::kNeq;
    case TokenType::kGtr:
      return BinaryOp::kGtr;
    case TokenType::kLss:
      return BinaryOp::kLss;
    case TokenType::kGte:
      return BinaryOp::kGte;
    case TokenType::kLte:
      return BinaryOp::kLte;
    case TokenType::kLand:
      return BinaryOp::kAnd;
    case TokenType::kLor:
      return BinaryOp::kOr;
    default:
      return BinaryOp::kUnless;
  }
}

bool ToAggregateOp(TokenType t, AggregateOp* op) {
  switch (t) {
    case TokenType::kSum:
      *op = AggregateOp::kSum;
      return true;
    case TokenType::kAvg:
      *op = AggregateOp::kAvg;
      return true;
    case TokenType::kMin:
      *op = AggregateOp::kMin;
      return true;
    case TokenType::kMax:
      *op = AggregateOp::kMax;
      return true;
    case TokenType::kCount:
      *op = AggregateOp::kCount;
      return true;
    case TokenType::kGroup:
      *op = AggregateOp::kGroup;
      return true;
    case TokenType::kStddev:
      *op = AggregateOp::kStddev;
      return true;
    case TokenType::kStdvar:
      *op = AggregateOp::kStdvar;
      return true;
    case TokenType::kTopk:
      *op = AggregateOp::kTopk;
      return true;
    case TokenType::kBottomk:
      *op = AggregateOp::kBottomk;
      return true;
    case TokenType::kQuantile:
      *op = AggregateOp::kQuantile;
      return true;
    case TokenType::kCountValues:
      *op = AggregateOp::kCountValues;
      return true;
    default:
      return false;
  }
}

// The grammar's metric_identifier: tokens that name a metric at the start of an expression.
bool IsMetricIdentifier(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kAvg:
    case TokenType::kBottomk:
    case TokenType::kBy:
    case TokenType::kCount:
    case TokenType::kCountValues:
    case TokenType::kGroup:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kMax:
    case TokenType::kMin:
    case TokenType::kOffset:
    case TokenType::kQuantile:
    case TokenType::kStddev:
    case TokenType::kStdvar:
    case TokenType::kSum:
    case TokenType::kTopk:
    case TokenType::kWithout:
    case TokenType::kStart:
    case TokenType::kEnd:
    case TokenType::kLimitk:
    case TokenType::kLimitRatio:
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kAnchored:
    case TokenType::kSmoothed:
      return true;
    default:
      return false;
  }
}

// The grammar's maybe_label: tokens that name a label inside grouping options.
bool IsMaybeLabel(TokenType t) {
  switch (t) {
    case TokenType::kAvg:
    case TokenType::kBool:
    case TokenType::kBottomk:
    case TokenType::kBy:
    case TokenType::kCount:
    case TokenType::kCountValues:
    case TokenType::kGroup:
    case TokenType::kGroupLeft:
    case TokenType::kGroupRight:
    case TokenType::kIdentifier:
    case TokenType::kIgnoring:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kMax:
    case TokenType::kMetricIdentifier:
    case TokenType::kMin:
    case TokenType::kOffset:
    case TokenType::kOn:
    case TokenType::kQuantile:
    case TokenType::kStddev:
    case TokenType::kStdvar:
    case TokenType::kSum:
    case TokenType::kTopk:
    case TokenType::kStart:
    case TokenType::kEnd:
    case TokenType::kAtan2:
    case TokenType::kLimitk:
    case TokenType::kLimitRatio:
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kAnchored:
    case TokenType::kSmoothed:
      return true;
    default:
      return false;
  }
}

// FIRST(expr): the tokens an expression can start with.
bool StartsExpr(TokenType t) {
  switch (t) {
    case TokenType::kNumber:
    case TokenType::kDuration:
    case TokenType::kString:
    case TokenType::kLeftParen:
    case TokenType::kLeftBrace:
    case TokenType::kAdd:
    case TokenType::kSub:
      return true;
    default:
      return IsMetricIdentifier(t) || IsAggregatorToken(t);
  }
}

bool StartsDurationExpr(TokenType t) {
  switch (t) {
    case TokenType::kNumber:
    case TokenType::kDuration:
    case TokenType::kAdd:
    case TokenType::kSub:
    case TokenType::kLeftParen:
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kMin:
    case TokenType::kMax:
      return true;
    default:
      return false;
  }
}

bool IsMatchOp(TokenType t) {
  return t == TokenType::kEql || t == TokenType::kNeq || t == TokenType::kEqlRegex ||
         t == TokenType::kNeqRegex;
}

bool IsComparison(BinaryOp op) { return IsComparisonOp(op); }

std::string_view RawTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

// time.Duration.Seconds().
double GoSeconds(int64_t ns) {
  const int64_t sec = ns / 1000000000;
  const int64_t nsec = ns % 1000000000;
  return static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
}

// Go's %f.
std::string GoFormatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  std::snprintf(buf, sizeof buf, "%f", v);
  return buf;
}

// Go's regexp error text for a pattern Prometheus would compile as "^(?s:<value>)$".
std::string GoRegexpError(const std::string& value) {
  RE2::Options options;
  options.set_log_errors(false);
  const std::string pattern = StrCat("^(?s:", value, ")$");
  const RE2 re(pattern, options);
  std::string_view code = "invalid or unsupported Perl syntax";
  switch (re.error_code()) {
    case RE2::ErrorBadEscape:
      code = "invalid escape sequence";
      break;
    case RE2::ErrorBadCharClass:
      code = "invalid character class";
      break;
    case RE2::ErrorBadCharRange:
      code = "invalid character class range";
      break;
    case RE2::ErrorMissingBracket:
      code = "missing closing ]";
      break;
    case RE2::ErrorMissingParen:
      code = "missing closing )";
      break;
    case RE2::ErrorUnexpectedParen:
      code = "unexpected )";
      break;
    case RE2::ErrorTrailingBackslash:
      code = "trailing backslash at end of expression";
      break;
    case RE2::ErrorRepeatArgument:
      code = "missing argument to repetition operator";
      break;
    case RE2::ErrorRepeatSize:
      code = "invalid repeat count";
      break;
    case RE2::ErrorRepeatOp:
      code = "invalid nested repetition operator";
      break;
    case RE2::ErrorBadUTF8:
      code = "invalid UTF-8";
      break;
    case RE2::ErrorBadNamedCapture:
      code = "invalid named capture";
      break;
    case RE2::ErrorPatternTooLarge:
      code = "expression too large";
      break;
    case RE2::NoError:
    case RE2::ErrorInternal:
    case RE2::ErrorBadPerlOp:
      break;
  }
  return StrCat("error parsing regexp: ", code, ": `", re.error_arg(), "`");
}

struct DurationLiteral {
  double seconds = 0;
  int64_t ns = 0;  // exact, when `duration`
  int32_t start = 0;
  int32_t end = 0;
  bool duration = false;  // written with units
};

// Where a syntax error inside a duration expression is reported.
struct ErrorContext {
  std::string_view context;
  std::string_view expected;
};
constexpr ErrorContext kRangeContext = {"subquery or range selector",
                                        "number, duration, step(), or range()"};
constexpr ErrorContext kStepContext = {"subquery selector",
                                       "number, duration, step(), range(), or \"]\""};
constexpr ErrorContext kOffsetContext = {"offset", "number, duration, step(), or range()"};

struct BinaryModifiers {
  bool return_bool = false;
  VectorMatching matching;
  bool fill = false;
};

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  absl::StatusOr<ExprPtr> ParseQuery() {
    const TokenType first = PeekType();
    if (first == TokenType::kEOF && !failed_) Fail(0, "no expression found in input");
    int depth = 0;
    ExprPtr expr = failed_ ? nullptr : ParseExpr(0, &depth);
    if (expr != nullptr && PeekType() != TokenType::kEOF) Unexpected("", "");
    if (!failed_) Check(expr.get());
    if (failed_) return error_;
    return expr;
  }

  absl::StatusOr<std::vector<storage::LabelMatcher>> ParseSelector() {
    ExprPtr vs;
    const TokenType t = PeekType();
    if (!failed_ && IsMetricIdentifier(t)) {
      vs = ParseNamedSelector(Take());
    } else if (!failed_ && t == TokenType::kLeftBrace) {
      auto sel = std::make_unique<VectorSelector>();
      if (ParseLabelMatchers(sel.get())) vs = std::move(sel);
    } else {
      Unexpected("", "");
    }
    if (vs != nullptr && PeekType() != TokenType::kEOF) Unexpected("", "");
    if (failed_) return error_;
    std::vector<storage::LabelMatcher> matchers = std::move(vs->As<VectorSelector>().matchers);
    const bool non_empty = std::any_of(matchers.begin(), matchers.end(),
                                       [](const auto& m) { return !m.MatchesEmpty(); });
    if (!non_empty) {
      return absl::InvalidArgumentError("match[] must contain at least one non-empty matcher");
    }
    return matchers;
  }

 private:
  // --- Tokens and errors. ---

  const Token& Peek() {
    if (!has_peek_) {
      do {
        peek_ = lexer_.Next();
      } while (peek_.type == TokenType::kComment);
      has_peek_ = true;
      if (peek_.type == TokenType::kError) Fail(peek_.pos, peek_.val);
    }
    return peek_;
  }
  TokenType PeekType() { return Peek().type; }
  Token Take() {
    Peek();
    has_peek_ = false;
    last_end_ = peek_.pos + static_cast<int32_t>(peek_.val.size());
    return std::move(peek_);
  }

  void Fail(int32_t pos, std::string message) {
    if (failed_) return;
    failed_ = true;
    std::string where;
    if (input_.empty()) {
      where = "unknown position";
    } else if (pos < 0 || static_cast<size_t>(pos) > input_.size()) {
      where = "invalid position";
    } else {
      int line = 1;
      int32_t last_break = -1;
      for (int32_t i = 0; i < pos; ++i) {
        if (input_[static_cast<size_t>(i)] == '\n') {
          last_break = i;
          ++line;
        }
      }
      where = StrCat(line, ":", pos - last_break);
    }
    error_ = absl::InvalidArgumentError(StrCat(where, ": parse error: ", message));
  }

  // Prometheus' parser.unexpected(): names the lookahead token.
  void Unexpected(std::string_view context, std::string_view expected) {
    const Token& t = Peek();
    if (failed_) return;
    std::string message = StrCat("unexpected ", DescribeToken(t));
    if (!context.empty()) StrAppend(&message, " in ", context);
    if (!expected.empty()) StrAppend(&message, ", expected ", expected);
    Fail(t.pos, std::move(message));
  }
  // A syntax error with no error production of its own: reported against the innermost
  // aggregation, as yacc's error recovery finds `aggregate_op error` on its stack.
  void UnexpectedHere() { Unexpected(aggregation_depth_ > 0 ? "aggregation" : "", ""); }

  bool Enter() {
    if (++nesting_ > kMaxDepth) {
      const int32_t pos = Peek().pos;
      Fail(pos, StrCat("expression nests too deeply (more than ", kMaxDepth, " levels)"));
      return false;
    }
    return true;
  }
  bool CheckDepth(int depth, int32_t pos) {
    if (depth > kMaxDepth) {
      Fail(pos, StrCat("expression nests too deeply (more than ", kMaxDepth, " levels)"));
      return false;
    }
    return true;
  }

  // --- Expressions. ---

  ExprPtr ParseExpr(int min_precedence, int* depth) {
    struct Leave {
      int* n;
      ~Leave() { --*n; }
    } leave{&nesting_};
    if (!Enter()) return nullptr;
    int lhs_depth = 0;
    ExprPtr lhs = ParseUnary(&lhs_depth);
    while (lhs != nullptr) {
      const TokenType t = PeekType();
      if (failed_) return nullptr;
      const int precedence = BinaryPrecedence(t);
      if (precedence == 0 || precedence < min_precedence) break;
      const Token op = Take();
      BinaryModifiers modifiers;
      if (!ParseBinaryModifiers(&modifiers)) return nullptr;
      int rhs_depth = 0;
      ExprPtr rhs = ParseExpr(t == TokenType::kPow ? precedence : precedence + 1, &rhs_depth);
      if (rhs == nullptr) return nullptr;
      lhs_depth = std::max(lhs_depth, rhs_depth) + 1;
      if (!CheckDepth(lhs_depth, op.pos)) return nullptr;
      lhs = MakeBinary(t, std::move(lhs), std::move(rhs), std::move(modifiers));
    }
    *depth = lhs_depth;
    return lhs;
  }

  ExprPtr MakeBinary(TokenType t, ExprPtr lhs, ExprPtr rhs, BinaryModifiers modifiers) {
    if (modifiers.fill) {
      Fail(lhs->pos.start, "binop fill modifiers are experimental and not enabled");
      return nullptr;
    }
    auto b = std::make_unique<BinaryExpr>();
    b->op = ToBinaryOp(t);
    b->pos = {lhs->pos.start, rhs->pos.end};
    b->lhs = std::move(lhs);
    b->rhs = std::move(rhs);
    b->return_bool = modifiers.return_bool;
    b->matching = std::move(modifiers.matching);
    return b;
  }

  bool ParseBinaryModifiers(BinaryModifiers* m) {
    if (PeekType() == TokenType::kBool) {
      Take();
      m->return_bool = true;
    }
    const TokenType t = PeekType();
    if (t == TokenType::kOn || t == TokenType::kIgnoring) {
      Take();
      m->matching.on = t == TokenType::kOn;
      if (!ParseGroupingLabels(&m->matching.matching_labels)) return false;
      const TokenType g = PeekType();
      if (g == TokenType::kGroupLeft || g == TokenType::kGroupRight) {
        Take();
        m->matching.card = g == TokenType::kGroupLeft ? VectorMatching::Card::kManyToOne
                                                      : VectorMatching::Card::kOneToMany;
        if (PeekType() == TokenType::kLeftParen && !ParseGroupingLabels(&m->matching.include)) {
          return false;
        }
      }
    }
    for (;;) {
      const TokenType f = PeekType();
      if (f != TokenType::kFill && f != TokenType::kFillLeft && f != TokenType::kFillRight) break;
      Take();
      if (PeekType() != TokenType::kLeftParen) {
        UnexpectedHere();
        return false;
      }
      Take();
      const TokenType sign = PeekType();
      if (sign == TokenType::kAdd || sign == TokenType::kSub) Take();
      if (PeekType() != TokenType::kNumber) {
        UnexpectedHere();
        return false;
      }
      Take();
      if (PeekType() != TokenType::kRightParen) {
        UnexpectedHere();
        return false;
      }
      Take();
      m->fill = true;
    }
    return !failed_;
  }

  ExprPtr ParseUnary(int* depth) {
    const TokenType t = PeekType();
    if (failed_) return nullptr;
    if (t == TokenType::kAdd || t == TokenType::kSub) {
      const Token op = Take();
      int operand_depth = 0;
      // The unary rule has MUL's precedence: only ^ (and the postfix modifiers) bind tighter.
      ExprPtr operand = ParseExpr(kMulPrecedence + 1, &operand_depth);
      if (operand == nullptr) return nullptr;
      if (operand->kind == ExprKind::kNumberLiteral) {
        auto& n = operand->As<NumberLiteral>();
        if (t == TokenType::kSub) n.value *= -1;
        n.pos.start = op.pos;
        *depth = operand_depth;
        return operand;
      }
      auto u = std::make_unique<UnaryExpr>();
      u->negate = t == TokenType::kSub;
      u->pos = {op.pos, operand->pos.end};
      u->expr = std::move(operand);
      *depth = operand_depth + 1;
      if (!CheckDepth(*depth, op.pos)) return nullptr;
      return u;
    }
    int primary_depth = 0;
    ExprPtr e = ParsePrimary(&primary_depth);
    if (e == nullptr) return nullptr;
    return ParsePostfix(std::move(e), primary_depth, depth);
  }

  // Range and subquery brackets, offset and @: they bind tighter than any operator.
  ExprPtr ParsePostfix(ExprPtr e, int d, int* depth) {
    for (;;) {
      const TokenType t = PeekType();
      if (failed_) return nullptr;
      switch (t) {
        case TokenType::kLeftBracket:
          e = ParseBracket(std::move(e));
          ++d;
          if (e != nullptr && !CheckDepth(d, e->pos.start)) return nullptr;
          break;
        case TokenType::kOffset:
          Take();
          e = ParseOffset(std::move(e));
          break;
        case TokenType::kAt:
          Take();
          e = ParseAt(std::move(e));
          break;
        case TokenType::kAnchored:
          Take();
          Fail(e->pos.start, "anchored modifier is experimental and not enabled");
          return nullptr;
        case TokenType::kSmoothed:
          Take();
          Fail(e->pos.start, "smoothed modifier is experimental and not enabled");
          return nullptr;
        default:
          *depth = d;
          return e;
      }
      if (e == nullptr) return nullptr;
    }
  }

  ExprPtr ParsePrimary(int* depth) {
    const TokenType t = PeekType();
    if (failed_) return nullptr;
    *depth = 1;
    switch (t) {
      case TokenType::kNumber:
      case TokenType::kDuration: {
        DurationLiteral lit;
        if (!TakeLiteral(&lit)) return nullptr;
        auto n = std::make_unique<NumberLiteral>();
        n->value = lit.seconds;
        n->duration = lit.duration;
        n->pos = {lit.start, lit.end};
        return n;
      }
      case TokenType::kString: {
        const Token s = Take();
        auto lit = std::make_unique<StringLiteral>();
        lit->value = UnquoteString(s.val);
        lit->pos = {s.pos, s.pos + static_cast<int32_t>(s.val.size())};
        return lit;
      }
      case TokenType::kLeftParen: {
        const Token lp = Take();
        int inner_depth = 0;
        ExprPtr inner = ParseExpr(0, &inner_depth);
        if (inner == nullptr) return nullptr;
        if (PeekType() != TokenType::kRightParen) {
          UnexpectedHere();
          return nullptr;
        }
        const Token rp = Take();
        auto p = std::make_unique<ParenExpr>();
        p->expr = std::move(inner);
        p->pos = {lp.pos, rp.pos + 1};
        *depth = inner_depth + 1;
        if (!CheckDepth(*depth, lp.pos)) return nullptr;
        return p;
      }
      case TokenType::kLeftBrace: {
        auto vs = std::make_unique<VectorSelector>();
        if (!ParseLabelMatchers(vs.get())) return nullptr;
        return vs;
      }
      default:
        break;
    }
    if (!IsMetricIdentifier(t) && !IsAggregatorToken(t)) {
      UnexpectedHere();
      return nullptr;
    }
    Token name = Take();
    const TokenType next = PeekType();
    if (failed_) return nullptr;
    if (IsAggregatorToken(t) &&
        (next == TokenType::kLeftParen || next == TokenType::kBy || next == TokenType::kWithout)) {
      return ParseAggregate(std::move(name), depth);
    }
    if ((t == TokenType::kIdentifier || t == TokenType::kStart || t == TokenType::kEnd ||
         t == TokenType::kStep || t == TokenType::kRange) &&
        next == TokenType::kLeftParen) {
      return ParseCall(std::move(name), depth);
    }
    if (!IsMetricIdentifier(t)) {
      UnexpectedHere();
      return nullptr;
    }
    return ParseNamedSelector(std::move(name));
  }

  // `name` or `name{...}`; the lookahead after the name has been read.
  ExprPtr ParseNamedSelector(Token name) {
    auto vs = std::make_unique<VectorSelector>();
    vs->name = name.val;
    vs->pos = {name.pos, name.pos + static_cast<int32_t>(name.val.size())};
    auto m =
        storage::LabelMatcher::Create(storage::LabelMatcher::Type::kEqual, "__name__", name.val);
    vs->matchers.push_back(*std::move(m));
    if (PeekType() == TokenType::kLeftBrace) {
      const int32_t start = vs->pos.start;
      if (!ParseLabelMatchers(vs.get())) return nullptr;
      vs->pos.start = start;
    }
    if (failed_) return nullptr;
    return vs;
  }

  // `{ matcher, ... }`, appended to vs->matchers; sets vs->pos to the braces.
  bool ParseLabelMatchers(VectorSelector* vs) {
    const Token lb = Take();
    vs->pos = {lb.pos, lb.pos + 1};
    if (PeekType() == TokenType::kRightBrace) {
      vs->pos.end = Take().pos + 1;
      return true;
    }
    for (;;) {
      const TokenType t = PeekType();
      if (failed_) return false;
      if (t == TokenType::kIdentifier || t == TokenType::kString) {
        const Token label = Take();
        const std::string name = t == TokenType::kString ? UnquoteString(label.val) : label.val;
        const TokenType op = PeekType();
        if (failed_) return false;
        if (IsMatchOp(op)) {
          Take();
          if (PeekType() != TokenType::kString) {
            Unexpected("label matching", "string");
            return false;
          }
          const Token value = Take();
          if (!AddMatcher(vs, label.pos, name, op, UnquoteString(value.val))) return false;
        } else if (t == TokenType::kString) {
          vs->matchers.push_back(*storage::LabelMatcher::Create(storage::LabelMatcher::Type::kEqual,
                                                                "__name__", name));
        } else {
          Unexpected("label matching", "label matching operator");
          return false;
        }
      } else {
        Unexpected("label matching", "identifier or \"}\"");
        return false;
      }
      const TokenType sep = PeekType();
      if (sep == TokenType::kComma) {
        Take();
        if (PeekType() == TokenType::kRightBrace) {
          vs->pos.end = Take().pos + 1;
          return true;
        }
        continue;
      }
      if (sep == TokenType::kRightBrace) {
        vs->pos.end = Take().pos + 1;
        return true;
      }
      Unexpected("label matching", "\",\" or \"}\"");
      return false;
    }
  }

  bool AddMatcher(VectorSelector* vs, int32_t pos, const std::string& name, TokenType op,
                  std::string value) {
    using Type = storage::LabelMatcher::Type;
    const Type type = op == TokenType::kEql        ? Type::kEqual
                      : op == TokenType::kNeq      ? Type::kNotEqual
                      : op == TokenType::kEqlRegex ? Type::kRegexMatch
                                                   : Type::kRegexNoMatch;
    auto m = storage::LabelMatcher::Create(type, name, value);
    if (!m.ok()) {
      Fail(pos, GoRegexpError(value));
      return false;
    }
    vs->matchers.push_back(*std::move(m));
    return true;
  }

  // `( label, ... )` of by/without/on/ignoring/group_x.
  bool ParseGroupingLabels(std::vector<std::string>* labels) {
    if (PeekType() != TokenType::kLeftParen) {
      Unexpected("grouping opts", "\"(\"");
      return false;
    }
    Take();
    if (PeekType() == TokenType::kRightParen) {
      Take();
      return true;
    }
    for (;;) {
      const TokenType t = PeekType();
      if (failed_) return false;
      if (IsMaybeLabel(t)) {
        labels->push_back(Take().val);
      } else if (t == TokenType::kString) {
        const Token s = Take();
        std::string name = UnquoteString(s.val);
        if (name.empty() || !IsValidUtf8(name)) {
          Fail(s.pos, StrCat("invalid label name for grouping: ", GoQuote(name)));
          return false;
        }
        labels->push_back(std::move(name));
      } else {
        Unexpected("grouping opts", "label");
        return false;
      }
      const TokenType sep = PeekType();
      if (sep == TokenType::kComma) {
        Take();
        if (PeekType() == TokenType::kRightParen) {
          Take();
          return true;
        }
        continue;
      }
      if (sep == TokenType::kRightParen) {
        Take();
        return true;
      }
      Unexpected("grouping opts", "\",\" or \")\"");
      return false;
    }
  }

  // `( expr, ... )`; the closing parenthesis's end goes to *end.
  bool ParseArgs(std::vector<ExprPtr>* args, int* max_depth, int32_t* end) {
    Take();  // (
    if (PeekType() == TokenType::kRightParen) {
      *end = Take().pos + 1;
      return true;
    }
    for (;;) {
      int d = 0;
      ExprPtr arg = ParseExpr(0, &d);
      if (arg == nullptr) return false;
      *max_depth = std::max(*max_depth, d);
      args->push_back(std::move(arg));
      const TokenType t = PeekType();
      if (failed_) return false;
      if (t == TokenType::kComma) {
        const Token comma = Take();
        const TokenType next = PeekType();
        if (failed_) return false;
        if (StartsExpr(next)) continue;
        Fail(comma.pos, "trailing commas not allowed in function call args");
        return false;
      }
      if (t == TokenType::kRightParen) {
        *end = Take().pos + 1;
        return true;
      }
      UnexpectedHere();
      return false;
    }
  }

  ExprPtr ParseCall(Token name, int* depth) {
    std::vector<ExprPtr> args;
    int max_depth = 0;
    int32_t end = 0;
    if (!ParseArgs(&args, &max_depth, &end)) return nullptr;
    const FunctionInfo* fn = LookupFunction(name.val);
    if (fn == nullptr) {
      if (IsExperimentalFunction(name.val)) {
        Fail(name.pos, StrCat("function ", GoQuote(name.val), " is not enabled"));
      } else {
        Fail(name.pos, StrCat("unknown function with name ", GoQuote(name.val)));
      }
      return nullptr;
    }
    auto call = std::make_unique<Call>();
    call->func = fn;
    call->args = std::move(args);
    call->pos = {name.pos, end};
    *depth = max_depth + 1;
    if (!CheckDepth(*depth, name.pos)) return nullptr;
    return call;
  }

  bool ParseAggregateModifier(AggregateExpr* agg, int32_t* end) {
    agg->without = Take().type == TokenType::kWithout;
    if (!ParseGroupingLabels(&agg->grouping)) return false;
    *end = last_end_;
    return true;
  }

  ExprPtr ParseAggregate(Token op, int* depth) {
    struct Leave {
      int* n;
      ~Leave() { --*n; }
    } leave{&aggregation_depth_};
    ++aggregation_depth_;
    auto agg = std::make_unique<AggregateExpr>();
    int32_t end = 0;
    bool modifier_first = false;
    const TokenType t = PeekType();
    if (t == TokenType::kBy || t == TokenType::kWithout) {
      modifier_first = true;
      if (!ParseAggregateModifier(agg.get(), &end)) return nullptr;
    }
    if (PeekType() != TokenType::kLeftParen) {
      UnexpectedHere();
      return nullptr;
    }
    std::vector<ExprPtr> args;
    int max_depth = 0;
    if (!ParseArgs(&args, &max_depth, &end)) return nullptr;
    if (!modifier_first) {
      // yacc reads one token ahead here, to see whether by/without follows.
      const TokenType next = PeekType();
      if (failed_) return nullptr;
      if ((next == TokenType::kBy || next == TokenType::kWithout) &&
          !ParseAggregateModifier(agg.get(), &end)) {
        return nullptr;
      }
    }
    agg->pos = {op.pos, end};
    if (args.empty()) {
      Fail(op.pos, "no arguments for aggregate expression provided");
      return nullptr;
    }
    size_t wanted = 1;
    if (op.type == TokenType::kLimitk || op.type == TokenType::kLimitRatio) {
      const std::string_view name = op.type == TokenType::kLimitk ? "limitk" : "limit_ratio";
      Fail(op.pos, StrCat(name,
                          "() is experimental and must be enabled with "
                          "--enable-feature=promql-experimental-functions"));
      return nullptr;
    }
    ToAggregateOp(op.type, &agg->op);
    const bool has_param = agg->op == AggregateOp::kTopk || agg->op == AggregateOp::kBottomk ||
                           agg->op == AggregateOp::kQuantile ||
                           agg->op == AggregateOp::kCountValues;
    if (has_param) wanted = 2;
    if (args.size() != wanted) {
      Fail(op.pos, StrCat("wrong number of arguments for aggregate expression provided, "
                          "expected ",
                          wanted, ", got ", args.size()));
      return nullptr;
    }
    if (has_param) agg->param = std::move(args[0]);
    agg->expr = std::move(args[wanted - 1]);
    *depth = max_depth + 1;
    if (!CheckDepth(*depth, op.pos)) return nullptr;
    return agg;
  }

  // --- Durations: ranges, steps and offsets. ---

  // A NUMBER or DURATION token as number_duration_literal reads it.
  bool TakeLiteral(DurationLiteral* lit) {
    const Token t = Take();
    lit->start = t.pos;
    lit->end = t.pos + static_cast<int32_t>(t.val.size());
    std::string error;
    if (t.type == TokenType::kNumber) {
      if (!ParseNumberToken(t.val, &lit->seconds, &error)) {
        Fail(t.pos, StrCat("error parsing number: ", error));
        return false;
      }
      lit->duration = false;
      return true;
    }
    int64_t ns = 0;
    if (!ParseGoDuration(t.val, &ns, &error)) {
      Fail(t.pos, error);
      return false;
    }
    lit->seconds = GoSeconds(ns);
    lit->ns = ns;
    lit->duration = true;
    return true;
  }

  bool CheckDurationRange(double seconds, int32_t pos) {
    if (seconds > kMaxDurationSeconds || seconds < -kMaxDurationSeconds) {
      Fail(pos, "duration out of range");
      return false;
    }
    return true;
  }

  // duration_expr, where every form but a (signed) literal is experimental.
  bool ParseDurationExpr(int min_precedence, const ErrorContext& ctx, DurationLiteral* out) {
    struct Leave {
      int* n;
      ~Leave() { --*n; }
    } leave{&nesting_};
    if (!Enter()) return false;
    DurationLiteral lhs;
    if (!ParseDurationUnary(ctx, &lhs)) return false;
    for (;;) {
      const TokenType t = PeekType();
      if (failed_) return false;
      const int precedence = DurationPrecedence(t);
      if (precedence == 0 || precedence < min_precedence) break;
      Take();
      DurationLiteral rhs;
      if (!ParseDurationExpr(t == TokenType::kPow ? precedence : precedence + 1, ctx, &rhs)) {
        return false;
      }
      Fail(lhs.start, "experimental duration expression is not enabled");
      return false;
    }
    *out = lhs;
    return true;
  }

  bool ParseDurationUnary(const ErrorContext& ctx, DurationLiteral* out) {
    const TokenType t = PeekType();
    if (failed_) return false;
    switch (t) {
      case TokenType::kNumber:
      case TokenType::kDuration:
        return TakeLiteral(out) && CheckDurationRange(out->seconds, out->start);
      case TokenType::kAdd:
      case TokenType::kSub: {
        const Token op = Take();
        if (!ParseDurationExpr(kMulPrecedence + 1, ctx, out)) return false;
        if (t == TokenType::kSub) {
          out->seconds *= -1;
          out->ns = -out->ns;
        }
        if (!CheckDurationRange(out->seconds, op.pos)) return false;
        out->start = op.pos;
        return true;
      }
      case TokenType::kLeftParen: {
        Take();
        DurationLiteral inner;
        if (!ParseDurationExpr(0, ctx, &inner)) return false;
        if (PeekType() != TokenType::kRightParen) {
          Unexpected(ctx.context, ctx.expected);
          return false;
        }
        Take();
        Fail(inner.start, "experimental duration expression is not enabled");
        return false;
      }
      case TokenType::kStep:
      case TokenType::kRange: {
        const Token kw = Take();
        if (PeekType() != TokenType::kLeftParen) {
          Unexpected(ctx.context, ctx.expected);
          return false;
        }
        Take();
        if (PeekType() != TokenType::kRightParen) {
          Unexpected(ctx.context, ctx.expected);
          return false;
        }
        Take();
        Fail(kw.pos, "experimental duration expression is not enabled");
        return false;
      }
      case TokenType::kMin:
      case TokenType::kMax: {
        const Token kw = Take();
        DurationLiteral a, b;
        if (PeekType() != TokenType::kLeftParen) {
          Unexpected(ctx.context, ctx.expected);
          return false;
        }
        Take();
        if (!ParseDurationExpr(0, ctx, &a)) return false;
        if (PeekType() != TokenType::kComma) {
          Unexpected(ctx.context, ctx.expected);
          return false;
        }
        Take();
        if (!ParseDurationExpr(0, ctx, &b)) return false;
        if (PeekType() != TokenType::kRightParen) {
          Unexpected(ctx.context, ctx.expected);
          return false;
        }
        Take();
        Fail(kw.pos, "experimental duration expression is not enabled");
        return false;
      }
      default:
        Unexpected(ctx.context, ctx.expected);
        return false;
    }
  }

  // A duration literal in milliseconds: exact when written with units; a number of seconds
  // is rounded to nanoseconds and truncated to milliseconds, as Prometheus prints it.
  static bool LiteralMs(const DurationLiteral& d, int64_t* ms) {
    if (d.duration) {
      *ms = d.ns / 1000000;
      return true;
    }
    const double ns = std::round(d.seconds * 1e9);
    if (!(std::fabs(ns) < kTwoTo63)) return false;
    *ms = static_cast<int64_t>(ns) / 1000000;
    return true;
  }

  // positive_duration_expr, in milliseconds. A positive duration under a millisecond, which
  // Prometheus would keep in nanoseconds, is refused like zero.
  bool PositiveMs(const DurationLiteral& d, int64_t* ms) {
    if (!(d.seconds > 0) || !LiteralMs(d, ms) || *ms <= 0) {
      Fail(d.start, "duration must be greater than 0");
      return false;
    }
    return true;
  }

  // `[range]` or `[range:step]` after e.
  ExprPtr ParseBracket(ExprPtr e) {
    const Token lb = Take();
    if (!StartsDurationExpr(PeekType())) {
      Unexpected(kRangeContext.context, kRangeContext.expected);
      return nullptr;
    }
    DurationLiteral range;
    if (!ParseDurationExpr(0, kRangeContext, &range)) return nullptr;
    int64_t range_ms = 0;
    const TokenType t = PeekType();  // yacc reduces positive_duration_expr on the lookahead
    if (failed_ || !PositiveMs(range, &range_ms)) return nullptr;
    if (t == TokenType::kRightBracket) {
      const Token rb = Take();
      if (e->kind != ExprKind::kVectorSelector) {
        Fail(lb.pos, "ranges only allowed for vector selectors");
        return nullptr;
      }
      const auto& vs = e->As<VectorSelector>();
      if (vs.offset_ms != 0) {
        Fail(lb.pos, "no offset modifiers allowed before range");
        return nullptr;
      }
      if (vs.at != AtKind::kNone) {
        Fail(lb.pos, "no @ modifiers allowed before range");
        return nullptr;
      }
      auto m = std::make_unique<MatrixSelector>();
      m->pos = {e->pos.start, rb.pos + 1};
      m->vector_selector = std::move(e);
      m->range_ms = range_ms;
      return m;
    }
    if (t != TokenType::kColon) {
      Unexpected("subquery or range", "\":\" or \"]\"");
      return nullptr;
    }
    Take();
    int64_t step_ms = 0;
    const TokenType s = PeekType();
    if (failed_) return nullptr;
    if (s != TokenType::kRightBracket) {
      if (!StartsDurationExpr(s)) {
        Unexpected(kStepContext.context, kStepContext.expected);
        return nullptr;
      }
      DurationLiteral step;
      if (!ParseDurationExpr(0, kStepContext, &step)) return nullptr;
      const TokenType after = PeekType();
      if (failed_ || !PositiveMs(step, &step_ms)) return nullptr;
      if (after != TokenType::kRightBracket) {
        Unexpected("subquery selector", "\"]\"");
        return nullptr;
      }
    }
    const Token rb = Take();
    auto sq = std::make_unique<SubqueryExpr>();
    sq->pos = {e->pos.start, rb.pos + 1};
    sq->expr = std::move(e);
    sq->range_ms = range_ms;
    sq->step_ms = step_ms;
    return sq;
  }

  // The fields an offset or @ modifies: a selector's (a range selector's inner one) or a
  // subquery's. Null for anything else.
  struct Modifiable {
    int64_t* offset_ms = nullptr;
    AtKind* at = nullptr;
    int64_t* at_ms = nullptr;
  };
  static Modifiable ModifiableOf(Expr* e) {
    switch (e->kind) {
      case ExprKind::kVectorSelector: {
        auto& vs = e->As<VectorSelector>();
        return {&vs.offset_ms, &vs.at, &vs.at_ms};
      }
      case ExprKind::kMatrixSelector: {
        auto& vs = e->As<MatrixSelector>().vector_selector->As<VectorSelector>();
        return {&vs.offset_ms, &vs.at, &vs.at_ms};
      }
      case ExprKind::kSubquery: {
        auto& sq = e->As<SubqueryExpr>();
        return {&sq.offset_ms, &sq.at, &sq.at_ms};
      }
      default:
        return {};
    }
  }

  ExprPtr ParseOffset(ExprPtr e) {
    DurationLiteral lit;
    const TokenType t = PeekType();
    if (failed_) return nullptr;
    if (t == TokenType::kNumber || t == TokenType::kDuration) {
      if (!TakeLiteral(&lit) || !CheckDurationRange(lit.seconds, lit.start)) return nullptr;
    } else if (t == TokenType::kAdd || t == TokenType::kSub) {
      const Token op = Take();
      const TokenType n = PeekType();
      if (failed_) return nullptr;
      if (n == TokenType::kNumber || n == TokenType::kDuration) {
        if (!TakeLiteral(&lit)) return nullptr;
        if (t == TokenType::kSub) {
          lit.seconds = -lit.seconds;
          lit.ns = -lit.ns;
        }
        if (!CheckDurationRange(lit.seconds, op.pos)) return nullptr;
      } else if (StartsDurationExpr(n) && n != TokenType::kAdd && n != TokenType::kSub) {
        DurationLiteral ignored;
        ParseDurationExpr(kMulPrecedence + 1, kOffsetContext, &ignored);
        return nullptr;
      } else {
        Unexpected(kOffsetContext.context, kOffsetContext.expected);
        return nullptr;
      }
    } else if (StartsDurationExpr(t)) {
      DurationLiteral ignored;
      ParseDurationExpr(0, kOffsetContext, &ignored);
      return nullptr;
    } else {
      Unexpected(kOffsetContext.context, kOffsetContext.expected);
      return nullptr;
    }
    const Modifiable m = ModifiableOf(e.get());
    if (m.offset_ms == nullptr) {
      Fail(e->pos.start,
           "offset modifier must be preceded by an instant vector selector or range vector "
           "selector or a subquery");
      return nullptr;
    }
    if (*m.offset_ms != 0) {
      Fail(e->pos.start, "offset may not be set multiple times");
      return nullptr;
    }
    if (!LiteralMs(lit, m.offset_ms)) {
      Fail(e->pos.start, "duration out of range");
      return nullptr;
    }
    e->pos.end = last_end_;
    return e;
  }

  ExprPtr ParseAt(ExprPtr e) {
    const TokenType t = PeekType();
    if (failed_) return nullptr;
    if (t == TokenType::kStart || t == TokenType::kEnd) {
      Take();
      if (PeekType() != TokenType::kLeftParen) {
        Unexpected("@", "timestamp");
        return nullptr;
      }
      Take();
      if (PeekType() != TokenType::kRightParen) {
        Unexpected("@", "timestamp");
        return nullptr;
      }
      Take();
      const Modifiable m = AtTarget(e.get());
      if (m.at == nullptr) return nullptr;
      *m.at = t == TokenType::kStart ? AtKind::kStart : AtKind::kEnd;
      e->pos.end = last_end_;
      return e;
    }
    double sign = 1;
    if (t == TokenType::kAdd || t == TokenType::kSub) {
      Take();
      sign = t == TokenType::kSub ? -1 : 1;
    }
    const TokenType n = PeekType();
    if (failed_) return nullptr;
    if (n != TokenType::kNumber && n != TokenType::kDuration) {
      Unexpected("@", "timestamp");
      return nullptr;
    }
    DurationLiteral lit;
    if (!TakeLiteral(&lit)) return nullptr;
    const double ts = sign * lit.seconds;
    if (std::isnan(ts) || ts >= kTwoTo63 || ts <= -kTwoTo63 || !(std::fabs(ts * 1000) < kTwoTo63)) {
      Fail(e->pos.start, StrCat("timestamp out of bounds for @ modifier: ", GoFormatF(ts)));
      return nullptr;
    }
    const Modifiable m = AtTarget(e.get());
    if (m.at == nullptr) return nullptr;
    *m.at = AtKind::kTimestamp;
    *m.at_ms = static_cast<int64_t>(std::round(ts * 1000));
    e->pos.end = last_end_;
    return e;
  }

  Modifiable AtTarget(Expr* e) {
    const Modifiable m = ModifiableOf(e);
    if (m.at == nullptr) {
      Fail(e->pos.start,
           "@ modifier must be preceded by an instant vector selector or range vector selector "
           "or a subquery");
      return {};
    }
    if (*m.at != AtKind::kNone) {
      Fail(e->pos.start, "@ <timestamp> may not be set multiple times");
      return {};
    }
    return m;
  }

  // --- Type checking: Prometheus' checkAST. ---

  int32_t OperatorStart(const BinaryExpr& b) const {
    size_t i = static_cast<size_t>(b.lhs->pos.end);
    while (i < input_.size() &&
           (input_[i] == ' ' || input_[i] == '\t' || input_[i] == '\n' || input_[i] == '\r')) {
      ++i;
    }
    return static_cast<int32_t>(i);
  }

  ValueType Check(Expr* e) {
    if (failed_ || e == nullptr) return ValueType::kNone;
    switch (e->kind) {
      case ExprKind::kNumberLiteral:
        return ValueType::kScalar;
      case ExprKind::kStringLiteral:
        return ValueType::kString;
      case ExprKind::kVectorSelector:
        CheckSelector(e->As<VectorSelector>());
        return ValueType::kVector;
      case ExprKind::kMatrixSelector:
        Check(e->As<MatrixSelector>().vector_selector.get());
        return ValueType::kMatrix;
      case ExprKind::kSubquery: {
        const ValueType t = Check(e->As<SubqueryExpr>().expr.get());
        if (!failed_ && t != ValueType::kVector) {
          Fail(e->pos.start, StrCat("subquery is only allowed on instant vector, got ",
                                    RawTypeName(t), " instead"));
        }
        return ValueType::kMatrix;
      }
      case ExprKind::kParen:
        return Check(e->As<ParenExpr>().expr.get());
      case ExprKind::kUnary: {
        const ValueType t = Check(e->As<UnaryExpr>().expr.get());
        if (!failed_ && t != ValueType::kScalar && t != ValueType::kVector) {
          Fail(e->pos.start,
               StrCat("unary expression only allowed on expressions of type scalar or instant "
                      "vector, got ",
                      GoQuote(ValueTypeName(t))));
        }
        return t;
      }
      case ExprKind::kBinary:
        return CheckBinary(e->As<BinaryExpr>());
      case ExprKind::kAggregate: {
        auto& a = e->As<AggregateExpr>();
        ExpectType(a.expr.get(), ValueType::kVector, "aggregation expression");
        if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk ||
            a.op == AggregateOp::kQuantile) {
          ExpectType(a.param.get(), ValueType::kScalar, "aggregation parameter");
        }
        if (a.op == AggregateOp::kCountValues) {
          ExpectType(a.param.get(), ValueType::kString, "aggregation parameter");
        }
        return ValueType::kVector;
      }
      case ExprKind::kCall:
        return CheckCall(e->As<Call>());
    }
    return ValueType::kNone;
  }

  void ExpectType(Expr* e, ValueType want, std::string_view context) {
    const ValueType t = Check(e);
    if (!failed_ && t != want) {
      Fail(e->pos.start, StrCat("expected type ", ValueTypeName(want), " in ", context, ", got ",
                                ValueTypeName(t)));
    }
  }

  void CheckSelector(const VectorSelector& vs) {
    if (!vs.name.empty()) {
      for (size_t i = 1; i < vs.matchers.size(); ++i) {
        if (vs.matchers[i].name() == "__name__") {
          Fail(vs.pos.start, StrCat("metric name must not be set twice: ", GoQuote(vs.name), " or ",
                                    GoQuote(vs.matchers[i].value())));
          return;
        }
      }
      return;
    }
    for (const auto& m : vs.matchers) {
      if (!m.MatchesEmpty()) return;
    }
    Fail(vs.pos.start, "vector selector must contain at least one non-empty matcher");
  }

  ValueType CheckBinary(BinaryExpr& b) {
    const ValueType lt = Check(b.lhs.get());
    const ValueType rt = Check(b.rhs.get());
    if (failed_) return ValueType::kNone;
    const bool comparison = IsComparison(b.op);
    const bool set_op = IsSetOp(b.op);
    const std::string op_name(BinaryOpName(b.op));
    if (b.return_bool && !comparison) {
      Fail(OperatorStart(b), "bool modifier can only be used on comparison operators");
      return ValueType::kNone;
    }
    if (comparison && !b.return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
      Fail(OperatorStart(b), "comparisons between scalars must use BOOL modifier");
      return ValueType::kNone;
    }
    VectorMatching& vm = *b.matching;
    if (set_op && vm.card == VectorMatching::Card::kOneToOne) {
      vm.card = VectorMatching::Card::kManyToMany;
    }
    if (vm.on) {
      for (const std::string& l1 : vm.matching_labels) {
        for (const std::string& l2 : vm.include) {
          if (l1 == l2) {
            Fail(OperatorStart(b),
                 StrCat("label ", GoQuote(l1), " must not occur in ON and GROUP clause at once"));
            return ValueType::kNone;
          }
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      Fail(b.lhs->pos.start, "binary expression must contain only scalar and instant vector types");
      return ValueType::kNone;
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      Fail(b.rhs->pos.start, "binary expression must contain only scalar and instant vector types");
      return ValueType::kNone;
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (!vm.matching_labels.empty()) {
        Fail(b.pos.start, "vector matching only allowed between instant vectors");
        return ValueType::kNone;
      }
      b.matching.reset();
    } else if (set_op) {
      if (vm.card == VectorMatching::Card::kOneToMany ||
          vm.card == VectorMatching::Card::kManyToOne) {
        Fail(b.pos.start, StrCat("no grouping allowed for ", GoQuote(op_name), " operation"));
        return ValueType::kNone;
      }
      if (vm.card != VectorMatching::Card::kManyToMany) {
        Fail(b.pos.start, "set operations must always be many-to-many");
        return ValueType::kNone;
      }
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && set_op) {
      Fail(b.pos.start,
           StrCat("set operator ", GoQuote(op_name), " not allowed in binary scalar expression"));
      return ValueType::kNone;
    }
    return lt == ValueType::kScalar && rt == ValueType::kScalar ? ValueType::kScalar
                                                                : ValueType::kVector;
  }

  ValueType CheckCall(Call& c) {
    const FunctionInfo& fn = *c.func;
    const std::string quoted = GoQuote(fn.name);
    const size_t nargs = fn.arg_types.size();
    const size_t got = c.args.size();
    if (fn.variadic == 0) {
      if (nargs != got) {
        Fail(c.pos.start,
             StrCat("expected ", nargs, " argument(s) in call to ", quoted, ", got ", got));
        return ValueType::kNone;
      }
    } else {
      const size_t na = nargs - 1;
      if (na > got) {
        Fail(c.pos.start,
             StrCat("expected at least ", na, " argument(s) in call to ", quoted, ", got ", got));
        return ValueType::kNone;
      }
      if (fn.variadic > 0 && na + static_cast<size_t>(fn.variadic) < got) {
        Fail(c.pos.start, StrCat("expected at most ", na + static_cast<size_t>(fn.variadic),
                                 " argument(s) in call to ", quoted, ", got ", got));
        return ValueType::kNone;
      }
    }
    for (size_t i = 0; i < got; ++i) {
      size_t k = i;
      if (i >= nargs) {
        if (fn.variadic == 0) break;
        k = nargs - 1;
      }
      const ValueType t = Check(c.args[i].get());
      if (failed_) return ValueType::kNone;
      if (t != fn.arg_types[k]) {
        Fail(c.args[i]->pos.start,
             StrCat("expected type ", ValueTypeName(fn.arg_types[k]), " in call to function ",
                    quoted, ", got ", ValueTypeName(t)));
        return ValueType::kNone;
      }
    }
    return fn.return_type;
  }

  std::string_view input_;
  Lexer lexer_;
  Token peek_;
  bool has_peek_ = false;
  int32_t last_end_ = 0;  // end of the last token taken
  bool failed_ = false;
  absl::Status error_;
  int nesting_ = 0;
  int aggregation_depth_ = 0;
};

}  // namespace

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) {
  Parser parser(input);
  return parser.ParseQuery();
}

absl::StatusOr<std::vector<storage::LabelMatcher>> ParseMetricSelector(std::string_view input) {
  Parser parser(input);
  return parser.ParseSelector();
}

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  int64_t ns = 0;
  std::string error;
  if (!ParseGoDuration(text, &ns, &error)) return absl::InvalidArgumentError(error);
  return ns / 1000000;
}

}  // namespace plumbline::query
