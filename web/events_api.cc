#include "web/events_api.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/strings/match.h"
#include "common/strings.h"
#include "query/api.h"
#include "query/event_json.h"
#include "query/graphite_events.h"
#include "query/json_format.h"
#include "web/api_envelope.h"
#include "web/form.h"

namespace plumbline::web {
namespace {

using query::ApiErrorType;

constexpr std::string_view kEventsPath = "/api/v1/events";
constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 10'000;
// Bodies up to this size reach the handler, which refuses those over kMaxEventBodyBytes with
// a 400 naming the limit; larger ones get the server's 413.
constexpr size_t kMaxRouteBodyBytes = 1 << 20;

// Writes: as web/auth.h decides.
bool AllowWrite(const EventsContext& ctx, const HttpRequest& request, HttpResponse& response) {
  const AuthDecision decision = AuthorizeWrite(ctx.auth, request, Role::kDeployer);
  if (!decision.allowed) Refuse(decision, response);
  return decision.allowed;
}

// A record's answer: the stored event, or the error naming the field.
void RecordAndAnswer(const EventsContext& ctx, absl::StatusOr<storage::Event> event,
                     HttpResponse& response, bool graphite) {
  if (event.ok()) event = ctx.log->Record(*std::move(event));
  if (!event.ok()) {
    const bool bad = absl::IsInvalidArgument(event.status());
    AnswerError(bad ? ApiErrorType::kBadData : ApiErrorType::kUnavailable,
                ToStd(event.status().message()), response);
    return;
  }
  if (graphite) {
    response.status = 200;
    response.content_type = "application/json";
    std::string list = query::GraphiteEventsJson({*event});
    response.body = list.substr(1, list.size() - 2);  // the one object
    return;
  }
  AnswerSuccess(201, query::EventToJson(*event), response);
}

void HandleList(const EventsContext& ctx, const HttpRequest& request, HttpResponse& response) {
  absl::StatusOr<FormParams> params = ParseForm(request.query);
  if (!params.ok())
    return AnswerError(ApiErrorType::kBadData, ToStd(params.status().message()), response);
  storage::EventQuery q;
  q.start_ms = query::kApiMinTimeMs;
  q.end_ms = query::kApiMaxTimeMs;
  q.limit = kDefaultLimit;
  for (const char* name : {"start", "end"}) {
    const std::string* text = FindParam(*params, name);
    if (text == nullptr || text->empty()) continue;
    absl::StatusOr<int64_t> t = query::ParseApiTimeMs(*text);
    if (!t.ok()) {
      return AnswerError(ApiErrorType::kBadData,
                         StrCat("invalid parameter \"", name, "\": ", t.status().message()),
                         response);
    }
    (std::string_view(name) == "start" ? q.start_ms : q.end_ms) = *t;
  }
  if (q.end_ms < q.start_ms) {
    return AnswerError(ApiErrorType::kBadData, "invalid parameter \"end\": before \"start\"",
                       response);
  }
  if (const std::string* text = FindParam(*params, "limit"); text != nullptr && !text->empty()) {
    size_t limit = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size() || limit == 0 ||
        limit > kMaxLimit) {
      return AnswerError(
          ApiErrorType::kBadData,
          StrCat("invalid parameter \"limit\": expected 1 to ", kMaxLimit, ", got \"", *text, "\""),
          response);
    }
    q.limit = limit;
  }
  for (auto [name, field] : {std::pair<const char*, std::string*>{"type", &q.type},
                             {"service", &q.service},
                             {"env", &q.env}}) {
    if (const std::string* v = FindParam(*params, name)) *field = *v;
  }
  absl::StatusOr<std::vector<storage::Event>> events = ctx.store->Find(q);
  if (!events.ok()) {
    return AnswerError(ApiErrorType::kUnavailable, ToStd(events.status().message()), response);
  }
  std::string data = "[";
  for (size_t i = 0; i < events->size(); ++i) {
    if (i > 0) data.push_back(',');
    query::AppendEventJson((*events)[i], &data);
  }
  data.push_back(']');
  AnswerSuccess(200, std::move(data), response);
}

void HandleGet(const EventsContext& ctx, std::string_view id_text, HttpResponse& response) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || id == 0) {
    return AnswerError(
        ApiErrorType::kBadData,
        StrCat("invalid event id \"", id_text, "\": expected a positive whole number"), response);
  }
  absl::StatusOr<std::optional<storage::Event>> event = ctx.store->Get(id);
  if (!event.ok()) {
    return AnswerError(ApiErrorType::kUnavailable, ToStd(event.status().message()), response);
  }
  if (!event->has_value()) {
    return AnswerError(ApiErrorType::kNotFound, StrCat("event ", id, " not found"), response);
  }
  AnswerSuccess(200, query::EventToJson(**event), response);
}

