#include "common/log.h"

#include "gtest/gtest.h"

namespace plumbline {
namespace {

TEST(LogTest, ParsesLevels) {
  LogLevel level = LogLevel::kError;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("warn", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  EXPECT_FALSE(ParseLogLevel("INFO", &level));
}

TEST(LogTest, FiltersBelowLevel) {
  const LogLevel saved = GetLogLevel();
  SetLogLevel(LogLevel::kWarn);
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  int evaluated = 0;
  PL_LOG(Info) << ++evaluated;  // arguments of a disabled level are not evaluated
  EXPECT_EQ(evaluated, 0);
  SetLogLevel(saved);
}

TEST(LogTest, WritesOneLogfmtLine) {
  ::testing::internal::CaptureStderr();
  PL_LOG(Error) << "disk \"full\"\nretrying";
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(line.find(" level=error caller=log_test.cc:"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(msg="disk \"full\"\nretrying")"), std::string::npos) << line;
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

}  // namespace
}  // namespace plumbline
