#include "storage/labels.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace plumbline::storage {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LabelsTest, CanonicalOrderPutsNameFirstAndDropsEmptyValues) {
  absl::StatusOr<Labels> labels = Labels::FromPairs(
      {{"zone", "eu"}, {"__name__", "up"}, {"Alpha", "1"}, {"empty", ""}, {"job", "api"}});
  PL_ASSERT_OK(labels);
  ASSERT_EQ(labels->size(), 4u);
  EXPECT_EQ(labels->items()[0].name, "__name__");
  EXPECT_EQ(labels->items()[1].name, "Alpha");
  EXPECT_EQ(labels->items()[2].name, "job");
  EXPECT_EQ(labels->items()[3].name, "zone");
  EXPECT_EQ(labels->metric_name(), "up");
  EXPECT_EQ(labels->Get("empty"), "");
  EXPECT_EQ(labels->ToString(), R"(up{Alpha="1", job="api", zone="eu"})");
}

TEST(LabelsTest, EncodeDecodeRoundTrips) {
  Labels labels = *Labels::FromPairs({{"__name__", "x"}, {"v", "quote\" and \\ and \xc3\xa9"}});
  absl::StatusOr<Labels> decoded = Labels::Decode(labels.Encode());
  PL_ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, labels);
  EXPECT_EQ(labels.ToString(), R"(x{v="quote\" and \\ and é"})");
}

TEST(LabelsTest, RejectsInvalidNamesAndValues) {
  struct Case {
    std::vector<Label> labels;
    const char* why;
  };
  const std::vector<Case> cases = {
      {{{"__name__", "1up"}}, "invalid metric name"},
      {{{"__name__", "a-b"}}, "invalid metric name"},
      {{{"__name__", "up"}, {"a:b", "x"}}, "invalid label name"},
      {{{"__name__", "up"}, {"0a", "x"}}, "invalid label name"},
      {{{"__name__", "up"}, {"a", "bad \xff"}}, "not valid UTF-8"},
      {{{"__name__", "up"}, {"a", std::string("nul\0byte", 8)}}, "NUL"},
      {{{"__name__", "up"}, {"a", "1"}, {"a", "2"}}, "duplicate label name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    EXPECT_THAT(Labels::FromPairs(c.labels),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)));
  }
}

TEST(LabelsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));       // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));   // emoji
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
}

TEST(LabelsTest, DecodeRejectsCorruptBytes) {
  EXPECT_THAT(Labels::Decode(std::string("name\0value", 10)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
}

}  // namespace
}  // namespace plumbline::storage
