// ParseLine, ValueReader, TagReader and ForEachLine (collector/statsd_parser.cc): hand-written
// tables for every rule of the grammar documented there, then seeded random round trips of the
// number syntax against the C library.
#include "collector/statsd_parser.h"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/collector/statsd_test_util.h"

namespace plumbline::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using Tags = std::vector<std::pair<std::string, std::string>>;

struct OkCase {
  std::string_view line;
  std::string_view name;
  MetricType type;
  std::vector<Value> values;         // what ValueReader yields (none for sets)
  std::string_view raw_values = {};  // checked when not empty
  double sample_rate = 1;
  std::string_view tags = {};
  int64_t timestamp_s = 0;
  std::string_view container = {};
};

void ExpectParses(const OkCase& c) {
  SCOPED_TRACE(testing::Message() << "line: \"" << c.line << "\"");
  StatsdLine out;
  out.tags = "stale";  // every field is reset
  out.timestamp_s = 7;
  ASSERT_EQ(ParseLine(c.line, &out), ParseError::kOk);
  EXPECT_EQ(out.name, c.name);
  EXPECT_EQ(out.type, c.type);
  EXPECT_EQ(ReadValues(out.values, out.type), c.values);
  if (!c.raw_values.empty()) {
    EXPECT_EQ(out.values, c.raw_values);
  }
  EXPECT_EQ(out.sample_rate, c.sample_rate);
  EXPECT_EQ(out.tags, c.tags);
  EXPECT_EQ(out.timestamp_s, c.timestamp_s);
  EXPECT_EQ(out.container, c.container);
}

TEST(StatsdParserTest, ParsesEveryType) {
  const std::vector<OkCase> cases = {
      {"blast.k1234:1|c", "blast.k1234", MetricType::kCounter, {{1, false}}},
      {"page.views:1|c", "page.views", MetricType::kCounter, {{1, false}}},
      {"fuel.level:0.5|g", "fuel.level", MetricType::kGauge, {{0.5, false}}},
      {"req.latency:320|ms", "req.latency", MetricType::kTimer, {{320, false}}},
      {"song.length:240|h", "song.length", MetricType::kHistogram, {{240, false}}},
      {"payload:1.25|d", "payload", MetricType::kDistribution, {{1.25, false}}},
      {"users.uniques:1234|s", "users.uniques", MetricType::kSet, {}, "1234"},
  };
  for (const OkCase& c : cases) ExpectParses(c);
}

TEST(StatsdParserTest, ParsesNumberSyntax) {
  const std::vector<OkCase> cases = {
      {"a:-1|c", "a", MetricType::kCounter, {{-1, false}}},
      {"a:+7|c", "a", MetricType::kCounter, {{7, false}}},
      {"a:0|c", "a", MetricType::kCounter, {{0, false}}},
      {"a:1e3|ms", "a", MetricType::kTimer, {{1000, false}}},
      {"a:1E-2|ms", "a", MetricType::kTimer, {{0.01, false}}},
      {"a:2.5e+2|h", "a", MetricType::kHistogram, {{250, false}}},
      {"a:.5|h", "a", MetricType::kHistogram, {{0.5, false}}},
      {"a:5.|h", "a", MetricType::kHistogram, {{5, false}}},
      {"a:-.25|d", "a", MetricType::kDistribution, {{-0.25, false}}},
      {"a:0.1|d", "a", MetricType::kDistribution, {{0.1, false}}},
      {"a:007|c", "a", MetricType::kCounter, {{7, false}}},
      {"a:123456789012345|c", "a", MetricType::kCounter, {{123456789012345.0, false}}},
      {"a:12345678901234567890|c", "a", MetricType::kCounter, {{12345678901234567890.0, false}}},
      {"a:3.14159265358979323846|g", "a", MetricType::kGauge, {{3.14159265358979323846, false}}},
      {"a:1e308|g", "a", MetricType::kGauge, {{1e308, false}}},
  };
  for (const OkCase& c : cases) ExpectParses(c);
}

