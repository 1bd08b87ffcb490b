#include "query/api_error.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace plumbline::query {
namespace {

TEST(ApiErrorTest, MatchesPrometheusEnvelope) {
  const nlohmann::json body =
      nlohmann::json::parse(ApiErrorJson(ApiErrorType::kBadData, "invalid parameter \"query\""));
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["errorType"], "bad_data");
  EXPECT_EQ(body["error"], "invalid parameter \"query\"");
  EXPECT_EQ(ApiErrorHttpStatus(ApiErrorType::kBadData), 400);
  EXPECT_EQ(ApiErrorHttpStatus(ApiErrorType::kExecution), 422);
  EXPECT_EQ(ApiErrorHttpStatus(ApiErrorType::kTimeout), 503);
}

TEST(ApiErrorTest, ReplacesInvalidUtf8InMessage) {
  const std::string json = ApiErrorJson(ApiErrorType::kBadData, "bad \xff byte");
  EXPECT_NO_THROW(nlohmann::json::parse(json));
}

}  // namespace
}  // namespace plumbline::query
