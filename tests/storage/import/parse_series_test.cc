#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/import/prom_text_parser.h"
#include "tests/testing/status_matchers.h"

namespace plumbline::storage::import {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseSeriesTest, GivesCanonicalLabels) {
  struct Case {
    std::string series;
    std::string canonical;  // Labels::ToString()
  };
  const std::vector<Case> cases = {
      {"up", "up{}"},
      {"up{}", "up{}"},
      {R"(up{zone="eu",job="api"})", R"(up{job="api", zone="eu"})"},
      {R"(up { zone = "eu" , job="api" , })", R"(up{job="api", zone="eu"})"},
      {R"(up{empty="",job="api"})", R"(up{job="api"})"},
      {R"(up{a="",a="x"})", R"(up{a="x"})"},
      {R"(up{__name__=""})", "up{}"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.series);
    absl::StatusOr<Labels> labels = ParseSeries(c.series);
    PL_ASSERT_OK(labels);
    EXPECT_EQ(labels->ToString(), c.canonical);
  }
}

TEST(ParseSeriesTest, ResolvesEscapesInValues) {
  absl::StatusOr<Labels> labels = ParseSeries(R"(x{a="q\"b\\c\nd",b="\t\x",c="caf\u00e9 é"})");
  PL_ASSERT_OK(labels);
  EXPECT_EQ(labels->metric_name(), "x");
  EXPECT_EQ(labels->Get("a"), "q\"b\\c\nd");
  EXPECT_EQ(labels->Get("b"), "\\t\\x");  // unknown escapes are kept as written
  EXPECT_EQ(labels->Get("c"), "caf\\u00e9 \xc3\xa9");
}

TEST(ParseSeriesTest, RejectsInvalidSeries) {
  struct Case {
    std::string series;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "expected a metric name, got end of line"},
      {"1up", R"(invalid metric name "1up": must start with)"},
      {R"(up{a="b"} 1)", R"(unexpected " 1" after the series)"},
      {"up ", R"(unexpected " " after the series)"},
      {R"(up{a="b")", "expected ',' or '}'"},
      {R"(up{a="b)", "unterminated label value"},
      {R"(up{a="1",a="2"})", R"(duplicate label name "a")"},
      {"up{a=\"\xff\"}", "not valid UTF-8"},
      {"up{a=\"b\"}\x01", R"(unexpected "\x01" after the series)"},  // made printable
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.series);
    EXPECT_THAT(ParseSeries(c.series),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

}  // namespace
}  // namespace plumbline::storage::import
