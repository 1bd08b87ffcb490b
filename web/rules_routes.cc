#include "web/rules_routes.h"

#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "query/rules_api.h"
#include "web/api_envelope.h"
#include "web/form.h"

namespace plumbline::web {
namespace {

using query::ApiErrorType;

using Body = std::function<void(const RulesContext&, const HttpRequest&, HttpResponse&)>;

HttpHandler WithContext(const std::atomic<const RulesContext*>* slot, Body body) {
  return [slot, body = std::move(body)](const HttpRequest& request, HttpResponse& response) {
    const RulesContext* ctx = slot->load(std::memory_order_acquire);
    if (ctx == nullptr) {
      return AnswerError(ApiErrorType::kUnavailable, "storage is not open yet", response);
    }
    body(*ctx, request, response);
  };
}

// URL parameters, then a form body's (Prometheus reads both).
absl::StatusOr<query::ApiParams> Params(const HttpRequest& request) {
  query::ApiParams params;
  if (request.method == "POST" && !request.body.empty()) {
    absl::StatusOr<FormParams> body = ParseForm(request.body);
    if (!body.ok()) return body.status();
    params.insert(params.end(), body->begin(), body->end());
  }
  absl::StatusOr<FormParams> url = ParseForm(request.query);
  if (!url.ok()) return url.status();
  params.insert(params.end(), url->begin(), url->end());
  return params;
}

void Answer(const query::ApiResponse& api, HttpResponse& response) {
  response.status = api.status;
  response.content_type = "application/json";
  response.body = api.body;
}

std::vector<query::GroupSnapshot> Groups(const RulesContext& ctx) {
  return ctx.rules != nullptr ? ctx.rules->Groups() : std::vector<query::GroupSnapshot>{};
}

void HandleReload(const RulesContext& ctx, const HttpRequest& request, HttpResponse& response) {
  if (AuthDecision d = AuthorizeWrite(ctx.auth, request, Role::kAdmin); !d.allowed) {
    return Refuse(d, response);
  }
  if (ctx.rules == nullptr) {
    response.body = "no --rule-files configured: nothing to reload\n";
    return;
  }
  absl::Status s = ctx.rules->Reload();
  if (!s.ok()) {
    PL_LOG(Error) << "reload refused, the previous rules keep running: " << s.message();
    response.status = 500;
    response.body = StrCat("failed to reload config: ", s.message(), "\n");
    return;
  }
  response.body = StrCat("reloaded ", ctx.rules->rule_count(), " rules\n");
}

void HandleDrill(const RulesContext& ctx, const HttpRequest& request, HttpResponse& response) {
  if (AuthDecision d = AuthorizeWrite(ctx.auth, request, Role::kDeployer); !d.allowed) {
    return Refuse(d, response);
  }
  absl::StatusOr<query::ApiParams> params = Params(request);
  if (!params.ok())
    return AnswerError(ApiErrorType::kBadData, ToStd(params.status().message()), response);
  std::string service;
  for (const auto& [k, v] : *params) {
    if (k == "service") service = v;
  }
  if (!service.empty()) {
    if (absl::Status s = storage::ValidateLabelValue(service); !s.ok()) {
      return AnswerError(ApiErrorType::kBadData, StrCat("service: ", s.message()), response);
    }
  }
  if (ctx.notifier == nullptr) {
    return AnswerError(ApiErrorType::kUnavailable, "alert delivery is not running", response);
  }
  const int64_t now = ctx.clock->NowMs();
  query::Alert alert = query::FireDrillAlert(service, ctx.service_label, now);
  if (ctx.extra_annotations) {
    for (auto& [name, value] : ctx.extra_annotations(alert, now)) alert.annotations[name] = value;
  }
  std::vector<query::DrillResult> results = ctx.notifier->Drill(alert);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  bool all_ok = true;
  for (const query::DrillResult& r : results) {
    out.push_back({{"target", r.target}, {"ok", r.ok}, {"detail", r.detail}});
    all_ok = all_ok && r.ok;
  }
  PL_LOG(Info) << "fire drill" << (service.empty() ? "" : " for ") << service << ": "
               << results.size() << " destinations, " << (all_ok ? "all reached" : "some failed");
  nlohmann::ordered_json data = {{"results", std::move(out)}};
  AnswerSuccess(all_ok ? 200 : 502,
                data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                response);
}

}  // namespace

std::vector<Route> RulesRoutes(const std::atomic<const RulesContext*>* slot) {
  std::vector<Route> routes;
  Route rules;
  rules.pattern = "/api/v1/rules";
  rules.methods = {"GET", "POST"};
  rules.name = "/api/v1/rules";
  rules.handler = WithContext(
      slot, [](const RulesContext& ctx, const HttpRequest& request, HttpResponse& response) {
        absl::StatusOr<query::ApiParams> params = Params(request);
        if (!params.ok()) {
          return AnswerError(ApiErrorType::kBadData, ToStd(params.status().message()), response);
        }
        Answer(query::RulesResponse(Groups(ctx), *params), response);
      });
  routes.push_back(std::move(rules));

  Route alerts;
  alerts.pattern = "/api/v1/alerts";
  alerts.methods = {"GET", "POST"};
  alerts.name = "/api/v1/alerts";
  alerts.handler =
      WithContext(slot, [](const RulesContext& ctx, const HttpRequest&, HttpResponse& response) {
        Answer(query::AlertsResponse(Groups(ctx)), response);
      });
  routes.push_back(std::move(alerts));

  Route reload;
  reload.pattern = "/-/reload";
  reload.methods = {"POST", "PUT"};
  reload.name = "/-/reload";
  reload.handler = WithContext(slot, HandleReload);
  routes.push_back(std::move(reload));

  Route drill;
  drill.pattern = "/-/drill";
  drill.methods = {"POST"};
  drill.name = "/-/drill";
  drill.max_body_bytes = 64 << 10;
  drill.handler = WithContext(slot, HandleDrill);
  routes.push_back(std::move(drill));
  return routes;
}

}  // namespace plumbline::web
