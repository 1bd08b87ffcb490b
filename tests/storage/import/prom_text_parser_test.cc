#include "storage/import/prom_text_parser.h"

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/import/parse_helpers.h"

namespace plumbline::storage::import {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(PromTextParserTest, ParsesEverySampleForm) {
  struct Case {
    std::string line;
    std::string series;
    double value;
    bool has_timestamp;
    int64_t timestamp_ms;
  };
  const std::vector<Case> cases = {
      {"up 1", "up", 1, false, 0},
      {R"(up{job="api"} 1 1764130000000)", R"(up{job="api"})", 1, true, 1764130000000},
      {R"(up{job="api",zone="eu"} 7 1764130000000)", R"(up{job="api",zone="eu"})", 7, true,
       1764130000000},
      {R"(up{job="api",} 2)", R"(up{job="api",})", 2, false, 0},
      {R"(up{} 5)", "up{}", 5, false, 0},
      {R"(up{job="api"}4 10)", R"(up{job="api"})", 4, true, 10},
      {R"(   up { job = "api" , zone="eu" ,}   3   1000   )", R"(up { job = "api" , zone="eu" ,})",
       3, true, 1000},
      {"up\t1\t2", "up", 1, true, 2},
      {"a:b_c:_d 1", "a:b_c:_d", 1, false, 0},
      {"_under 1", "_under", 1, false, 0},
      {R"(x{a="q\"b\\c\nd \x é {},="} 1)", R"(x{a="q\"b\\c\nd \x é {},="})", 1, false, 0},
      {"up 1 2\r", "up", 1, true, 2},
      {R"(up{a=""} 1)", R"(up{a=""})", 1, false, 0},
      {R"(up{a="",a="x"} 1)", R"(up{a="",a="x"})", 1, false, 0},  // empty means absent
      {R"(h_bucket{le="1"} 3 # {trace_id="abc"} 0.5 1764130000.5)", R"(h_bucket{le="1"})", 3, false,
       0},
      {R"(h_bucket{le="1"} 3 1764130000.000 # {trace_id="abc"} 0.5)", R"(h_bucket{le="1"})", 3,
       true, 1764130000000},
      {"up 123456789012345 1", "up", 123456789012345.0, true, 1},
      {"up 1234567890123456789 1", "up", 1234567890123456789.0, true, 1},
      {"up -42 1", "up", -42, true, 1},
      {"up +42 1", "up", 42, true, 1},
      {"up 1.5 -1000", "up", 1.5, true, -1000},
      {"up 1e3 +5", "up", 1000, true, 5},
      {"up 1E-2", "up", 0.01, false, 0},
      {"up .5", "up", 0.5, false, 0},
      {"up 5.", "up", 5, false, 0},
      {"up 007", "up", 7, false, 0},
      {"up 1e-400", "up", 0, false, 0},
      {"up 1e-99999999999999999999", "up", 0, false, 0},
      {"up 0e99999999999999999999", "up", 0, false, 0},
      {"up 0.000000000000000000000000000000000000000000000000000000001e57", "up", 1, false, 0},
      {"up 4.9e-324", "up", 4.9e-324, false, 0},
      {"up 1.7976931348623157e308", "up", 1.7976931348623157e308, false, 0},
      {"up +Inf", "up", kInf, false, 0},
      {"up -inf", "up", -kInf, false, 0},
      {"up Inf", "up", kInf, false, 0},
      {"up INFINITY", "up", kInf, false, 0},
      {"up -Infinity 3", "up", -kInf, true, 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    ParseResult r = Parse(c.line + "\n");
    EXPECT_THAT(r.sink.errors, IsEmpty()) << r.sink.errors[0].message;
    ASSERT_EQ(r.sink.samples.size(), 1u);
    const RecordedSample& s = r.sink.samples[0];
    EXPECT_EQ(s.series, c.series);
    EXPECT_EQ(s.value, c.value);
    EXPECT_EQ(s.has_timestamp, c.has_timestamp);
    EXPECT_EQ(s.timestamp_ms, c.timestamp_ms);
    EXPECT_EQ(s.line_number, 1u);
    // Whatever the parser accepts, ParseSeries accepts.
    EXPECT_TRUE(ParseSeries(s.series).ok()) << ParseSeries(s.series).status();
  }
}

TEST(PromTextParserTest, NanIsPrometheusNormalNanAndMinusZeroKeepsItsSign) {
  for (const char* line : {"up NaN\n", "up nan 5\n", "up nAn\n"}) {
    SCOPED_TRACE(line);
    ParseResult r = Parse(line);
    ASSERT_EQ(r.sink.samples.size(), 1u);
    EXPECT_EQ(std::bit_cast<uint64_t>(r.sink.samples[0].value), 0x7ff8000000000001u);
  }
  ParseResult r = Parse("up -0\nup -0.0\n");
  ASSERT_EQ(r.sink.samples.size(), 2u);
  EXPECT_TRUE(std::signbit(r.sink.samples[0].value));
  EXPECT_TRUE(std::signbit(r.sink.samples[1].value));
}

TEST(PromTextParserTest, TimestampUnits) {
  struct Case {
    std::string timestamp;
    TimestampUnit unit;
    int64_t ms;
  };
  using U = TimestampUnit;
  const std::vector<Case> cases = {
      // kAuto: '.' or an exponent means seconds, a plain integer milliseconds.
      {"1764130000000", U::kAuto, 1764130000000},
      {"1764130000", U::kAuto, 1764130000},
      {"1764130000.123", U::kAuto, 1764130000123},
      {"1764130000.000", U::kAuto, 1764130000000},
      {"1764130000.", U::kAuto, 1764130000000},
      {"1764130000.1239", U::kAuto, 1764130000123},  // truncated to the millisecond
      {"1764130000.5", U::kAuto, 1764130000500},
      {"1764130000.05 ", U::kAuto, 1764130000050},
      {"1764130000.123\t", U::kAuto, 1764130000123},
      {"1234567890123456.5", U::kAuto, 1234567890123456500},
      {"1.764130000123e9", U::kAuto, 1764130000123},
      {"1764130000123e-3", U::kAuto, 1764130000123},
      {"17641300E2", U::kAuto, 1764130000000},
      {"-1.5", U::kAuto, -1500},
      {"-0.0009", U::kAuto, 0},
      {".5", U::kAuto, 500},
      {"0", U::kAuto, 0},
      {"+7", U::kAuto, 7},
      {"9223372036854775807", U::kAuto, std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", U::kAuto, std::numeric_limits<int64_t>::min()},
      {"9223372036854775.807", U::kAuto, std::numeric_limits<int64_t>::max()},
      {"0000000000000000000000001764130000000", U::kAuto, 1764130000000},
      // kSeconds: always seconds.
      {"1764130000", U::kSeconds, 1764130000000},
      {"1764130000.5", U::kSeconds, 1764130000500},
      {"9223372036854775", U::kSeconds, 9223372036854775000},
      // kMilliseconds: always milliseconds; a fraction is truncated.
      {"1764130000123", U::kMilliseconds, 1764130000123},
      {"1764130000123.9", U::kMilliseconds, 1764130000123},
      {"1.764130000123e12", U::kMilliseconds, 1764130000123},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.timestamp + " unit " + std::to_string(static_cast<int>(c.unit)));
    ParseResult r = Parse("up 1 " + c.timestamp + "\n", c.unit);
    EXPECT_THAT(r.sink.errors, IsEmpty()) << r.sink.errors[0].message;
    ASSERT_EQ(r.sink.samples.size(), 1u);
    EXPECT_TRUE(r.sink.samples[0].has_timestamp);
    EXPECT_EQ(r.sink.samples[0].timestamp_ms, c.ms);
  }
}

TEST(PromTextParserTest, TimestampsThatDoNotFitInt64MillisecondsAreErrors) {
  using U = TimestampUnit;
  const std::vector<std::pair<std::string, TimestampUnit>> cases = {
      {"9223372036854775808", U::kAuto},          {"-9223372036854775809", U::kAuto},
      {"99999999999999999999", U::kMilliseconds}, {"9223372036854776", U::kSeconds},
      {"9223372036854775.808", U::kAuto},         {"1e30", U::kAuto},
      {"1e999999999999999999", U::kAuto},
  };
  for (const auto& [timestamp, unit] : cases) {
    SCOPED_TRACE(timestamp);
    ParseResult r = Parse("up 1 " + timestamp + "\n", unit);
    EXPECT_THAT(r.sink.samples, IsEmpty());
    ASSERT_EQ(r.sink.errors.size(), 1u);
    EXPECT_THAT(r.sink.errors[0].message,
                ::testing::HasSubstr("line 1: timestamp \"" + timestamp.substr(0, 40)));
    EXPECT_THAT(r.sink.errors[0].message, ::testing::HasSubstr("does not fit int64 milliseconds"));
  }
}

TEST(PromTextParserTest, Metadata) {
  struct Case {
    std::string line;
    MetadataKind kind;
    std::string metric;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"# TYPE up counter", MetadataKind::kType, "up", "counter"},
      {"# TYPE up gauge", MetadataKind::kType, "up", "gauge"},
      {"# TYPE up histogram", MetadataKind::kType, "up", "histogram"},
      {"# TYPE up summary", MetadataKind::kType, "up", "summary"},
      {"# TYPE up untyped", MetadataKind::kType, "up", "untyped"},
      {"# TYPE up unknown", MetadataKind::kType, "up", "unknown"},
      {"# TYPE up info", MetadataKind::kType, "up", "info"},
      {"# TYPE up stateset", MetadataKind::kType, "up", "stateset"},
      {"# TYPE up gaugehistogram", MetadataKind::kType, "up", "gaugehistogram"},
      {"  #\tTYPE\tup   counter  \r", MetadataKind::kType, "up", "counter"},
      {R"(# HELP up Whether \\ the "target" is up.\nSecond line \t)", MetadataKind::kHelp, "up",
       "Whether \\ the \"target\" is up.\nSecond line \\t"},
      {R"(# HELP up say \"hi\")", MetadataKind::kHelp, "up", "say \"hi\""},
      {"# HELP up  two spaces", MetadataKind::kHelp, "up", " two spaces"},
      {"# HELP up", MetadataKind::kHelp, "up", ""},
      {"# HELP up ", MetadataKind::kHelp, "up", ""},
      {"# HELP up caf\xc3\xa9", MetadataKind::kHelp, "up", "caf\xc3\xa9"},
      {"# UNIT request_seconds seconds", MetadataKind::kUnit, "request_seconds", "seconds"},
      {"# UNIT up", MetadataKind::kUnit, "up", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    ParseResult r = Parse(c.line + "\n");
    EXPECT_THAT(r.sink.errors, IsEmpty()) << r.sink.errors[0].message;
    ASSERT_EQ(r.sink.metadata.size(), 1u);
    EXPECT_EQ(r.sink.metadata[0].kind, c.kind);
    EXPECT_EQ(r.sink.metric_names[0], c.metric);
    EXPECT_EQ(r.sink.metadata[0].text, c.text);
    EXPECT_EQ(r.sink.metadata[0].line_number, 1u);
  }
}

TEST(PromTextParserTest, OtherCommentsAndBlankLinesAreIgnored) {
  ParseResult r = Parse(
      "# a comment\n#HELP up not metadata\n# HELP\n#\n\n   \n\t\r\n\r\n# EOFX\n# EOF is "
      "later\n#TYPE up gauge\n");
  EXPECT_THAT(r.sink.events, IsEmpty());
  EXPECT_EQ(r.lines, 11u);
  EXPECT_FALSE(r.saw_eof);
}

TEST(PromTextParserTest, OpenMetricsWithSecondsAndEof) {
  const std::string input =
      "# TYPE statsd_requests counter\n"
      "# UNIT statsd_requests requests\n"
      "# HELP statsd_requests Requests seen.\n"
      "statsd_requests_total{host=\"h001\",service=\"api\"} 530376 1764043200.000\n"
      "statsd_requests_total{host=\"h001\",service=\"api\"} 530472 1764043210.123\n"
      "# EOF\n";
  ParseResult r = Parse(input);
  EXPECT_THAT(r.sink.errors, IsEmpty());
  EXPECT_TRUE(r.saw_eof);
  ASSERT_EQ(r.sink.samples.size(), 2u);
  EXPECT_EQ(r.sink.samples[0].timestamp_ms, 1764043200000);
  EXPECT_EQ(r.sink.samples[1].timestamp_ms, 1764043210123);
  EXPECT_EQ(r.sink.samples[1].value, 530472);
  EXPECT_EQ(r.sink.metadata.size(), 3u);
  EXPECT_EQ(r.lines, 6u);
}

TEST(PromTextParserTest, EofWithoutNewlineAndBlankLinesAfterIt) {
  EXPECT_TRUE(Parse("up 1 1\n# EOF").saw_eof);
  EXPECT_TRUE(Parse("up 1 1\r\n# EOF\r\n").saw_eof);
  EXPECT_TRUE(Parse("up 1 1\n# EOF  \n").saw_eof);
  ParseResult r = Parse("up 1 1\n# EOF\n\n  \n\r\n");
  EXPECT_TRUE(r.saw_eof);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.samples, 1u);
}

