// Errors of the Prometheus HTTP API: the JSON envelope and the status codes Prometheus uses.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace plumbline::query {

enum class ApiErrorType {
  kBadData,
  kExecution,
  kTimeout,
  kCanceled,
  kInternal,
  kUnavailable,
  kNotFound,
  kUnauthorized,
  kForbidden
};

// Prometheus' errorType string ("bad_data", "execution", ...).
std::string_view ApiErrorTypeName(ApiErrorType type);
// The HTTP status Prometheus answers with (400 bad_data, 422 execution, 503 timeout, ...).
int ApiErrorHttpStatus(ApiErrorType type);
// {"status":"error","errorType":"bad_data","error":"..."}, keys in Prometheus' order;
// invalid UTF-8 in the message is replaced, never refused.
std::string ApiErrorJson(ApiErrorType type, std::string_view message);

// The error type of an evaluator or storage error, as documented at the top of promql.h:
// InvalidArgument -> bad_data, DeadlineExceeded -> timeout, Cancelled -> canceled,
// Internal/DataLoss -> internal, anything else -> execution.
ApiErrorType ApiErrorTypeForStatus(const absl::Status& status);

}  // namespace plumbline::query
