// The PromQL parser against Prometheus' own parser tests (promql/parser/parse_test.go and
// lex_test.go): trees, error messages with their positions, and print/parse round trips,
// including every expression of Prometheus' PromQL test files (promqltest/testdata).
#include "query/parser.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/ast.h"
#include "query/lexer.h"
#include "re2/re2.h"

namespace plumbline::query {
namespace {

using ::testing::HasSubstr;

ExprPtr MustParse(std::string_view input) {
  auto expr = ParseExpr(input);
  EXPECT_TRUE(expr.ok()) << input << ": " << expr.status();
  if (!expr.ok()) return nullptr;
  return *std::move(expr);
}

// Parses, prints, parses the print and checks it prints the same.
void ExpectRoundTrip(std::string_view input) {
  SCOPED_TRACE(std::string(input));
  auto expr = ParseExpr(input);
  ASSERT_TRUE(expr.ok()) << expr.status();
  const std::string printed = (*expr)->ToString();
  auto again = ParseExpr(printed);
  ASSERT_TRUE(again.ok()) << printed << ": " << again.status();
  EXPECT_EQ((*again)->ToString(), printed);
}

struct ErrorCase {
  const char* input;
  const char* message;
};

// parse_test.go's failing cases (the first error of each), plus experimental features,
// which this engine leaves disabled.
TEST(ParserTest, ReportsPrometheusErrorMessages) {
  const ErrorCase cases[] = {
      {"# just a comment\n\n", "1:1: parse error: no expression found in input"},
      {"1+", "1:3: parse error: unexpected end of input"},
      {".", "1:1: parse error: unexpected character: '.'"},
      {"2.5.", "1:1: parse error: bad number or duration syntax: \"2.5.\""},
      {"100..4", "1:1: parse error: bad number or duration syntax: \"100..\""},
      {"0deadbeef", "1:1: parse error: bad number or duration syntax: \"0de\""},
      {"1 /", "1:4: parse error: unexpected end of input"},
      {"*1", "1:1: parse error: unexpected <op:*>"},
      {"(1))", "1:5: parse error: unexpected right parenthesis ')'"},
      {"((1)", "1:5: parse error: unclosed left parenthesis"},
      {"(", "1:2: parse error: unclosed left parenthesis"},
      {"1 and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"1 or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
      {"1 unless 1",
       "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
      {"1 !~ 1", "1:3: parse error: unexpected character after '!': '~'"},
      {"1 =~ 1", "1:3: parse error: unexpected character after '=': '~'"},
      {"-\"string\"",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"string\""},
      {"-test[5m]",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"range vector\""},
      {"*test", "1:1: parse error: unexpected <op:*>"},
      {"@@", "1:1: parse error: unexpected <op:@>"},
      {"1 offset 1d",
       "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
       "vector selector or a subquery"},
      {"foo offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
      {"a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"},
      {"foo and 1",
       "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"1 and foo",
       "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"foo or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
      {"1 unless foo",
       "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
      {"1 or on(bar) foo",
       "1:1: parse error: vector matching only allowed between instant vectors"},
      {"foo == on(bar) 10",
       "1:1: parse error: vector matching only allowed between instant vectors"},
      {"foo + group_left(baz) bar", "1:7: parse error: unexpected <group_left>"},
      {"foo and on(bar) group_left(baz) bar",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"foo and on(bar) group_right(baz) bar",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"foo or on(bar) group_left(baz) bar",
       "1:1: parse error: no grouping allowed for \"or\" operation"},
      {"foo unless on(bar) group_right(baz) bar",
       "1:1: parse error: no grouping allowed for \"unless\" operation"},
      {"http_requests{group=\"production\"} + on(instance) group_left(job,instance) "
       "cpu_count{type=\"smp\"}",
       "1:35: parse error: label \"instance\" must not occur in ON and GROUP clause at once"},
      {"foo + bool bar",
       "1:5: parse error: bool modifier can only be used on comparison operators"},
      {"foo + bool 10", "1:5: parse error: bool modifier can only be used on comparison operators"},
      {"foo and bool 10",
       "1:5: parse error: bool modifier can only be used on comparison operators"},
      {"foo @ +Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
      {"foo @ -Inf", "1:1: parse error: timestamp out of bounds for @ modifier: -Inf"},
      {"foo @ NaN", "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
      {"foo @ 9223372036854775808.000000",
       "1:1: parse error: timestamp out of bounds for @ modifier: 9223372036854775808.000000"},
      {"foo @ -9223372036854775809.000000",
       "1:1: parse error: timestamp out of bounds for @ modifier: -9223372036854775808.000000"},
      {"{", "1:2: parse error: unexpected end of input inside braces"},
      {"}", "1:1: parse error: unexpected character: '}'"},
      {"some{", "1:6: parse error: unexpected end of input inside braces"},
      {"some}", "1:5: parse error: unexpected character: '}'"},
      {"some_metric{a=b}",
       "1:15: parse error: unexpected identifier \"b\" in label matching, expected string"},
      {"some_metric{a:b=\"b\"}", "1:14: parse error: unexpected character inside braces: ':'"},
      {"foo{a*\"b\"}", "1:6: parse error: unexpected character inside braces: '*'"},
      {"foo{a>=\"b\"}", "1:6: parse error: unexpected character inside braces: '>'"},
      {"foo{gibberish}",
       "1:14: parse error: unexpected \"}\" in label matching, expected label matching operator"},
      {"foo{1}", "1:5: parse error: unexpected character inside braces: '1'"},
      {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x=~\".*\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x!~\".+\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x!=\"a\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"foo{__name__=\"bar\"}",
       "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
      {"foo{__name__= =}",
       "1:15: parse error: unexpected \"=\" in label matching, expected string"},
      {"foo{,}",
       "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
      {"foo{__name__ == \"bar\"}",
       "1:15: parse error: unexpected \"=\" in label matching, expected string"},
      {"foo{__name__=\"bar\" lol}",
       "1:20: parse error: unexpected identifier \"lol\" in label matching, expected \",\" or "
       "\"}\""},
      {"foo{\"a\"=}", "1:9: parse error: unexpected \"}\" in label matching, expected string"},
      {"foo[5mm]", "1:5: parse error: bad number or duration syntax: \"5mm\""},
      {"foo[5m1]", "1:5: parse error: bad number or duration syntax: \"5m1\""},
      {"foo[5m:1m1]", "1:8: parse error: bad number or duration syntax: \"1m1\""},
      {"foo[5y1hs]", "1:5: parse error: unknown unit \"hs\" in duration \"5y1hs\""},
      {"foo[5m1h]", "1:5: parse error: not a valid duration string: \"5m1h\""},
      {"foo[5m1m]", "1:5: parse error: not a valid duration string: \"5m1m\""},
      {"foo[0m]", "1:5: parse error: duration must be greater than 0"},
      {"foo[\"5m\"]", "1:5: parse error: unexpected character in duration expression: '\"'"},
      {"foo[]",
       "1:5: parse error: unexpected \"]\" in subquery or range selector, expected number, "
       "duration, step(), or range()"},
      {"foo[-1]", "1:5: parse error: duration must be greater than 0"},
      {"some_metric[5m] OFFSET 1mm", "1:24: parse error: bad number or duration syntax: \"1mm\""},
      {"some_metric[5m] OFFSET",
       "1:23: parse error: unexpected end of input in offset, expected number, duration, step(), "
       "or range()"},
      {"some_metric OFFSET 1m[5m]", "1:22: parse error: no offset modifiers allowed before range"},
      {"some_metric[5m] @", "1:18: parse error: unexpected end of input in @, expected timestamp"},
      {"some_metric @ 1234 [5m]", "1:20: parse error: no @ modifiers allowed before range"},
      {"some_metric @ start() [5m]", "1:23: parse error: no @ modifiers allowed before range"},
      {"some_metric @ end()[5m]", "1:20: parse error: no @ modifiers allowed before range"},
      {"(foo + bar)[5m]", "1:12: parse error: ranges only allowed for vector selectors"},
      {"sum by (\"foo)(some_metric{})", "1:9: parse error: unterminated quoted string"},
      {"sum without(==)(some_metric)",
       "1:13: parse error: unexpected <op:==> in grouping opts, expected label"},
      {"sum without(,)(some_metric)",
       "1:13: parse error: unexpected \",\" in grouping opts, expected label"},
      {"sum without(foo,,)(some_metric)",
       "1:17: parse error: unexpected \",\" in grouping opts, expected label"},
      {"sum some_metric by (test)", "1:5: parse error: unexpected identifier \"some_metric\""},
      {"sum (some_metric) by test",
       "1:22: parse error: unexpected identifier \"test\" in grouping opts, expected \"(\""},
      {"sum () by (test)", "1:1: parse error: no arguments for aggregate expression provided"},
      {"MIN keep_common (some_metric)", "1:5: parse error: unexpected identifier \"keep_common\""},
      {"MIN (some_metric) keep_common", "1:19: parse error: unexpected identifier \"keep_common\""},
      {"sum (some_metric) without (test) by (test)", "1:34: parse error: unexpected <by>"},
      {"sum without (test) (some_metric) by (test)", "1:34: parse error: unexpected <by>"},
      {"topk(some_metric)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, "
       "got 1"},
      {"topk(some_metric,)",
       "1:17: parse error: trailing commas not allowed in function call args"},
      {"topk(some_metric, other_metric)",
       "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"},
      {"count_values(5, other_metric)",
       "1:14: parse error: expected type string in aggregation parameter, got scalar"},
      {"rate(some_metric[5m]) @ 1234",
       "1:1: parse error: @ modifier must be preceded by an instant vector selector or range "
       "vector selector or a subquery"},
      {"floor()", "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0"},
      {"floor(some_metric, other_metric)",
       "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
      {"floor(some_metric, 1)",
       "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
      {"floor(1)",
       "1:7: parse error: expected type instant vector in call to function \"floor\", got scalar"},
      {"hour(some_metric, some_metric, some_metric)",
       "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 3"},
      {"time(some_metric)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
      {"non_existent_function_far_bar()",
       "1:1: parse error: unknown function with name \"non_existent_function_far_bar\""},
      {"rate(some_metric)",
       "1:6: parse error: expected type range vector in call to function \"rate\", got instant "
       "vector"},
      {"label_replace(a, `b`, `c\xff`, `d`, `.*`)", "1:23: parse error: invalid UTF-8 rune"},
      {"-=", "1:2: parse error: unexpected \"=\""},
      {"++-++-+-+-<", "1:11: parse error: unexpected <op:<>"},
      {"e-+=/(0)", "1:4: parse error: unexpected \"=\""},
      {"a>b()", "1:3: parse error: unknown function with name \"b\""},
      {"rate(avg)",
       "1:6: parse error: expected type range vector in call to function \"rate\", got instant "
       "vector"},
      {"`\\``", "1:4: parse error: unterminated raw string"},
      {"\"\\", "1:1: parse error: escape sequence not terminated"},
      {"\"\\c\"", "1:1: parse error: unknown escape sequence U+0063 'c'"},
      {"\"\\x.\"", "1:1: parse error: illegal character U+002E '.' in escape sequence"},
      {"foo{bar=\"baz\"}[", "1:16: parse error: unexpected end of input in duration expression"},
      {"test[5d] OFFSET 10s [10m:5s]",
       "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
      {"(foo + bar{nm=\"val\"})[5m:][10m:5s]",
       "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
      {"rate(food[1m])[1h] offset 1h",
       "1:15: parse error: ranges only allowed for vector selectors"},
      {"rate(food[1m])[1h] @ 100", "1:15: parse error: ranges only allowed for vector selectors"},
      {"foo offset 9.5e10", "1:12: parse error: duration out of range"},
      {"foo[9.5e10]", "1:5: parse error: duration out of range"},
      {"sum(", "1:5: parse error: unclosed left parenthesis"},
      {"sum(rate(", "1:10: parse error: unclosed left parenthesis"},
      {"foo[5s x 5s]", "1:8: parse error: unexpected character: 'x', expected ':'"},
      {"foo[5s s 5s]", "1:8: parse error: unexpected character: 's', expected ':'"},
      {"1[5m] smoothed", "1:2: parse error: ranges only allowed for vector selectors"},
      {"", "unknown position: parse error: no expression found in input"},
      {"9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "999999999999999999999999999999999999",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing "
       "\"99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "99999999999999999999999999999999999999\": value out of range"},
      {"sort_by_label(foo, \"a\")", "1:1: parse error: function \"sort_by_label\" is not enabled"},
      {"limitk(1, foo)",
       "1:1: parse error: limitk() is experimental and must be enabled with "
       "--enable-feature=promql-experimental-functions"},
      {"foo[5m+1m]", "1:5: parse error: experimental duration expression is not enabled"},
      {"foo offset (5)", "1:13: parse error: experimental duration expression is not enabled"},
      {"foo[5m] anchored", "1:1: parse error: anchored modifier is experimental and not enabled"},
      {"foo + fill(0) bar",
       "1:1: parse error: binop fill modifiers are experimental and not enabled"},
      {"foo{a=~\"(foo\"}",
       "1:5: parse error: error parsing regexp: missing closing ): `^(?s:(foo)$`"},
      {"sum(,)", "1:5: parse error: unexpected \",\" in aggregation"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    auto expr = ParseExpr(c.input);
    ASSERT_FALSE(expr.ok());
    EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(expr.status().message()), c.message);
  }
}

TEST(ParserTest, MoreErrorMessages) {
  const ErrorCase cases[] = {
      {"foo{a=\"b\"} x", "1:12: parse error: unexpected identifier \"x\""},
      {"sum(foo bar)", "1:9: parse error: unexpected identifier \"bar\" in aggregation"},
      {"rate(foo bar)", "1:10: parse error: unexpected identifier \"bar\""},
      {"sum by (a b) (x)",
       "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\""},
      {"sum by (without) (x)",
       "1:9: parse error: unexpected <without> in grouping opts, expected label"},
      {"foo offset bar",
       "1:12: parse error: unexpected identifier \"bar\" in offset, expected number, duration, "
       "step(), or range()"},
      {"foo @ bar", "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp"},
      {"foo @ start", "1:12: parse error: unexpected end of input in @, expected timestamp"},
      {"foo[5m x", "1:8: parse error: unexpected character: 'x', expected ':'"},
      {"foo[5m", "1:7: parse error: unclosed left bracket"},
      {"foo[5m:1m", "1:10: parse error: unclosed left bracket"},
      {"foo[5m] [5m]", "1:9: parse error: ranges only allowed for vector selectors"},
      {"foo[5m::1m]",
       "1:7: parse error: unexpected \"::\" in subquery or range, expected \":\" or \"]\""},
      {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo @ start() @ end()", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"(foo) offset 1m",
       "1:1: parse error: offset modifier must be preceded by an instant vector selector or "
       "range vector selector or a subquery"},
      {"\"a\" + 1",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
      {"1 + foo[5m]",
       "1:5: parse error: binary expression must contain only scalar and instant vector types"},
      {"sum(foo[5m])",
       "1:5: parse error: expected type instant vector in aggregation expression, got range "
       "vector"},
      {"quantile(foo, bar)",
       "1:10: parse error: expected type scalar in aggregation parameter, got instant vector"},
      {"count_values(foo, bar)",
       "1:14: parse error: expected type string in aggregation parameter, got instant vector"},
      {"label_join(foo, \"a\")",
       "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 2"},
      {"label_join(foo, \"a\", \",\", \"b\", 1)",
       "1:32: parse error: expected type string in call to function \"label_join\", got scalar"},
      {"round(foo, 1, 2)",
       "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3"},
      {"histogram_quantile(foo, 0.9)",
       "1:20: parse error: expected type scalar in call to function \"histogram_quantile\", got "
       "instant vector"},
      {"holt_winters(foo[5m], 0.5, 0.5)",
       "1:1: parse error: unknown function with name \"holt_winters\""},
      {"mad_over_time(foo[5m])", "1:1: parse error: function \"mad_over_time\" is not enabled"},
      {"limit_ratio(0.5, foo)",
       "1:1: parse error: limit_ratio() is experimental and must be enabled with "
       "--enable-feature=promql-experimental-functions"},
      {"foo offset step()", "1:12: parse error: experimental duration expression is not enabled"},
      {"foo[step()]", "1:5: parse error: experimental duration expression is not enabled"},
      {"foo[5m:1m+1m]", "1:8: parse error: experimental duration expression is not enabled"},
      {"foo{a=~\"*\"}",
       "1:5: parse error: error parsing regexp: missing argument to repetition operator: `*`"},
      {"foo{a=~\"[a\"}", "1:5: parse error: error parsing regexp: missing closing ]: `[a)$`"},
      {"sum(foo) by (\"\")", "1:14: parse error: invalid label name for grouping: \"\""},
      {"foo and on(a) group_left bar",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"1 < 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"foo\n  + \n  bar{", "3:7: parse error: unexpected end of input inside braces"},
      {"foo\n#comment\n$", "3:1: parse error: unexpected character: '$'"},
      {"foo @ 1e20",
       "1:1: parse error: timestamp out of bounds for @ modifier: 100000000000000000000.000000"},
      {"0x",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid "
       "syntax"},
      {"1e400",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": value out "
       "of range"},
      {"foo[5m1h:]", "1:5: parse error: not a valid duration string: \"5m1h\""},
      {"foo[1000y]", "1:5: parse error: duration out of range"},
      {"\"\\u12\"", "1:1: parse error: illegal character U+0022 '\"' in escape sequence"},
      {"\"\\udfff\"", "1:1: parse error: escape sequence is an invalid Unicode code point"},
      {"'\\\"'", "1:1: parse error: unknown escape sequence U+0022 '\"'"},
      {"\"a\nb\"", "1:1: parse error: unterminated quoted string"},
      {"foo[", "1:5: parse error: unexpected end of input in duration expression"},
      {"foo[:5m]", "1:6: parse error: unexpected colon before duration in duration expression"},
      {"foo]", "1:4: parse error: unexpected right bracket ']'"},
      {"foo{a{", "1:6: parse error: unexpected left brace '{'"},
      {"foo{a!}", "1:6: parse error: unexpected character after '!' inside braces: '}'"},
      {"sum(,)", "1:5: parse error: unexpected \",\" in aggregation"},
      {"rate(foo,,)", "1:9: parse error: trailing commas not allowed in function call args"},
      {"foo +", "1:6: parse error: unexpected end of input"},
      {"foo + *", "1:7: parse error: unexpected <op:*>"},
      {"foo bool bar", "1:5: parse error: unexpected <bool>"},
      {"foo == bool", "1:12: parse error: unexpected end of input"},
      {"foo * on(a) group_left(b) group_left(c) bar", "1:27: parse error: unexpected <group_left>"},
      {"foo x", "1:5: parse error: unexpected identifier \"x\""},
      {"foo 123456789012", "1:5: parse error: unexpected number \"1234567890\"..."},
      {"foo \"long string literal\"", "1:5: parse error: unexpected string \"\\\"long stri\"..."},
      {"foo 5m", "1:5: parse error: unexpected duration \"5m\""},
      {"foo a:b", "1:5: parse error: unexpected metric identifier \"a:b\""},
      {"foo sum", "1:5: parse error: unexpected <aggr:sum>"},
      {"foo start", "1:5: parse error: unexpected \"start\""},
      {"foo (", "1:6: parse error: unclosed left parenthesis"},
      {"foo ()", "1:1: parse error: unknown function with name \"foo\""},
      {"foo:bar ()", "1:9: parse error: unexpected \"(\""},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    auto expr = ParseExpr(c.input);
    ASSERT_FALSE(expr.ok());
    EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(expr.status().message()), c.message);
  }
}

struct Lexed {
  TokenType type;
  int32_t pos;
  std::string val;
  bool operator==(const Lexed& o) const { return type == o.type && pos == o.pos && val == o.val; }
};

std::vector<Lexed> LexAll(std::string_view input) {
  Lexer lexer(input);
  std::vector<Lexed> out;
  for (;;) {
    Token t = lexer.Next();
    if (t.type == TokenType::kEOF) break;
    out.push_back({t.type, t.pos, t.val});
    if (t.type == TokenType::kError) break;
  }
  return out;
}

// lex_test.go's cases.
TEST(LexerTest, TokensAsPrometheusLexesThem) {
  using T = TokenType;
  const struct {
    const char* input;
    std::vector<Lexed> want;
  } cases[] = {
      {",", {{T::kComma, 0, ","}}},
      {"()", {{T::kLeftParen, 0, "("}, {T::kRightParen, 1, ")"}}},
      {"{}", {{T::kLeftBrace, 0, "{"}, {T::kRightBrace, 1, "}"}}},
      {"[5m]", {{T::kLeftBracket, 0, "["}, {T::kDuration, 1, "5m"}, {T::kRightBracket, 3, "]"}}},
      {"[  5m ]", {{T::kLeftBracket, 0, "["}, {T::kDuration, 3, "5m"}, {T::kRightBracket, 6, "]"}}},
      {"\r\n\r", {}},
      {"4.23", {{T::kNumber, 0, "4.23"}}},
      {".3", {{T::kNumber, 0, ".3"}}},
      {"5.", {{T::kNumber, 0, "5."}}},
      {"nAN", {{T::kNumber, 0, "nAN"}}},
      {"NaN 123", {{T::kNumber, 0, "NaN"}, {T::kNumber, 4, "123"}}},
      {"NaN123", {{T::kIdentifier, 0, "NaN123"}}},
      {"iNf", {{T::kNumber, 0, "iNf"}}},
      {"+Inf", {{T::kAdd, 0, "+"}, {T::kNumber, 1, "Inf"}}},
      {"Infoo", {{T::kIdentifier, 0, "Infoo"}}},
      {"-Infoo", {{T::kSub, 0, "-"}, {T::kIdentifier, 1, "Infoo"}}},
      {"0x123", {{T::kNumber, 0, "0x123"}}},
      {"\"test\\tsequence\"", {{T::kString, 0, "\"test\\tsequence\""}}},
      {"\"test\\\\.expression\"", {{T::kString, 0, "\"test\\\\.expression\""}}},
      {"\"test\\.expression\"", {{T::kError, 0, "unknown escape sequence U+002E '.'"}}},
      {"`test\\.expression`", {{T::kString, 0, "`test\\.expression`"}}},
      {"5s", {{T::kDuration, 0, "5s"}}},
      {"123m", {{T::kDuration, 0, "123m"}}},
      {"1y", {{T::kDuration, 0, "1y"}}},
      {"a:bc", {{T::kMetricIdentifier, 0, "a:bc"}}},
      {"abc d", {{T::kIdentifier, 0, "abc"}, {T::kIdentifier, 4, "d"}}},
      {":bc", {{T::kMetricIdentifier, 0, ":bc"}}},
      {"# some comment", {{T::kComment, 0, "# some comment"}}},
      {"5 # 1+1\n5", {{T::kNumber, 0, "5"}, {T::kComment, 2, "# 1+1"}, {T::kNumber, 8, "5"}}},
      {"=", {{T::kEql, 0, "="}}},
      {"{=}", {{T::kLeftBrace, 0, "{"}, {T::kEql, 1, "="}, {T::kRightBrace, 2, "}"}}},
      {"==", {{T::kEqlc, 0, "=="}}},
      {"!=", {{T::kNeq, 0, "!="}}},
      {"<=", {{T::kLte, 0, "<="}}},
      {"AND", {{T::kLand, 0, "AND"}}},
      {"unless", {{T::kLunless, 0, "unless"}}},
      {"@", {{T::kAt, 0, "@"}}},
      {"GROUP", {{T::kGroup, 0, "GROUP"}}},
      {"group_right", {{T::kGroupRight, 0, "group_right"}}},
      {"atan2", {{T::kAtan2, 0, "atan2"}}},
      {"start", {{T::kStart, 0, "start"}}},
      {"fill + fill()",
       {{T::kIdentifier, 0, "fill"},
        {T::kAdd, 5, "+"},
        {T::kFill, 7, "fill"},
        {T::kLeftParen, 11, "("},
        {T::kRightParen, 12, ")"}}},
      {"{NaN\t!= \"bar\" }",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "NaN"},
        {T::kNeq, 5, "!="},
        {T::kString, 8, "\"bar\""},
        {T::kRightBrace, 14, "}"}}},
      {"{on!~\"bar\"}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "on"},
        {T::kNeqRegex, 3, "!~"},
        {T::kString, 5, "\"bar\""},
        {T::kRightBrace, 10, "}"}}},
      {"test:name{on!~\"b:ar\"}[4m:]",
       {{T::kMetricIdentifier, 0, "test:name"},
        {T::kLeftBrace, 9, "{"},
        {T::kIdentifier, 10, "on"},
        {T::kNeqRegex, 12, "!~"},
        {T::kString, 14, "\"b:ar\""},
        {T::kRightBrace, 20, "}"},
        {T::kLeftBracket, 21, "["},
        {T::kDuration, 22, "4m"},
        {T::kColon, 24, ":"},
        {T::kRightBracket, 25, "]"}}},
      {"x[4m:4s] offset 10m",
       {{T::kIdentifier, 0, "x"},
        {T::kLeftBracket, 1, "["},
        {T::kDuration, 2, "4m"},
        {T::kColon, 4, ":"},
        {T::kDuration, 5, "4s"},
        {T::kRightBracket, 7, "]"},
        {T::kOffset, 9, "offset"},
        {T::kDuration, 16, "10m"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(LexAll(c.input), c.want);
  }
}

TEST(LexerTest, RefusesWhatPrometheusRefuses) {
  for (const char* input : {".\xd9\xa9",
                            "0a:bc",
                            "\xe5\x8f\xb0\xe5\x8c\x97",
                            "{\xe5\x8f\xb0='a'}",
                            "{0a='a'}",
                            "{alert!#\"bar\"}",
                            "{foo:a=\"bar\"}",
                            "=~",
                            "!~",
                            "!(",
                            "1a",
                            "(",
                            "())",
                            "(()",
                            "{",
                            "}",
                            "{{",
                            "{{}}",
                            "[",
                            "[[",
                            "[]]",
                            "[[]]",
                            "]",
                            "\"\xff\"",
                            "`\xff`"}) {
    SCOPED_TRACE(input);
    const std::vector<Lexed> tokens = LexAll(input);
    ASSERT_FALSE(tokens.empty());
    EXPECT_EQ(tokens.back().type, TokenType::kError);
  }
}

TEST(ParserTest, NumberLiterals) {
  const struct {
    const char* input;
    double value;
  } cases[] = {
      {"1", 1},
      {"+Inf", INFINITY},
      {"-Inf", -INFINITY},
      {".5", 0.5},
      {"5.", 5},
      {"123.4567", 123.4567},
      {"5e-3", 0.005},
      {"5e3", 5000},
      {"0xc", 12},
      {"0755", 493},
      {"+5.5e-3", 0.0055},
      {"-0755", -493},
      {"0x_1F", 31},
      {"1_000.5", 1000.5},
      {"08", 8},
      {"1E2", 100},
      {"5m", 300},
      {"1h30m", 5400},
      {"-1d", -86400},
      {"1ms", 0.001},
      {"inf", INFINITY},
      {"- - 2", 2},
      {"99999999999999999999", 1e20},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    ExprPtr e = MustParse(c.input);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->kind, ExprKind::kNumberLiteral);
    EXPECT_EQ(e->As<NumberLiteral>().value, c.value);
    EXPECT_EQ(e->type(), ValueType::kScalar);
  }
  ExprPtr nan = MustParse("NaN");
  ASSERT_NE(nan, nullptr);
  EXPECT_TRUE(std::isnan(nan->As<NumberLiteral>().value));
  EXPECT_TRUE(MustParse("5m")->As<NumberLiteral>().duration);
  EXPECT_FALSE(MustParse("300")->As<NumberLiteral>().duration);
}

TEST(ParserTest, StringLiteralsAndEscapes) {
  const struct {
    const char* input;
    std::string value;
  } cases[] = {
      {R"("double-quoted string \" with escaped quote")",
       "double-quoted string \" with escaped quote"},
      {R"('single-quoted string \' with escaped quote')",
       "single-quoted string ' with escaped quote"},
      {"`backtick-quoted string`", "backtick-quoted string"},
      {R"("\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺")",
       "\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺"},
      {R"('\a\b\f\n\r\t\v\\\' - \xFF\377\u1234\U00010111\U0001011111☺')",
       "\a\b\f\n\r\t\v\\' - \xFF\377\u1234\U00010111\U0001011111☺"},
      {"`\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺`",
       "\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    ExprPtr e = MustParse(c.input);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->kind, ExprKind::kStringLiteral);
    EXPECT_EQ(e->As<StringLiteral>().value, c.value);
    EXPECT_EQ(e->type(), ValueType::kString);
  }
}

TEST(ParserTest, UnaryMinusBindsWeakerThanPower) {
  ExprPtr e = MustParse("-1^2");
  ASSERT_EQ(e->kind, ExprKind::kUnary);
  EXPECT_TRUE(e->As<UnaryExpr>().negate);
  const Expr& pow = *e->As<UnaryExpr>().expr;
  ASSERT_EQ(pow.kind, ExprKind::kBinary);
  EXPECT_EQ(pow.As<BinaryExpr>().op, BinaryOp::kPow);
  EXPECT_EQ(pow.As<BinaryExpr>().lhs->As<NumberLiteral>().value, 1);

  e = MustParse("-1*2");
  ASSERT_EQ(e->kind, ExprKind::kBinary);
  EXPECT_EQ(e->As<BinaryExpr>().op, BinaryOp::kMul);
  EXPECT_EQ(e->As<BinaryExpr>().lhs->As<NumberLiteral>().value, -1);
  EXPECT_EQ(e->As<BinaryExpr>().lhs->pos.start, 0);

  e = MustParse("-1^-2");
  ASSERT_EQ(e->kind, ExprKind::kUnary);
  EXPECT_EQ(e->As<UnaryExpr>().expr->As<BinaryExpr>().rhs->As<NumberLiteral>().value, -2);

  e = MustParse("+1 + -2 * 1");
  ASSERT_EQ(e->As<BinaryExpr>().op, BinaryOp::kAdd);
  EXPECT_EQ(e->As<BinaryExpr>().lhs->As<NumberLiteral>().value, 1);
  EXPECT_EQ(e->As<BinaryExpr>().rhs->As<BinaryExpr>().op, BinaryOp::kMul);

  e = MustParse("-some_metric");
  ASSERT_EQ(e->kind, ExprKind::kUnary);
  EXPECT_EQ(e->As<UnaryExpr>().expr->kind, ExprKind::kVectorSelector);
  EXPECT_EQ(e->pos.start, 0);
  e = MustParse(" +some_metric");
  ASSERT_EQ(e->kind, ExprKind::kUnary);
  EXPECT_FALSE(e->As<UnaryExpr>().negate);
  EXPECT_EQ(e->pos.start, 1);
  EXPECT_EQ(e->As<UnaryExpr>().expr->pos.start, 2);
  EXPECT_EQ(e->As<UnaryExpr>().expr->pos.end, 13);
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  // ^ is right-associative; everything else left-associative.
  EXPECT_EQ(MustParse("2 ^ 3 ^ 2")->As<BinaryExpr>().rhs->kind, ExprKind::kBinary);
  EXPECT_EQ(MustParse("2 - 3 - 2")->As<BinaryExpr>().lhs->kind, ExprKind::kBinary);
  EXPECT_EQ(MustParse("a / b * c")->As<BinaryExpr>().op, BinaryOp::kMul);
  // or < and/unless < comparisons < +- < */% atan2 < ^.
  ExprPtr e = MustParse("foo + bar or bla and blub");
  ASSERT_EQ(e->As<BinaryExpr>().op, BinaryOp::kOr);
  EXPECT_EQ(e->As<BinaryExpr>().lhs->As<BinaryExpr>().op, BinaryOp::kAdd);
  EXPECT_EQ(e->As<BinaryExpr>().rhs->As<BinaryExpr>().op, BinaryOp::kAnd);
  e = MustParse("foo and bar unless baz or qux");
  ASSERT_EQ(e->As<BinaryExpr>().op, BinaryOp::kOr);
  EXPECT_EQ(e->As<BinaryExpr>().lhs->As<BinaryExpr>().op, BinaryOp::kUnless);
  e = MustParse("1 < bool 2 - 1 * 2");
  ASSERT_EQ(e->As<BinaryExpr>().op, BinaryOp::kLss);
  EXPECT_TRUE(e->As<BinaryExpr>().return_bool);
  EXPECT_EQ(e->As<BinaryExpr>().rhs->As<BinaryExpr>().op, BinaryOp::kSub);
  e = MustParse("a atan2 b ^ c");
  ASSERT_EQ(e->As<BinaryExpr>().op, BinaryOp::kAtan2);
  EXPECT_EQ(e->As<BinaryExpr>().rhs->As<BinaryExpr>().op, BinaryOp::kPow);
  // Offsets, @ and brackets bind tighter than any operator.
  e = MustParse("a + b offset 5m");
  EXPECT_EQ(e->As<BinaryExpr>().rhs->As<VectorSelector>().offset_ms, 300000);
  e = MustParse("-a offset 5m");
  EXPECT_EQ(e->As<UnaryExpr>().expr->As<VectorSelector>().offset_ms, 300000);
}

TEST(ParserTest, VectorMatching) {
  ExprPtr e = MustParse("bar + on(foo) bla / on(baz, buz) group_right(test) blub");
  const auto& add = e->As<BinaryExpr>();
  ASSERT_EQ(add.op, BinaryOp::kAdd);
  ASSERT_TRUE(add.matching.has_value());
  EXPECT_TRUE(add.matching->on);
  EXPECT_EQ(add.matching->matching_labels, std::vector<std::string>{"foo"});
  EXPECT_EQ(add.matching->card, VectorMatching::Card::kOneToOne);
  const auto& div = add.rhs->As<BinaryExpr>();
  ASSERT_TRUE(div.matching.has_value());
  EXPECT_EQ(div.matching->card, VectorMatching::Card::kOneToMany);
  EXPECT_EQ(div.matching->matching_labels, (std::vector<std::string>{"baz", "buz"}));
  EXPECT_EQ(div.matching->include, std::vector<std::string>{"test"});

  e = MustParse("foo / ignoring(test,blub) group_left(blub) bar");
  EXPECT_FALSE(e->As<BinaryExpr>().matching->on);
  EXPECT_EQ(e->As<BinaryExpr>().matching->card, VectorMatching::Card::kManyToOne);

  e = MustParse("foo and on() bar");
  EXPECT_EQ(e->As<BinaryExpr>().matching->card, VectorMatching::Card::kManyToMany);
  EXPECT_TRUE(e->As<BinaryExpr>().matching->on);
  e = MustParse("foo unless bar");
  EXPECT_EQ(e->As<BinaryExpr>().matching->card, VectorMatching::Card::kManyToMany);

  // Scalar operands carry no matching.
  EXPECT_FALSE(MustParse("foo == 1")->As<BinaryExpr>().matching.has_value());
  EXPECT_FALSE(MustParse("2.5 / bar")->As<BinaryExpr>().matching.has_value());
  EXPECT_FALSE(MustParse("1 + 1")->As<BinaryExpr>().matching.has_value());
  EXPECT_EQ(MustParse("1 + 1")->type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("1 + foo")->type(), ValueType::kVector);
}

TEST(ParserTest, Selectors) {
  ExprPtr e = MustParse(R"(foo{a="b", foo!="bar", test=~"test", bar!~"baz",})");
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "foo");
  ASSERT_EQ(vs.matchers.size(), 5u);
  EXPECT_EQ(vs.matchers[0].name(), "__name__");
  EXPECT_EQ(vs.matchers[0].value(), "foo");
  EXPECT_EQ(vs.matchers[1].type(), storage::LabelMatcher::Type::kEqual);
  EXPECT_EQ(vs.matchers[2].type(), storage::LabelMatcher::Type::kNotEqual);
  EXPECT_EQ(vs.matchers[3].type(), storage::LabelMatcher::Type::kRegexMatch);
  EXPECT_EQ(vs.matchers[4].type(), storage::LabelMatcher::Type::kRegexNoMatch);
  EXPECT_EQ(vs.pos.start, 0);
  EXPECT_EQ(vs.pos.end, 49);

  e = MustParse(R"({"foo", a="bc"})");
  EXPECT_EQ(e->As<VectorSelector>().name, "");
  ASSERT_EQ(e->As<VectorSelector>().matchers.size(), 2u);
  EXPECT_EQ(e->As<VectorSelector>().matchers[0].name(), "__name__");
  EXPECT_EQ(e->As<VectorSelector>().matchers[0].value(), "foo");

  e = MustParse(R"({'foo\'bar', 'a\\dos\\path'='boo\\urns'})");
  EXPECT_EQ(e->As<VectorSelector>().matchers[0].value(), "foo'bar");
  EXPECT_EQ(e->As<VectorSelector>().matchers[1].name(), "a\\dos\\path");
  EXPECT_EQ(e->As<VectorSelector>().matchers[1].value(), "boo\\urns");

  // Keywords name metrics where a metric can start.
  for (const char* name : {"min", "sum", "offset", "by", "and", "start", "end", "step", "anchored",
                           "smoothed", "count_values"}) {
    e = MustParse(name);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->As<VectorSelector>().name, name);
  }
  e = MustParse(R"(offset{step="1s"}[5m])");
  EXPECT_EQ(e->As<MatrixSelector>().vector_selector->As<VectorSelector>().name, "offset");
  e = MustParse("a + sum");
  EXPECT_EQ(e->As<BinaryExpr>().rhs->As<VectorSelector>().name, "sum");
  e = MustParse("sum(sum)");
  EXPECT_EQ(e->As<AggregateExpr>().expr->As<VectorSelector>().name, "sum");
  e = MustParse(R"(foo{NaN='bc'})");
  EXPECT_EQ(e->As<VectorSelector>().matchers[1].name(), "NaN");
  e = MustParse("foo:bar{a=\"bc\"}");
  EXPECT_EQ(e->As<VectorSelector>().name, "foo:bar");
  // Two __name__ matchers inside the braces are fine.
  EXPECT_NE(MustParse(R"({__name__=~"bar", __name__!~"baz"})"), nullptr);
  EXPECT_NE(MustParse(R"({"bar", __name__="baz"})"), nullptr);
}

TEST(ParserTest, RangesOffsetsAndAt) {
  ExprPtr e = MustParse(R"(test{a="b"}[5y] OFFSET 3d)");
  const auto& m = e->As<MatrixSelector>();
  EXPECT_EQ(m.range_ms, 5LL * 365 * 24 * 3600 * 1000);
  EXPECT_EQ(m.vector_selector->As<VectorSelector>().offset_ms, 3LL * 24 * 3600 * 1000);
  EXPECT_EQ(e->type(), ValueType::kMatrix);
  EXPECT_EQ(e->pos.end, 25);

  EXPECT_EQ(MustParse("foo offset -7m")->As<VectorSelector>().offset_ms, -420000);
  EXPECT_EQ(MustParse("foo OFFSET 1m30ms")->As<VectorSelector>().offset_ms, 60030);
  EXPECT_EQ(MustParse("test[5]")->As<MatrixSelector>().range_ms, 5000);
  EXPECT_EQ(MustParse("foo[4.018] @ 2.345")->As<MatrixSelector>().range_ms, 4018);

  const struct {
    const char* input;
    int64_t at_ms;
  } ats[] = {{"foo @ 1603774568", 1603774568000},
             {"foo @ -100", -100000},
             {"foo @ .3", 300},
             {"foo @ 3.", 3000},
             {"foo @ 3.3333", 3333},
             {"foo @ 3.3335", 3334},
             {"foo @ 3e2", 300000},
             {"foo @ 3e-1", 300},
             {"foo @ 0xA", 10000},
             {"foo @ -3.3e1", -33000},
             {"foo @ 1m", 60000}};
  for (const auto& c : ats) {
    SCOPED_TRACE(c.input);
    e = MustParse(c.input);
    EXPECT_EQ(e->As<VectorSelector>().at, AtKind::kTimestamp);
    EXPECT_EQ(e->As<VectorSelector>().at_ms, c.at_ms);
  }
  EXPECT_EQ(MustParse("foo @ start()")->As<VectorSelector>().at, AtKind::kStart);
  EXPECT_EQ(MustParse("foo @ end()")->As<VectorSelector>().at, AtKind::kEnd);
  e = MustParse("test[5y] @ end()");
  EXPECT_EQ(e->As<MatrixSelector>().vector_selector->As<VectorSelector>().at, AtKind::kEnd);
}

TEST(ParserTest, Subqueries) {
  ExprPtr e = MustParse(R"(foo{bar="baz"}[10m5s:1h6ms])");
  ASSERT_EQ(e->kind, ExprKind::kSubquery);
  EXPECT_EQ(e->As<SubqueryExpr>().range_ms, 605000);
  EXPECT_EQ(e->As<SubqueryExpr>().step_ms, 3600006);
  EXPECT_EQ(e->pos.end, 27);
  EXPECT_EQ(MustParse("foo[10m:]")->As<SubqueryExpr>().step_ms, 0);

  e = MustParse(R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:] offset 4m)[4m:3s])");
  const auto& outer = e->As<SubqueryExpr>();
  EXPECT_EQ(outer.range_ms, 240000);
  const auto& inner = outer.expr->As<Call>().args[0]->As<SubqueryExpr>();
  EXPECT_EQ(inner.offset_ms, 240000);
  EXPECT_EQ(inner.range_ms, 300000);

  e = MustParse("some_metric[10m:5s] offset 1m @ 123");
  EXPECT_EQ(e->As<SubqueryExpr>().offset_ms, 60000);
  EXPECT_EQ(e->As<SubqueryExpr>().at_ms, 123000);
  EXPECT_EQ(e->pos.end, 35);
  e = MustParse("some_metric @ 123 offset 1m [10m:5s]");
  EXPECT_EQ(e->As<SubqueryExpr>().expr->As<VectorSelector>().at_ms, 123000);
  EXPECT_EQ(e->As<SubqueryExpr>().expr->As<VectorSelector>().offset_ms, 60000);
  e = MustParse(R"((foo + bar{nm="val"} @ 1234)[5m:] @ 1603775019)");
  EXPECT_EQ(e->As<SubqueryExpr>().at_ms, 1603775019000);
  EXPECT_EQ(e->As<SubqueryExpr>().expr->kind, ExprKind::kParen);
}

TEST(ParserTest, AggregationsAndCalls) {
  ExprPtr e = MustParse("sum without(and, by, avg, count, alert, annotations)(some_metric)");
  const auto& a = e->As<AggregateExpr>();
  EXPECT_TRUE(a.without);
  EXPECT_EQ(a.grouping,
            (std::vector<std::string>{"and", "by", "avg", "count", "alert", "annotations"}));
  EXPECT_EQ(e->pos.end, 65);

  e = MustParse("sum (some_metric) without (foo)");
  EXPECT_TRUE(e->As<AggregateExpr>().without);
  EXPECT_EQ(e->pos.end, 31);
  e = MustParse("sum by (foo,bar,)(some_metric)");
  EXPECT_EQ(e->As<AggregateExpr>().grouping, (std::vector<std::string>{"foo", "bar"}));
  e = MustParse(R"(sum by ("foo", bar, 'baz')({"some.metric"}))");
  EXPECT_EQ(e->As<AggregateExpr>().grouping, (std::vector<std::string>{"foo", "bar", "baz"}));

  e = MustParse("topk(5, some_metric)");
  EXPECT_EQ(e->As<AggregateExpr>().op, AggregateOp::kTopk);
  EXPECT_EQ(e->As<AggregateExpr>().param->As<NumberLiteral>().value, 5);
  e = MustParse(R"(count_values("value", some_metric))");
  EXPECT_EQ(e->As<AggregateExpr>().param->As<StringLiteral>().value, "value");
  e = MustParse("QUANTILE(0.9, x) BY (a)");
  EXPECT_EQ(e->As<AggregateExpr>().op, AggregateOp::kQuantile);

  e = MustParse("time()");
  EXPECT_EQ(e->As<Call>().func->name, "time");
  EXPECT_EQ(e->type(), ValueType::kScalar);
  e = MustParse("round(some_metric, 5)");
  EXPECT_EQ(e->As<Call>().args.size(), 2u);
  e = MustParse(R"(label_join(up, "dst", ",", "a", "b", "c"))");
  EXPECT_EQ(e->As<Call>().args.size(), 6u);
  e = MustParse("hour()");
  EXPECT_EQ(e->As<Call>().args.size(), 0u);
  e = MustParse("histogram_fraction(0, 0.2, foo)");
  EXPECT_EQ(e->As<Call>().func->arg_types.size(), 3u);
}

TEST(ParserTest, FunctionTableHoldsTheEvaluatedFunctions) {
  for (const char* name : {"abs",
                           "absent",
                           "absent_over_time",
                           "acos",
                           "acosh",
                           "asin",
                           "asinh",
                           "atan",
                           "atanh",
                           "avg_over_time",
                           "ceil",
                           "changes",
                           "clamp",
                           "clamp_max",
                           "clamp_min",
                           "cos",
                           "cosh",
                           "count_over_time",
                           "day_of_month",
                           "day_of_week",
                           "day_of_year",
                           "days_in_month",
                           "deg",
                           "delta",
                           "deriv",
                           "exp",
                           "floor",
                           "histogram_quantile",
                           "hour",
                           "idelta",
                           "increase",
                           "irate",
                           "label_join",
                           "label_replace",
                           "last_over_time",
                           "ln",
                           "log10",
                           "log2",
                           "max_over_time",
                           "min_over_time",
                           "minute",
                           "month",
                           "pi",
                           "predict_linear",
                           "present_over_time",
                           "quantile_over_time",
                           "rad",
                           "rate",
                           "resets",
                           "round",
                           "scalar",
                           "sgn",
                           "sin",
                           "sinh",
                           "sort",
                           "sort_desc",
                           "sqrt",
                           "stddev_over_time",
                           "stdvar_over_time",
                           "sum_over_time",
                           "tan",
                           "tanh",
                           "time",
                           "timestamp",
                           "vector",
                           "year",
                           "histogram_avg",
                           "histogram_count",
                           "histogram_sum",
                           "histogram_fraction",
                           "histogram_stddev",
                           "histogram_stdvar"}) {
    const FunctionInfo* f = LookupFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
    EXPECT_FALSE(IsExperimentalFunction(name)) << name;
  }
  for (const char* name : {"sort_by_label", "double_exponential_smoothing", "info", "mad_over_time",
                           "ts_of_max_over_time", "first_over_time"}) {
    EXPECT_EQ(LookupFunction(name), nullptr) << name;
    EXPECT_TRUE(IsExperimentalFunction(name)) << name;
  }
  EXPECT_EQ(LookupFunction("holt_winters"), nullptr);
  EXPECT_EQ(LookupFunction("label_join")->variadic, -1);
  EXPECT_EQ(LookupFunction("round")->variadic, 1);
  EXPECT_EQ(LookupFunction("scalar")->return_type, ValueType::kScalar);
  EXPECT_EQ(LookupFunction("quantile_over_time")->arg_types,
            (std::vector<ValueType>{ValueType::kScalar, ValueType::kMatrix}));
}

TEST(ParserTest, CommentsAndWhitespace) {
  ExprPtr e = MustParse("# leading comment\nsum(\n  rate(foo[5m]) # trailing\n)\t");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ToString(), "sum(rate(foo[5m]))");
  e = MustParse("foo{# comment\na=\"b\"}");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ToString(), R"(foo{a="b"})");
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(5000, '(') + "1" + std::string(5000, ')');
  auto e = ParseExpr(deep);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("nests too deeply"));

  std::string long_sum = "1";
  for (int i = 0; i < 5000; ++i) long_sum += "+1";
  EXPECT_FALSE(ParseExpr(long_sum).ok());
  std::string unary(5000, '-');
  EXPECT_FALSE(ParseExpr(unary + "foo").ok());
  std::string subqueries = "foo";
  for (int i = 0; i < 2000; ++i) subqueries += "[1m:]";
  EXPECT_FALSE(ParseExpr(subqueries).ok());

  // Moderate depth is fine.
  std::string fine = std::string(200, '(') + "1" + std::string(200, ')');
  EXPECT_TRUE(ParseExpr(fine).ok());
}

TEST(ParserTest, MetricSelectorForSeriesApi) {
  auto m = ParseMetricSelector(R"(up{job=~"a.*"})");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name(), "__name__");
  EXPECT_EQ((*m)[1].type(), storage::LabelMatcher::Type::kRegexMatch);
  EXPECT_TRUE(ParseMetricSelector(R"({job="a"})").ok());
  EXPECT_TRUE(ParseMetricSelector("sum").ok());

  auto empty = ParseMetricSelector(R"({job=~".*"})");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "match[] must contain at least one non-empty matcher");
  auto bad = ParseMetricSelector("up[5m]");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "1:3: parse error: unexpected \"[\"");
  EXPECT_FALSE(ParseMetricSelector("rate(up[5m])").ok());
  EXPECT_FALSE(ParseMetricSelector("").ok());
}

TEST(ParserTest, DurationsAsModelParseDuration) {
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(*ParseDurationMs("90s"), 90000);
  EXPECT_EQ(*ParseDurationMs("0"), 0);
  EXPECT_EQ(*ParseDurationMs("1y2w3d4h5m6s7ms"),
            ((((365LL + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7);
  EXPECT_EQ(ParseDurationMs("5m1h").status().message(), "not a valid duration string: \"5m1h\"");
  EXPECT_EQ(ParseDurationMs("5x").status().message(), "unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(ParseDurationMs("").status().message(), "empty duration string");
  EXPECT_EQ(ParseDurationMs("1.5h").status().message(), "unknown unit \".\" in duration \"1.5h\"");
  EXPECT_EQ(ParseDurationMs("300y").status().message(), "duration out of range");
}

// Every query of Prometheus' parse_test.go that needs no experimental feature.
TEST(ParserTest, RoundTripsParseTestQueries) {
  for (const char* q : {
           "1",
           "+Inf",
           "-Inf",
           ".5",
           "5.",
           "123.4567",
           "5e-3",
           "5e3",
           "0xc",
           "0755",
           "+5.5e-3",
           "-0755",
           "1 + 1",
           "1 - 1",
           "1 * 1",
           "1 % 1",
           "1 / 1",
           "1 == bool 1",
           "1 != bool 1",
           "1 > bool 1",
           "1 >= bool 1",
           "1 < bool 1",
           "1 <= bool 1",
           "-1^2",
           "-1*2",
           "-1+2",
           "-1^-2",
           "+1 + -2 * 1",
           "1 + 2/(3*1)",
           "1 < bool 2 - 1 * 2",
           "-some_metric",
           "+some_metric",
           " +some_metric",
           R"( +{"some_metric"})",
           R"(offset{step="1s"}[5m])",
           R"(step{offset="1s"}[5m])",
           R"(anchored{job="test"})",
           R"(smoothed{job="test"})",
           "foo * bar",
           "foo * sum",
           "foo == 1",
           "foo == bool 1",
           "2.5 / bar",
           "foo and bar",
           "foo or bar",
           "foo unless bar",
           "foo + bar or bla and blub",
           "foo and bar unless baz or qux",
           "bar + on(foo) bla / on(baz, buz) group_right(test) blub",
           "foo * on(test,blub) bar",
           "foo * on(test,blub) group_left bar",
           "foo and on(test,blub) bar",
           "foo and on() bar",
           "foo and ignoring(test,blub) bar",
           "foo and ignoring() bar",
           "foo unless on(bar) baz",
           "foo / on(test,blub) group_left(bar) bar",
           "foo / ignoring(test,blub) group_left(blub) bar",
           "foo / ignoring(test,blub) group_left(bar) bar",
           "foo - on(test,blub) group_right(bar,foo) bar",
           "foo - ignoring(test,blub) group_right(bar,foo) bar",
           "foo",
           "min",
           "foo offset 5m",
           "foo offset -7m",
           "foo OFFSET 1h30m",
           "foo OFFSET 1m30ms",
           "foo @ 1603774568",
           "foo @ -100",
           "foo @ .3",
           "foo @ 3.",
           "foo @ 3.33",
           "foo @ 3.3333",
           "foo @ 3.3335",
           "foo @ 3e2",
           "foo @ 3e-1",
           "foo @ 0xA",
           "foo @ -3.3e1",
           R"(foo:bar{a="bc"})",
           R"({"foo"})",
           R"({'foo\'bar', 'a\\dos\\path'='boo\\urns'})",
           R"({"foo", a="bc"})",
           R"(foo{NaN='bc'})",
           R"(foo{bar='}'})",
           R"(foo{a="b", foo!="bar", test=~"test", bar!~"baz"})",
           R"({a="b", foo!="bar", "foo", test=~"test", bar!~"baz"})",
           R"(foo{a="b", foo!="bar", test=~"test", bar!~"baz",})",
           R"({__name__=~"bar", __name__!~"baz"})",
           R"({__name__="bar", __name__="baz"})",
           R"({"bar", __name__="baz"})",
           "test[1000ms]",
           "test[1001ms]",
           "test[1002ms]",
           "test[5s]",
           "test[5m]",
           "foo[5m30s]",
           "test[5h] OFFSET 5m",
           "test[5d] OFFSET 10s",
           "test[5w] offset 2w",
           R"(test{a="b"}[5y] OFFSET 3d)",
           R"(test{a="b"}[5m] OFFSET 3600)",
           "foo[3ms] @ 2.345",
           "foo[4s180ms] @ 2.345",
           "foo[4.18] @ 2.345",
           "foo[4s18ms] @ 2.345",
           "foo[4.018] @ 2.345",
           R"(test{a="b"}[5y] @ 1603774699)",
           "test[5]",
           "some_metric[5m] @ 1m",
           "sum by (foo)(some_metric)",
           "sum by (anchored)(some_metric)",
           "sum by (smoothed)(some_metric)",
           R"(sum by ("foo bar")({"some.metric"}))",
           R"(sum by ("foo", bar, 'baz')({"some.metric"}))",
           "avg by (foo)(some_metric)",
           "max by (foo)(some_metric)",
           "sum without (foo) (some_metric)",
           "sum (some_metric) without (foo)",
           "stddev(some_metric)",
           "stdvar by (foo)(some_metric)",
           "sum by ()(some_metric)",
           "sum by (foo,bar,)(some_metric)",
           "sum by (foo,)(some_metric)",
           "topk(5, some_metric)",
           R"(count_values("value", some_metric))",
           "sum without(and, by, avg, count, alert, annotations)(some_metric)",
           "time()",
           R"(floor(some_metric{foo!="bar"}))",
           "rate(some_metric[5m])",
           "round(some_metric)",
           "round(some_metric, 5)",
           "sum(sum)",
           "a + sum",
           R"("double-quoted string \" with escaped quote")",
           R"('single-quoted string \' with escaped quote')",
           "`backtick-quoted string`",
           R"("\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺")",
           R"(foo{bar="baz"}[10m:6s])",
           R"(foo{bar="baz"}[10m5s:1h6ms])",
           "foo[10m:]",
           R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:5s]))",
           R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:])[4m:3s])",
           R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:] offset 4m)[4m:3s])",
           R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:] @ 1603775091)[4m:3s])",
           R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:] @ -160377509)[4m:3s])",
           "sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s]",
           "some_metric OFFSET 1m [10m:5s]",
           "some_metric @ 123 [10m:5s]",
           "some_metric @ 123 offset 1m [10m:5s]",
           "some_metric offset 1m @ 123 [10m:5s]",
           "some_metric[10m:5s] offset 1m @ 123",
           R"((foo + bar{nm="val"})[5m:])",
           R"((foo + bar{nm="val"})[5m:] offset 10m)",
           R"((foo + bar{nm="val"} @ 1234)[5m:] @ 1603775019)",
           "foo @ start()",
           "foo @ end()",
           "test[5y] @ start()",
           "test[5y] @ end()",
           "foo[10m:6s] @ start()",
           "foo[10m:6s] @ end()",
           "start",
           "end",
           R"(start{end="foo"})",
           R"(end{start="foo"})",
           "foo unless on(start) bar",
           "foo unless on(end) bar",
           "foo offset 5s-8",
           "foo offset -1^1",
           "(sum(foo))",
           "(sum(foo) )",
           "(sum(foo) by (bar))",
           "(sum by (bar) (foo))",
           "sum by (job)(rate(http_requests_total[30m]))",
           "NaN",
       }) {
    ExpectRoundTrip(q);
  }
}

