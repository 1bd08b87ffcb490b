#include "tests/query/promqltest/script.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/parser.h"
#include "query/value.h"
#include "storage/labels.h"
#include "tests/query/promqltest/compare.h"
#include "tests/query/promqltest/query_text.h"
#include "tests/query/promqltest/selector_reads.h"

namespace plumbline::promqltest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> Values(const std::vector<SequenceValue>& seq) {
  std::vector<double> out;
  for (const SequenceValue& v : seq) out.push_back(v.omitted ? -999 : v.value);
  return out;
}

std::vector<double> Expand(const std::string& text) {
  auto seq = ParseSequence(text);
  EXPECT_TRUE(seq.ok()) << text << ": " << seq.status();
  return seq.ok() ? Values(*seq) : std::vector<double>{};
}

storage::Labels L(std::vector<storage::Label> pairs) {
  auto labels = storage::Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(labels.ok()) << labels.status();
  return *labels;
}

EvalCmd ParseOneEval(const std::string& text) {
  auto script = ParseScript(text);
  EXPECT_TRUE(script.ok()) << script.status();
  if (!script.ok()) return {};
  for (const Command& c : script->commands) {
    if (const auto* e = std::get_if<EvalCmd>(&c)) return *e;
  }
  ADD_FAILURE() << "no eval in " << text;
  return {};
}

// --- Expanding notation -------------------------------------------------------------------

TEST(ParseSequenceTest, PlainValues) {
  EXPECT_THAT(Expand("1 2.5 -3 .5 1e3 -1.5e-2"), ElementsAre(1, 2.5, -3, 0.5, 1000, -0.015));
}

TEST(ParseSequenceTest, IncreasingAndDecreasingExpandToNPlusOneValues) {
  EXPECT_THAT(Expand("1+1x3"), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Expand("10-2x2"), ElementsAre(10, 8, 6));
  EXPECT_THAT(Expand("-1+1x2"), ElementsAre(-1, 0, 1));
  EXPECT_THAT(Expand("0+10x0"), ElementsAre(0));
}

TEST(ParseSequenceTest, RepeatExpandsToNPlusOneValues) {
  EXPECT_THAT(Expand("5x2"), ElementsAre(5, 5, 5));
  // No hexadecimal in series values: 0x3 is 0 repeated.
  EXPECT_THAT(Expand("0x3"), ElementsAre(0, 0, 0, 0));
}

TEST(ParseSequenceTest, OmittedValues) {
  EXPECT_THAT(Expand("1 _ 2 _x3 3"), ElementsAre(1, -999, 2, -999, -999, -999, 3));
  auto seq = ParseSequence("_x2");
  ASSERT_TRUE(seq.ok());
  ASSERT_EQ(seq->size(), 2u);
  EXPECT_TRUE((*seq)[0].omitted);
}

TEST(ParseSequenceTest, AccumulatesLikePrometheus) {
  // $1 += $2 each step, not 0 + k * 0.1.
  auto seq = ParseSequence("0+0.1x3");
  ASSERT_TRUE(seq.ok());
  double v = 0;
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ((*seq)[k].value, v);
    v += 0.1;
  }
}

TEST(ParseSequenceTest, SpecialValues) {
  auto seq = ParseSequence("stale Inf -Inf +Inf NaN inf");
  ASSERT_TRUE(seq.ok()) << seq.status();
  ASSERT_EQ(seq->size(), 6u);
  EXPECT_TRUE(query::IsStaleNaN((*seq)[0].value));
  EXPECT_EQ((*seq)[1].value, kInf);
  EXPECT_EQ((*seq)[2].value, -kInf);
  EXPECT_EQ((*seq)[3].value, kInf);
  EXPECT_TRUE(std::isnan((*seq)[4].value));
  EXPECT_FALSE(query::IsStaleNaN((*seq)[4].value));
  EXPECT_EQ((*seq)[5].value, kInf);
}

TEST(ParseSequenceTest, NativeHistogramsAreCountedNotDecoded) {
  auto seq = ParseSequence(
      "1 {{schema:0 sum:1 count:1 buckets:[1 2]}} _ {{count:1}}x2 {{count:0}}+{{count:1}}x1 3");
  ASSERT_TRUE(seq.ok()) << seq.status();
  std::vector<int> kinds;  // 0 float, 1 omitted, 2 histogram
  for (const SequenceValue& v : *seq) kinds.push_back(v.histogram ? 2 : v.omitted ? 1 : 0);
  EXPECT_THAT(kinds, ElementsAre(0, 2, 1, 2, 2, 2, 2, 2, 0));
  EXPECT_EQ((*seq)[8].value, 3);
  EXPECT_FALSE(ParseSequence("{{count:1").ok());
  EXPECT_FALSE(ParseSequence("{{count:1}}+1x2").ok());
  EXPECT_FALSE(ParseSequence("{{count:1}}y").ok());
}

