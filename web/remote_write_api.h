// POST /api/v1/write: the Prometheus remote write 1.0 receiver, so Prometheus servers and
// agents (remote_write in their config), Grafana Agent, vmagent and other Plumblines can
// push samples into this store.
//
// The body is a snappy-compressed prometheus.WriteRequest (remote/write_request.h), at most
// kMaxRemoteWriteBodyBytes compressed. Answers, as a sender expects them:
//   204 everything was stored (a sample equal to its series' latest one counts as stored,
//       so a sender's retry of a one-sample-per-series request is not an error);
//   400 bad_data when the body is not a WriteRequest, or when some series or samples were
//       refused (invalid labels, out of order, older than the retention), naming the first
//       and counting them; the valid rest is stored. Senders drop a request on 4xx.
//   503 unavailable when the store could not write: nothing of the request is stored and the
//       sender retries.
// A write: refused with 401/403 as web/auth.h decides for the deployer role (the import
// endpoint's rule).
#pragma once

#include <atomic>
#include <cstddef>

#include "storage/engine.h"
#include "web/auth.h"
#include "web/router.h"

namespace prometheus {
class Registry;
}

namespace plumbline::web {

inline constexpr size_t kMaxRemoteWriteBodyBytes = 32 << 20;

// `engine` is read per request (null while storage is opening: 503). The slot, the engine,
// `auth` (may be null: loopback-only writes) and `registry` (may be null: no metrics) must
// outlive the router.
Route RemoteWriteRoute(const std::atomic<storage::Engine*>* engine, const AuthConfig* auth,
                       prometheus::Registry* registry);

}  // namespace plumbline::web
