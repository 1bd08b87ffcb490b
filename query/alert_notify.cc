#include "query/alert_notify.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/duration.h"
#include "common/strings.h"
#include "common/url.h"
#include "nlohmann/json.hpp"
#include "query/template.h"

namespace plumbline::query {
namespace {

constexpr size_t kMaxAlertsPerRequest = 64;  // Prometheus' maxBatchSize
constexpr std::string_view kAlertmanagerPath = "/api/v2/alerts";

nlohmann::json LabelsJson(const storage::Labels& labels,
                          const std::map<std::string, std::string>* external_labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const storage::Label& l : labels.items()) out[l.name] = l.value;
  if (external_labels != nullptr) {
    for (const auto& [name, value] : *external_labels) {
      if (!out.contains(name)) out[name] = value;
    }
  }
  return out;
}

nlohmann::json AnnotationsJson(const Alert& a) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : a.annotations) out[name] = value;
  return out;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The first line of the summary (or description) annotation, trimmed.
std::string Summary(const Alert& a) {
  for (const char* name : {"summary", "description", "message"}) {
    auto it = a.annotations.find(name);
    if (it == a.annotations.end()) continue;
    std::string_view text = ToStd(absl::StripAsciiWhitespace(it->second));
    text = text.substr(0, text.find('\n'));
    if (!text.empty()) return std::string(text);
  }
  return "";
}

std::string Age(int64_t ms) {
  const int64_t minutes = ms / 60'000;
  if (minutes < 1) return "just now";
  if (minutes < 60) return StrCat(minutes, " min ago");
  const int64_t hours = minutes / 60;
  if (minutes % 60 == 0 || hours >= 24) return StrCat(hours, " h ago");
  return StrCat(hours, " h ", minutes % 60, " min ago");
}

// "host:port" of a URL, without user info: a name for logs and metrics.
std::string HostPart(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

}  // namespace