TEST(ParseSequenceTest, RejectsMalformedItems) {
  EXPECT_FALSE(ParseSequence("1+1").ok());  // an increment needs a count
  EXPECT_FALSE(ParseSequence("1x").ok());
  EXPECT_FALSE(ParseSequence("abc").ok());
  EXPECT_FALSE(ParseSequence("5m").ok());
  EXPECT_FALSE(ParseSequence("1+x3").ok());
  EXPECT_FALSE(ParseSequence("_xa").ok());
}

// --- Series descriptions ------------------------------------------------------------------

TEST(ParseSeriesDescTest, NameLabelsAndValues) {
  auto s = ParseSeriesDesc(R"(http_requests{job="api", instance="0"} 1+1x2 _ 5)");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labels,
            (LabelSet{{"__name__", "http_requests"}, {"instance", "0"}, {"job", "api"}}));
  EXPECT_THAT(Values(s->values), ElementsAre(1, 2, 3, -999, 5));
  EXPECT_FALSE(s->native_histogram);
}

TEST(ParseSeriesDescTest, Forms) {
  auto braces = ParseSeriesDesc(R"({__name__="m", a="b"} 1)");
  ASSERT_TRUE(braces.ok()) << braces.status();
  EXPECT_EQ(braces->labels, (LabelSet{{"__name__", "m"}, {"a", "b"}}));

  auto bare = ParseSeriesDesc("metric:rate5m 7");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->labels, (LabelSet{{"__name__", "metric:rate5m"}}));

  auto empty = ParseSeriesDesc("some_metric{} 1 _ 3");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->labels, (LabelSet{{"__name__", "some_metric"}}));
  EXPECT_THAT(Values(empty->values), ElementsAre(1, -999, 3));

  auto none = ParseSeriesDesc("{} 5 5 5");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->labels.empty());

  auto trailing = ParseSeriesDesc(R"(m{a="b",} 1)");
  ASSERT_TRUE(trailing.ok());

  auto quoted_name = ParseSeriesDesc(R"({"my.metric", a="b"} 1)");
  ASSERT_TRUE(quoted_name.ok()) << quoted_name.status();
  EXPECT_EQ(quoted_name->labels, (LabelSet{{"__name__", "my.metric"}, {"a", "b"}}));

  auto no_values = ParseSeriesDesc(R"(m{a="b"})");
  ASSERT_TRUE(no_values.ok());
  EXPECT_TRUE(no_values->values.empty());
}

TEST(ParseSeriesDescTest, QuotedValuesAndEscapes) {
  auto s = ParseSeriesDesc(
      R"({job="{count:20, sum:10, [-2,-1):2}", group="a\"b\\c", x='y', z=`r\aw`} 2)");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labels, (LabelSet{{"group", "a\"b\\c"},
                                 {"job", "{count:20, sum:10, [-2,-1):2}"},
                                 {"x", "y"},
                                 {"z", "r\\aw"}}));
  EXPECT_THAT(Values(s->values), ElementsAre(2));
}

TEST(ParseSeriesDescTest, LabelsSortInByteOrder) {
  // Prometheus sorts names bytewise: upper case before `__name__`.
  auto s = ParseSeriesDesc(R"(m{b="1", A="2"} 1)");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->labels, (LabelSet{{"A", "2"}, {"__name__", "m"}, {"b", "1"}}));
}

TEST(ParseSeriesDescTest, NativeHistogramValuesAreRecognised) {
  auto h = ParseSeriesDesc("metric {{schema:0 sum:1 count:1 buckets:[1]}}x2");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->native_histogram);
  EXPECT_EQ(h->labels, (LabelSet{{"__name__", "metric"}}));

  auto mixed = ParseSeriesDesc(R"(m{a="b"} 1 2 {{count:1}} 3)");
  ASSERT_TRUE(mixed.ok());
  EXPECT_TRUE(mixed->native_histogram);
  ASSERT_EQ(mixed->values.size(), 4u);
  EXPECT_TRUE(mixed->values[2].histogram);
  EXPECT_EQ(mixed->values[3].value, 3);
}

TEST(ParseSeriesDescTest, RejectsMalformedLines) {
  EXPECT_FALSE(ParseSeriesDesc(R"(m{a!="b"} 1)").ok());
  EXPECT_FALSE(ParseSeriesDesc(R"(m{a="b" 1)").ok());
  EXPECT_FALSE(ParseSeriesDesc(R"(m{a=b} 1)").ok());
  EXPECT_FALSE(ParseSeriesDesc(R"(m{a="b", a="c"} 1)").ok());
  EXPECT_FALSE(ParseSeriesDesc("1 2 3").ok());
  EXPECT_FALSE(ParseSeriesDesc(R"(m{a="b"}x 1)").ok());
}