TEST(StatsdParserTest, GaugeSignsAreDeltasElsewhereSigns) {
  const std::vector<OkCase> cases = {
      {"g:+3|g", "g", MetricType::kGauge, {{3, true}}},
      {"g:-3|g", "g", MetricType::kGauge, {{-3, true}}},
      {"g:-0|g", "g", MetricType::kGauge, {{0, true}}},
      {"g:3|g", "g", MetricType::kGauge, {{3, false}}},
      {"g:5:+1:-2:4|g", "g", MetricType::kGauge, {{5, false}, {1, true}, {-2, true}, {4, false}}},
      {"c:-2:+2|c", "c", MetricType::kCounter, {{-2, false}, {2, false}}},
      {"t:-5|ms", "t", MetricType::kTimer, {{-5, false}}},
      {"h:+5|h", "h", MetricType::kHistogram, {{5, false}}},
  };
  for (const OkCase& c : cases) ExpectParses(c);
}

TEST(StatsdParserTest, UnpacksDogStatsdValues) {
  const std::vector<OkCase> cases = {
      {"page.views:1:2:32|d",
       "page.views",
       MetricType::kDistribution,
       {{1, false}, {2, false}, {32, false}}},
      {"song.length:240:234|h|@0.5",
       "song.length",
       MetricType::kHistogram,
       {{240, false}, {234, false}},
       "240:234",
       0.5},
      {"c:1:1:1|c", "c", MetricType::kCounter, {{1, false}, {1, false}, {1, false}}},
      {"t:1.5:2e1|ms", "t", MetricType::kTimer, {{1.5, false}, {20, false}}},
      // Sets are not packed: the member is the whole value, ':' included.
      {"s:a:b:c|s", "s", MetricType::kSet, {}, "a:b:c"},
      {"s:user@example.com|s", "s", MetricType::kSet, {}, "user@example.com"},
      {"s:caf\xc3\xa9 #1|s", "s", MetricType::kSet, {}, "caf\xc3\xa9 #1"},
      {"s:-1|s", "s", MetricType::kSet, {}, "-1"},
  };
  for (const OkCase& c : cases) ExpectParses(c);
}

TEST(StatsdParserTest, ParsesSectionsInAnyOrder) {
  const std::vector<OkCase> cases = {
      {"u:1|c|@0.5", "u", MetricType::kCounter, {{1, false}}, {}, 0.5},
      {"u:1|c|@1", "u", MetricType::kCounter, {{1, false}}, {}, 1},
      {"u:1|c|@0.001", "u", MetricType::kCounter, {{1, false}}, {}, 0.001},
      {"u:1|c|@1e-3", "u", MetricType::kCounter, {{1, false}}, {}, 0.001},
      {"u:1|c|@.25", "u", MetricType::kCounter, {{1, false}}, {}, 0.25},
      {"u:1|c|#country:china", "u", MetricType::kCounter, {{1, false}}, {}, 1, "country:china"},
      {"u:1|c|@0.5|#country:china",
       "u",
       MetricType::kCounter,
       {{1, false}},
       {},
       0.5,
       "country:china"},
      {"u:1|c|#country:china|@0.5",
       "u",
       MetricType::kCounter,
       {{1, false}},
       {},
       0.5,
       "country:china"},
      {"p:15|c|#env:dev|T1656581400",
       "p",
       MetricType::kCounter,
       {{15, false}},
       {},
       1,
       "env:dev",
       1656581400},
      {"p:1|g|#env:dev|c:83c0a99c0a54c0c187f461c7980e9b57",
       "p",
       MetricType::kGauge,
       {{1, false}},
       {},
       1,
       "env:dev",
       0,
       "83c0a99c0a54c0c187f461c7980e9b57"},
      {"x:2|ms|c:ci-abc,in-42|T9223372036854775807|@0.1|#a,b:c",
       "x",
       MetricType::kTimer,
       {{2, false}},
       {},
       0.1,
       "a,b:c",
       INT64_MAX,
       "ci-abc,in-42"},
      {"x:2|ms|T1|#a|c:in-7|@1", "x", MetricType::kTimer, {{2, false}}, {}, 1, "a", 1, "in-7"},
      // DogStatsD v1.5 external data and v1.6 cardinality: accepted, ignored.
      {"x:1|c|e:it-false,cn-nginx,pu-75a2|card:low|#a",
       "x",
       MetricType::kCounter,
       {{1, false}},
       {},
       1,
       "a"},
      // Tags: any UTF-8, '@' and ':' inside, empty entries allowed.
      {"x:1|c|#a,,b,", "x", MetricType::kCounter, {{1, false}}, {}, 1, "a,,b,"},
      {"x:1|c|#,", "x", MetricType::kCounter, {{1, false}}, {}, 1, ","},
      {"x:1|c|#path:/a/b@c,ville:Z\xc3\xbcrich",
       "x",
       MetricType::kCounter,
       {{1, false}},
       {},
       1,
       "path:/a/b@c,ville:Z\xc3\xbcrich"},
      {"x:1|c|T0001", "x", MetricType::kCounter, {{1, false}}, {}, 1, {}, 1},
      // Rates and timestamps on gauges and sets are accepted (the aggregator ignores them).
      {"g:1|g|@0.5", "g", MetricType::kGauge, {{1, false}}, {}, 0.5},
      {"s:x|s|@0.5|T5", "s", MetricType::kSet, {}, "x", 0.5, {}, 5},
  };
  for (const OkCase& c : cases) ExpectParses(c);
}