std::vector<std::string> AcceptanceExpressions(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  const RE2 eval(
      R"(^\s*eval(?:_fail|_ordered|_warn|_info)?\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$)");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".test") continue;
    std::ifstream in(entry.path());
    std::string line;
    std::string expr;
    while (std::getline(in, line)) {
      if (RE2::FullMatch(line, eval, &expr)) out.push_back(expr);
    }
  }
  return out;
}

// Every `eval` expression of Prometheus' PromQL test files parses and round-trips, unless it
// needs an experimental feature (which must then fail with Prometheus' "not enabled" error).
TEST(ParserTest, ParsesEveryAcceptanceExpression) {
  const std::filesystem::path here = std::filesystem::path(__FILE__).parent_path();
  std::filesystem::path dir = here / "promqltest/testdata";
  if (!std::filesystem::is_directory(dir)) dir = here / "../../../shared/promqltest";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no " << dir;
  const std::vector<std::string> exprs = AcceptanceExpressions(dir);
  ASSERT_GT(exprs.size(), 1000u);
  int parsed = 0;
  int experimental = 0;
  for (const std::string& q : exprs) {
    SCOPED_TRACE(q);
    auto e = ParseExpr(q);
    if (!e.ok()) {
      const std::string message(e.status().message());
      const bool disabled = message.find("is not enabled") != std::string::npos ||
                            message.find("is experimental") != std::string::npos ||
                            message.find("experimental and not enabled") != std::string::npos;
      EXPECT_TRUE(disabled) << message;
      ++experimental;
      continue;
    }
    ++parsed;
    ExpectRoundTrip(q);
  }
  EXPECT_GT(parsed, 1100);
  std::cout << parsed << " parsed, " << experimental << " need experimental features\n";
}

}  // namespace
}  // namespace plumbline::query