TEST(PromTextParserTest, EveryLineAfterEofIsAnError) {
  ParseResult r = Parse("up 1 1\n# EOF\nup 2 2\n\n# TYPE up gauge\n# EOF\nup 3");
  EXPECT_TRUE(r.saw_eof);
  ASSERT_EQ(r.sink.samples.size(), 1u);
  EXPECT_THAT(r.sink.metadata, IsEmpty());
  ASSERT_EQ(r.sink.errors.size(), 4u);
  EXPECT_EQ(r.sink.errors[0].message, "line 3: unexpected content after # EOF");
  EXPECT_EQ(r.sink.errors[0].line_number, 3u);
  EXPECT_EQ(r.sink.errors[1].line_number, 5u);
  EXPECT_EQ(r.sink.errors[2].line_number, 6u);
  EXPECT_EQ(r.sink.errors[3].line_number, 7u);
  EXPECT_EQ(r.errors, 4u);
}

TEST(PromTextParserTest, CountsLinesBytesSamplesAndErrors) {
  const std::string input = "# TYPE up gauge\nup 1\n\nup x\nup 2";  // last line unterminated
  ParseResult r = Parse(input);
  EXPECT_EQ(r.lines, 5u);
  EXPECT_EQ(r.bytes, input.size());
  EXPECT_EQ(r.samples, 2u);
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.sink.samples[1].line_number, 5u);
  EXPECT_EQ(r.sink.errors[0].line_number, 4u);
}

