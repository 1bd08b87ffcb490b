// `plumbline query 'EXPR'`: a thin client of the Prometheus HTTP API that prints the result
// as a table. An instant query prints one row per series (`labels  value`); a range query
// (any of --start, --end, --step) prints each series followed by its points. Warnings go to
// stderr; an error is printed with the API's message.
#pragma once

#include <string>

namespace plumbline::app {

struct QueryFlags {
  std::string expr;
  std::string server = "http://127.0.0.1:8080";
  std::string token;  // bearer token, when the server asks for one
  std::string time;   // instant query time; default: the server's now
  // Range query. Times are unix seconds or RFC 3339, the step seconds or a duration ("1m").
  // Defaults: end now, start end - 5m, step (end - start) / 250 but at least 1s (promtool's).
  std::string start;
  std::string end;
  std::string step;
};

// Exit codes: 0 printed; 1 the server refused the query or could not be reached; 2 bad usage.
int RunQuery(const QueryFlags& flags);

}  // namespace plumbline::app
