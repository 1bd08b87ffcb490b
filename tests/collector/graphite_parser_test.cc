// ParseGraphiteLine (collector/internal/graphite_parser.cc): "path value timestamp".
#include <string>
#include <vector>

#include "collector/statsd_parser.h"
#include "gtest/gtest.h"
#include "tests/collector/statsd_test_util.h"

namespace plumbline::collector {
namespace {

TEST(GraphiteParserTest, ParsesLines) {
  struct Case {
    std::string_view line;
    std::string_view path;
    double value;
    int64_t timestamp_s;
  };
  const std::vector<Case> cases = {
      {"foo.bar 42 1700000000", "foo.bar", 42, 1700000000},
      {"foo.bar\t-1.5\t1700000000", "foo.bar", -1.5, 1700000000},
      {"a  1 \t 2", "a", 1, 2},
      {"  a 1 2  ", "a", 1, 2},
      {"\ta 1 2\t", "a", 1, 2},
      {"a 1 -1", "a", 1, -1},
      {"a 1 N", "a", 1, -1},
      {"a 1e3 1700000000.123", "a", 1000, 1700000000},
      {"a 1 1700000000.", "a", 1, 1700000000},
      {"a +5 1", "a", 5, 1},
      {"a .5 1", "a", 0.5, 1},
      {"servers.web-1.cpu;env=prod 0.25 1700000000", "servers.web-1.cpu;env=prod", 0.25,
       1700000000},
      {"temp\xc3\xa9rature 21.5 9223372036854775807", "temp\xc3\xa9rature", 21.5, INT64_MAX},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "line: \"" << c.line << "\"");
    GraphiteLine out;
    out.timestamp_s = 7;
    ASSERT_EQ(ParseGraphiteLine(c.line, &out), ParseError::kOk);
    EXPECT_EQ(out.path, c.path);
    EXPECT_EQ(out.value, c.value);
    EXPECT_EQ(out.timestamp_s, c.timestamp_s);
  }
}

TEST(GraphiteParserTest, RefusesMalformedLines) {
  const std::vector<std::string_view> lines = {
      "",         "   ",       "a",
      "a 1",      "a 1 2 3",   "a nan 1",
      "a NaN 1",  "a inf 1",   "a -Infinity 1",
      "a 0x10 1", "a 1e400 1", "a 1,5 1",
      "a - 1",    "a 1 0",     "a 1 -2",
      "a 1 +1",   "a 1 abc",   "a 1 1.x",
      "a 1 .5",   "a 1 n",     "a 1 99999999999999999999",
      "\xff 1 1", "a\xc3 1 1", Bytes("a\0b 1 1"),
      "a 1\r 1",
  };
  for (std::string_view line : lines) {
    SCOPED_TRACE(testing::Message() << "line: \"" << line << "\"");
    GraphiteLine out;
    EXPECT_EQ(ParseGraphiteLine(line, &out), ParseError::kBadGraphite);
  }
}

TEST(GraphiteParserTest, RefusesLinesOverTheLimit) {
  GraphiteLine out;
  std::string line(kMaxLineLength - 4, 'p');
  line += " 1 2";
  EXPECT_EQ(ParseGraphiteLine(line, &out), ParseError::kOk);
  line += " ";
  EXPECT_EQ(ParseGraphiteLine(line, &out), ParseError::kTooLong);
}

}  // namespace
}  // namespace plumbline::collector
