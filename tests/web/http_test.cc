// The small pieces of the HTTP server that need no socket: request/response helpers, the
// listen address parser and the Date header.
#include "web/http.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "web/internal/http_date.h"

namespace plumbline::web {
namespace {

TEST(HttpRequestTest, HeaderFindsFirstValueIgnoringCase) {
  HttpRequest request;
  request.headers = {{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.Header("x-a"), "1");
  EXPECT_EQ(request.Header("Content-Type"), "text/plain");
  EXPECT_EQ(request.Header("missing"), "");
}

TEST(HttpResponseTest, SetHeaderReplacesEveryHeaderOfThatName) {
  HttpResponse response;
  response.headers = {{"X-A", "1"}, {"x-b", "2"}, {"x-a", "3"}};
  response.SetHeader("x-a", "4");
  response.SetHeader("X-C", "5");
  const std::vector<std::pair<std::string, std::string>> want = {
      {"X-A", "4"}, {"x-b", "2"}, {"X-C", "5"}};
  EXPECT_EQ(response.headers, want);
}

TEST(StatusReasonTest, NamesStandardCodesAndClasses) {
  const std::vector<std::pair<int, std::string>> cases = {
      {200, "OK"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {413, "Content Too Large"},
      {431, "Request Header Fields Too Large"},
      {503, "Service Unavailable"},
      {299, "Success"},
      {499, "Client Error"},
      {599, "Server Error"},
  };
  for (const auto& [code, reason] : cases) EXPECT_EQ(StatusReason(code), reason) << code;
}

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(internal::FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(internal::FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(internal::CurrentHttpDate().size(), 29u);
}

}  // namespace
}  // namespace plumbline::web