std::string FormatRfc3339Ms(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string GeneratorUrl(std::string_view external_url, std::string_view expr) {
  std::string out(absl::StripSuffix(ToAbsl(external_url), "/"));
  out += "/#/explore?expr=";
  AppendPercentEncoded(expr, &out);
  return out;
}

std::string AlertmanagerBody(const std::vector<Alert>& alerts, std::string_view generator_url,
                             const std::map<std::string, std::string>& external_labels) {
  nlohmann::json out = nlohmann::json::array();
  for (const Alert& a : alerts) {
    nlohmann::json j;
    j["labels"] = LabelsJson(a.labels, &external_labels);
    j["annotations"] = AnnotationsJson(a);
    j["startsAt"] = FormatRfc3339Ms(a.fired_at_ms != 0 ? a.fired_at_ms : a.active_at_ms);
    j["endsAt"] = FormatRfc3339Ms(a.resolved_at_ms != 0 ? a.resolved_at_ms : a.valid_until_ms);
    j["generatorURL"] = std::string(generator_url);
    out.push_back(std::move(j));
  }
  return Dump(out);
}

std::string AlertMessage(const Alert& alert, bool firing, std::string_view service_label) {
  std::string out;
  if (alert.labels.Get("drill") == "true") out += "[FIRE DRILL] ";
  out += firing ? "[FIRING] " : "[RESOLVED] ";
  const std::string_view name = alert.labels.Get("alertname");
  out += name.empty() ? "alert" : std::string(name);
  if (std::string_view service = alert.labels.Get(service_label); !service.empty()) {
    StrAppend(&out, " on ", service);
  }
  if (std::string_view env = alert.labels.Get("env"); !env.empty()) StrAppend(&out, " (", env, ")");
  if (firing) {
    StrAppend(&out, ": value ", FormatGoFloatV(alert.value));
  } else if (alert.resolved_at_ms > alert.active_at_ms && alert.active_at_ms > 0) {
    StrAppend(&out, " after ", FormatDurationMs(alert.resolved_at_ms - alert.active_at_ms));
  }
  out += '.';
  if (std::string summary = Summary(alert); !summary.empty()) StrAppend(&out, " ", summary);
  auto changes = alert.annotations.find("recent_changes");
  if (changes != alert.annotations.end() && !changes->second.empty()) {
    StrAppend(&out, "\nRecent changes: ", changes->second);
  }
  return out;
}

std::string AlertJson(const Alert& alert, bool firing, std::string_view generator_url) {
  nlohmann::json j;
  j["status"] = firing ? "firing" : "resolved";
  j["labels"] = LabelsJson(alert.labels, nullptr);
  j["annotations"] = AnnotationsJson(alert);
  j["startsAt"] = FormatRfc3339Ms(alert.active_at_ms);
  if (!firing && alert.resolved_at_ms != 0) j["endsAt"] = FormatRfc3339Ms(alert.resolved_at_ms);
  j["value"] = FormatGoFloatV(alert.value);
  j["generatorURL"] = std::string(generator_url);
  return Dump(j);
}

std::string RecentChangesText(const std::vector<storage::Event>& newest_first, int64_t now_ms,
                              size_t max) {
  const size_t shown = std::min(max, newest_first.size());
  std::string out;
  for (size_t i = shown; i-- > 0;) {
    storage::Event e = newest_first[i];
    e.url.clear();  // links belong on the deploy page, not in a one-line annotation
    StrAppend(&out, out.empty() ? "" : "; ", EventMessage(e), " ",
              Age(std::max<int64_t>(0, now_ms - e.time_ms)));
  }
  if (newest_first.size() > shown) {
    StrAppend(&out, "; and ", newest_first.size() - shown, " earlier");
  }
  return out;
}

ExtraAnnotationsFn RecentChangesAnnotation(storage::EventStore* events,
                                           RecentChangesOptions options) {
  return [events, options = std::move(options)](const Alert& alert, int64_t ts_ms) {
    std::map<std::string, std::string> out;
    storage::EventQuery q;
    q.start_ms = alert.active_at_ms - options.window_ms;
    q.end_ms = ts_ms;
    q.limit = 200;
    absl::StatusOr<std::vector<storage::Event>> found = events->Find(q);
    if (!found.ok()) return out;
    const std::string_view service = alert.labels.Get(options.service_label);
    std::vector<storage::Event> relevant;
    for (storage::Event& e : *found) {
      if (service.empty() || e.service.empty() || e.service == service) {
        relevant.push_back(std::move(e));
      }
    }
    std::string text = RecentChangesText(relevant, ts_ms);
    if (!text.empty()) out[options.annotation] = std::move(text);
    return out;
  };
}

absl::Status ValidateAlertmanagerUrl(std::string_view url) {
  const bool http = absl::StartsWith(ToAbsl(url), "http://");
  const bool https = absl::StartsWith(ToAbsl(url), "https://");
  if (!http && !https) {
    return absl::InvalidArgumentError("expected an http:// or https:// URL of an Alertmanager");
  }
  if (HostPart(url).empty()) return absl::InvalidArgumentError("the URL has no host");
  if (url.find_first_of("?# \t\r\n") != std::string_view::npos) {
    return absl::InvalidArgumentError("expected a URL without query, fragment or spaces");
  }
  return absl::OkStatus();
}

AlertNotifier::AlertNotifier(AlertNotifierOptions options, Notifiers* chat, DeliverFn deliver,
                             prometheus::Registry* registry)
    : options_(std::move(options)), chat_(chat), deliver_(deliver) {
  std::vector<NotifierConfig> configs;
  for (const std::string& url : options_.alertmanager_urls) {
    NotifierConfig c;
    c.name = StrCat("alertmanager:", HostPart(url));
    for (int i = 2; std::any_of(configs.begin(), configs.end(),
                                [&](const NotifierConfig& o) { return o.name == c.name; });
         ++i) {
      c.name = StrCat("alertmanager:", HostPart(url), "#", i);
    }
    std::string base(absl::StripSuffix(ToAbsl(url), "/"));
    c.url =
        absl::EndsWith(base, ToAbsl(kAlertmanagerPath)) ? base : StrCat(base, kAlertmanagerPath);
    c.format = NotifierConfig::Format::kJson;
    c.timeout_ms = 10'000;  // Prometheus' notifier timeout
    configs.push_back(std::move(c));
  }
  alertmanager_configs_ = configs;
  if (!configs.empty()) {
    alertmanagers_ = std::make_unique<Notifiers>(std::move(configs), std::move(deliver), registry,
                                                 options_.delivery);
  }
}

AlertNotifier::~AlertNotifier() = default;

void AlertNotifier::Send(const Rule& rule, std::vector<Alert> alerts) {
  if (!alertmanagers_ || alerts.empty()) return;
  const std::string generator = GeneratorUrl(options_.external_url, rule.expr_text);
  for (size_t i = 0; i < alerts.size(); i += kMaxAlertsPerRequest) {
    std::vector<Alert> batch(alerts.begin() + static_cast<std::ptrdiff_t>(i),
                             alerts.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                  alerts.size(), i + kMaxAlertsPerRequest)));
    Notification n;
    n.type = "alert";
    n.json = AlertmanagerBody(batch, generator, options_.external_labels);
    alertmanagers_->Notify(n);
  }
}

