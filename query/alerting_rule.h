// One alerting rule's alerts and Prometheus' state machine over them (rules/alerting.go):
//
//   inactive ──expr returns the series──▶ pending ──for elapsed──▶ firing
//       ▲                                    │                        │ series gone (and
//       └──────series gone (dropped)─────────┘                        │ keep_firing_for over)
//                                                                     ▼
//                                                      inactive, resolved_at set: kept 15
//                                                      minutes so the resolution is re-sent
//
// An alert's identity is its label set: the sample's labels without __name__, the rule's
// labels (templates expanded) on top, and alertname. With `for: 0` an alert fires on the
// evaluation that first sees it. keep_firing_for keeps a firing alert firing for that long
// after its series went away (and resets when the series returns).
//
// Each evaluation yields the ALERTS{alertstate="pending"|"firing",...} = 1 and
// ALERTS_FOR_STATE{...} = active_at (unix seconds) samples to store, but only once the rule
// is restored: after a restart, RestoreFromStorage moves active_at from the stored
// ALERTS_FOR_STATE so that a half-elapsed `for` continues instead of starting over.
//
// Thread-compatible: the owning group serialises calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/rule_file.h"
#include "query/template.h"
#include "query/value.h"
#include "storage/labels.h"

namespace plumbline::storage {
class Engine;
}

namespace plumbline::query {

enum class AlertState { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", "firing"

// Times are ms since the epoch; 0 means "not set" (Go's zero time).
struct Alert {
  AlertState state = AlertState::kInactive;
  storage::Labels labels;  // alertname and the rest, no __name__
  std::map<std::string, std::string> annotations;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t last_sent_at_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;
};

// A resolved alert stays this long, re-sent as resolved (Prometheus' resolvedRetention).
inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

// A sample of the rule's output series, stamped at the evaluation time.
struct RuleSample {
  storage::Labels labels;
  double value = 0;
};

// What the templates of a rule see besides the alert's own labels and value.
struct AlertTemplateEnv {
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  TemplateQueryFn query;  // the `query` template function; may be null
};

// Annotations computed by Plumbline for an alert (e.g. recent_changes), added to those the
// rule defines (the rule's own annotation of the same name wins). May be null.
using ExtraAnnotationsFn = std::function<std::map<std::string, std::string>(const Alert&, int64_t)>;

class AlertingRule {
 public:
  explicit AlertingRule(Rule rule);

  const Rule& rule() const { return rule_; }

  // Updates the alerts from `result` (the rule's expression at ts_ms). Returns the ALERTS
  // and ALERTS_FOR_STATE samples (none before restoration). FailedPrecondition when two
  // samples give the same label set ("vector contains metrics with the same labelset after
  // applying alert labels"), or `limit` (> 0) active alerts are exceeded ("exceeded limit of
  // 10 with 11 alerts"; every alert is dropped then, as Prometheus does).
  absl::StatusOr<std::vector<RuleSample>> Eval(const Vector& result, int64_t ts_ms, int64_t limit,
                                               const AlertTemplateEnv& env,
                                               const ExtraAnnotationsFn& extra);

  // Alerts due to go to Alertmanager at ts_ms (Prometheus' needsSending): firing ones not
  // sent for resend_delay_ms, and resolved ones not sent since they resolved. Marks them
  // sent and sets valid_until to ts + 4 * max(resend_delay, interval).
  std::vector<Alert> TakeAlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms);

  // Alerts that became firing or resolved (from firing) during the last Eval: what chat is
  // told. Cleared by the call.
  struct Transition {
    Alert alert;
    bool firing = false;  // false: resolved
  };
  std::vector<Transition> TakeTransitions();

  // After a restart: for each active alert, reads its ALERTS_FOR_STATE series in
  // [ts - outage_tolerance, ts] and moves active_at as Prometheus' RestoreForState does
  // (a rule whose `for` is under for_grace_period is not restored). Marks the rule restored.
  absl::Status RestoreFromStorage(storage::Engine* storage, int64_t ts_ms,
                                  int64_t outage_tolerance_ms, int64_t for_grace_period_ms);
  void set_restored(bool restored) { restored_ = restored; }
  bool restored() const { return restored_; }

  // Takes over the alerts of the same rule from before a reload.
  void CopyStateFrom(const AlertingRule& old);

  // Active alerts (pending, firing, and resolved ones still kept), by encoded label set.
  const std::map<std::string, Alert>& alerts() const { return alerts_; }
  // The most severe state among the alerts.
  AlertState state() const;

 private:
  std::vector<RuleSample> OutputSamples(int64_t ts_ms) const;

  Rule rule_;
  std::map<std::string, Alert> alerts_;
  std::vector<Transition> transitions_;
  bool restored_ = false;
};

// The labels of an alert's ALERTS_FOR_STATE series (also used to find it on restore).
storage::Labels ForStateLabels(const storage::Labels& alert_labels);

}  // namespace plumbline::query