TEST(StatsdParserTest, NamesKeepAnyByteButSeparators) {
  const std::vector<OkCase> cases = {
      {"api.login-time:1|c", "api.login-time", MetricType::kCounter, {{1, false}}},
      {"a b/c\\d:1|c", "a b/c\\d", MetricType::kCounter, {{1, false}}},
      {"na\xc3\xafve.caf\xc3\xa9:1|c",
       "na\xc3\xafve.caf\xc3\xa9",
       MetricType::kCounter,
       {{1, false}}},
      {"\xe2\x82\xac\xf0\x9f\x98\x80:1|c",
       "\xe2\x82\xac\xf0\x9f\x98\x80",
       MetricType::kCounter,
       {{1, false}}},
      {"\xf4\x8f\xbf\xbf:1|c", "\xf4\x8f\xbf\xbf", MetricType::kCounter, {{1, false}}},  // U+10FFFF
      {"a@b!{}=\x01\x7f:1|c", "a@b!{}=\x01\x7f", MetricType::kCounter, {{1, false}}},
      {"_e:1|c", "_e", MetricType::kCounter, {{1, false}}},
      {"_sc:1|c", "_sc", MetricType::kCounter, {{1, false}}},
  };
  for (const OkCase& c : cases) ExpectParses(c);
}

struct BadCase {
  std::string_view line;
  ParseError error;
};

void ExpectRefuses(const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "line: \"" << c.line << "\"");
    StatsdLine out;
    EXPECT_EQ(ParseLine(c.line, &out), c.error);
  }
}

TEST(StatsdParserTest, RefusesMissingParts) {
  ExpectRefuses({
      {"", ParseError::kNoValue},
      {"bare_name", ParseError::kNoValue},  // no Etsy "bare name = increment"
      {"missing_colon|c", ParseError::kNoValue},
      {"missing_colon|c|#tag:v", ParseError::kNoValue},
      {"a:", ParseError::kNoValue},
      {"a:|c", ParseError::kNoValue},
      {"a:|c|@0.5", ParseError::kNoValue},
      {"a:1", ParseError::kNoType},
      {"a:1:2", ParseError::kNoType},
      {"a:1|", ParseError::kNoType},
      {"a:1||@0.5", ParseError::kNoType},
  });
}

TEST(StatsdParserTest, RefusesBadNames) {
  ExpectRefuses({
      {":1|c", ParseError::kBadName},
      {":|c", ParseError::kBadName},
      {"a#b:1|c", ParseError::kBadName},
      {"#:1|c", ParseError::kBadName},
      {Bytes("a\0b:1|c"), ParseError::kBadName},
      {Bytes("\0:1|c"), ParseError::kBadName},
      {"\xff:1|c", ParseError::kBadName},
      {"a\x80:1|c", ParseError::kBadName},             // lone continuation byte
      {"a\xc3:1|c", ParseError::kBadName},             // truncated sequence
      {"a\xc3", ParseError::kBadName},                 // truncated at the end of the line
      {"\xc0\xaf:1|c", ParseError::kBadName},          // overlong '/'
      {"\xe0\x80\xaf:1|c", ParseError::kBadName},      // overlong, 3 bytes
      {"\xed\xa0\x80:1|c", ParseError::kBadName},      // surrogate U+D800
      {"\xf4\x90\x80\x80:1|c", ParseError::kBadName},  // U+110000
      {"\xf5\x80\x80\x80:1|c", ParseError::kBadName},
      {"a#b:x|zz", ParseError::kBadName},  // the first wrong field names the reason
  });
}

