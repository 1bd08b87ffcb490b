// The Prometheus HTTP API over HTTP: routes for /api/v1/query, query_range, query_exemplars,
// series, labels, label/<name>/values, metadata and status/buildinfo, each answering GET,
// POST (application/x-www-form-urlencoded; body and URL parameters merged, the body's first,
// as Go's r.Form) and OPTIONS (204, for browsers), with Prometheus' CORS headers. The
// response is gzip- (or deflate-) compressed when the request's Accept-Encoding lists it,
// as Prometheus' CompressionHandler does.
//
// With a query backend (--query-backend), every route but status/buildinfo forwards the
// request's parameters to the backend's same path and answers with its status and body.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "query/api.h"
#include "query/query_backend.h"
#include "web/router.h"

namespace plumbline::web {

// `api` is read per request (null while storage is opening: 503 unavailable). The slot and
// the API it points to must outlive the router. `backend` (may be null: the local store
// answers) must outlive the router too.
std::vector<Route> QueryApiRoutes(const std::atomic<const query::PrometheusApi*>* api,
                                  const query::QueryBackend* backend = nullptr);

// gzip (RFC 1952) of `data` at zlib's fastest level.
std::string GzipCompress(std::string_view data);

}  // namespace plumbline::web
