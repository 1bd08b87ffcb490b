#include "query/rule_group.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "query/value.h"
#include "storage/engine.h"

namespace plumbline::query {

struct RuleGroupEvaluator::RuleState {
  Rule rule;
  std::unique_ptr<AlertingRule> alerting;  // alerting rules only
  std::string health = "unknown";
  std::string last_error;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
  // The series written by the last evaluation, by encoded label set: those missing from the
  // next one get a staleness marker.
  std::map<std::string, storage::Labels> written;
};

RuleGroupEvaluator::RuleGroupEvaluator(RuleGroup group, int64_t interval_ms, const RuleEvalEnv* env,
                                       bool should_restore)
    : group_(std::move(group)),
      interval_ms_(interval_ms),
      env_(env),
      should_restore_(should_restore) {
  absl::MutexLock lock(&mu_);
  for (const Rule& rule : group_.rules) {
    auto state = std::make_unique<RuleState>();
    state->rule = rule;
    if (rule.kind == Rule::Kind::kAlerting) {
      state->alerting = std::make_unique<AlertingRule>(rule);
      state->alerting->set_restored(!should_restore);
    }
    rules_.push_back(std::move(state));
  }
  const std::map<std::string, std::string> labels = {
      {"rule_group", StrCat(group_.file, ";", group_.name)}};
  if (env_->evaluations != nullptr) evaluations_ = &env_->evaluations->Add(labels);
  if (env_->failures != nullptr) failures_ = &env_->failures->Add(labels);
  if (env_->last_duration != nullptr) last_duration_ = &env_->last_duration->Add(labels);
}

RuleGroupEvaluator::~RuleGroupEvaluator() = default;

absl::StatusOr<Vector> RuleGroupEvaluator::Query(const Rule& rule, int64_t ts_ms) const {
  absl::StatusOr<Value> value;
  if (env_->remote_instant) {
    value = env_->remote_instant(rule.expr_text, ts_ms);
  } else {
    absl::StatusOr<QueryResult> result =
        env_->promql->InstantExpr(*rule.expr, ts_ms, env_->query_options);
    if (!result.ok()) return result.status();
    value = std::move(result->value);
  }
  if (!value.ok()) return value.status();
  if (auto* v = std::get_if<Vector>(&*value)) return std::move(*v);
  if (auto* s = std::get_if<Scalar>(&*value)) {
    return Vector{Sample{storage::Labels(), s->t, s->v}};
  }
  return absl::InvalidArgumentError("rule result is not a vector or scalar");
}

absl::StatusOr<Value> RuleGroupEvaluator::TemplateQuery(std::string_view expr,
                                                        int64_t ts_ms) const {
  if (env_->remote_instant) return env_->remote_instant(expr, ts_ms);
  absl::StatusOr<QueryResult> result = env_->promql->Instant(expr, ts_ms, env_->query_options);
  if (!result.ok()) return result.status();
  return std::move(result->value);
}

void RuleGroupEvaluator::Eval(int64_t ts_ms) {
  const double start = MonotonicSeconds();
  absl::MutexLock lock(&mu_);
  for (std::unique_ptr<RuleState>& state : rules_) {
    const double rule_start = MonotonicSeconds();
    if (evaluations_ != nullptr) evaluations_->Increment();
    if (state->alerting) {
      EvalAlerting(state.get(), ts_ms);
    } else {
      EvalRecording(state.get(), ts_ms);
    }
    state->last_eval_ms = ts_ms;
    state->eval_seconds = MonotonicSeconds() - rule_start;
    if (state->health == "err" && failures_ != nullptr) failures_->Increment();
  }
  if (should_restore_) {
    // Prometheus restores after an evaluation, when the alerts of this life are known.
    for (std::unique_ptr<RuleState>& state : rules_) {
      if (!state->alerting) continue;
      absl::Status s = state->alerting->RestoreFromStorage(
          env_->storage, ts_ms, env_->outage_tolerance_ms, env_->for_grace_period_ms);
      if (!s.ok()) {
        PL_LOG(Warn) << "rule group " << group_.name << ": cannot restore the state of alert "
                     << state->rule.name << ": " << s.message();
        state->alerting->set_restored(true);
      }
    }
    should_restore_ = false;
  }
  last_eval_ms_ = ts_ms;
  eval_seconds_ = MonotonicSeconds() - start;
  if (last_duration_ != nullptr) last_duration_->Set(eval_seconds_);
}

void RuleGroupEvaluator::EvalRecording(RuleState* state, int64_t ts_ms) {
  const Rule& rule = state->rule;
  absl::StatusOr<Vector> result = Query(rule, ts_ms);
  absl::Status status = result.status();
  std::vector<RuleSample> samples;
  if (status.ok()) {
    std::set<std::string> seen;
    for (const Sample& sample : *result) {
      std::vector<storage::Label> items;
      for (const storage::Label& l : sample.metric.items()) {
        if (l.name != storage::kMetricNameLabel && !rule.labels.contains(l.name)) {
          items.push_back(l);
        }
      }
      for (const auto& [name, value] : rule.labels) items.push_back({name, value});
      items.push_back({std::string(storage::kMetricNameLabel), rule.name});
      absl::StatusOr<storage::Labels> labels = storage::Labels::FromPairs(std::move(items));
      if (!labels.ok()) {
        status = labels.status();
        break;
      }
      if (!seen.insert(labels->Encode()).second) {
        status = absl::FailedPreconditionError(
            "vector contains metrics with the same labelset after applying rule labels");
        break;
      }
      samples.push_back({*std::move(labels), sample.f});
    }
    if (status.ok() && group_.limit > 0 && static_cast<int64_t>(samples.size()) > group_.limit) {
      status = absl::FailedPreconditionError(
          StrCat("exceeded limit of ", group_.limit, " with ", samples.size(), " series"));
    }
  }
  if (status.ok()) status = Write(state, std::move(samples), ts_ms);
  state->health = status.ok() ? "ok" : "err";
  state->last_error = status.ok() ? "" : std::string(status.message());
}

void RuleGroupEvaluator::EvalAlerting(RuleState* state, int64_t ts_ms) {
  const Rule& rule = state->rule;
  absl::StatusOr<Vector> result = Query(rule, ts_ms);
  absl::Status status = result.status();
  if (status.ok()) {
    AlertTemplateEnv template_env;
    template_env.external_labels = env_->external_labels;
    template_env.external_url = env_->external_url;
    template_env.query =
        [this, ts_ms](std::string_view expr) -> absl::StatusOr<std::vector<TemplateSample>> {
      absl::StatusOr<Value> r = TemplateQuery(expr, ts_ms);
      if (!r.ok()) return r.status();
      std::vector<TemplateSample> out;
      if (auto* s = std::get_if<Scalar>(&*r)) {
        out.push_back({{}, s->v});
        return out;
      }
      auto* v = std::get_if<Vector>(&*r);
      if (v == nullptr) return absl::InvalidArgumentError("query result is not a vector or scalar");
      for (const Sample& sample : *v) {
        TemplateSample ts;
        for (const storage::Label& l : sample.metric.items()) ts.labels[l.name] = l.value;
        ts.value = sample.f;
        out.push_back(std::move(ts));
      }
      return out;
    };
    absl::StatusOr<std::vector<RuleSample>> samples =
        state->alerting->Eval(*result, ts_ms, group_.limit, template_env, env_->extra_annotations);
    status = samples.status();
    if (samples.ok()) status = Write(state, *std::move(samples), ts_ms);
  }
  state->health = status.ok() ? "ok" : "err";
  state->last_error = status.ok() ? "" : std::string(status.message());

  // Alertmanager and chat hear of what happened even when storing the ALERTS series failed.
  std::vector<Alert> due =
      state->alerting->TakeAlertsToSend(ts_ms, env_->resend_delay_ms, interval_ms_);
  if (!due.empty() && env_->send) env_->send(rule, std::move(due));
  for (const AlertingRule::Transition& t : state->alerting->TakeTransitions()) {
    if (env_->announce) env_->announce(rule, t);
  }
}

absl::Status RuleGroupEvaluator::Write(RuleState* state, std::vector<RuleSample> samples,
                                       int64_t ts_ms) {
  std::map<std::string, storage::Labels> written;
  storage::AppendBatch batch;
  for (RuleSample& s : samples) {
    batch.Add(s.labels, ts_ms, s.value);
    written.emplace(s.labels.Encode(), std::move(s.labels));
  }
  for (const auto& [key, labels] : state->written) {
    if (!written.contains(key)) batch.Add(labels, ts_ms, StaleNaN());
  }
  if (!batch.empty()) {
    absl::StatusOr<storage::AppendResult> result = env_->storage->Append(batch);
    if (!result.ok()) return result.status();
    if (result->out_of_order > 0 || result->too_old > 0) {
      PL_LOG(Debug) << "rule " << state->rule.name << ": " << result->out_of_order
                    << " samples at or before the series' last timestamp and " << result->too_old
                    << " older than the retention were not stored";
    }
  }
  state->written = std::move(written);
  return absl::OkStatus();
}

void RuleGroupEvaluator::CopyStateFrom(RuleGroupEvaluator& old) {
  if (&old == this) return;
  absl::MutexLock old_lock(&old.mu_);
  absl::MutexLock lock(&mu_);
  // (kind, name) -> the old rules of that kind and name, in order.
  std::map<std::pair<int, std::string>, std::vector<RuleState*>> by_name;
  for (std::unique_ptr<RuleState>& s : old.rules_) {
    by_name[{static_cast<int>(s->rule.kind), s->rule.name}].push_back(s.get());
  }
  std::map<std::pair<int, std::string>, size_t> used;
  for (std::unique_ptr<RuleState>& s : rules_) {
    const std::pair<int, std::string> key{static_cast<int>(s->rule.kind), s->rule.name};
    auto it = by_name.find(key);
    if (it == by_name.end()) continue;
    size_t& index = used[key];
    if (index >= it->second.size()) continue;
    RuleState* from = it->second[index++];
    s->written = from->written;
    s->health = from->health;
    s->last_error = from->last_error;
    s->last_eval_ms = from->last_eval_ms;
    s->eval_seconds = from->eval_seconds;
    if (s->alerting && from->alerting) s->alerting->CopyStateFrom(*from->alerting);
  }
  // Series of old rules that are gone end now rather than linger for the lookback window.
  std::set<RuleState*> kept;
  for (auto& [key, list] : by_name) {
    for (size_t i = 0; i < std::min(list.size(), used[key]); ++i) kept.insert(list[i]);
  }
  storage::AppendBatch batch;
  const int64_t ts_ms = std::max<int64_t>(old.last_eval_ms_, 0);
  for (std::unique_ptr<RuleState>& s : old.rules_) {
    if (kept.contains(s.get()) || ts_ms == 0) continue;
    for (const auto& [key, labels] : s->written) batch.Add(labels, ts_ms + 1, StaleNaN());
  }
  if (!batch.empty()) (void)env_->storage->Append(batch);
  last_eval_ms_ = old.last_eval_ms_;
  eval_seconds_ = old.eval_seconds_;
  should_restore_ = old.should_restore_;
}

GroupSnapshot RuleGroupEvaluator::Snapshot() const {
  absl::MutexLock lock(&mu_);
  GroupSnapshot g;
  g.name = group_.name;
  g.file = group_.file;
  g.interval_ms = interval_ms_;
  g.limit = group_.limit;
  g.last_eval_ms = last_eval_ms_;
  g.eval_seconds = eval_seconds_;
  for (const std::unique_ptr<RuleState>& s : rules_) {
    RuleSnapshot r;
    r.rule = s->rule;
    r.health = s->health;
    r.last_error = s->last_error;
    r.last_eval_ms = s->last_eval_ms;
    r.eval_seconds = s->eval_seconds;
    if (s->alerting) {
      r.state = s->alerting->state();
      for (const auto& [key, a] : s->alerting->alerts()) r.alerts.push_back(a);
    }
    g.rules.push_back(std::move(r));
  }
  return g;
}

}  // namespace plumbline::query