TEST(GoUnquoteTest, GoEscapes) {
  EXPECT_EQ(*GoUnquote(R"("a\xc5z")"), "a\xc5z");
  EXPECT_EQ(*GoUnquote(R"("\u00e9\t\101")"), "\xc3\xa9\tA");
  EXPECT_EQ(*GoUnquote("`raw \\n`"), "raw \\n");
  EXPECT_EQ(*GoUnquote("'x'"), "x");
  EXPECT_FALSE(GoUnquote(R"("a\qb")").ok());
  EXPECT_FALSE(GoUnquote(R"("abc)").ok());
}

// --- Numbers and durations ----------------------------------------------------------------

TEST(ParseNumberTest, GoSemantics) {
  EXPECT_EQ(*ParseNumber("1"), 1);
  EXPECT_EQ(*ParseNumber("-5"), -5);
  EXPECT_EQ(*ParseNumber("0x1f"), 31);
  EXPECT_EQ(*ParseNumber("010"), 8);  // ParseInt with base 0: octal
  EXPECT_EQ(*ParseNumber("08"), 8);   // not octal: ParseFloat
  EXPECT_EQ(*ParseNumber("0.00001234"), 0.00001234);
  EXPECT_EQ(*ParseNumber("12340000"), 12340000);
  EXPECT_EQ(*ParseNumber("-Inf"), -kInf);
  EXPECT_EQ(*ParseNumber("+Inf"), kInf);
  EXPECT_TRUE(std::isnan(*ParseNumber("NaN")));
  EXPECT_EQ(*ParseNumber("1e-3"), 0.001);
  EXPECT_FALSE(ParseNumber("1 2").ok());
  EXPECT_FALSE(ParseNumber("{} 1").ok());
  EXPECT_FALSE(ParseNumber("foo").ok());
  EXPECT_FALSE(ParseNumber("").ok());
}

TEST(ParseDurationTest, PrometheusDurations) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("5m"), 300000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParseDuration("100ms"), 100);
  EXPECT_EQ(*ParseDuration("1d"), 86400000);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("-1m").ok());
  EXPECT_FALSE(ParseDuration("5").ok());
}

// --- Scripts ------------------------------------------------------------------------------

TEST(ParseScriptTest, LoadBlock) {
  auto script = ParseScript(R"(
# A comment.
load 5m
  http_requests{job="api"} 0+10x2
  other 1 _ stale
  http_requests{job="api"} 7

clear
)");
  ASSERT_TRUE(script.ok()) << script.status();
  ASSERT_EQ(script->commands.size(), 2u);
  const auto& load = std::get<LoadCmd>(script->commands[0]);
  EXPECT_EQ(load.line, 3);
  EXPECT_EQ(load.interval_ms, 300000);
  EXPECT_FALSE(load.with_nhcb);
  // A repeated series keeps its last definition, in its first place.
  ASSERT_EQ(load.series.size(), 2u);
  EXPECT_THAT(Values(load.series[0].values), ElementsAre(7));
  EXPECT_TRUE(query::IsStaleNaN(load.series[1].values[2].value));
  EXPECT_EQ(std::get<ClearCmd>(script->commands[1]).line, 8);
}

TEST(ParseScriptTest, LoadWithNhcb) {
  auto script = ParseScript("load_with_nhcb 1m\n  h_bucket{le=\"1\"} 1 2\n");
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_TRUE(std::get<LoadCmd>(script->commands[0]).with_nhcb);
}

