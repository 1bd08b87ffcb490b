// Prometheus' /api/v1/rules and /api/v1/alerts over the rules engine's snapshots, with
// Prometheus 2.x's JSON shapes (web/api/v1/api.go: RuleDiscovery, AlertDiscovery):
//
//   /api/v1/rules   {"groups":[{"name","file","rules":[...],"interval","limit",
//                    "evaluationTime","lastEvaluation"}]}; alerting rules carry state, name,
//                    query, duration, keepFiringFor, labels, annotations, alerts, health,
//                    lastError, evaluationTime, lastEvaluation, type "alerting"; recording
//                    rules name, query, labels, health, lastError, evaluationTime,
//                    lastEvaluation, type "recording".
//                    Parameters: type=alert|record, rule_name[], rule_group[], file[].
//   /api/v1/alerts  {"alerts":[{"labels","annotations","state","activeAt","value"}]}: the
//                    pending and firing alerts.
//
// Times are RFC 3339 in UTC ("0001-01-01T00:00:00Z" for never); values as Go's
// FormatFloat(v, 'e', -1, 64) ("1e+00"). Stateless; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "query/api.h"
#include "query/rule_group.h"

namespace plumbline::query {

ApiResponse RulesResponse(const std::vector<GroupSnapshot>& groups, const ApiParams& params);
ApiResponse AlertsResponse(const std::vector<GroupSnapshot>& groups);

// Go's strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "1.5e-07", "+Inf", "NaN".
std::string FormatGoFloatE(double v);

}  // namespace plumbline::query
