#include "common/duration.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace plumbline {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DurationTest, ParsesPrometheusDurations) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : std::initializer_list<Case>{{"0", 0},
                                                   {"0s", 0},
                                                   {"500ms", 500},
                                                   {"10s", 10'000},
                                                   {"1m30s", 90'000},
                                                   {"2h", 7'200'000},
                                                   {"15d", 15LL * 86'400'000},
                                                   {"1w", 7LL * 86'400'000},
                                                   {"1y", 365LL * 86'400'000},
                                                   {"1h1m1s1ms", 3'661'001}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<int64_t> ms = ParseDurationMs(c.text);
    ASSERT_TRUE(ms.ok()) << ms.status();
    EXPECT_EQ(*ms, c.ms);
  }
}

TEST(DurationTest, RejectsMalformedDurations) {
  for (const char* text : {"", "10", "s", "1.5s", "-1s", "10sec", "1s1m", "1s1s", "1 s",
                           "9999999999999999999s", "106751991167y"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(ParseDurationMs(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid duration")));
  }
}

TEST(DurationTest, FormatsAsPrometheus) {
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(90'000), "1m30s");
  EXPECT_EQ(FormatDurationMs(15LL * 86'400'000), "15d");
  EXPECT_EQ(FormatDurationMs(14LL * 86'400'000), "2w");
  EXPECT_EQ(FormatDurationMs(90LL * 86'400'000), "90d");
  EXPECT_EQ(FormatDurationMs(1'500), "1s500ms");
}

TEST(DurationTest, RoundTrips) {
  for (int64_t ms : {1LL, 999LL, 61'000LL, 3'600'001LL, 400LL * 86'400'000}) {
    EXPECT_EQ(*ParseDurationMs(FormatDurationMs(ms)), ms);
  }
}

}  // namespace
}  // namespace plumbline
