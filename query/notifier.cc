#include "query/notifier.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::query {
namespace {

constexpr int64_t kMinTimeoutMs = 100;
constexpr int64_t kMaxTimeoutMs = 60'000;
constexpr int64_t kMaxBackoffMs = 3'600'000;  // doubling stops here

// ---- Configuration ----

absl::Status Invalid(std::string_view source, const YAML::Node& at, std::string_view field,
                     std::string_view message) {
  return absl::InvalidArgumentError(
      StrCat(source, " line ", at.Mark().line + 1, ": ", field, ": ", message));
}

absl::StatusOr<std::string> ScalarOf(std::string_view source, const YAML::Node& key,
                                     const YAML::Node& value) {
  if (!value.IsScalar()) return Invalid(source, key, key.Scalar(), "expected a single value");
  if (value.Scalar().empty()) return Invalid(source, key, key.Scalar(), "must not be empty");
  return value.Scalar();
}

// A list of names; null or [] is empty (no filter).
absl::StatusOr<std::vector<std::string>> ListOf(std::string_view source, const YAML::Node& key,
                                                const YAML::Node& value) {
  std::vector<std::string> out;
  if (value.IsNull()) return out;
  const std::string& field = key.Scalar();
  if (!value.IsSequence()) {
    return Invalid(source, key, field, StrCat("expected a list, e.g. ", field, ": [a, b]"));
  }
  for (const YAML::Node& element : value) {
    if (!element.IsScalar() || element.Scalar().empty()) {
      return Invalid(source, element, field, "expected a list of non-empty names");
    }
    out.push_back(element.Scalar());
  }
  return out;
}

bool StartsWithLower(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

// Messages never quote the URL: it may carry a secret token.
absl::Status CheckUrl(std::string_view source, const YAML::Node& key, std::string_view url) {
  std::string_view rest;
  if (StartsWithLower(url, "http://")) {
    rest = url.substr(7);
  } else if (StartsWithLower(url, "https://")) {
    rest = url.substr(8);
  } else {
    return Invalid(source, key, "url", "expected an http:// or https:// URL");
  }
  for (unsigned char c : url) {
    if (c <= ' ' || c == 0x7f) {
      return Invalid(source, key, "url", "must not contain spaces or control characters");
    }
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') {
    return Invalid(source, key, "url", "expected a host after the scheme");
  }
  return absl::OkStatus();
}

constexpr std::string_view kKnownKeys = "name, url, format, types, services, envs, timeout";

// One `- name: ...` entry. `*name_line` receives the line of its name key.
absl::StatusOr<NotifierConfig> ParseNotifier(std::string_view source, const YAML::Node& item,
                                             int* name_line) {
  if (!item.IsMap()) {
    return Invalid(source, item, "notifiers",
                   "expected a notifier: a mapping with name, url and optional settings");
  }
  NotifierConfig config;
  std::vector<std::string> seen;
  for (const auto& entry : item) {
    const YAML::Node& key = entry.first;
    const YAML::Node& value = entry.second;
    if (!key.IsScalar()) return Invalid(source, key, "notifiers", "expected setting names as keys");
    const std::string& field = key.Scalar();
    if (std::find(seen.begin(), seen.end(), field) != seen.end()) {
      return Invalid(source, key, field, "given twice");
    }
    seen.push_back(field);
    if (field == "name") {
      PL_ASSIGN_OR_RETURN(config.name, ScalarOf(source, key, value));
      *name_line = key.Mark().line + 1;
    } else if (field == "url") {
      PL_ASSIGN_OR_RETURN(config.url, ScalarOf(source, key, value));
      PL_RETURN_IF_ERROR(CheckUrl(source, key, config.url));
    } else if (field == "format") {
      PL_ASSIGN_OR_RETURN(const std::string format, ScalarOf(source, key, value));
      if (format == "slack") {
        config.format = NotifierConfig::Format::kSlack;
      } else if (format == "json") {
        config.format = NotifierConfig::Format::kJson;
      } else {
        return Invalid(source, key, field, StrCat("expected slack or json, got \"", format, "\""));
      }
    } else if (field == "types") {
      PL_ASSIGN_OR_RETURN(config.types, ListOf(source, key, value));
    } else if (field == "services") {
      PL_ASSIGN_OR_RETURN(config.services, ListOf(source, key, value));
    } else if (field == "envs") {
      PL_ASSIGN_OR_RETURN(config.envs, ListOf(source, key, value));
    } else if (field == "timeout") {
      PL_ASSIGN_OR_RETURN(const std::string text, ScalarOf(source, key, value));
      absl::StatusOr<int64_t> ms = ParseDurationMs(text);
      if (!ms.ok()) return Invalid(source, key, field, ToStd(ms.status().message()));
      if (*ms < kMinTimeoutMs || *ms > kMaxTimeoutMs) {
        return Invalid(source, key, field,
                       StrCat("must be from ", FormatDurationMs(kMinTimeoutMs), " to ",
                              FormatDurationMs(kMaxTimeoutMs), ", got \"", text, "\""));
      }
      config.timeout_ms = *ms;
    } else {
      return Invalid(source, key, field, StrCat("unknown key (known keys: ", kKnownKeys, ")"));
    }
  }
  if (config.name.empty()) return Invalid(source, item, "name", "required");
  if (config.url.empty()) return Invalid(source, item, "url", "required");
  return config;
}

// ---- Delivery ----

bool Delivered(const absl::StatusOr<int>& result) {
  return result.ok() && *result >= 200 && *result < 300;
}

// Connection errors, timeouts, 5xx and 429 may pass on a later attempt.
bool Retryable(const absl::StatusOr<int>& result) {
  return !result.ok() || *result >= 500 || *result == 429;
}

// `result` for a log line, with any copy of the URL replaced.
std::string Describe(const absl::StatusOr<int>& result, const std::string& url) {
  if (result.ok()) return StrCat("HTTP ", *result);
  std::string message(result.status().message());
  for (size_t at = url.empty() ? std::string::npos : message.find(url); at != std::string::npos;
       at = message.find(url, at + 5)) {
    message.replace(at, url.size(), "<url>");
  }
  return message;
}

bool Passes(const std::vector<std::string>& filter, const std::string& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

// ---- Event messages ----

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// `text` on one line: control characters become spaces; the ends are trimmed.
std::string OneLine(std::string_view text) {
  std::string out(Trim(text));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < ' ' || c == 0x7f) c = ' ';
  }
  return out;
}

// The first line of `text` that is not blank, trimmed.
std::string FirstLine(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    if (!line.empty()) return OneLine(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<NotifierConfig>> ParseNotifiers(const YAML::Node& node,
                                                           std::string_view source_name) {
  std::vector<NotifierConfig> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    return Invalid(source_name, node, "notifiers",
                   "expected a list of notifiers (- name: ..., url: ...)");
  }
  std::vector<int> name_lines;  // of out[i]
  for (const YAML::Node& item : node) {
    int name_line = 0;
    PL_ASSIGN_OR_RETURN(NotifierConfig config, ParseNotifier(source_name, item, &name_line));
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].name == config.name) {
        return absl::InvalidArgumentError(StrCat(source_name, " line ", name_line, ": name: \"",
                                                 config.name, "\" is already used on line ",
                                                 name_lines[i]));
      }
    }
    out.push_back(std::move(config));
    name_lines.push_back(name_line);
  }
  return out;
}