TEST(ParseScriptTest, InstantEvalHeader) {
  EvalCmd e = ParseOneEval("eval instant at 1h30m sum by (job) (rate(x[5m]))\n  {job=\"a\"} 1\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.expr, "sum by (job) (rate(x[5m]))");
  EXPECT_FALSE(e.is_range);
  EXPECT_EQ(e.eval_ms, 5400000);
  EXPECT_EQ(e.start_ms, 5400000);
  EXPECT_FALSE(e.has_end);
  ASSERT_EQ(e.expected.size(), 1u);
  EXPECT_EQ(e.expected.begin()->first, (LabelSet{{"job", "a"}}));
  EXPECT_EQ(e.expected.begin()->second.pos, 1);
}

TEST(ParseScriptTest, RangeEvalHeader) {
  EvalCmd e = ParseOneEval("eval range from 0 to 10m step 5m  x  +  1\n  x{a=\"b\"} 1 _ 3\n");
  EXPECT_TRUE(e.is_range);
  EXPECT_EQ(e.expr, "x  +  1");
  EXPECT_EQ(e.start_ms, 0);
  EXPECT_EQ(e.end_ms, 600000);
  EXPECT_EQ(e.step_ms, 300000);
  EXPECT_TRUE(e.has_end);
  ASSERT_EQ(e.expected.size(), 1u);
  EXPECT_THAT(Values(e.expected.begin()->second.values), ElementsAre(1, -999, 3));
}

TEST(ParseScriptTest, OlderSpellings) {
  EvalCmd fail = ParseOneEval("eval_fail instant at 0 -{job=\"api\"}\n");
  EXPECT_TRUE(fail.fail);
  EXPECT_TRUE(fail.IsFail());
  EvalCmd ordered = ParseOneEval("eval_ordered instant at 50m sort(x)\n  x{a=\"1\"} 1\n");
  EXPECT_TRUE(ordered.IsOrdered());
  EvalCmd warn = ParseOneEval("eval_warn range from 0 to 1m step 1m x\n");
  EXPECT_TRUE(warn.warn);
  EXPECT_EQ(warn.AnnotationExpectations(), 1);
  EvalCmd info = ParseOneEval("eval_info instant at 0 x\n");
  EXPECT_TRUE(info.info);
  EvalCmd message = ParseOneEval("eval_fail instant at 0 x\n  expected_fail_message boom here\n");
  EXPECT_EQ(message.expected_fail_message, "boom here");
  EvalCmd regexp = ParseOneEval("eval_fail instant at 0 x\n  expected_fail_regexp bo+m\n");
  EXPECT_EQ(regexp.expected_fail_regexp, "bo+m");
}

TEST(ParseScriptTest, ExpectLines) {
  EvalCmd e = ParseOneEval(R"(eval instant at 50m topk(NaN, x)
    expect fail msg: Parameter value is NaN
)");
  ASSERT_NE(e.FailExpectation(), nullptr);
  EXPECT_EQ(e.FailExpectation()->message, "Parameter value is NaN");
  EXPECT_TRUE(e.FailExpectation()->Matches("Parameter value is NaN"));
  EXPECT_FALSE(e.FailExpectation()->Matches("Parameter value is NaN!"));

  EvalCmd r = ParseOneEval("eval instant at 0 x\n  expect fail regex: same.*labelset\n");
  EXPECT_TRUE(r.FailExpectation()->Matches("vector cannot contain metrics with the same labelset"));
  EXPECT_FALSE(r.FailExpectation()->Matches("other"));

  EvalCmd any = ParseOneEval("eval instant at 0 x\n  expect fail\n");
  EXPECT_TRUE(any.FailExpectation()->Matches("whatever"));
  // Go reads invalid UTF-8 as U+FFFD, which `.` matches.
  EXPECT_TRUE(any.FailExpectation()->Matches("invalid label name \xff"));

  EvalCmd annotations = ParseOneEval(R"(eval instant at 0 x
  expect warn msg: PromQL warning: something
  expect no_info
  expect ordered
  x{a="1"} 1
  x{a="2"} 2
)");
  EXPECT_EQ(annotations.AnnotationExpectations(), 2);
  EXPECT_TRUE(annotations.IsOrdered());
  EXPECT_FALSE(annotations.IsFail());
  // Positions count value lines only.
  EXPECT_EQ(annotations.expected.at(LabelSet{{"__name__", "x"}, {"a", "1"}}).pos, 1);
  EXPECT_EQ(annotations.expected.at(LabelSet{{"__name__", "x"}, {"a", "2"}}).pos, 2);
}

TEST(ParseScriptTest, ExpectStringAndRangeVector) {
  EvalCmd s = ParseOneEval("eval instant at 50m \"Foo\"\n\texpect string `Foo`\n");
  EXPECT_EQ(s.expected_string, "Foo");
  EXPECT_TRUE(s.exclude_from_range_query);
  EvalCmd empty = ParseOneEval("eval instant at 50m \"\"\n   \texpect string \"\"\n");
  EXPECT_EQ(empty.expected_string, "");

  EvalCmd r = ParseOneEval(R"(eval instant at 1m some_metric[1m]
  expect range vector from 10s to 1m step 10s
  some_metric{env="a"} 2 3 4 5 6
)");
  EXPECT_EQ(r.start_ms, 10000);
  EXPECT_EQ(r.end_ms, 60000);
  EXPECT_EQ(r.step_ms, 10000);
  EXPECT_EQ(r.eval_ms, 60000);  // evaluated at the directive's end
  EXPECT_TRUE(r.has_end);
  EXPECT_TRUE(r.exclude_from_range_query);
  EXPECT_EQ(r.expected.begin()->second.values.size(), 5u);
}

TEST(ParseScriptTest, ScalarExpectationEndsTheBlock) {
  auto script = ParseScript("eval instant at 0 1 + 1\n  2\n");
  ASSERT_TRUE(script.ok());
  const auto& e = std::get<EvalCmd>(script->commands[0]);
  EXPECT_TRUE(e.expect_scalar);
  EXPECT_EQ(e.scalar.value, 2);
  // Anything after the scalar line is read as a command, as test.go does.
  EXPECT_FALSE(ParseScript("eval instant at 0 1\n  1\n  2\n").ok());
}

TEST(ParseScriptTest, HistogramExpectationIsFlagged) {
  EvalCmd e = ParseOneEval("eval instant at 1m h\n  h {{schema:0 count:1}}\n");
  EXPECT_TRUE(e.expects_native_histogram);
}

TEST(ParseScriptTest, MalformedFiles) {
  auto unknown = ParseScript("\nfrobnicate 5m\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("line 2"));
  // A comment inside a block ends it: the next line is then not a command.
  EXPECT_FALSE(ParseScript("load 1m\n  a 1\n  # note\n  b 2\n").ok());
  EXPECT_FALSE(ParseScript("load\n").ok());
  EXPECT_FALSE(ParseScript("load 5x\n  a 1\n").ok());
  EXPECT_FALSE(ParseScript("eval instant at 1m x\n  x 1 2\n").ok());
  EXPECT_FALSE(ParseScript("eval range from 10m to 0 step 1m x\n").ok());
  EXPECT_FALSE(ParseScript("eval instant x\n").ok());
  EXPECT_FALSE(ParseScript("eval instant at 0 x\n  expect warn\n  expect no_warn\n").ok());
  EXPECT_FALSE(ParseScript("eval instant at 0 x\n  expect fail\n  expect fail\n").ok());
  EXPECT_FALSE(ParseScript("eval instant at 0 x\n  expect sometimes\n").ok());
  EXPECT_FALSE(ParseScript("eval instant at 0 x\n  expect string Foo\n").ok());
  EXPECT_FALSE(ParseScript("eval instant at 0 x\n  x{a=\"b\" 1\n").ok());
}

TEST(ParseScriptTest, ParsesEveryPrometheusTestFile) {
  const std::filesystem::path dir = PROMQLTEST_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) GTEST_SKIP() << "no " << dir;
  int files = 0;
  int evals = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".test") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto script = ParseScript(text.str());
    ASSERT_TRUE(script.ok()) << entry.path() << ": " << script.status();
    ++files;
    for (const Command& c : script->commands) evals += std::holds_alternative<EvalCmd>(c) ? 1 : 0;
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(evals, 0);
}

