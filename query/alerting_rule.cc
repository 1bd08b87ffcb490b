#include "query/alerting_rule.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <utility>

#include "common/strings.h"
#include "query/value.h"
#include "storage/engine.h"
#include "storage/matcher.h"

namespace plumbline::query {
namespace {

constexpr std::string_view kAlertNameLabel = "alertname";
constexpr std::string_view kAlertStateLabel = "alertstate";
constexpr std::string_view kAlertsMetric = "ALERTS";
constexpr std::string_view kAlertsForStateMetric = "ALERTS_FOR_STATE";

std::map<std::string, std::string> ToMap(const storage::Labels& labels) {
  std::map<std::string, std::string> out;
  for (const storage::Label& l : labels.items()) out.emplace(l.name, l.value);
  return out;
}

// A template's text, or Prometheus' marker when it fails (the alert still goes out).
std::string Expand(const Template& t, const TemplateData& data, const TemplateQueryFn& query) {
  absl::StatusOr<std::string> out = t.Execute(data, query);
  if (out.ok()) return *std::move(out);
  return StrCat("<error expanding template: ", out.status().message(), ">");
}

storage::Labels WithLabels(
    const storage::Labels& base,
    std::initializer_list<std::pair<std::string_view, std::string_view>> add) {
  std::vector<storage::Label> items = base.items();
  for (const auto& kv : add) {
    const std::string_view name = kv.first;
    const std::string_view value = kv.second;
    auto it = std::find_if(items.begin(), items.end(),
                           [name](const storage::Label& l) { return l.name == name; });
    if (it != items.end()) {
      it->value = std::string(value);
    } else {
      items.push_back({std::string(name), std::string(value)});
    }
  }
  // Names and values were valid already (they come from a valid label set and constants).
  absl::StatusOr<storage::Labels> out = storage::Labels::FromPairs(std::move(items));
  return out.ok() ? *std::move(out) : base;
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

storage::Labels ForStateLabels(const storage::Labels& alert_labels) {
  return WithLabels(alert_labels, {{storage::kMetricNameLabel, kAlertsForStateMetric}});
}

AlertingRule::AlertingRule(Rule rule) : rule_(std::move(rule)) {}

absl::StatusOr<std::vector<RuleSample>> AlertingRule::Eval(const Vector& result, int64_t ts_ms,
                                                           int64_t limit,
                                                           const AlertTemplateEnv& env,
                                                           const ExtraAnnotationsFn& extra) {
  // 1. The alerts this result asks for, labels and annotations expanded.
  std::map<std::string, Alert> seen;
  for (const Sample& sample : result) {
    TemplateData data;
    data.labels = ToMap(sample.metric);
    data.external_labels = env.external_labels;
    data.external_url = env.external_url;
    data.value = sample.f;

    std::vector<storage::Label> items;
    for (const storage::Label& l : sample.metric.items()) {
      if (l.name != storage::kMetricNameLabel) items.push_back(l);
    }
    for (const auto& kv : rule_.labels) {
      const std::string& name = kv.first;
      const std::string& value = kv.second;
      auto t = rule_.label_templates.find(name);
      std::string expanded =
          t == rule_.label_templates.end() ? value : Expand(t->second, data, env.query);
      auto it = std::find_if(items.begin(), items.end(),
                             [&](const storage::Label& l) { return l.name == name; });
      if (it != items.end()) {
        it->value = std::move(expanded);
      } else {
        items.push_back({name, std::move(expanded)});
      }
    }
    std::erase_if(items, [](const storage::Label& l) { return l.name == kAlertNameLabel; });
    items.push_back({std::string(kAlertNameLabel), rule_.name});
    absl::StatusOr<storage::Labels> labels = storage::Labels::FromPairs(std::move(items));
    if (!labels.ok()) {
      return absl::FailedPreconditionError(
          StrCat("invalid alert labels after expanding templates: ", labels.status().message()));
    }

    Alert alert;
    alert.labels = *std::move(labels);
    alert.value = sample.f;
    for (const auto& [name, value] : rule_.annotations) {
      auto t = rule_.annotation_templates.find(name);
      alert.annotations[name] =
          t == rule_.annotation_templates.end() ? value : Expand(t->second, data, env.query);
    }
    std::string key = alert.labels.Encode();
    if (!seen.emplace(std::move(key), std::move(alert)).second) {
      return absl::FailedPreconditionError(
          "vector contains metrics with the same labelset after applying alert labels");
    }
  }

  // 2. New alerts start pending; known ones take the new value and annotations.
  for (auto& [key, fresh] : seen) {
    auto it = alerts_.find(key);
    if (it != alerts_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = fresh.value;
      it->second.annotations = std::move(fresh.annotations);
      continue;
    }
    fresh.state = AlertState::kPending;
    fresh.active_at_ms = ts_ms;
    alerts_[key] = std::move(fresh);  // replaces a resolved one of the same labels
  }

  // 3. Alerts whose series went away resolve (or keep firing); pending ones may fire.
  int64_t active = 0;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    Alert& a = it->second;
    if (!seen.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && rule_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = ts_ms;
        keep_firing = ts_ms - a.keep_firing_since_ms < rule_.keep_firing_for_ms;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && ts_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = alerts_.erase(it);
        continue;
      }
      if (!keep_firing) {
        if (a.state == AlertState::kFiring) {
          a.state = AlertState::kInactive;
          a.resolved_at_ms = ts_ms;
          transitions_.push_back({a, false});
        }
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms = 0;
    }
    ++active;
    if (a.state == AlertState::kPending && ts_ms - a.active_at_ms >= rule_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts_ms;
    }
    ++it;
  }
  if (limit > 0 && active > limit) {
    alerts_.clear();
    transitions_.clear();
    return absl::FailedPreconditionError(
        StrCat("exceeded limit of ", limit, " with ", active, " alerts"));
  }

  // 4. Plumbline's own annotations (recent changes), then what chat hears about.
  for (auto& [key, a] : alerts_) {
    if (a.state == AlertState::kInactive || !extra) continue;
    for (auto& [name, value] : extra(a, ts_ms)) {
      if (!rule_.annotations.contains(name)) a.annotations[name] = std::move(value);
    }
  }
  for (auto& [key, a] : alerts_) {
    if (a.state == AlertState::kFiring && a.fired_at_ms == ts_ms) transitions_.push_back({a, true});
  }
  return OutputSamples(ts_ms);
}

std::vector<RuleSample> AlertingRule::OutputSamples(int64_t ts_ms) const {
  (void)ts_ms;
  std::vector<RuleSample> out;
  if (!restored_) return out;
  for (const auto& [key, a] : alerts_) {
    if (a.state == AlertState::kInactive) continue;
    out.push_back({WithLabels(a.labels, {{storage::kMetricNameLabel, kAlertsMetric},
                                         {kAlertStateLabel, AlertStateName(a.state)}}),
                   1});
    out.push_back({ForStateLabels(a.labels), static_cast<double>(a.active_at_ms / 1000)});
  }
  return out;
}

std::vector<Alert> AlertingRule::TakeAlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                                  int64_t interval_ms) {
  std::vector<Alert> out;
  for (auto& [key, a] : alerts_) {
    if (a.state == AlertState::kPending) continue;
    const bool resolved_since_sent = a.resolved_at_ms > a.last_sent_at_ms;
    if (!resolved_since_sent && a.last_sent_at_ms + resend_delay_ms >= ts_ms) continue;
    a.last_sent_at_ms = ts_ms;
    a.valid_until_ms = ts_ms + 4 * std::max(resend_delay_ms, interval_ms);
    out.push_back(a);
  }
  return out;
}

std::vector<AlertingRule::Transition> AlertingRule::TakeTransitions() {
  return std::exchange(transitions_, {});
}

absl::Status AlertingRule::RestoreFromStorage(storage::Engine* storage, int64_t ts_ms,
                                              int64_t outage_tolerance_ms,
                                              int64_t for_grace_period_ms) {
  // A `for` shorter than the grace period would only be lengthened by restoring it.
  if (rule_.for_ms < for_grace_period_ms) {
    restored_ = true;
    return absl::OkStatus();
  }
  for (auto& [key, a] : alerts_) {
    if (a.state == AlertState::kInactive) continue;
    const storage::Labels want = ForStateLabels(a.labels);
    std::vector<storage::LabelMatcher> matchers;
    for (const storage::Label& l : want.items()) {
      absl::StatusOr<storage::LabelMatcher> m =
          storage::LabelMatcher::Create(storage::LabelMatcher::Type::kEqual, l.name, l.value);
      if (!m.ok()) return m.status();
      matchers.push_back(*std::move(m));
    }
    absl::StatusOr<std::unique_ptr<storage::SeriesSet>> set =
        storage->Select(matchers, ts_ms - outage_tolerance_ms, ts_ms);
    if (!set.ok()) return set.status();
    int64_t t = 0;
    double v = 0;
    bool found = false;
    for (size_t i = 0; i < (*set)->series().size(); ++i) {
      if ((*set)->series()[i].labels != want) continue;
      std::unique_ptr<storage::SeriesIterator> it = (*set)->Samples(i);
      while (it->Next()) {
        if (it->t() < ts_ms - outage_tolerance_ms || it->t() > ts_ms) continue;
        t = it->t();
        v = it->v();
        found = true;
      }
      if (!it->status().ok()) return it->status();
    }
    if (!found || std::isnan(v)) continue;  // never stored, or ended (stale marker)
    // Prometheus works in whole seconds here.
    const int64_t down_at_ms = t / 1000 * 1000;
    int64_t restored_active_at_ms = static_cast<int64_t>(v) * 1000;
    const int64_t remaining_ms = rule_.for_ms - (down_at_ms - restored_active_at_ms);
    if (remaining_ms <= 0) {
      // It was firing when the server stopped: it fires again on the next evaluation.
    } else if (remaining_ms < for_grace_period_ms) {
      restored_active_at_ms = ts_ms + for_grace_period_ms - rule_.for_ms;
    } else {
      restored_active_at_ms += ts_ms - down_at_ms;  // the downtime does not count
    }
    a.active_at_ms = restored_active_at_ms;
  }
  restored_ = true;
  return absl::OkStatus();
}

void AlertingRule::CopyStateFrom(const AlertingRule& old) {
  alerts_ = old.alerts_;
  restored_ = old.restored_;
}

AlertState AlertingRule::state() const {
  AlertState max = AlertState::kInactive;
  for (const auto& [key, a] : alerts_) {
    if (a.state == AlertState::kFiring) return AlertState::kFiring;
    if (a.state == AlertState::kPending) max = AlertState::kPending;
  }
  return max;
}

}  // namespace plumbline::query
