// The rules engine: the groups of the --rule-files, each evaluated on its own thread at
// wall-clock aligned multiples of its interval (a 1m group at :00 of every minute), and
// reloaded on demand.
//
// Reload (SIGHUP, POST /-/reload) re-reads the same globs. A file that fails to parse fails
// the whole reload, which keeps the running rules as they are and returns the errors (file,
// line, rule). Otherwise the new groups replace the old; a group of the same file and name
// keeps its alerts and the staleness tracking of same-named rules, so a reload neither
// re-fires nor forgets an alert.
//
// A slow evaluation delays only its own group; an evaluation that overruns its interval skips
// the missed slots (counted in plumbline_rule_group_iterations_missed_total).
//
// Metrics: plumbline_rule_evaluations_total, plumbline_rule_evaluation_failures_total,
// plumbline_rule_group_last_duration_seconds, plumbline_rule_group_iterations_missed_total
// (each by rule_group="file;name"), plumbline_rules_last_reload_successful and
// plumbline_rules_last_reload_success_timestamp_seconds.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "query/rule_group.h"

namespace prometheus {
class Registry;
}

namespace plumbline::query {

struct RuleManagerOptions {
  std::vector<std::string> rule_files;   // globs, as --rule-files
  int64_t default_interval_ms = 60'000;  // a group without `interval:`
  // Whether groups run on their own threads; tests leave it off and call EvalAllAt.
  bool run_threads = true;
  const Clock* clock = nullptr;              // default SystemClock
  prometheus::Registry* registry = nullptr;  // null: no metrics
};

class RuleManager {
 public:
  // env.storage and env.promql must be set and outlive the manager.
  RuleManager(RuleEvalEnv env, RuleManagerOptions options);
  ~RuleManager();  // stops every group (an evaluation in flight finishes first)
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  // Loads the rule files and starts the groups. On error nothing runs.
  absl::Status Start();
  // Re-reads the rule files; on error the running groups stay and the error is returned.
  absl::Status Reload();

  // Evaluates every group at ts_ms, in file order (for tests without threads).
  void EvalAllAt(int64_t ts_ms);

  std::vector<GroupSnapshot> Groups() const;
  size_t rule_count() const;

 private:
  struct Running;
  absl::Status Load(bool first);
  void RunLoop(Running* running);

  RuleEvalEnv env_;
  const RuleManagerOptions options_;
  const Clock* clock_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;

  absl::Mutex reload_mu_;  // one reload at a time; held while groups are swapped
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Running>> groups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plumbline::query