// --- Comparison ---------------------------------------------------------------------------

TEST(AlmostEqualTest, RelativeTolerance) {
  EXPECT_TRUE(AlmostEqual(1, 1));
  EXPECT_TRUE(AlmostEqual(1, 1 + 1e-7));
  EXPECT_FALSE(AlmostEqual(1, 1 + 1e-5));
  EXPECT_TRUE(AlmostEqual(1e20, 1e20 * (1 + 1e-7)));
  EXPECT_FALSE(AlmostEqual(0, 1e-300));  // zero: absolute, scaled by the smallest normal
  EXPECT_TRUE(AlmostEqual(0, 0));
  EXPECT_TRUE(AlmostEqual(-0.0, 0.0));
  EXPECT_TRUE(AlmostEqual(kInf, kInf));
  EXPECT_FALSE(AlmostEqual(kInf, -kInf));
  EXPECT_FALSE(AlmostEqual(kInf, 1e308));
}

TEST(AlmostEqualTest, NaNAndStaleness) {
  EXPECT_TRUE(AlmostEqual(kNaN, kNaN));
  EXPECT_FALSE(AlmostEqual(kNaN, 1));
  EXPECT_TRUE(AlmostEqual(query::StaleNaN(), query::StaleNaN()));
  EXPECT_FALSE(AlmostEqual(query::StaleNaN(), kNaN));
  EXPECT_FALSE(AlmostEqual(kNaN, query::StaleNaN()));
}

TEST(CompareResultTest, VectorIgnoresOrderAndUsesTolerance) {
  EvalCmd e = ParseOneEval("eval instant at 0 x\n  x{a=\"1\"} 1\n  x{a=\"2\"} NaN\n");
  query::Vector got = {{L({{"__name__", "x"}, {"a", "2"}}), 0, kNaN},
                       {L({{"__name__", "x"}, {"a", "1"}}), 0, 1.0000001}};
  EXPECT_EQ(CompareResult(e, got), std::nullopt);
}

TEST(CompareResultTest, VectorMismatches) {
  EvalCmd e = ParseOneEval("eval instant at 0 x\n  x{a=\"1\"} 1\n  x{a=\"2\"} 2\n");
  query::Vector wrong_value = {{L({{"__name__", "x"}, {"a", "1"}}), 0, 1},
                               {L({{"__name__", "x"}, {"a", "2"}}), 0, 3}};
  auto m = CompareResult(e, wrong_value);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, "value mismatch");
  EXPECT_THAT(m->diff, ElementsAre("- x{a=\"2\"} 2", "+ x{a=\"2\"} 3"));

  query::Vector missing = {{L({{"__name__", "x"}, {"a", "1"}}), 0, 1}};
  ASSERT_TRUE(CompareResult(e, missing).has_value());
  EXPECT_EQ(CompareResult(e, missing)->kind, "missing series");

  query::Vector extra = {{L({{"__name__", "x"}, {"a", "1"}}), 0, 1},
                         {L({{"__name__", "x"}, {"a", "2"}}), 0, 2},
                         {L({{"a", "3"}}), 0, 2}};
  EXPECT_EQ(CompareResult(e, extra)->kind, "unexpected series");

  query::Vector duplicate = {{L({{"__name__", "x"}, {"a", "1"}}), 0, 1},
                             {L({{"__name__", "x"}, {"a", "1"}}), 0, 1},
                             {L({{"__name__", "x"}, {"a", "2"}}), 0, 2}};
  EXPECT_EQ(CompareResult(e, duplicate)->kind, "duplicate series in result");

  EXPECT_EQ(CompareResult(e, query::Scalar{0, 1})->kind, "result type");
}