TEST(StatsdParserTest, RefusesBadTypes) {
  ExpectRefuses({
      {"a:1|zz", ParseError::kBadType},
      {"a:1|C", ParseError::kBadType},
      {"a:1|MS", ParseError::kBadType},
      {"a:1| c", ParseError::kBadType},  // Etsy trims; we don't
      {"a:1|c ", ParseError::kBadType},
      {"a:1|msx", ParseError::kBadType},
      {"a:1|m", ParseError::kBadType},
      {"a:1|t", ParseError::kBadType},
      {"a:1|c:2|ms", ParseError::kBadType},  // Etsy's multi-metric form
      {"a:x|zz", ParseError::kBadType},      // the type decides how to read the value
  });
}

TEST(StatsdParserTest, RefusesBadValues) {
  ExpectRefuses({
      {"x:1.2.3|g", ParseError::kBadValue},       {"a:abc|c", ParseError::kBadValue},
      {"a:inf|g", ParseError::kBadValue},         {"a:-inf|g", ParseError::kBadValue},
      {"a:+Infinity|g", ParseError::kBadValue},   {"a:nan|c", ParseError::kBadValue},
      {"a:NaN|c", ParseError::kBadValue},         {"a:-nan|ms", ParseError::kBadValue},
      {"a:0x10|c", ParseError::kBadValue},        {"a:0x1p3|c", ParseError::kBadValue},
      {"a: 1|c", ParseError::kBadValue},          {"a:1 |c", ParseError::kBadValue},
      {"a:+-1|c", ParseError::kBadValue},         {"a:--1|c", ParseError::kBadValue},
      {"a:++1|g", ParseError::kBadValue},         {"a:-|g", ParseError::kBadValue},
      {"a:+|g", ParseError::kBadValue},           {"a:.|c", ParseError::kBadValue},
      {"a:-.|c", ParseError::kBadValue},          {"a:1e|c", ParseError::kBadValue},
      {"a:1e+|c", ParseError::kBadValue},         {"a:e5|c", ParseError::kBadValue},
      {"a:1,5|c", ParseError::kBadValue},         {"a:1_000|c", ParseError::kBadValue},
      {"a:1e400|c", ParseError::kBadValue},       {"a:-1e400|h", ParseError::kBadValue},
      {"a:1::2|d", ParseError::kBadValue},        {"a:1:|d", ParseError::kBadValue},
      {"a::1|d", ParseError::kBadValue},          {"a:1:x|h", ParseError::kBadValue},
      {"a:b:1|c", ParseError::kBadValue},         {"s:\xff|s", ParseError::kBadValue},
      {Bytes("s:a\0b|s"), ParseError::kBadValue},
  });
}

TEST(StatsdParserTest, RefusesBadRates) {
  ExpectRefuses({
      {"x:1|c|@0", ParseError::kBadRate},
      {"x:1|c|@0.0", ParseError::kBadRate},
      {"x:1|c|@-0.5", ParseError::kBadRate},
      {"x:1|c|@+0.5", ParseError::kBadRate},
      {"x:1|c|@1.5", ParseError::kBadRate},
      {"x:1|c|@1.0000001", ParseError::kBadRate},
      {"x:1|c|@2", ParseError::kBadRate},  // Etsy accepts rates above 1
      {"x:1|c|@", ParseError::kBadRate},
      {"x:1|c|@abc", ParseError::kBadRate},
      {"x:1|c|@nan", ParseError::kBadRate},
      {"x:1|c|@inf", ParseError::kBadRate},
      {"x:1|c|@0.5x", ParseError::kBadRate},
      {"x:1|c|@ 0.5", ParseError::kBadRate},
      {"x:1|c|@1e-400", ParseError::kBadRate},
      {"x:1|c|@0.5|@0.5", ParseError::kBadRate},
      {"x:1|c|@0.5|#a|@0.1", ParseError::kBadRate},
  });
}