std::string NotificationBody(NotifierConfig::Format format, const Notification& n) {
  if (format == NotifierConfig::Format::kJson && !n.json.empty()) return n.json;
  const nlohmann::json body = {{"text", n.text}};
  return body.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

// One notifier: its queue and the thread that empties it. Thread-safe.
class Notifiers::Worker {
 public:
  Worker(NotifierConfig config, DeliverFn deliver, const NotifierOptions& options,
         prometheus::Family<prometheus::Counter>& notifications,
         prometheus::Family<prometheus::Gauge>& queue_length)
      : config_(std::move(config)),
        deliver_(std::move(deliver)),
        options_(options),
        sent_(&notifications.Add({{"notifier", config_.name}, {"result", "sent"}})),
        failed_(&notifications.Add({{"notifier", config_.name}, {"result", "failed"}})),
        dropped_(&notifications.Add({{"notifier", config_.name}, {"result", "dropped"}})),
        queue_length_(&queue_length.Add({{"notifier", config_.name}})) {
    thread_ = std::thread([this] { Run(); });
  }

  // Stops at once (no drain) unless BeginStop was called before.
  ~Worker() {
    BeginStop(absl::Now());
    thread_.join();
  }

  const NotifierConfig& config() const { return config_; }

  bool Accepts(const Notification& n) const { return NotifierAccepts(config_, n); }

  void Enqueue(std::string body) {
    bool log_overflow = false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || queue_.size() >= options_.queue_capacity) {
        ++stats_.dropped;
        dropped_->Increment();
        log_overflow = !overflowing_ && !stopping_;
        overflowing_ = true;
      } else {
        queue_.push_back(std::move(body));
        overflowing_ = false;
        queue_length_->Set(static_cast<double>(queue_.size()));
      }
    }
    if (log_overflow) {
      PL_LOG(Warn) << "notifier \"" << config_.name << "\": queue full (" << options_.queue_capacity
                   << "), dropping notifications until it has room";
    }
  }

  // Retries stop and backoffs wake; what is queued gets one attempt each until `deadline`.
  // The first call wins.
  void BeginStop(absl::Time drain_deadline) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    drain_deadline_ = drain_deadline;
  }

  Stats GetStats() const {
    absl::MutexLock lock(&mu_);
    Stats stats = stats_;
    stats.queued = queue_.size();
    return stats;
  }

  bool WaitIdle(absl::Time deadline) const {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithDeadline(absl::Condition(this, &Worker::IdleLocked), deadline);
  }

 private:
  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && !in_flight_;
  }
  bool HasWorkOrStopLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  void Run() {
    for (;;) {
      std::string body;
      int64_t timeout_ms = config_.timeout_ms;
      size_t abandoned = 0;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Worker::HasWorkOrStopLocked));
        if (queue_.empty()) return;  // stopping, nothing left
        if (stopping_) {
          const int64_t left_ms = absl::ToInt64Milliseconds(drain_deadline_ - absl::Now());
          if (left_ms < 1) {
            abandoned = queue_.size();
            stats_.dropped += abandoned;
            dropped_->Increment(static_cast<double>(abandoned));
            queue_.clear();
            queue_length_->Set(0);
          }
          timeout_ms = std::min(timeout_ms, left_ms);
        }
        if (abandoned == 0) {
          body = std::move(queue_.front());
          queue_.pop_front();
          queue_length_->Set(static_cast<double>(queue_.size()));
          in_flight_ = true;
        }
      }
      if (abandoned > 0) {
        PL_LOG(Warn) << "notifier \"" << config_.name << "\": " << abandoned
                     << " notification(s) not delivered at shutdown";
        return;
      }
      DeliverWithRetries(body, timeout_ms);
    }
  }

  void DeliverWithRetries(const std::string& body, int64_t timeout_ms) {
    absl::StatusOr<int> result;
    int attempts = 0;
    bool cut_short = false;  // by shutdown
    int64_t backoff_ms = options_.first_backoff_ms;
    for (;;) {
      ++attempts;
      result = deliver_(config_.url, body, timeout_ms);
      if (Delivered(result) || !Retryable(result) || attempts >= options_.max_attempts) break;
      absl::MutexLock lock(&mu_);
      if (!stopping_) {
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(backoff_ms));
      }
      if (stopping_) {
        cut_short = true;
        break;
      }
      backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
    }
    const bool delivered = Delivered(result);
    {
      absl::MutexLock lock(&mu_);
      in_flight_ = false;
      if (delivered) {
        ++stats_.sent;
        sent_->Increment();
      } else {
        ++stats_.failed;
        failed_->Increment();
      }
    }
    if (!delivered) {
      PL_LOG(Warn) << "notifier \"" << config_.name << "\": delivery failed after " << attempts
                   << (attempts == 1 ? " attempt" : " attempts")
                   << (cut_short ? " (not retried: shutting down)" : "") << ": "
                   << Describe(result, config_.url);
    }
  }

  const NotifierConfig config_;
  const DeliverFn deliver_;  // only the worker thread calls it
  const NotifierOptions options_;
  prometheus::Counter* const sent_;
  prometheus::Counter* const failed_;
  prometheus::Counter* const dropped_;
  prometheus::Gauge* const queue_length_;

  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool overflowing_ ABSL_GUARDED_BY(mu_) = false;  // the last Enqueue dropped (log once a run)
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // started last, joined by the destructor
};