TEST(CompareResultTest, EmptyExpectationWantsEmptyVector) {
  EvalCmd e = ParseOneEval("eval instant at 0 x\n");
  EXPECT_EQ(CompareResult(e, query::Vector{}), std::nullopt);
  query::Vector one = {{L({{"a", "1"}}), 0, 1}};
  EXPECT_TRUE(CompareResult(e, one).has_value());
}

TEST(CompareResultTest, OrderedVector) {
  EvalCmd e =
      ParseOneEval("eval instant at 0 sort(x)\n  expect ordered\n  x{a=\"1\"} 1\n  x{a=\"2\"} 2\n");
  query::Vector right = {{L({{"__name__", "x"}, {"a", "1"}}), 0, 1},
                         {L({{"__name__", "x"}, {"a", "2"}}), 0, 2}};
  query::Vector reversed = {right[1], right[0]};
  EXPECT_EQ(CompareResult(e, right), std::nullopt);
  ASSERT_TRUE(CompareResult(e, reversed).has_value());
  EXPECT_EQ(CompareResult(e, reversed)->kind, "wrong order");
  // An ordered expectation cannot be met by a matrix.
  EXPECT_TRUE(CompareResult(e, query::Matrix{}).has_value());
}

TEST(CompareResultTest, Scalar) {
  EvalCmd e = ParseOneEval("eval instant at 0 scalar(x)\n  0.5\n");
  EXPECT_EQ(CompareResult(e, query::Scalar{0, 0.5000000001}), std::nullopt);
  EXPECT_TRUE(CompareResult(e, query::Scalar{0, 0.6}).has_value());
  EXPECT_EQ(CompareResult(e, query::Vector{})->kind, "result type");
  EvalCmd nan = ParseOneEval("eval instant at 0 0 / 0\n  NaN\n");
  EXPECT_EQ(CompareResult(nan, query::Scalar{0, kNaN}), std::nullopt);
}

TEST(CompareResultTest, String) {
  EvalCmd e = ParseOneEval("eval instant at 0 \"Foo\"\n  expect string \"Foo\"\n");
  EXPECT_EQ(CompareResult(e, query::String{0, "Foo"}), std::nullopt);
  EXPECT_EQ(CompareResult(e, query::String{0, "Bar"})->kind, "string mismatch");
}

TEST(CompareResultTest, RangeMatrixWithOmittedPoints) {
  EvalCmd e = ParseOneEval("eval range from 0 to 2m step 1m x\n  x{a=\"1\"} 1 _ 3\n  {} 5 5 5\n");
  query::Matrix got = {{L({}), {{0, 5}, {60000, 5}, {120000, 5}}},
                       {L({{"__name__", "x"}, {"a", "1"}}), {{0, 1}, {120000, 3}}}};
  EXPECT_EQ(CompareResult(e, got), std::nullopt);

  query::Matrix wrong_time = {{L({}), {{0, 5}, {60000, 5}, {120000, 5}}},
                              {L({{"__name__", "x"}, {"a", "1"}}), {{0, 1}, {60000, 3}}}};
  EXPECT_EQ(CompareResult(e, wrong_time)->kind, "timestamp mismatch");

  query::Matrix too_few = {{L({}), {{0, 5}, {60000, 5}}},
                           {L({{"__name__", "x"}, {"a", "1"}}), {{0, 1}, {120000, 3}}}};
  EXPECT_EQ(CompareResult(e, too_few)->kind, "point count mismatch");

  query::Matrix unsorted = {got[1], got[0]};
  EXPECT_EQ(CompareResult(e, unsorted)->kind, "matrix not sorted");

  // One series split in two is reported as such, with both parts in the diff.
  query::Matrix split = {{L({}), {{0, 5}, {60000, 5}, {120000, 5}}},
                         {L({{"__name__", "x"}, {"a", "1"}}), {{0, 1}}},
                         {L({{"__name__", "x"}, {"a", "1"}}), {{120000, 3}}}};
  auto m = CompareResult(e, split);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, "duplicate series in result");
  EXPECT_THAT(m->diff,
              ElementsAre("- x{a=\"1\"} 1@0s 3@120s", "+ x{a=\"1\"} 1@0s", "+ x{a=\"1\"} 3@120s"));
}

