// gtest matchers for absl::Status / absl::StatusOr (Debian's Abseil ships none).
#pragma once

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace plumbline::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// EXPECT_THAT(DoIt(), IsOk());
MATCHER(IsOk, "is OK") {
  const absl::Status& status = ::plumbline::testing::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

// EXPECT_THAT(DoIt(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3")));
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = ::plumbline::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

}  // namespace plumbline::testing

#define PL_ASSERT_OK(expr) ASSERT_THAT(expr, ::plumbline::testing::IsOk())
#define PL_EXPECT_OK(expr) EXPECT_THAT(expr, ::plumbline::testing::IsOk())