TEST(StatsdParserTest, RefusesBadTags) {
  ExpectRefuses({
      {"x:1|c|#", ParseError::kBadTags},
      {"x:1|c|#|@0.5", ParseError::kBadTags},
      {"x:1|c|#a|#b", ParseError::kBadTags},
      {"x:1|c|#a:\xff", ParseError::kBadTags},
      {"x:1|c|#a:\xe2\x82", ParseError::kBadTags},
      {Bytes("x:1|c|#a:b\0c"), ParseError::kBadTags},
  });
}

TEST(StatsdParserTest, RefusesBadTimestamps) {
  ExpectRefuses({
      {"x:1|c|T", ParseError::kBadTimestamp},
      {"x:1|c|T0", ParseError::kBadTimestamp},
      {"x:1|c|T000", ParseError::kBadTimestamp},
      {"x:1|c|T-1", ParseError::kBadTimestamp},
      {"x:1|c|T+1", ParseError::kBadTimestamp},
      {"x:1|c|T12a", ParseError::kBadTimestamp},
      {"x:1|c|T1.5", ParseError::kBadTimestamp},
      {"x:1|c|T 1", ParseError::kBadTimestamp},
      {"x:1|c|T9223372036854775808", ParseError::kBadTimestamp},
      {"x:1|c|T99999999999999999999999", ParseError::kBadTimestamp},
      {"x:1|c|T1|T2", ParseError::kBadTimestamp},
  });
}

TEST(StatsdParserTest, RefusesUnknownAndEmptySections) {
  ExpectRefuses({
      {"x:1|c|x:1", ParseError::kBadField},
      {"x:1|c|", ParseError::kBadField},
      {"x:1|c||#a", ParseError::kBadField},
      {"x:1|c|#a|", ParseError::kBadField},
      {"x:1|c|c", ParseError::kBadField},
      {"x:1|c|c:", ParseError::kBadField},
      {"x:1|c|c:a|c:b", ParseError::kBadField},
      {"x:1|c|c:\xff", ParseError::kBadField},
      {"x:1|c|e:", ParseError::kBadField},
      {"x:1|c|e:a|e:a", ParseError::kBadField},
      {"x:1|c|card:", ParseError::kBadField},
      {"x:1|c|card", ParseError::kBadField},
      {"x:1|c|card:low|card:high", ParseError::kBadField},
      {"x:1|c|t1", ParseError::kBadField},
      {"x:1|c|0.5", ParseError::kBadField},
      {"x:1|c|m:msg", ParseError::kBadField},
  });
}

TEST(StatsdParserTest, RefusesLinesOverTheLimit) {
  std::string line(kMaxLineLength - 4, 'n');
  line += ":1|c";
  StatsdLine out;
  ASSERT_EQ(line.size(), kMaxLineLength);
  EXPECT_EQ(ParseLine(line, &out), ParseError::kOk);
  EXPECT_EQ(out.name.size(), kMaxLineLength - 4);
  line.insert(0, "n");
  EXPECT_EQ(ParseLine(line, &out), ParseError::kTooLong);
  EXPECT_EQ(ParseLine(std::string(kMaxLineLength + 1, ':'), &out), ParseError::kTooLong);
}

TEST(StatsdParserTest, ViewsPointIntoTheLine) {
  const std::string line = "svc.req:1:2|ms|#env:prod|c:abc|@0.5";
  StatsdLine out;
  ASSERT_EQ(ParseLine(line, &out), ParseError::kOk);
  EXPECT_EQ(out.name.data(), line.data());
  EXPECT_EQ(out.values.data(), line.data() + 8);
  EXPECT_EQ(out.tags.data(), line.data() + 16);
  EXPECT_EQ(out.container.data(), line.data() + 27);
}

TEST(StatsdParserTest, ErrorNamesAreDistinctLabelValues) {
  std::vector<std::string> names;
  for (int e = 0; e <= static_cast<int>(ParseError::kTooLong); ++e) {
    const std::string name = ParseErrorName(static_cast<ParseError>(e));
    SCOPED_TRACE(name);
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_');
    EXPECT_THAT(names, ::testing::Not(::testing::Contains(name)));
    names.push_back(name);
  }
  EXPECT_STREQ(ParseErrorName(ParseError::kNoValue), "no_value");
  EXPECT_STREQ(ParseErrorName(ParseError::kBadServiceCheck), "bad_service_check");
  EXPECT_STREQ(ParseErrorName(ParseError::kTooLong), "too_long");
}

