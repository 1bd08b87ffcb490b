// Expr::ToString() against Prometheus' printer (promql/parser/printer_test.go, and the
// String() methods of printer.go for the cases that file does not cover).
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "query/ast.h"
#include "query/parser.h"
#include "storage/matcher.h"

namespace plumbline::query {
namespace {

struct PrintCase {
  const char* in;
  const char* out;  // null: same as `in`
};

void ExpectPrints(const PrintCase& c) {
  SCOPED_TRACE(c.in);
  auto expr = ParseExpr(c.in);
  ASSERT_TRUE(expr.ok()) << expr.status();
  const std::string want = c.out != nullptr ? c.out : c.in;
  const std::string got = (*expr)->ToString();
  EXPECT_EQ(got, want);
  // The printed form parses back to a tree that prints the same.
  auto again = ParseExpr(got);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->ToString(), got);
}

// printer_test.go, TestExprString.
TEST(PrinterTest, MatchesPrometheusExprString) {
  const PrintCase cases[] = {
      {R"(sum by() (task:errors:rate10s{job="s"}))", R"(sum(task:errors:rate10s{job="s"}))"},
      {R"(sum by(code) (task:errors:rate10s{job="s"}))",
       R"(sum by (code) (task:errors:rate10s{job="s"}))"},
      {R"(sum without() (task:errors:rate10s{job="s"}))",
       R"(sum without () (task:errors:rate10s{job="s"}))"},
      {R"(sum without(instance) (task:errors:rate10s{job="s"}))",
       R"(sum without (instance) (task:errors:rate10s{job="s"}))"},
      {R"(topk(5, task:errors:rate10s{job="s"}))", nullptr},
      {R"(count_values("value", task:errors:rate10s{job="s"}))", nullptr},
      {"a - on() c", "a - on () c"},
      {"a - on(b) c", "a - on (b) c"},
      {"a - on(b) group_left(x) c", "a - on (b) group_left (x) c"},
      {"a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"},
      {"a - on(b) group_left c", "a - on (b) group_left () c"},
      {"a - on(b) group_left() (c)", "a - on (b) group_left () (c)"},
      {"a - ignoring(b) c", "a - ignoring (b) c"},
      {"a - ignoring() c", "a - c"},
      {"up > bool 0", nullptr},
      {"a offset 1m", nullptr},
      {"a offset -7m", nullptr},
      {R"(a{c="d"}[5m] offset 1m)", nullptr},
      {"a[5m] offset 1m", nullptr},
      {"a[12m] offset -3m", nullptr},
      {"a[1h:5m] offset 1m", nullptr},
      {R"({__name__="a"})", nullptr},
      {R"(a{b!="c"}[1m])", nullptr},
      {R"(a{b=~"c"}[1m])", nullptr},
      {R"(a{b!~"c"}[1m])", nullptr},
      {"a @ 10", "a @ 10.000"},
      {"a[1m] @ 10", "a[1m] @ 10.000"},
      {"a @ start()", nullptr},
      {"a @ end()", nullptr},
      {"a[1m] @ start()", nullptr},
      {"a[1m] @ end()", nullptr},
  };
  for (const PrintCase& c : cases) ExpectPrints(c);
}

TEST(PrinterTest, NumbersAsStrconvFormatFloat) {
  const PrintCase cases[] = {
      {"1", nullptr},
      {".5", "0.5"},
      {"5.", "5"},
      {"123.4567", nullptr},
      {"5e-3", "0.005"},
      {"5e3", "5000"},
      {"0xc", "12"},
      {"0755", "493"},
      {"-0755", "-493"},
      {"+5.5e-3", "0.0055"},
      {"1e21", "1000000000000000000000"},
      {"1_000", "1000"},
      {"Inf", "+Inf"},
      {"+Inf", nullptr},
      {"-Inf", nullptr},
      {"NaN", nullptr},
      {"nan", "NaN"},
      {"-0", nullptr},
      {"0.1 + 0.2", nullptr},
      {"2 ^ -1", nullptr},
      {"1e-7", "0.0000001"},
  };
  for (const PrintCase& c : cases) ExpectPrints(c);
}

TEST(PrinterTest, DurationsAsModelDuration) {
  const PrintCase cases[] = {
      {"foo[90s]", "foo[1m30s]"},
      {"foo[1h30m]", nullptr},
      {"foo[1000ms]", "foo[1s]"},
      {"foo[1001ms]", "foo[1s1ms]"},
      {"foo[5]", "foo[5s]"},
      {"foo[4.18]", "foo[4s180ms]"},
      {"foo[14d]", "foo[2w]"},
      {"foo[90d]", "foo[90d]"},
      {"foo[365d]", "foo[1y]"},
      {"foo[5y] offset 3d", nullptr},
      {"foo offset 3600", "foo offset 1h"},
      {"foo offset -1m30s", nullptr},
      {"foo[10m:]", nullptr},
      {"foo[10m:6s]", nullptr},
      {"foo[10m5s:1h6ms]", nullptr},
      {"5m", nullptr},
      {"-5m", nullptr},
      {"90s", "1m30s"},
      {"vector(5m) * 2", nullptr},
  };
  for (const PrintCase& c : cases) ExpectPrints(c);
}

TEST(PrinterTest, StringsAndLabelsQuotedAsGo) {
  const PrintCase cases[] = {
      {"'single'", R"("single")"},
      {"`raw \\d`", R"("raw \\d")"},
      {R"("tab\there")", nullptr},
      {R"("\x41\u00e9\U0001F600")", "\"A\u00e9\U0001F600\""},
      {R"("\xff")", nullptr},
      {R"("nbsp\u00a0")", nullptr},
      {R"(foo{a="b\nc"})", nullptr},
      {R"(foo{b="2",a="1"})", R"(foo{a="1",b="2"})"},
      {R"({"foo.bar"})", R"({__name__="foo.bar"})"},
      {R"({"foo.bar", "service.name"="api"})", R"({"service.name"="api",__name__="foo.bar"})"},
      {R"(sum by ("foo bar", job) ({"some.metric"}))",
       R"(sum by ("foo bar", job) ({__name__="some.metric"}))"},
      {R"(sum by (a:b) (x))", R"(sum by ("a:b") (x))"},
      {R"(sum by ("without", "NaN", "bool") (x))", R"(sum by ("without", "NaN", bool) (x))"},
      {R"(a + on("inf") b)", R"(a + on ("inf") b)"},
      {R"x(label_replace(up, "dst", "$1", "src", "(.*)"))x", nullptr},
  };
  for (const PrintCase& c : cases) ExpectPrints(c);
}

TEST(PrinterTest, OperatorsWithoutAddedParentheses) {
  const PrintCase cases[] = {
      {"-1^2", "-1 ^ 2"},
      {"-1*2", "-1 * 2"},
      {"(-1)^2", "(-1) ^ 2"},
      {"2^3^2", "2 ^ 3 ^ 2"},
      {"(2^3)^2", "(2 ^ 3) ^ 2"},
      {"a+b*c", "a + b * c"},
      {"(a+b)*c", "(a + b) * c"},
      {"--a", nullptr},
      {"+a", nullptr},
      {"- -1", "1"},
      {"Inf ^ 2", nullptr},
      {"(+Inf) ^ 2", nullptr},
      {"a atan2 b", nullptr},
      {"a AND b OR c UNLESS d", "a and b or c unless d"},
      {"SUM(a) BY (job)", "sum by (job) (a)"},
      {"a == bool on (x) group_right (y) b", nullptr},
      {"1 + on() a", "1 + a"},
      {"sum(rate(x[5m])) by (job) / ignoring(job) group_left sum(y)",
       "sum by (job) (rate(x[5m])) / ignoring (job) group_left () sum(y)"},
      {"rate(x[5m] offset 1m @ 100)", "rate(x[5m] @ 100.000 offset 1m)"},
      {"x offset 1m @ end()", "x @ end() offset 1m"},
      {"(x)[5m:] @ start() offset 1m", nullptr},
      {"quantile(0.9, x) without (a)", "quantile without (a) (0.9, x)"},
  };
  for (const PrintCase& c : cases) ExpectPrints(c);
}

storage::LabelMatcher Eq(std::string name, std::string value) {
  return *storage::LabelMatcher::Create(storage::LabelMatcher::Type::kEqual, std::move(name),
                                        std::move(value));
}

// printer_test.go, TestVectorSelector_String (name matcher first here, as ast.h documents).
TEST(PrinterTest, VectorSelectorFromParts) {
  VectorSelector empty;
  EXPECT_EQ(empty.ToString(), "");

  VectorSelector named;
  named.name = "foobar";
  EXPECT_EQ(named.ToString(), "foobar");

  VectorSelector one;
  one.name = "foobar";
  one.matchers.push_back(Eq("a", "x"));
  EXPECT_EQ(one.ToString(), R"(foobar{a="x"})");

  VectorSelector two;
  two.name = "foobar";
  two.matchers.push_back(Eq("b", "y"));
  two.matchers.push_back(Eq("a", "x"));
  EXPECT_EQ(two.ToString(), R"(foobar{a="x",b="y"})");

  VectorSelector unnamed;
  unnamed.matchers.push_back(Eq("a", "x"));
  unnamed.matchers.push_back(Eq("b", "y"));
  EXPECT_EQ(unnamed.ToString(), R"({a="x",b="y"})");

  VectorSelector name_and_matcher;
  name_and_matcher.name = "foobar";
  name_and_matcher.matchers.push_back(Eq("__name__", "foobar"));
  EXPECT_EQ(name_and_matcher.ToString(), "foobar");

  VectorSelector matcher_only;
  matcher_only.matchers.push_back(Eq("__name__", "foobar"));
  EXPECT_EQ(matcher_only.ToString(), R"({__name__="foobar"})");

  VectorSelector modified;
  modified.name = "m";
  modified.offset_ms = -90000;
  modified.at = AtKind::kTimestamp;
  modified.at_ms = -1500;
  EXPECT_EQ(modified.ToString(), "m @ -1.500 offset -1m30s");
}

}  // namespace
}  // namespace plumbline::query
