#include "query/event_log.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "storage/labels.h"
#include "storage/matcher.h"

namespace plumbline::query {
namespace {

absl::StatusOr<storage::Labels> SeriesLabels(std::string_view metric, const std::string& type,
                                             const std::string& service, const std::string& env) {
  return storage::Labels::FromPairs({{std::string(storage::kMetricNameLabel), std::string(metric)},
                                     {"type", type},
                                     {"service", service},
                                     {"env", env}});
}

}  // namespace

EventLog::EventLog(storage::Engine* engine, const Clock* clock, const EventLogOptions& options,
                   std::function<void(const storage::Event&)> on_recorded)
    : engine_(engine), clock_(clock), options_(options), on_recorded_(std::move(on_recorded)) {}

EventLog::~EventLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (hold_thread_.joinable()) hold_thread_.join();
}

absl::Status EventLog::Start() {
  PL_RETURN_IF_ERROR(Load());
  if (options_.hold_thread && options_.hold_interval_ms > 0)
    hold_thread_ = std::thread([this] { HoldLoop(); });
  return absl::OkStatus();
}

absl::Status EventLog::Load() {
  PL_ASSIGN_OR_RETURN(
      storage::LabelMatcher names,
      storage::LabelMatcher::Create(storage::LabelMatcher::Type::kRegexMatch,
                                    std::string(storage::kMetricNameLabel),
                                    StrCat(kEventsTotalMetric, "|", kEventLastTimestampMetric)));
  PL_ASSIGN_OR_RETURN(std::unique_ptr<storage::SeriesSet> set,
                      engine_->Select({names}, 0, clock_->NowMs()));
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < set->series().size(); ++i) {
    const storage::Series& s = set->series()[i];
    std::unique_ptr<storage::SeriesIterator> it = set->Samples(i);
    int64_t t = INT64_MIN;
    double v = 0;
    int64_t ts[256];
    double vs[256];
    while (size_t n = it->NextBatch(ts, vs, 256)) {
      t = ts[n - 1];
      v = vs[n - 1];
    }
    PL_RETURN_IF_ERROR(it->status());
    if (t == INT64_MIN) continue;
    SeriesState& state =
        series_[Key(std::string(s.labels.Get("type")), std::string(s.labels.Get("service")),
                    std::string(s.labels.Get("env")))];
    if (s.labels.metric_name() == kEventsTotalMetric) {
      state.count = v;
      state.count_ref = s.ref;
    } else {
      state.last_timestamp = v;
      state.timestamp_ref = s.ref;
    }
    state.last_sample_ms = std::max(state.last_sample_ms, t);
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::Event> EventLog::Record(storage::Event event) {
  const int64_t now = clock_->NowMs();
  const int64_t last = event.end_ms != 0 ? event.end_ms : event.time_ms;
  if (last < now - options_.retention_ms) {
    return absl::InvalidArgumentError(StrCat("time: older than the events retention (",
                                             options_.retention_ms / 86'400'000, " days)"));
  }
  PL_ASSIGN_OR_RETURN(storage::Event stored, engine_->events()->Add(std::move(event)));
  {
    absl::MutexLock lock(&mu_);
    const Key key(stored.type, stored.service, stored.env);
    auto [it, created] = series_.try_emplace(key);
    SeriesState& state = it->second;
    // At the event's time, but never at or before what the series holds, nor in the future
    // (a hold tick would then be refused until that time came).
    int64_t t = std::min(stored.time_ms, now);
    t = std::max(t, state.last_sample_ms == INT64_MIN ? t : state.last_sample_ms + 1);
    if (created) WriteLocked(key, &state, t - 1, 0, 0);
    WriteLocked(key, &state, t, state.count + 1, static_cast<double>(stored.time_ms) / 1000);
  }
  if (on_recorded_) on_recorded_(stored);
  return stored;
}

void EventLog::WriteLocked(const Key& key, SeriesState* state, int64_t t_ms, double count,
                           double timestamp) {
  storage::AppendBatch batch;
  const auto& [type, service, env] = key;
  bool by_labels = false;
  if (state->count_ref != 0) {
    batch.Add(state->count_ref, t_ms, count);
  } else {
    absl::StatusOr<storage::Labels> labels = SeriesLabels(kEventsTotalMetric, type, service, env);
    if (!labels.ok()) return;  // the event store validated these; cannot happen
    batch.Add(*std::move(labels), t_ms, count);
    by_labels = true;
  }
  if (state->timestamp_ref != 0) {
    batch.Add(state->timestamp_ref, t_ms, timestamp);
  } else {
    absl::StatusOr<storage::Labels> labels =
        SeriesLabels(kEventLastTimestampMetric, type, service, env);
    if (!labels.ok()) return;
    batch.Add(*std::move(labels), t_ms, timestamp);
    by_labels = true;
  }
  absl::StatusOr<storage::AppendResult> result = engine_->Append(batch);
  if (!result.ok()) {
    PL_LOG(Warn) << "event series write failed: " << result.status().message();
    return;
  }
  if (result->unknown_ref > 0) {
    // Series dropped by retention meanwhile: by labels next time (this sample is lost).
    state->count_ref = state->timestamp_ref = 0;
    return;
  }
  if (by_labels) {
    size_t i = 0;
    if (state->count_ref == 0 && i < result->refs.size()) state->count_ref = result->refs[i++];
    if (state->timestamp_ref == 0 && i < result->refs.size()) {
      state->timestamp_ref = result->refs[i++];
    }
  }
  state->count = count;
  state->last_timestamp = timestamp;
  state->last_sample_ms = std::max(state->last_sample_ms, t_ms);
}

void EventLog::Hold(int64_t now_ms) {
  if (options_.hold_interval_ms <= 0) return;
  const int64_t grid = now_ms - now_ms % options_.hold_interval_ms;
  absl::MutexLock lock(&mu_);
  for (auto& [key, state] : series_) {
    if (grid <= state.last_sample_ms) continue;
    WriteLocked(key, &state, grid, state.count, state.last_timestamp);
  }
}

void EventLog::HoldLoop() {
  while (true) {
    const int64_t now = clock_->NowMs();
    const int64_t next = now - now % options_.hold_interval_ms + options_.hold_interval_ms;
    {
      absl::MutexLock lock(&mu_);
      // Wakes at the next grid time, or at once when stopping.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                           absl::Milliseconds(std::max<int64_t>(1, next - now)));
      if (stopping_) return;
    }
    Hold(clock_->NowMs());
  }
}

}  // namespace plumbline::query