void AlertNotifier::Announce(const Rule& rule, const AlertingRule::Transition& transition) {
  if (chat_ == nullptr) return;
  const Alert& a = transition.alert;
  Notification n;
  n.type = "alert";
  n.service = std::string(a.labels.Get(options_.service_label));
  n.env = std::string(a.labels.Get("env"));
  n.text = AlertMessage(a, transition.firing, options_.service_label);
  n.json = AlertJson(a, transition.firing, GeneratorUrl(options_.external_url, rule.expr_text));
  chat_->Notify(n);
}

Alert FireDrillAlert(std::string_view service, std::string_view service_label, int64_t now_ms) {
  std::vector<storage::Label> labels = {
      {"alertname", "PlumblineFireDrill"}, {"drill", "true"}, {"severity", "none"}};
  if (!service.empty()) labels.push_back({std::string(service_label), std::string(service)});
  Alert a;
  absl::StatusOr<storage::Labels> parsed = storage::Labels::FromPairs(std::move(labels));
  if (parsed.ok()) a.labels = *std::move(parsed);
  a.state = AlertState::kFiring;
  a.value = 1;
  a.active_at_ms = a.fired_at_ms = now_ms;
  a.valid_until_ms = now_ms + 5 * 60'000;
  a.annotations["summary"] =
      "This is a fire drill: a test alert sent by `plumbline drill` to check that alerts reach "
      "you. No action is needed.";
  return a;
}

std::vector<DrillResult> AlertNotifier::Drill(const Alert& alert) const {
  std::vector<DrillResult> out;
  const std::string expr = "vector(1)";
  auto deliver = [&](const NotifierConfig& c, const std::string& body) {
    DrillResult r;
    r.target = c.name;
    absl::StatusOr<int> status = deliver_(c.url, body, c.timeout_ms);
    if (!status.ok()) {
      std::string message(status.status().message());
      // Never echo the URL: webhook URLs carry secrets.
      for (size_t at; (at = message.find(c.url)) != std::string::npos;) {
        message.replace(at, c.url.size(), "<url>");
      }
      r.detail = StrCat("failed: ", message);
    } else if (*status / 100 != 2) {
      r.detail = StrCat("failed: the receiver answered HTTP ", *status);
    } else {
      r.ok = true;
      r.detail = StrCat("sent (HTTP ", *status, ")");
    }
    out.push_back(std::move(r));
  };
  const std::string generator = GeneratorUrl(options_.external_url, expr);
  for (const NotifierConfig& c : alertmanager_configs_) {
    deliver(c, AlertmanagerBody({alert}, generator, options_.external_labels));
  }
  Notification n;
  n.type = "alert";
  n.service = std::string(alert.labels.Get(options_.service_label));
  n.env = std::string(alert.labels.Get("env"));
  n.text = AlertMessage(alert, true, options_.service_label);
  n.json = AlertJson(alert, true, generator);
  for (const NotifierConfig& c : options_.chat_configs) {
    if (!NotifierAccepts(c, n)) {
      out.push_back({c.name, true, "skipped: its filters (types, services, envs) leave it out"});
      continue;
    }
    deliver(c, NotificationBody(c.format, n));
  }
  return out;
}

bool AlertNotifier::WaitIdle(int64_t timeout_ms) const {
  return !alertmanagers_ || alertmanagers_->WaitIdle(timeout_ms);
}

}  // namespace plumbline::query
