// POST /api/v1/import/prometheus: the bulk import format of `plumbline import`, over HTTP,
// streamed into the store as the body arrives (no size limit; memory stays bounded).
// Answers 204 when everything was imported; 400 bad_data naming the rejected lines when some
// were refused (the valid rest is stored); 503 when the store could not write. A write:
// refused with 401/403 as web/auth.h decides, before any of the body is read.
#pragma once

#include <atomic>

#include "storage/engine.h"
#include "web/auth.h"
#include "web/router.h"

namespace plumbline::web {

// `engine` is read per request (null while storage is opening: 503). The slot and the
// engine it points to must outlive the router. `auth`: the auth file, or null (loopback-only
// writes); it must outlive the router too.
Route ImportRoute(const std::atomic<storage::Engine*>* engine, const AuthConfig* auth);

}  // namespace plumbline::web