TEST(ValueReaderTest, StopsAtTextThatIsNotANumber) {
  // Only text from a kOk line is promised to parse; anything else stops the reader cleanly.
  EXPECT_THAT(ReadValues("1:x:2", MetricType::kCounter), ElementsAre(Value{1, false}));
  EXPECT_THAT(ReadValues("", MetricType::kCounter), IsEmpty());
  EXPECT_THAT(ReadValues("nan", MetricType::kGauge), IsEmpty());
  EXPECT_THAT(ReadValues("1:", MetricType::kTimer), ElementsAre(Value{1, false}));
  EXPECT_THAT(ReadValues("1:2", MetricType::kSet), IsEmpty());
}

TEST(TagReaderTest, SplitsEntriesAtTheFirstColon) {
  EXPECT_THAT(ReadTags("a:b,c,d:e"), ElementsAre(Pair("a", "b"), Pair("c", ""), Pair("d", "e")));
  EXPECT_THAT(ReadTags(",,a,,b:,"), ElementsAre(Pair("a", ""), Pair("b", "")));
  EXPECT_THAT(ReadTags("url:http://x:8080/a,k:v:w"),
              ElementsAre(Pair("url", "http://x:8080/a"), Pair("k", "v:w")));
  EXPECT_THAT(ReadTags(":v"), ElementsAre(Pair("", "v")));
  EXPECT_THAT(ReadTags("caf\xc3\xa9:cr\xc3\xa8me"),
              ElementsAre(Pair("caf\xc3\xa9", "cr\xc3\xa8me")));
  EXPECT_THAT(ReadTags(""), IsEmpty());
  EXPECT_THAT(ReadTags(",,,"), IsEmpty());
}

TEST(TagReaderTest, ViewsStayInsideTheTags) {
  const std::string_view tags = "a:b,,c";
  TagReader reader(tags);
  std::string_view name, value;
  while (reader.Next(&name, &value)) {
    EXPECT_GE(name.data(), tags.data());
    EXPECT_LE(value.data() + value.size(), tags.data() + tags.size());
  }
}

std::vector<std::string> Lines(std::string_view datagram) {
  std::vector<std::string> lines;
  ForEachLine(datagram, [&](std::string_view line) {
    EXPECT_GE(line.data(), datagram.data());
    EXPECT_LE(line.data() + line.size(), datagram.data() + datagram.size());
    lines.emplace_back(line);
  });
  return lines;
}

TEST(ForEachLineTest, SplitsDatagrams) {
  struct Case {
    std::string_view datagram;
    std::vector<std::string> lines;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"\n\n\n", {}},
      {"a:1|c", {"a:1|c"}},
      {"a:1|c\nb:2|g", {"a:1|c", "b:2|g"}},
      {"a:1|c\n\n\nb:2|g\n", {"a:1|c", "b:2|g"}},
      {"a:1|c\r\nb:2|g\r\n", {"a:1|c", "b:2|g"}},
      {"\r\n\r\n", {}},
      {"\r", {}},
      {"a:1|c\r\r\n", {"a:1|c\r"}},  // only one '\r' is dropped
      {"a\rb:1|c\n", {"a\rb:1|c"}},
      {"a:1|c\nb:2|", {"a:1|c", "b:2|"}},  // split at the end: the piece is still a line
      {Bytes("a:1|c\n\0\nb:1|c"), {"a:1|c", std::string(1, '\0'), "b:1|c"}},
      {"\xff\xfe\n\xc3", {"\xff\xfe", "\xc3"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "datagram: \"" << c.datagram << "\"");
    EXPECT_EQ(Lines(c.datagram), c.lines);
  }
}

// What a receiver does: every line is parsed on its own, bad ones do not spoil the others.
TEST(ForEachLineTest, BadLinesDoNotSpoilTheDatagram) {
  const std::string_view datagram = Bytes(
      "ok.a:1|c\r\n"
      "\n"
      "bad\0name:1|c\n"
      "\xff\xfe:1|c\n"
      "ok.b:2:3|ms|@0.5|#env:prod\n"
      "no.type:1\n"
      "ok.c:caf\xc3\xa9|s\n"
      "trunc.tags:1|c|#env:pr");  // cut at the end of the datagram: undetectable, still valid
  std::vector<std::string> names;
  std::vector<ParseError> errors;
  ForEachLine(datagram, [&](std::string_view line) {
    StatsdLine out;
    const ParseError e = ParseLine(line, &out);
    errors.push_back(e);
    if (e == ParseError::kOk) names.emplace_back(out.name);
  });
  EXPECT_THAT(names, ElementsAre("ok.a", "ok.b", "ok.c", "trunc.tags"));
  EXPECT_THAT(errors,
              ElementsAre(ParseError::kOk, ParseError::kBadName, ParseError::kBadName,
                          ParseError::kOk, ParseError::kNoType, ParseError::kOk, ParseError::kOk));
}

