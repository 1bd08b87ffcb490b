#include "query/rules_api.h"

#include <charconv>
#include <cmath>
#include <set>

#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "query/alert_notify.h"
#include "query/json_format.h"

namespace plumbline::query {
namespace {

using Json = nlohmann::ordered_json;

std::string Time(int64_t ms) { return ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339Ms(ms); }

Json LabelsJson(const storage::Labels& labels) {
  Json out = Json::object();
  for (const storage::Label& l : labels.items()) out[l.name] = l.value;
  return out;
}

Json MapJson(const std::map<std::string, std::string>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

Json AlertJsonObject(const Alert& a) {
  Json j;
  j["labels"] = LabelsJson(a.labels);
  j["annotations"] = MapJson(a.annotations);
  j["state"] = std::string(AlertStateName(a.state));
  j["activeAt"] = Time(a.active_at_ms);
  if (a.keep_firing_since_ms != 0) j["keepFiringSince"] = Time(a.keep_firing_since_ms);
  j["value"] = FormatGoFloatE(a.value);
  return j;
}

// Pending and firing: what Prometheus calls the active alerts.
bool Active(const Alert& a) { return a.state != AlertState::kInactive; }

std::string Dump(const Json& data) {
  Json out;
  out["status"] = "success";
  out["data"] = data;
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::set<std::string> Values(const ApiParams& params, std::string_view name) {
  std::set<std::string> out;
  for (const auto& [k, v] : params) {
    if (k == name || k == StrCat(name, "[]")) out.insert(v);
  }
  return out;
}

}  // namespace

std::string FormatGoFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  (void)ec;  // 64 bytes always hold a double in scientific form
  return std::string(buf, end);
}

ApiResponse RulesResponse(const std::vector<GroupSnapshot>& groups, const ApiParams& params) {
  std::string type;
  for (const auto& [k, v] : params) {
    if (k == "type") {
      type = v;
      break;
    }
  }
  if (!type.empty() && type != "alert" && type != "record") {
    return {400, ErrorEnvelopeJson("bad_data", StrCat("not supported value \"", type, "\""))};
  }
  const std::set<std::string> names = Values(params, "rule_name");
  const std::set<std::string> group_names = Values(params, "rule_group");
  const std::set<std::string> files = Values(params, "file");
  const bool filtered = !type.empty() || !names.empty();

  Json out_groups = Json::array();
  for (const GroupSnapshot& g : groups) {
    if (!group_names.empty() && !group_names.contains(g.name)) continue;
    if (!files.empty() && !files.contains(g.file)) continue;
    Json rules = Json::array();
    for (const RuleSnapshot& r : g.rules) {
      const bool alerting = r.rule.kind == Rule::Kind::kAlerting;
      if (type == "alert" && !alerting) continue;
      if (type == "record" && alerting) continue;
      if (!names.empty() && !names.contains(r.rule.name)) continue;
      Json j;
      if (alerting) {
        j["state"] = std::string(AlertStateName(r.state));
        j["name"] = r.rule.name;
        j["query"] = r.rule.expr->ToString();
        j["duration"] = static_cast<double>(r.rule.for_ms) / 1000.0;
        j["keepFiringFor"] = static_cast<double>(r.rule.keep_firing_for_ms) / 1000.0;
        j["labels"] = MapJson(r.rule.labels);
        j["annotations"] = MapJson(r.rule.annotations);
        Json alerts = Json::array();
        for (const Alert& a : r.alerts) {
          if (Active(a)) alerts.push_back(AlertJsonObject(a));
        }
        j["alerts"] = std::move(alerts);
      } else {
        j["name"] = r.rule.name;
        j["query"] = r.rule.expr->ToString();
        j["labels"] = MapJson(r.rule.labels);
      }
      j["health"] = r.health;
      if (!r.last_error.empty()) j["lastError"] = r.last_error;
      j["evaluationTime"] = r.eval_seconds;
      j["lastEvaluation"] = Time(r.last_eval_ms);
      j["type"] = alerting ? "alerting" : "recording";
      rules.push_back(std::move(j));
    }
    if (filtered && rules.empty()) continue;
    Json jg;
    jg["name"] = g.name;
    jg["file"] = g.file;
    jg["rules"] = std::move(rules);
    jg["interval"] = static_cast<double>(g.interval_ms) / 1000.0;
    jg["limit"] = g.limit;
    jg["evaluationTime"] = g.eval_seconds;
    jg["lastEvaluation"] = Time(g.last_eval_ms);
    out_groups.push_back(std::move(jg));
  }
  Json data;
  data["groups"] = std::move(out_groups);
  return {200, Dump(data)};
}

ApiResponse AlertsResponse(const std::vector<GroupSnapshot>& groups) {
  Json alerts = Json::array();
  for (const GroupSnapshot& g : groups) {
    for (const RuleSnapshot& r : g.rules) {
      for (const Alert& a : r.alerts) {
        if (Active(a)) alerts.push_back(AlertJsonObject(a));
      }
    }
  }
  Json data;
  data["alerts"] = std::move(alerts);
  return {200, Dump(data)};
}

}  // namespace plumbline::query
