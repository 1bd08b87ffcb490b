// The CLI's HTTP helpers: URLs from --server, tokens, and failure messages that never show a
// URL (which may carry a webhook token or a password).
#include "app/http_client.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace plumbline::app {
namespace {

TEST(HttpClientHelpersTest, ServerUrlJoinsWithOneSlash) {
  EXPECT_EQ(ServerUrl("http://h:8080", "/api/v1/events"), "http://h:8080/api/v1/events");
  EXPECT_EQ(ServerUrl("http://h:8080//", "/-/drill"), "http://h:8080/-/drill");
}

TEST(HttpClientHelpersTest, TokenFromTheFlagElseTheEnvironment) {
  ::setenv("PLUMBLINE_TOKEN", "from-env", 1);
  EXPECT_EQ(TokenOrEnv("from-flag"), "from-flag");
  EXPECT_EQ(TokenOrEnv(""), "from-env");
  ::unsetenv("PLUMBLINE_TOKEN");
  EXPECT_EQ(TokenOrEnv(""), "");
}

TEST(HttpClientHelpersTest, FailureReasonLeavesTheUrlOut) {
  const std::string url = "https://hooks.example/T0/secret";
  EXPECT_EQ(
      FailureReason(absl::UnavailableError("cannot reach " + url + ": Connection refused"), url),
      "Connection refused");
  EXPECT_EQ(FailureReason(absl::InternalError("bad " + url + " somewhere"), url), "request failed");
  EXPECT_EQ(FailureReason(absl::DeadlineExceededError("timed out"), url), "timed out");
}

TEST(HttpClientHelpersTest, AnUnreachableServerIsNamedBySend) {
  HttpClient client;
  HttpClient::Request request;
  request.url = "http://127.0.0.1:1/x";  // port 1: nothing listens on loopback
  request.timeout_ms = 2000;
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(absl::StartsWith(response.status().message(), "cannot reach http://127.0.0.1:1/x: "))
      << response.status();
  const std::string reason = FailureReason(response.status(), request.url);
  EXPECT_FALSE(reason.empty());
  EXPECT_EQ(reason.find("127.0.0.1"), std::string::npos) << reason;
}

}  // namespace
}  // namespace plumbline::app
