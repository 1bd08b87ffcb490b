#include "query/api_error.h"

#include "query/json_format.h"

namespace plumbline::query {

std::string_view ApiErrorTypeName(ApiErrorType type) {
  switch (type) {
    case ApiErrorType::kBadData:
      return "bad_data";
    case ApiErrorType::kExecution:
      return "execution";
    case ApiErrorType::kTimeout:
      return "timeout";
    case ApiErrorType::kCanceled:
      return "canceled";
    case ApiErrorType::kInternal:
      return "internal";
    case ApiErrorType::kUnavailable:
      return "unavailable";
    case ApiErrorType::kNotFound:
      return "not_found";
    case ApiErrorType::kUnauthorized:
      return "unauthorized";
    case ApiErrorType::kForbidden:
      return "forbidden";
  }
  return "internal";
}

int ApiErrorHttpStatus(ApiErrorType type) {
  switch (type) {
    case ApiErrorType::kBadData:
      return 400;
    case ApiErrorType::kExecution:
      return 422;
    case ApiErrorType::kTimeout:
    case ApiErrorType::kUnavailable:
      return 503;
    case ApiErrorType::kCanceled:
      return 499;
    case ApiErrorType::kInternal:
      return 500;
    case ApiErrorType::kNotFound:
      return 404;
    case ApiErrorType::kUnauthorized:
      return 401;
    case ApiErrorType::kForbidden:
      return 403;
  }
  return 500;
}

std::string ApiErrorJson(ApiErrorType type, std::string_view message) {
  return ErrorEnvelopeJson(ApiErrorTypeName(type), message);
}

ApiErrorType ApiErrorTypeForStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return ApiErrorType::kBadData;
    case absl::StatusCode::kDeadlineExceeded:
      return ApiErrorType::kTimeout;
    case absl::StatusCode::kCancelled:
      return ApiErrorType::kCanceled;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
      return ApiErrorType::kInternal;
    case absl::StatusCode::kUnavailable:
      return ApiErrorType::kUnavailable;
    default:
      return ApiErrorType::kExecution;
  }
}

}  // namespace plumbline::query
