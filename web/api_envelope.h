// The Prometheus API's JSON envelope for the handlers of web/ that answer outside the PromQL
// API proper (deploy log, dashboards, import):
//   {"status":"success","data":...}   and   {"status":"error","errorType":"...","error":"..."}
#pragma once

#include <string_view>

#include "query/api_error.h"
#include "web/http.h"

namespace plumbline::web {

// `data` is JSON text, put as is.
void AnswerSuccess(int status, std::string_view data, HttpResponse& response);
// The status Prometheus gives `type` (400 bad_data, 404 not_found, 503 unavailable, ...).
void AnswerError(query::ApiErrorType type, std::string_view message, HttpResponse& response);

}  // namespace plumbline::web
