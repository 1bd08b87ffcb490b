// One rule group at run time: its rules evaluated in file order at one timestamp, each
// rule's output stored before the next rule runs (so a rule may read the series an earlier
// one recorded, as in Prometheus).
//
// Recording rules write `record{labels of the result, rule labels}` at the evaluation time;
// alerting rules write ALERTS and ALERTS_FOR_STATE. A series a rule wrote on its previous
// evaluation and not on this one gets a staleness marker, so queries stop seeing it at once.
// A failing rule (query error, duplicate label sets, limit exceeded) is marked unhealthy with
// its error and writes nothing; the others still run.
//
// Thread-safe: Eval, Snapshot and CopyStateFrom may be called from different threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "query/alerting_rule.h"
#include "query/promql.h"
#include "query/rule_file.h"
#include "query/value.h"

namespace plumbline::storage {
class Engine;
}
namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
}  // namespace prometheus

namespace plumbline::query {

// What every group of a manager shares. Pointers must outlive the groups.
struct RuleEvalEnv {
  storage::Engine* storage = nullptr;
  const PromqlEngine* promql = nullptr;
  // When set (--query-backend), rule expressions and the `query` template function are
  // evaluated by this instead of `promql`: an instant query of the text at t_ms. Recording
  // rule output, ALERTS and the `for` state restore stay on `storage`.
  std::function<absl::StatusOr<Value>(std::string_view expr, int64_t t_ms)> remote_instant;
  QueryOptions query_options;
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  int64_t resend_delay_ms = 60'000;         // Prometheus' --rules.alert.resend-delay
  int64_t outage_tolerance_ms = 3'600'000;  // --rules.alert.for-outage-tolerance
  int64_t for_grace_period_ms = 600'000;    // --rules.alert.for-grace-period
  // Alerts of one rule due to Alertmanager (may be null).
  std::function<void(const Rule&, std::vector<Alert>)> send;
  // An alert that began firing or resolved: what chat hears (may be null).
  std::function<void(const Rule&, const AlertingRule::Transition&)> announce;
  ExtraAnnotationsFn extra_annotations;  // may be null
  // The manager's metric families (null: none kept).
  prometheus::Family<prometheus::Counter>* evaluations = nullptr;
  prometheus::Family<prometheus::Counter>* failures = nullptr;
  prometheus::Family<prometheus::Gauge>* last_duration = nullptr;
};

struct AlertSnapshot {
  Alert alert;
};

struct RuleSnapshot {
  Rule rule;
  std::string health = "unknown";  // ok | err | unknown (not yet evaluated)
  std::string last_error;
  int64_t last_eval_ms = 0;  // 0: never
  double eval_seconds = 0;
  AlertState state = AlertState::kInactive;  // alerting rules
  std::vector<Alert> alerts;                 // alerting rules: pending, firing, resolved
};

struct GroupSnapshot {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
  std::vector<RuleSnapshot> rules;
};

class RuleGroupEvaluator {
 public:
  // `interval_ms` is the group's own or the default. With `should_restore` (the first load
  // after a start) alerting rules restore their `for` state after the first evaluation and
  // write ALERTS only from then on.
  RuleGroupEvaluator(RuleGroup group, int64_t interval_ms, const RuleEvalEnv* env,
                     bool should_restore);
  ~RuleGroupEvaluator();

  const std::string& name() const { return group_.name; }
  const std::string& file() const { return group_.file; }
  int64_t interval_ms() const { return interval_ms_; }

  // Evaluates every rule at ts_ms, stores the output, sends what is due.
  void Eval(int64_t ts_ms);

  // Takes over alert state and staleness tracking from the group of the same file and name
  // before a reload (rules matched by kind, name and position among same-named rules).
  void CopyStateFrom(RuleGroupEvaluator& old);

  GroupSnapshot Snapshot() const;

 private:
  struct RuleState;
  void EvalRecording(RuleState* state, int64_t ts_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvalAlerting(RuleState* state, int64_t ts_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Vector> Query(const Rule& rule, int64_t ts_ms) const;
  // The `query` template function's instant query, locally or on the remote backend.
  absl::StatusOr<Value> TemplateQuery(std::string_view expr, int64_t ts_ms) const;
  // Stores `samples` and staleness markers for what the rule wrote last time and not now.
  absl::Status Write(RuleState* state, std::vector<RuleSample> samples, int64_t ts_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RuleGroup group_;
  const int64_t interval_ms_;
  const RuleEvalEnv* const env_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<RuleState>> rules_ ABSL_GUARDED_BY(mu_);
  bool should_restore_ ABSL_GUARDED_BY(mu_);
  int64_t last_eval_ms_ ABSL_GUARDED_BY(mu_) = 0;
  double eval_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  prometheus::Counter* evaluations_ = nullptr;
  prometheus::Counter* failures_ = nullptr;
  prometheus::Gauge* last_duration_ = nullptr;
};

}  // namespace plumbline::query
