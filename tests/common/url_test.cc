#include "common/url.h"

#include "gtest/gtest.h"

namespace plumbline {
namespace {

TEST(UrlTest, PercentEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode(""), "");
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("rate(x[5m]) > 1"), "rate%28x%5B5m%5D%29%20%3E%201");
  EXPECT_EQ(PercentEncode("a&b=c+d%/?#"), "a%26b%3Dc%2Bd%25%2F%3F%23");
  EXPECT_EQ(PercentEncode("é\xff"), "%C3%A9%FF");
  std::string out = "q=";
  AppendPercentEncoded("x y", &out);
  EXPECT_EQ(out, "q=x%20y");
}

TEST(UrlTest, WithoutUserInfoDropsOnlyTheCredentials) {
  EXPECT_EQ(WithoutUserInfo("http://vm:8428"), "http://vm:8428");
  EXPECT_EQ(WithoutUserInfo("https://u:p@vm:8428/api/v1/write"), "https://vm:8428/api/v1/write");
  EXPECT_EQ(WithoutUserInfo("http://u:p%40x@h/select/0?x=@y"), "http://h/select/0?x=@y");
  EXPECT_EQ(WithoutUserInfo("http://h/path@notuser"), "http://h/path@notuser");
  EXPECT_EQ(WithoutUserInfo("http://u@h?q"), "http://h?q");
  EXPECT_EQ(WithoutUserInfo("not a url"), "not a url");
}

}  // namespace
}  // namespace plumbline
