// The real delivery of chat notifications: an HTTP POST of the body as application/json,
// on libcurl (app/http_client.h). Thread-safe: each call uses its own HttpClient.
#pragma once

#include "query/notifier.h"

namespace plumbline::app {

// POSTs `body` to `url` with Content-Type: application/json, within timeout_ms (the whole
// request). Returns any HTTP status the receiver answers (redirects are not followed), or
// Unavailable when it could not be reached or did not answer in time. Error messages never
// contain the URL (webhook URLs carry secrets): "cannot reach the receiver: Timeout was
// reached".
query::DeliverFn HttpDeliver();

}  // namespace plumbline::app