Notifiers::Notifiers(std::vector<NotifierConfig> configs, DeliverFn deliver,
                     prometheus::Registry* registry, NotifierOptions options) {
  if (registry == nullptr) {
    own_registry_ = std::make_unique<prometheus::Registry>();
    registry = own_registry_.get();
  }
  auto& notifications =
      prometheus::BuildCounter()
          .Name("plumbline_notifications_total")
          .Help(
              "Notifications by notifier and result: sent, failed (after all attempts), "
              "dropped (queue full, or still queued at shutdown).")
          .Register(*registry);
  auto& queue_length = prometheus::BuildGauge()
                           .Name("plumbline_notifier_queue_length")
                           .Help("Notifications waiting for delivery, by notifier.")
                           .Register(*registry);
  options.max_attempts = std::max(options.max_attempts, 1);
  options.first_backoff_ms = std::clamp<int64_t>(options.first_backoff_ms, 0, kMaxBackoffMs);
  for (NotifierConfig& config : configs) {
    workers_.push_back(
        std::make_unique<Worker>(std::move(config), deliver, options, notifications, queue_length));
  }
  drain_ms_ = std::max<int64_t>(options.shutdown_drain_ms, 0);
}

Notifiers::~Notifiers() {
  // Every worker stops (and drains) at the same time; then each is joined.
  const absl::Time drain_deadline = absl::Now() + absl::Milliseconds(drain_ms_);
  for (const auto& worker : workers_) worker->BeginStop(drain_deadline);
  workers_.clear();
}

