// Dashboards as code: YAML files in --dashboards-dir (one dashboard per `<name>.yaml`), plus
// the dashboards shipped in the binary (web/dashboards/), which a file of the same name
// overrides. Served read-only as JSON to the UI:
//
//   GET /api/v1/dashboards          {"status":"success","data":[{"name","title","error"}, ...]}
//   GET /api/v1/dashboards/<name>   {"status":"success","data":DASHBOARD}; 404 not_found;
//                                   422 bad_data with the file's error ("x.yaml line 3: ...")
//
// The format (every key but panels' queries optional; defaults filled in the JSON):
//
//   title: Service                  # default: the name
//   description: ...
//   time: 6h                        # default range, a Prometheus duration (default 6h)
//   refresh: 30s                    # auto refresh ("" or absent: off)
//   variables:                      # $name / ${name} in exprs and events.service
//     - name: service               # [a-zA-Z_][a-zA-Z0-9_]*
//       label: service              # the label whose values fill it (default: name)
//       match: http_requests_total  # a series selector restricting those values (optional)
//       default: api                # optional
//       all: true                   # offer "All" (.*)
//   events:                         # the deploy lines drawn on every graph
//     types: [deploy, flag, config, incident]   # default: all types
//     service: $service             # default: any service
//   panels:
//     - title: Request rate
//       type: lines                 # lines | stacked | single
//       unit: ops/s                 # none | bytes | seconds | ops/s | percent
//       width: 6                    # of 12 columns (default 6)
//       queries:                    # or, for one: expr: ... and legend: ...
//         - expr: sum by (service) (rate(http_requests_total{service=~"$service"}[5m]))
//           legend: "{{service}}"
//
// A file is re-read when its size or modification time changes; a broken file is reported
// (with its line) on its own entry and page while the others keep working. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "web/embedded.h"
#include "web/router.h"

namespace plumbline::web {

// One dashboard's YAML as the JSON the UI reads. InvalidArgument "<source> line N: <field>:
// ..." for anything not in the format above.
absl::StatusOr<std::string> DashboardJson(std::string_view yaml, std::string_view name,
                                          std::string_view source);

struct DashboardListing {
  std::string name;
  std::string title;
  std::string error;  // "" when the dashboard loads
};

class DashboardStore {
 public:
  // `dir` need not exist (then only the shipped dashboards are there).
  DashboardStore(std::string dir, std::span<const EmbeddedFile> shipped);

  // Every dashboard, by name, re-reading files that changed.
  std::vector<DashboardListing> List() ABSL_LOCKS_EXCLUDED(mu_);
  // One dashboard's JSON; NotFound, or InvalidArgument with its file's error.
  absl::StatusOr<std::string> Get(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string source;  // the file's path, or "(shipped) name.yaml"
    int64_t mtime_ns = -1;
    int64_t size = -1;
    std::string title;
    absl::StatusOr<std::string> json = absl::UnknownError("not loaded");
  };
  // Re-reads the directory: new, changed and removed files.
  void RescanLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  std::map<std::string, Entry> shipped_;  // loaded once
  absl::Mutex mu_;
  std::map<std::string, Entry> files_ ABSL_GUARDED_BY(mu_);
};

// The two routes above over `store` (which must outlive the router).
std::vector<Route> DashboardRoutes(DashboardStore* store);

}  // namespace plumbline::web
