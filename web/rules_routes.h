// The rules engine over HTTP:
//   GET|POST /api/v1/rules    Prometheus' rule listing (query/rules_api.h)
//   GET|POST /api/v1/alerts   the pending and firing alerts
//   POST /-/reload            re-reads the rule files (admin); 200, or 500 "failed to reload
//                             config: <file:line: ...>" with the old rules still running
//   POST /-/drill?service=S   a fire drill (deployer): a clearly marked test alert through
//                             every Alertmanager and chat notifier, answered with what each
//                             did: {"status":"success","data":{"results":[{"target","ok",
//                             "detail"}]}}; 502 when a destination failed
// Writes are authorised as web/auth.h says.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "query/alert_notify.h"
#include "query/rule_manager.h"
#include "web/auth.h"
#include "web/router.h"

namespace plumbline::web {

struct RulesContext {
  query::RuleManager* rules = nullptr;  // null: no rules configured (empty lists)
  const query::AlertNotifier* notifier = nullptr;
  const AuthConfig* auth = nullptr;
  const Clock* clock = nullptr;
  std::string service_label = "service";
  // Annotations a drill's alert gets (its recent changes); may be null.
  query::ExtraAnnotationsFn extra_annotations;
};

// The context is read per request (null while storage is opening: 503).
std::vector<Route> RulesRoutes(const std::atomic<const RulesContext*>* slot);

}  // namespace plumbline::web