TEST(PromTextParserTest, EmptyInputAndFinishWithNothingPending) {
  ParseResult r = Parse("");
  EXPECT_EQ(r.lines, 0u);
  EXPECT_THAT(r.sink.events, IsEmpty());
  r = Parse("up 1\n");
  EXPECT_EQ(r.lines, 1u);  // Finish adds no empty last line
}

TEST(PromTextParserTest, SameSeriesTextForRepeatedSeriesAndNoConfusionWithNearMisses) {
  ParseResult r = Parse(
      "up 1\n"
      "up 2\n"
      "up {a=\"b\"} 3\n"  // a bare name followed by a label list is another series
      "up {a=\"b\"} 4\n"
      "up {a=\"b\"}5\n"
      "up2 6\n"
      "up {a=\"b\"}x 7\n"
      "up\t\t8\n");
  std::vector<std::string> series;
  for (const RecordedSample& s : r.sink.samples) series.push_back(s.series);
  EXPECT_THAT(series,
              ElementsAre("up", "up", "up {a=\"b\"}", "up {a=\"b\"}", "up {a=\"b\"}", "up2", "up"));
  ASSERT_EQ(r.sink.errors.size(), 1u);
  EXPECT_EQ(r.sink.errors[0].message, "line 7: expected a float value after the series, got \"x\"");
}