// Seeded random round trip: any finite double printed shortest (std::to_chars) or with 17
// significant digits (printf) comes back bit for bit, through both the fast and slow paths.
TEST(StatsdParserTest, RandomDoublesRoundTrip) {
  std::mt19937_64 rng(20251126);
  std::uniform_int_distribution<int> small(-100000, 100000);
  for (int i = 0; i < 20000; ++i) {
    double v;
    switch (i % 3) {
      case 0: {  // any bit pattern
        const uint64_t bits = rng();
        std::memcpy(&v, &bits, sizeof v);
        if (!std::isfinite(v)) continue;
        break;
      }
      case 1:
        v = small(rng);
        break;
      default:
        v = small(rng) / 1000.0;
        break;
    }
    char shortest[64];
    const auto r = std::to_chars(shortest, shortest + sizeof shortest, v);
    char printed[64];
    std::snprintf(printed, sizeof printed, "%.17g", v);
    for (const std::string& text : {std::string(shortest, r.ptr), std::string(printed)}) {
      SCOPED_TRACE(text);
      const std::string line = "r:" + text + "|h";
      StatsdLine out;
      ASSERT_EQ(ParseLine(line, &out), ParseError::kOk);
      const std::vector<Value> values = ReadValues(out.values, out.type);
      ASSERT_EQ(values.size(), 1u);
      EXPECT_EQ(std::memcmp(&values[0].value, &v, sizeof v), 0) << values[0].value;
    }
  }
}

// Seeded random decimal texts: whatever the parser accepts, it reads as strtod does; and it
// accepts every text of the documented grammar whose value is in range.
TEST(StatsdParserTest, RandomDecimalsMatchStrtod) {
  std::mt19937_64 rng(7);
  auto digits = [&](int max) {
    std::string s(static_cast<size_t>(rng() % (max + 1)), '0');
    for (char& c : s) c = static_cast<char>('0' + rng() % 10);
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (rng() % 3 == 0) text += (rng() % 2 == 0) ? "-" : "+";
    const std::string whole = digits(22);
    const bool dot = rng() % 2 == 0;
    const std::string fraction = dot ? digits(22) : "";
    text += whole;
    if (dot) text += "." + fraction;
    const bool exponent = rng() % 4 == 0;
    if (exponent) {
      text += (rng() % 2 == 0) ? "e" : "E";
      if (rng() % 2 == 0) text += (rng() % 2 == 0) ? "-" : "+";
      text += std::to_string(rng() % 400);
    }
    SCOPED_TRACE(text);
    const bool in_grammar = !whole.empty() || !fraction.empty();
    const double expected = std::strtod(text.c_str(), nullptr);
    const std::string line = "r:" + text + "|d";
    StatsdLine out;
    const ParseError e = ParseLine(line, &out);
    if (!in_grammar) {
      EXPECT_EQ(e, text.empty() ? ParseError::kNoValue : ParseError::kBadValue);
      continue;
    }
    // strtod says ERANGE for overflow and for tiny results; from_chars refuses overflow and
    // results that round to zero. Compare only where both are ordinary.
    if (!std::isfinite(expected) ||
        (expected == 0 && text.find_first_of("123456789") < text.find_first_of("eE"))) {
      continue;
    }
    if (std::fabs(expected) < 2.2250738585072014e-308) continue;  // subnormal: libs differ
    ASSERT_EQ(e, ParseError::kOk);
    const std::vector<Value> values = ReadValues(out.values, out.type);
    ASSERT_EQ(values.size(), 1u);
    EXPECT_EQ(std::memcmp(&values[0].value, &expected, sizeof expected), 0) << values[0].value;
  }
}

}  // namespace
}  // namespace plumbline::collector
