// How alerts leave Plumbline: Alertmanager's API v2 body, the chat message, and the
// "what changed" annotation naming the deploys and flag flips that came just before.
//
// Stateless functions, plus AlertNotifier, which routes a rule group's alerts to the
// Alertmanagers and chat notifiers (both Notifiers: background delivery, bounded queues,
// retries, failures counted). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "query/alerting_rule.h"
#include "query/notifier.h"
#include "storage/events.h"

namespace plumbline::query {

// RFC 3339 in UTC with the fraction Go's RFC3339Nano prints ("2026-11-26T19:00:00.5Z").
std::string FormatRfc3339Ms(int64_t ms);

// The alert's link back to its expression in Plumbline's explore page.
std::string GeneratorUrl(std::string_view external_url, std::string_view expr);

// Alertmanager's POST /api/v2/alerts body: a JSON array of {labels, annotations, startsAt,
// endsAt, generatorURL}. External labels are added where the alert lacks them; endsAt is the
// resolution time for resolved alerts, valid_until for firing ones (as Prometheus sends).
std::string AlertmanagerBody(const std::vector<Alert>& alerts, std::string_view generator_url,
                             const std::map<std::string, std::string>& external_labels);

// The chat line for an alert that began firing or resolved, e.g.
//   [FIRING] HighErrorRate on api (prod): value 0.12. api fails 12% of requests.
//   Recent changes: alice deployed api a1b2c3 fix login 14 min ago
//   [RESOLVED] HighErrorRate on api (prod) after 12m30s. api fails 12% of requests.
// The summary is the `summary` annotation, else `description`; a fire drill (label
// drill="true") is marked "[FIRE DRILL]" in front.
std::string AlertMessage(const Alert& alert, bool firing, std::string_view service_label);

// A json-format notifier's body: {"status": "firing"|"resolved", labels, annotations,
// startsAt, endsAt, value, generatorURL}.
std::string AlertJson(const Alert& alert, bool firing, std::string_view generator_url);

// The changes as one annotation value, oldest first, each with its age at now_ms:
//   "alice deployed api a1b2c3 14 min ago; bob flipped flag on checkout: checkout_v2 → 10 %
//    6 min ago". At most `max` (the newest), then "; and 3 earlier". "" when none.
std::string RecentChangesText(const std::vector<storage::Event>& newest_first, int64_t now_ms,
                              size_t max = 5);

struct RecentChangesOptions {
  std::string service_label = "service";  // whose events an alert names
  int64_t window_ms = 30 * 60 * 1000;     // before the alert became active
  std::string annotation = "recent_changes";
};

// The ExtraAnnotationsFn that adds `recent_changes`: the events of the alert's service (and
// those of no service) from window_ms before the alert became active until now. An alert
// without the service label names the changes of every service. `events` must outlive it.
ExtraAnnotationsFn RecentChangesAnnotation(storage::EventStore* events,
                                           RecentChangesOptions options);

struct AlertNotifierOptions {
  std::vector<std::string> alertmanager_urls;  // base URLs; the API path is added
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  std::string service_label = "service";
  NotifierOptions delivery;  // queues and retries of the Alertmanager senders
  // The chat notifiers' configs, for fire drills (which deliver to each directly).
  std::vector<NotifierConfig> chat_configs;
};

// What a fire drill did at one destination.
struct DrillResult {
  std::string target;  // "alertmanager:host:port" or the chat notifier's name
  bool ok = false;
  std::string detail;  // "sent (HTTP 200)", "failed: ...", "skipped: ..."
};

// The test alert of a fire drill: alertname PlumblineFireDrill, severity none, drill "true",
// the service when given, a summary saying that no action is needed, active at now_ms and
// valid for 5 minutes (Alertmanager resolves it by itself).
Alert FireDrillAlert(std::string_view service, std::string_view service_label, int64_t now_ms);

// Sends alerts to every Alertmanager (batches of at most 64 per request, as Prometheus does)
// and announces firing/resolved transitions to the chat notifiers (type "alert", service and
// env from the alert's labels, for the notifiers' filters).
class AlertNotifier {
 public:
  // `chat` may be null (no chat) and must outlive this. Alertmanager URLs must be http(s).
  AlertNotifier(AlertNotifierOptions options, Notifiers* chat, DeliverFn deliver,
                prometheus::Registry* registry);
  ~AlertNotifier();

  // For RuleEvalEnv::send and ::announce.
  void Send(const Rule& rule, std::vector<Alert> alerts);
  void Announce(const Rule& rule, const AlertingRule::Transition& transition);

  // Delivers `alert` (a fire drill's) to every Alertmanager and every chat notifier whose
  // filters accept it, each once and at once (not through the queues), and reports each.
  std::vector<DrillResult> Drill(const Alert& alert) const;

  // Waits for the Alertmanager queues to drain (tests).
  bool WaitIdle(int64_t timeout_ms) const;

 private:
  AlertNotifierOptions options_;
  Notifiers* chat_;
  DeliverFn deliver_;
  std::vector<NotifierConfig> alertmanager_configs_;
  std::unique_ptr<Notifiers> alertmanagers_;
};

// Checks an --alertmanager-url: http(s)://host[:port][/path], no query. InvalidArgument
// otherwise.
absl::Status ValidateAlertmanagerUrl(std::string_view url);

}  // namespace plumbline::query