TEST(CompareResultTest, TooManyExpectedPoints) {
  EvalCmd e = ParseOneEval("eval range from 0 to 1m step 1m x\n  x 1 2 3\n");
  query::Matrix got = {{L({{"__name__", "x"}}), {{0, 1}, {60000, 2}}}};
  EXPECT_EQ(CompareResult(e, got)->kind, "too many expected points");
}

TEST(CompareResultTest, InstantMatrixNeedsExpectRangeVector) {
  // Without `expect range vector` any expected point is out of range, as in test.go.
  EvalCmd plain = ParseOneEval("eval instant at 1m x[1m]\n  x 1\n");
  query::Matrix got = {{L({{"__name__", "x"}}), {{60000, 1}}}};
  EXPECT_TRUE(CompareResult(plain, got).has_value());
  EvalCmd none = ParseOneEval("eval instant at 1m x[1m]\n");
  EXPECT_EQ(CompareResult(none, query::Matrix{}), std::nullopt);

  EvalCmd ranged = ParseOneEval(
      "eval instant at 1m x[1m]\n  expect range vector from 30s to 1m step 30s\n  x 1 2\n");
  query::Matrix two = {{L({{"__name__", "x"}}), {{30000, 1}, {60000, 2}}}};
  EXPECT_EQ(CompareResult(ranged, two), std::nullopt);
}

TEST(AssertMatrixSortedTest, PrometheusLabelOrder) {
  // Byte order of names: `A` < `__name__` < `a`.
  query::Matrix sorted = {{L({{"A", "1"}}), {}}, {L({{"__name__", "m"}}), {}}};
  EXPECT_EQ(AssertMatrixSorted(sorted), std::nullopt);
  query::Matrix unsorted = {{L({{"__name__", "m"}}), {}}, {L({{"A", "1"}}), {}}};
  EXPECT_TRUE(AssertMatrixSorted(unsorted).has_value());
  query::Matrix by_value = {
      {L({{"a", "1"}}), {}}, {L({{"a", "2"}}), {}}, {L({{"a", "2"}, {"b", "1"}}), {}}};
  EXPECT_EQ(AssertMatrixSorted(by_value), std::nullopt);
}

TEST(CheckExpectedFailureTest, MessageRegexAndLegacyForms) {
  EvalCmd msg = ParseOneEval("eval instant at 0 x\n  expect fail msg: exact text\n");
  EXPECT_EQ(CheckExpectedFailure(msg, "exact text"), std::nullopt);
  EXPECT_TRUE(CheckExpectedFailure(msg, "exact text and more").has_value());

  EvalCmd re = ParseOneEval("eval instant at 0 x\n  expect fail regex: ^exact\n");
  EXPECT_EQ(CheckExpectedFailure(re, "exact text and more"), std::nullopt);
  EXPECT_TRUE(CheckExpectedFailure(re, "not exact").has_value());

  EvalCmd legacy = ParseOneEval("eval_fail instant at 0 x\n  expected_fail_message boom\n");
  EXPECT_EQ(CheckExpectedFailure(legacy, "boom"), std::nullopt);
  EXPECT_EQ(CheckExpectedFailure(legacy, "bang")->kind, "wrong error message");

  EvalCmd plain = ParseOneEval("eval_fail instant at 0 x\n");
  EXPECT_EQ(CheckExpectedFailure(plain, "anything"), std::nullopt);
}

TEST(FormatTest, LabelSetsAndFloats) {
  EXPECT_EQ(FormatLabelSet({{"__name__", "m"}, {"a", "x\"y"}, {"b", "2"}}),
            "m{a=\"x\\\"y\", b=\"2\"}");
  EXPECT_EQ(FormatLabelSet({}), "{}");
  EXPECT_EQ(FormatFloat(0.1), "0.1");
  EXPECT_EQ(FormatFloat(1e100), "1e+100");
  EXPECT_EQ(FormatFloat(120), "120");
  EXPECT_EQ(FormatFloat(1e20), "100000000000000000000");
  EXPECT_EQ(FormatFloat(1e21), "1e+21");
  EXPECT_EQ(FormatFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatFloat(0.00001234), "1.234e-05");
  EXPECT_EQ(FormatFloat(76.81818181818181), "76.81818181818181");
  EXPECT_EQ(FormatFloat(-kInf), "-Inf");
  EXPECT_EQ(FormatFloat(query::StaleNaN()), "stale");
}

// --- Query text ---------------------------------------------------------------------------

TEST(ExperimentalFeatureTest, Detects) {
  EXPECT_EQ(ExperimentalFeature("sort_by_label(x, \"a\")"), "function \"sort_by_label\"");
  EXPECT_EQ(ExperimentalFeature("mad_over_time (x[5m])"), "function \"mad_over_time\"");
  EXPECT_EQ(ExperimentalFeature("vector(step())"), "function \"step\"");
  EXPECT_EQ(ExperimentalFeature("limitk(2, x)"), "aggregation \"limitk\"");
  EXPECT_EQ(ExperimentalFeature("x[5m+1m]"), "duration expression");
  EXPECT_EQ(ExperimentalFeature("x offset (1m * 2)"), "duration expression");
  EXPECT_EQ(ExperimentalFeature("rate(x[5m] anchored)"), "\"anchored\" modifier");
  EXPECT_EQ(ExperimentalFeature("a + fill(0) b"), "fill modifier");
}

