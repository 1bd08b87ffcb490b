// The Prometheus HTTP API (web/api/v1/api.go of Prometheus 3): request parameters in, status
// and JSON body out. No sockets here: web/query_api.cc routes requests to these handlers.
//
//   /api/v1/query            query, time, timeout, lookback_delta, limit
//   /api/v1/query_range      query, start, end, step, timeout, lookback_delta, limit
//   /api/v1/series           match[] (repeated, required), start, end, limit
//   /api/v1/labels           match[], start, end, limit
//   /api/v1/label/<n>/values match[], start, end, limit
//   /api/v1/metadata         metric, limit, limit_per_metric
//   /api/v1/query_exemplars  query, start, end (no exemplars are stored: always [])
//   /api/v1/status/buildinfo
//
// Parameters are read as Prometheus reads them, checked in the same order and refused with
// the same words ("invalid parameter \"start\": cannot parse \"x\" to a valid timestamp"):
// times are float unix seconds or RFC 3339, durations float seconds or Prometheus durations
// ("1m30s"), a missing query time is now. Errors are bad_data (400), execution (422),
// timeout (503), canceled (499) or internal (500), as api_error.h maps them.
//
// Thread-safe: one PrometheusApi serves every request; handlers run on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "query/promql.h"
#include "storage/matcher.h"

namespace plumbline::storage {
class Engine;
}

namespace plumbline::query {

// Request parameters in order, repeated names kept: a POST body's before the URL's, so that
// the first value of a name is the one Prometheus' r.FormValue reads.
using ApiParams = std::vector<std::pair<std::string, std::string>>;

struct ApiResponse {
  int status = 200;  // 200, 204 (no content), or the error's HTTP status
  std::string body;  // JSON; empty with 204
};

// What /api/v1/status/buildinfo reports (Prometheus' field names; no "features" key, which
// Grafana reads as "not Prometheus").
struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version;  // the toolchain: here the C++ compiler
};

struct ApiOptions {
  BuildInfo build_info;
  // Defaults of every query; timeout_ms is also the longest a `timeout` parameter may ask for
  // (Prometheus' --query.timeout, 2m).
  QueryOptions query;
  const Clock* clock = nullptr;  // "now"; default SystemClock
};

// Prometheus' bounds for open time ranges (api.go MinTime/MaxTime), in milliseconds.
inline constexpr int64_t kApiMinTimeMs = -9223309901257974000;
inline constexpr int64_t kApiMaxTimeMs = 9223309901257974999;

// parseTime: float unix seconds (fraction rounded to the millisecond) or RFC 3339, also the
// two formatted bounds client_golang sends. InvalidArgument "cannot parse \"x\" to a valid
// timestamp".
absl::StatusOr<int64_t> ParseApiTimeMs(std::string_view text);
// parseDuration in nanoseconds: float seconds or a Prometheus duration. InvalidArgument
// "cannot parse \"x\" to a valid duration" (". It overflows int64" when too large).
absl::StatusOr<int64_t> ParseApiDurationNs(std::string_view text);

class PrometheusApi {
 public:
  // `storage` and `promql` must outlive the API.
  PrometheusApi(storage::Engine* storage, const PromqlEngine* promql, ApiOptions options = {});

  ApiResponse Query(const ApiParams& params) const;
  ApiResponse QueryRange(const ApiParams& params) const;
  ApiResponse QueryExemplars(const ApiParams& params) const;
  ApiResponse Series(const ApiParams& params) const;
  ApiResponse LabelNames(const ApiParams& params) const;
  // `name` is the path segment, already percent-decoded.
  ApiResponse LabelValues(std::string_view name, const ApiParams& params) const;
  ApiResponse Metadata(const ApiParams& params) const;
  ApiResponse BuildInfoResponse() const;

 private:
  int64_t NowMs() const;
  // Label names, or the values of one label, of the series matching a matcher set.
  using LabelLookup = std::function<absl::StatusOr<std::vector<std::string>>(
      absl::Span<const storage::LabelMatcher>, int64_t mint, int64_t maxt)>;
  // LabelNames/LabelValues: the parameters, then `lookup` per match[] set, merged.
  ApiResponse LabelList(const ApiParams& params, const LabelLookup& lookup) const;

  storage::Engine* storage_;
  const PromqlEngine* promql_;
  ApiOptions options_;
};

}  // namespace plumbline::query