TEST(PromTextParserTest, LinesLongerThanTheLimitAreErrorsWhateverTheSplit) {
  const std::string ok_line = "up{a=\"bbbbbb\"} 1";     // 16 bytes
  const std::string long_line = "up{a=\"bbbbbbb\"} 1";  // 17 bytes
  const std::string input = ok_line + "\n" + long_line + "\n" + std::string(1000, 'x') + "\r\n" +
                            ok_line + "\n" + long_line;
  for (size_t chunk : {0, 1, 2, 3, 7, 16, 17, 18}) {
    SCOPED_TRACE(chunk);
    ParseResult r = Parse(input, TimestampUnit::kAuto, 16, chunk);
    EXPECT_EQ(r.samples, 2u);
    EXPECT_EQ(r.lines, 5u);
    ASSERT_EQ(r.sink.errors.size(), 3u);
    EXPECT_EQ(r.sink.errors[0].message, "line 2: line is longer than the limit of 16 bytes");
    EXPECT_EQ(r.sink.errors[1].line_number, 3u);
    EXPECT_EQ(r.sink.errors[2].line_number, 5u);
  }
}

TEST(PromTextParserTest, HugeLineIsDiscardedNotBuffered) {
  RecordingSink sink;
  PromTextParser parser(&sink, TimestampUnit::kAuto, 1024);
  const std::string block(1 << 16, 'a');
  for (int i = 0; i < 256; ++i) parser.Feed(block);  // 16 MiB, one line
  parser.Feed(" 1\nup 1\n");
  parser.Finish();
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_EQ(sink.errors[0].message, "line 1: line is longer than the limit of 1024 bytes");
  ASSERT_EQ(sink.samples.size(), 1u);
  EXPECT_EQ(sink.samples[0].line_number, 2u);
}

}  // namespace
}  // namespace plumbline::storage::import