TEST(ExperimentalFeatureTest, IgnoresStableSyntax) {
  EXPECT_EQ(ExperimentalFeature("sum by (range, step) (rate(x[5m]))"), "");
  EXPECT_EQ(ExperimentalFeature("max_over_time(x[1h:5m] offset -5m)"), "");
  EXPECT_EQ(ExperimentalFeature("{__name__=~\"a[0-9]+\", l=\"step()\"}"), "");
  EXPECT_EQ(ExperimentalFeature("x @ start() + y @ end()"), "");
  EXPECT_EQ(ExperimentalFeature("histogram_quantile(0.5, x)"), "");
}

TEST(MentionsMetricTest, NamesAndMatchers) {
  EXPECT_TRUE(MentionsMetric("rate(http_requests[5m])", "http_requests"));
  EXPECT_FALSE(MentionsMetric("rate(http_requests_total[5m])", "http_requests"));
  EXPECT_TRUE(MentionsMetric("exp({__name__=~\"exp_root_log(_h)?\"})", "exp_root_log_h"));
  EXPECT_TRUE(MentionsMetric("{__name__=\"h\"}", "h"));
  EXPECT_FALSE(MentionsMetric("label_replace(x, \"dst\", \"h\", \"src\", \".*\")", "h"));
}

// --- Selector time spans -----------------------------------------------------------------

std::vector<std::pair<int64_t, int64_t>> Reads(const std::string& query, int64_t from, int64_t to) {
  auto expr = query::ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query << ": " << expr.status();
  std::vector<std::pair<int64_t, int64_t>> out;
  if (!expr.ok()) return out;
  for (const SelectorRead& r : SelectorReads(**expr, {from, to, from, to})) {
    out.emplace_back(r.from_ms, r.to_ms);
  }
  return out;
}

constexpr int64_t kMin = 60'000;

TEST(SelectorReadsTest, LookbackRangesOffsetsAndAt) {
  EXPECT_THAT(Reads("x", 10 * kMin, 12 * kMin), ElementsAre(std::pair(5 * kMin, 12 * kMin)));
  EXPECT_THAT(Reads("rate(x[3m] offset 1m)", 10 * kMin, 10 * kMin),
              ElementsAre(std::pair(6 * kMin, 9 * kMin)));
  EXPECT_THAT(Reads("x offset -2m", 10 * kMin, 10 * kMin),
              ElementsAre(std::pair(7 * kMin, 12 * kMin)));
  EXPECT_THAT(Reads("x @ 100 + rate(y[1m] @ end())", 10 * kMin, 20 * kMin),
              ElementsAre(std::pair(100'000 - 5 * kMin, 100'000), std::pair(9 * kMin, 20 * kMin)));
}

TEST(SelectorReadsTest, StartAndEndFollowTheQueryBounds) {
  auto expr = query::ParseExpr("x @ start() + x @ end() + x");
  ASSERT_TRUE(expr.ok());
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const SelectorRead& r : SelectorReads(**expr, {10 * kMin, 10 * kMin, 9 * kMin, 11 * kMin})) {
    out.emplace_back(r.from_ms, r.to_ms);
  }
  EXPECT_THAT(out, ElementsAre(std::pair(4 * kMin, 11 * kMin), std::pair(4 * kMin, 11 * kMin),
                               std::pair(5 * kMin, 10 * kMin)));
}

TEST(SelectorReadsTest, Subqueries) {
  // Inner steps in (t - 10m, t], one step of margin, then the lookback.
  EXPECT_THAT(Reads("max_over_time(x[10m:2m])", 20 * kMin, 20 * kMin),
              ElementsAre(std::pair(3 * kMin, 20 * kMin)));
  EXPECT_THAT(Reads("max_over_time(rate(x[1m])[5m:] offset 5m)", 20 * kMin, 20 * kMin),
              ElementsAre(std::pair(8 * kMin, 15 * kMin)));
  EXPECT_THAT(Reads("max_over_time(x[5m:1m] @ 600)", 0, 100 * kMin),
              ElementsAre(std::pair(-1 * kMin, 10 * kMin)));
}

TEST(AtModifierUnsafeTest, Functions) {
  EXPECT_TRUE(IsAtModifierUnsafeFunction("timestamp"));
  EXPECT_TRUE(IsAtModifierUnsafeFunction("predict_linear"));
  EXPECT_TRUE(IsAtModifierUnsafeFunction("day_of_year"));
  EXPECT_FALSE(IsAtModifierUnsafeFunction("rate"));
}

}  // namespace
}  // namespace plumbline::promqltest