void Notifiers::Notify(const Notification& n) {
  std::optional<std::string> bodies[2];  // by format, rendered once
  for (const auto& worker : workers_) {
    if (!worker->Accepts(n)) continue;
    const NotifierConfig::Format format = worker->config().format;
    std::optional<std::string>& body = bodies[format == NotifierConfig::Format::kSlack ? 0 : 1];
    if (!body.has_value()) body = NotificationBody(format, n);
    worker->Enqueue(*body);
  }
}

Notifiers::Stats Notifiers::GetStats(std::string_view name) const {
  for (const auto& worker : workers_) {
    if (worker->config().name == name) return worker->GetStats();
  }
  return Stats();
}

bool Notifiers::WaitIdle(int64_t timeout_ms) const {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  for (const auto& worker : workers_) {
    if (!worker->WaitIdle(deadline)) return false;
  }
  return true;
}

bool NotifierAccepts(const NotifierConfig& config, const Notification& n) {
  return Passes(config.types, n.type) && Passes(config.services, n.service) &&
         Passes(config.envs, n.env);
}

std::string EventMessage(const storage::Event& e) {
  std::string who = OneLine(e.who);
  if (who.empty()) who = "someone";
  const std::string service = OneLine(e.service);
  const std::string type = OneLine(e.type);
  std::string out = who;
  // " on api", " to api": only with a service.
  auto append_service = [&](std::string_view preposition) {
    if (service.empty()) return;
    StrAppend(&out, preposition.empty() ? "" : " ", preposition, " ", service);
  };
  std::string_view before_what = ": ";
  if (type == "deploy") {
    out += " deployed";
    append_service("");
    before_what = " ";
  } else if (type == "flag") {
    out += " flipped flag";
    append_service("on");
  } else if (type == "config") {
    out += " pushed config";
    append_service("to");
  } else if (type == "incident") {
    out += " opened an incident";
    append_service("on");
  } else if (type == "note") {
    out += " noted";
    append_service("on");
  } else {
    if (!type.empty()) StrAppend(&out, " ", type);
    append_service("");
  }
  const std::string what = FirstLine(e.what);
  if (!what.empty()) StrAppend(&out, before_what, what);

  std::string details = OneLine(e.env);  // "prod", "prod, 1m30s", "1m30s"
  if (e.end_ms > e.time_ms) {
    StrAppend(&details, details.empty() ? "" : ", ", FormatDurationMs(e.end_ms - e.time_ms));
  }
  if (!details.empty()) StrAppend(&out, " (", details, ")");
  const std::string url = OneLine(e.url);
  if (!url.empty()) StrAppend(&out, " — ", url);
  return out;
}

}  // namespace plumbline::query
