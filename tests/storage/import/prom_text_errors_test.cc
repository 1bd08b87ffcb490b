// Malformed lines: each is reported with its line number and what was expected, then skipped.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/import/prom_text_parser.h"
#include "tests/storage/import/parse_helpers.h"

namespace plumbline::storage::import {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(PromTextParserTest, RejectsMalformedLinesWithLineNumberAndReason) {
  struct Case {
    std::string line;
    std::string message;  // expected substring, after "line 3: "
  };
  const std::vector<Case> cases = {
      // Values.
      {"up 1.2.3", R"(expected a float value after the series, got "1.2.3")"},
      {"up", "expected a float value after the series, got end of line"},
      {"up   ", "expected a float value after the series, got end of line"},
      {R"(up{a="b"})", "expected a float value after the series, got end of line"},
      {R"(up{a="b"}x 1)", R"(expected a float value after the series, got "x")"},
      {"up 0x10", R"(got "0x10")"},
      {"up 0x1p3", R"(got "0x1p3")"},
      {"up 1_000", R"(got "1_000")"},
      {"up +nan", R"(got "+nan")"},
      {"up infin", R"(got "infin")"},
      {"up 1e", R"(got "1e")"},
      {"up .", R"(got ".")"},
      {"up -", R"(got "-")"},
      {"up 1,5", R"(got "1,5")"},
      {"up 1{", R"(got "1{")"},
      {"up 1e400", R"(float value "1e400" is out of range)"},
      {"up -1.8e308", R"(float value "-1.8e308" is out of range)"},
      {"up " + std::string(60, '7') + "x", "got \"" + std::string(40, '7') + "...\""},
      // Timestamps and what follows.
      {"up 1 abc", R"(expected a timestamp after the value, got "abc")"},
      {"up 1 NaN", R"(expected a timestamp after the value, got "NaN")"},
      {"up 1 +Inf", R"(expected a timestamp after the value, got "+Inf")"},
      {"up 1 1.2.3", R"(expected a timestamp after the value, got "1.2.3")"},
      {"up 1 12a", R"(expected a timestamp after the value, got "12a")"},
      {"up 1 1e30", R"(timestamp "1e30" does not fit int64 milliseconds)"},
      {"up 1 2 3", R"(expected end of line after the timestamp, got "3")"},
      {"up 1 2 # x", R"(expected an exemplar "# {labels} value" after the sample, got "#")"},
      {"up 1 #{a=\"b\"} 1", "expected an exemplar"},
      {R"(up 1 # {a="b"})", "invalid exemplar: expected a float value after the labels"},
      {R"(up 1 # {a="b"} x)", "invalid exemplar: expected a float value after the labels"},
      {R"(up 1 # {a="b"} 1 y)", "invalid exemplar: expected a timestamp after the value"},
      {R"(up 1 # {a="b"} 1 2 3)", "invalid exemplar: expected end of line after the timestamp"},
      {R"(up 1 # {a=b} 1)", "invalid exemplar: expected a quoted label value"},
      // Metric names.
      {"1up 1", R"(invalid metric name "1up": must start with a letter)"},
      {"up-down 1", R"(invalid metric name "up-down": only letters, digits)"},
      {"up\r1 1", R"(invalid metric name "up\x0d1")"},  // made printable
      {"caf\xc3\xa9 1", "invalid metric name \"caf\xc3\xa9\""},
      {"bad\xff 1", R"(invalid metric name "bad\xff")"},
      {R"({job="a"} 1)", R"(expected a metric name, got "{job="a"}")"},
      {R"(up="x" 1)", R"(invalid metric name "up="x"")"},
      // Label lists.
      {R"(up{job="api} 1)", R"(unterminated label value for label "job")"},
      {R"(up{job="api\"} 1)", "unterminated label value"},
      {R"(up{job="api)", "unterminated label value"},
      {R"(up{job)", R"(expected '=' after label name "job", got end of line)"},
      {R"(up{job} 1)", R"(expected '=' after label name "job", got "}")"},
      {R"(up{job:x="a"} 1)", R"(invalid label name "job:x")"},
      {R"(up{0a="1"} 1)", R"(invalid label name "0a": must start with a letter or underscore)"},
      {R"(up{job=api} 1)", R"(expected a quoted label value after "job=", got "api}")"},
      {R"(up{job=} 1)", R"(expected a quoted label value after "job=", got "}")"},
      {R"(up{job="a" zone="b"} 1)",
       R"(expected ',' or '}' after the value of label "job", got "zone="b"}")"},
      {R"(up{job="a")", R"(expected ',' or '}' after the value of label "job", got end of line)"},
      {R"(up{job="a"; zone="b"} 1)", R"(expected ',' or '}' after the value of label "job")"},
      {R"(up{,} 1)", R"(expected a label name or '}' after '{', got ",}")"},
      {R"(up{ )", R"(expected a label name or '}' after '{', got end of line)"},
      {R"(up{ 1)", R"(invalid label name "1")"},
      {R"(up{a="1",,} 1)", R"(expected a label name or '}' after ',', got ",}")"},
      {R"(up{a="1",} {b="2"} 1)", R"(expected a float value after the series, got "{b="2"}")"},
      {R"(up{{a="1"} 1)", R"(expected a label name or '}' after '{', got "{a="1"}")"},
      {R"(up{a="1",a="2"} 1)", R"(duplicate label name "a")"},
      {R"(up{b="1",a="2",b="3"} 1)", R"(duplicate label name "b")"},
      {R"(up{__name__="x"} 1)", R"(duplicate label name "__name__")"},
      {"up{a=\"bad \xff\"} 1", R"(invalid label value: not valid UTF-8 (label "a"))"},
      {"up{a=\"bad \xc0\xaf\"} 1", "not valid UTF-8"},
      {std::string("up{a=\"nul\0\"} 1", 14), R"(invalid label value: contains a NUL byte)"},
      // Metadata.
      {"# TYPE up bogus", R"(unknown metric type "bogus" in # TYPE up, expected counter)"},
      {"# TYPE up Counter", R"(unknown metric type "Counter")"},
      {"# TYPE up counter gauge", R"(unknown metric type "counter gauge")"},
      {"# TYPE up", R"(expected a metric type after "# TYPE up", got end of line)"},
      {"# TYPE up   ", R"(expected a metric type after "# TYPE up", got end of line)"},
      {"# TYPE 1up gauge", R"(invalid metric name "1up": must start with a letter)"},
      {"# HELP ", "expected a metric name after # HELP, got end of line"},
      {"# UNIT \t", "expected a metric name after # UNIT, got end of line"},
      {"# HELP up bad \xff", R"(# HELP text for up is not valid UTF-8)"},
      {"# UNIT up \xff", R"(# UNIT text for up is not valid UTF-8)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    // Good lines around the bad one: it is skipped and parsing goes on.
    ParseResult r = Parse("# TYPE up gauge\nup 1 1\n" + c.line + "\nup 2 2\n");
    ASSERT_EQ(r.sink.errors.size(), 1u) << r.sink.events.back();
    EXPECT_EQ(r.sink.errors[0].line_number, 3u);
    EXPECT_THAT(r.sink.errors[0].message, StartsWith("line 3: "));
    EXPECT_THAT(r.sink.errors[0].message, HasSubstr(c.message));
    EXPECT_EQ(r.errors, 1u);
    EXPECT_EQ(r.samples, 2u);
    EXPECT_EQ(r.sink.metadata.size(), 1u);
    EXPECT_EQ(r.lines, 4u);
  }
}

TEST(PromTextParserTest, ErrorMessagesArePrintableAndBounded) {
  const std::string line = "up{" + std::string(100000, 'a') + "} 1\n";
  ParseResult r = Parse(line + "x\x01y 1\n");
  ASSERT_EQ(r.sink.errors.size(), 2u);
  EXPECT_LE(r.sink.errors[0].message.size(), 1100u);
  EXPECT_THAT(r.sink.errors[0].message, HasSubstr("..."));
  EXPECT_EQ(r.sink.errors[1].message,
            R"(line 2: invalid metric name "x\x01y": only letters, digits, underscores and )"
            R"(colons are allowed)");
}

}  // namespace
}  // namespace plumbline::storage::import
