#include "web/api_envelope.h"

#include "query/json_format.h"

namespace plumbline::web {

void AnswerSuccess(int status, std::string_view data, HttpResponse& response) {
  response.status = status;
  response.content_type = "application/json";
  response.body.clear();
  query::AppendSuccessBegin(&response.body);
  response.body.append(data);
  query::AppendSuccessEnd({}, &response.body);
}

void AnswerError(query::ApiErrorType type, std::string_view message, HttpResponse& response) {
  response.status = query::ApiErrorHttpStatus(type);
  response.content_type = "application/json";
  response.body = query::ApiErrorJson(type, message);
}

}  // namespace plumbline::web
