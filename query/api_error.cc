#include "query/api_error.h"

#include "nlohmann/json.hpp"

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
  nlohmann::json body = {
      {"status", "error"}, {"errorType", ApiErrorTypeName(type)}, {"error", message}};
  // Invalid UTF-8 in a message (e.g. echoed user input) is replaced, never thrown.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace plumbline::query
