// The HTTP transport of the remote query backend (--query-backend): form-encoded POSTs on
// libcurl (app/http_client.h) for query::QueryBackend. Thread-safe: each thread that calls
// it keeps its own HttpClient, so connections to the backend are reused per thread.
#pragma once

#include "query/query_backend.h"

namespace plumbline::app {

// POSTs the form body to the URL and returns any HTTP answer; Unavailable with the reason
// alone ("Couldn't connect to server", "Timeout was reached") when none came.
query::BackendPost HttpBackendPost();

}  // namespace plumbline::app
