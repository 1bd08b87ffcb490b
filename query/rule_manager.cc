#include "query/rule_manager.h"

#include <map>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/strings.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "query/rule_file.h"

namespace plumbline::query {

struct RuleManager::Metrics {
  prometheus::Family<prometheus::Counter>* evaluations;
  prometheus::Family<prometheus::Counter>* failures;
  prometheus::Family<prometheus::Gauge>* last_duration;
  prometheus::Family<prometheus::Counter>* missed;
  prometheus::Gauge* reload_ok;
  prometheus::Gauge* reload_time;
};

struct RuleManager::Running {
  std::unique_ptr<RuleGroupEvaluator> group;
  absl::Notification stop;
  std::thread thread;
  prometheus::Counter* missed = nullptr;
};

RuleManager::RuleManager(RuleEvalEnv env, RuleManagerOptions options)
    : env_(std::move(env)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : SystemClock::Get()) {
  if (options_.registry != nullptr) {
    prometheus::Registry& r = *options_.registry;
    metrics_ = std::make_unique<Metrics>();
    metrics_->evaluations = &prometheus::BuildCounter()
                                 .Name("plumbline_rule_evaluations_total")
                                 .Help("Rule evaluations, by rule group.")
                                 .Register(r);
    metrics_->failures = &prometheus::BuildCounter()
                              .Name("plumbline_rule_evaluation_failures_total")
                              .Help("Rule evaluations that failed, by rule group.")
                              .Register(r);
    metrics_->last_duration = &prometheus::BuildGauge()
                                   .Name("plumbline_rule_group_last_duration_seconds")
                                   .Help("How long the group's last evaluation took.")
                                   .Register(r);
    metrics_->missed = &prometheus::BuildCounter()
                            .Name("plumbline_rule_group_iterations_missed_total")
                            .Help("Evaluation slots skipped because the group ran late.")
                            .Register(r);
    metrics_->reload_ok = &prometheus::BuildGauge()
                               .Name("plumbline_rules_last_reload_successful")
                               .Help("Whether the last load of the rule files succeeded.")
                               .Register(r)
                               .Add({});
    metrics_->reload_time = &prometheus::BuildGauge()
                                 .Name("plumbline_rules_last_reload_success_timestamp_seconds")
                                 .Help("When the rule files were last loaded successfully.")
                                 .Register(r)
                                 .Add({});
    env_.evaluations = metrics_->evaluations;
    env_.failures = metrics_->failures;
    env_.last_duration = metrics_->last_duration;
  }
}

RuleManager::~RuleManager() {
  absl::MutexLock reload(&reload_mu_);
  absl::MutexLock lock(&mu_);
  for (std::unique_ptr<Running>& r : groups_) r->stop.Notify();
  for (std::unique_ptr<Running>& r : groups_) {
    if (r->thread.joinable()) r->thread.join();
  }
}

absl::Status RuleManager::Start() { return Load(true); }

absl::Status RuleManager::Reload() { return Load(false); }

absl::Status RuleManager::Load(bool first) {
  absl::MutexLock reload(&reload_mu_);
  absl::StatusOr<std::vector<RuleGroup>> loaded = LoadRuleFiles(options_.rule_files);
  if (!loaded.ok()) {
    if (metrics_) metrics_->reload_ok->Set(0);
    return loaded.status();
  }
  std::vector<std::unique_ptr<Running>> fresh;
  for (RuleGroup& g : *loaded) {
    auto running = std::make_unique<Running>();
    const int64_t interval = g.interval_ms > 0 ? g.interval_ms : options_.default_interval_ms;
    if (metrics_) {
      running->missed = &metrics_->missed->Add({{"rule_group", StrCat(g.file, ";", g.name)}});
    }
    running->group = std::make_unique<RuleGroupEvaluator>(std::move(g), interval, &env_, first);
    fresh.push_back(std::move(running));
  }

  std::vector<std::unique_ptr<Running>> old;
  {
    absl::MutexLock lock(&mu_);
    old = std::move(groups_);
    groups_.clear();
  }
  for (std::unique_ptr<Running>& r : old) r->stop.Notify();
  for (std::unique_ptr<Running>& r : old) {
    if (r->thread.joinable()) r->thread.join();
  }
  std::map<std::pair<std::string, std::string>, RuleGroupEvaluator*> by_key;
  for (std::unique_ptr<Running>& r : old)
    by_key[{r->group->file(), r->group->name()}] = r->group.get();
  size_t rules = 0;
  const size_t group_count = fresh.size();
  for (std::unique_ptr<Running>& r : fresh) {
    auto it = by_key.find({r->group->file(), r->group->name()});
    if (it != by_key.end()) r->group->CopyStateFrom(*it->second);
    rules += r->group->Snapshot().rules.size();
  }
  {
    absl::MutexLock lock(&mu_);
    groups_ = std::move(fresh);
    if (options_.run_threads) {
      for (std::unique_ptr<Running>& r : groups_) {
        Running* running = r.get();
        r->thread = std::thread([this, running] { RunLoop(running); });
      }
    }
  }
  if (metrics_) {
    metrics_->reload_ok->Set(1);
    metrics_->reload_time->Set(static_cast<double>(clock_->NowMs()) / 1000.0);
  }
  PL_LOG(Info) << (first ? "loaded " : "reloaded ") << rules << " rules in " << group_count
               << " groups";
  return absl::OkStatus();
}

void RuleManager::RunLoop(Running* running) {
  const int64_t interval = running->group->interval_ms();
  int64_t next = (clock_->NowMs() / interval + 1) * interval;
  while (true) {
    const int64_t now = clock_->NowMs();
    if (now < next) {
      if (running->stop.WaitForNotificationWithTimeout(absl::Milliseconds(next - now))) return;
      continue;
    }
    if (running->stop.HasBeenNotified()) return;
    const int64_t missed = (now - next) / interval;
    if (missed > 0) {
      if (running->missed != nullptr) running->missed->Increment(static_cast<double>(missed));
      next += missed * interval;
    }
    running->group->Eval(next);
    next += interval;
  }
}

void RuleManager::EvalAllAt(int64_t ts_ms) {
  absl::MutexLock lock(&mu_);
  for (std::unique_ptr<Running>& r : groups_) r->group->Eval(ts_ms);
}

std::vector<GroupSnapshot> RuleManager::Groups() const {
  absl::MutexLock lock(&mu_);
  std::vector<GroupSnapshot> out;
  for (const std::unique_ptr<Running>& r : groups_) out.push_back(r->group->Snapshot());
  return out;
}

size_t RuleManager::rule_count() const {
  size_t n = 0;
  for (const GroupSnapshot& g : Groups()) n += g.rules.size();
  return n;
}

}  // namespace plumbline::query