void HandleGraphiteGetData(const EventsContext& ctx, const HttpRequest& request,
                           HttpResponse& response) {
  absl::StatusOr<FormParams> params = ParseForm(request.query);
  if (!params.ok())
    return AnswerError(ApiErrorType::kBadData, ToStd(params.status().message()), response);
  const int64_t now = ctx.clock->NowMs();
  storage::EventQuery q;
  q.start_ms = now - 24 * 3600 * 1000;  // graphite-web's default: the last day
  q.end_ms = now;
  q.limit = kMaxLimit;
  for (const char* name : {"from", "until"}) {
    const std::string* text = FindParam(*params, name);
    if (text == nullptr || text->empty()) continue;
    absl::StatusOr<int64_t> t = query::ParseGraphiteTimeMs(*text, now);
    if (!t.ok()) {
      return AnswerError(ApiErrorType::kBadData,
                         StrCat("invalid parameter \"", name, "\": ", t.status().message()),
                         response);
    }
    (std::string_view(name) == "from" ? q.start_ms : q.end_ms) = *t;
  }
  std::vector<std::string> tag_params;
  for (const auto& [name, value] : *params) {
    if (name == "tags") tag_params.push_back(value);
  }
  const std::vector<std::string> wanted = query::SplitGraphiteTags(tag_params);
  absl::StatusOr<std::vector<storage::Event>> events = ctx.store->Find(q);
  if (!events.ok()) {
    return AnswerError(ApiErrorType::kUnavailable, ToStd(events.status().message()), response);
  }
  std::vector<storage::Event> kept;
  for (auto it = events->rbegin(); it != events->rend(); ++it) {  // oldest first
    if (query::HasGraphiteTags(*it, wanted)) kept.push_back(std::move(*it));
  }
  response.content_type = "application/json";
  response.body = query::GraphiteEventsJson(kept);
}

// Wraps a handler: 503 until storage is open.
HttpHandler WithContext(
    const std::atomic<const EventsContext*>* slot,
    std::function<void(const EventsContext&, const HttpRequest&, HttpResponse&)> body) {
  return [slot, body = std::move(body)](const HttpRequest& request, HttpResponse& response) {
    // Written by serve once storage is open; acquire pairs with its release store.
    const EventsContext* ctx = slot->load(std::memory_order_acquire);
    if (ctx == nullptr)
      return AnswerError(ApiErrorType::kUnavailable, "storage is not open yet", response);
    body(*ctx, request, response);
  };
}

}  // namespace

std::vector<Route> EventsRoutes(const std::atomic<const EventsContext*>* slot) {
  std::vector<Route> routes;
  Route events;
  events.pattern = std::string(kEventsPath);
  events.methods = {"GET", "POST"};
  events.name = std::string(kEventsPath);
  events.max_body_bytes = kMaxRouteBodyBytes;
  events.handler = WithContext(
      slot, [](const EventsContext& ctx, const HttpRequest& request, HttpResponse& response) {
        if (request.method != "POST") return HandleList(ctx, request, response);
        if (!AllowWrite(ctx, request, response)) return;
        RecordAndAnswer(ctx, query::ParseEventJson(request.body, ctx.clock->NowMs(), ctx.types),
                        response, /*graphite=*/false);
      });
  routes.push_back(std::move(events));

  routes.push_back(GetRoute(
      StrCat(kEventsPath, "/*"), StrCat(kEventsPath, "/<id>"),
      WithContext(
          slot, [](const EventsContext& ctx, const HttpRequest& request, HttpResponse& response) {
            HandleGet(ctx, std::string_view(request.path).substr(kEventsPath.size() + 1), response);
          })));

  for (const char* path : {"/events/", "/events"}) {
    Route post;
    post.pattern = path;
    post.methods = {"POST"};
    post.name = "/events/";
    post.max_body_bytes = kMaxRouteBodyBytes;
    post.handler = WithContext(
        slot, [](const EventsContext& ctx, const HttpRequest& request, HttpResponse& response) {
          if (!AllowWrite(ctx, request, response)) return;
          if (request.body.size() > query::kMaxEventBodyBytes) {
            return AnswerError(ApiErrorType::kBadData,
                               StrCat("body: larger than ", query::kMaxEventBodyBytes, " bytes (",
                                      request.body.size(), ")"),
                               response);
          }
          RecordAndAnswer(
              ctx, query::ParseGraphiteEventJson(request.body, ctx.clock->NowMs(), ctx.types),
              response, /*graphite=*/true);
        });
    routes.push_back(std::move(post));
  }

  routes.push_back(
      GetRoute("/events/get_data", "/events/get_data", WithContext(slot, HandleGraphiteGetData)));
  return routes;
}

}  // namespace plumbline::web
