// Errors of the Prometheus HTTP API: the JSON envelope and the status codes Prometheus uses.
#pragma once

#include <string>
#include <string_view>

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
// {"status":"error","errorType":"bad_data","error":"..."}
std::string ApiErrorJson(ApiErrorType type, std::string_view message);

}  // namespace plumbline::query
