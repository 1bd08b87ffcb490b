// Chat notifiers: webhooks told about deploy-log events (and, later, alerts), delivered in
// the background. Configured under `notifiers:` in the serve config file:
//
//   notifiers:
//     - name: team-chat
//       url: http://chat.example/hooks/abc
//       format: slack        # slack: {"text": ...} (also Mattermost, Rocket.Chat) | json: raw
//       types: [deploy, flag, incident, alert]   # filters; absent or empty: any
//       services: [api, web]
//       envs: [prod]
//       timeout: 5s          # per attempt; 100ms .. 1m
//
// Delivery: one worker thread and one bounded FIFO queue per notifier, so a receiver that
// hangs delays only its own notifier. Notify() renders the body and enqueues it; it never
// waits for the network. A full queue drops the new notification. Each notification gets up
// to max_attempts attempts, retried after first_backoff_ms, then twice that, ..., on
// connection errors, timeouts, 5xx and 429; any other status but 2xx fails at once.
//
// Shutdown (the destructor): no new attempt is retried and sleeping backoffs wake at once;
// an attempt in flight runs to its end (at most its timeout: the DeliverFn cannot be
// interrupted); then, for at most shutdown_drain_ms after the destructor began, what is
// still queued gets one attempt each, with its timeout cut to the time left. What remains
// is dropped. So the destructor returns within max(longest timeout, shutdown_drain_ms).
//
// Metrics: plumbline_notifications_total{notifier,result="sent|failed|dropped"} (dropped:
// queue full, or still queued at shutdown) and plumbline_notifier_queue_length{notifier}.
// Failures are logged with the notifier's name, never its URL: webhook URLs carry secrets
// (errors from the DeliverFn have the URL replaced by "<url>" before they are logged).
//
// Notifiers is thread-safe. The rest is stateless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/events.h"

namespace YAML {
class Node;
}
namespace prometheus {
class Registry;
}

namespace plumbline::query {

struct NotifierConfig {
  std::string name;
  std::string url;  // http:// or https://; a secret: never logged
  enum class Format { kSlack, kJson } format = Format::kSlack;
  // Filters, each matched exactly against the notification's field; empty: any. A
  // notification whose field is empty matches only an empty filter.
  std::vector<std::string> types;
  std::vector<std::string> services;
  std::vector<std::string> envs;
  int64_t timeout_ms = 5000;  // per attempt
};

// Parses the `notifiers:` node: a sequence of maps (an absent or null node: none).
// InvalidArgument names the source, the 1-based line and the field, e.g.
//   plumbline.yaml line 7: format: expected slack or json, got "xml"
// name and url are required, names unique, url http:// or https:// (never echoed in
// messages), timeout from 100ms to 1m; unknown and repeated keys are refused.
[[nodiscard]] absl::StatusOr<std::vector<NotifierConfig>> ParseNotifiers(
    const YAML::Node& node, std::string_view source_name);

struct Notification {
  std::string type, service, env;  // for the filters ("alert" for alerts)
  std::string text;                // what a person reads; slack format sends {"text": text}
  std::string json;  // the raw object; json format sends it as the body ({"text": text} if empty)
};

// Whether `n` passes the filters of `config` (types, services, envs).
bool NotifierAccepts(const NotifierConfig& config, const Notification& n);

// The body a notifier of `format` sends for `n`. Invalid UTF-8 in text becomes U+FFFD.
std::string NotificationBody(NotifierConfig::Format format, const Notification& n);

// Delivers one body: returns the HTTP status, or an error when the receiver could not be
// reached or did not answer within timeout_ms. Called on the notifiers' worker threads,
// several at once (one per notifier).
using DeliverFn = std::function<absl::StatusOr<int>(const std::string& url, const std::string& body,
                                                    int64_t timeout_ms)>;

struct NotifierOptions {
  size_t queue_capacity = 1000;  // per notifier, not counting the one in flight
  int max_attempts = 3;
  int64_t first_backoff_ms = 1000;  // doubles after each retry
  int64_t shutdown_drain_ms = 1000;
};

// The configured notifiers and their workers. Thread-safe.
class Notifiers {
 public:
  // Starts one worker per config. `registry` may be null (no metrics exported).
  Notifiers(std::vector<NotifierConfig> configs, DeliverFn deliver, prometheus::Registry* registry,
            NotifierOptions options = {});
  ~Notifiers();  // see "Shutdown" above
  Notifiers(const Notifiers&) = delete;
  Notifiers& operator=(const Notifiers&) = delete;

  // Queues `n` for every notifier whose filters it passes. Never waits for a delivery.
  void Notify(const Notification& n);

  struct Stats {
    uint64_t sent = 0;
    uint64_t failed = 0;
    uint64_t dropped = 0;
    size_t queued = 0;  // waiting, not counting the one in flight
  };
  // The counts of the notifier called `name` (all zero when there is none).
  Stats GetStats(std::string_view name) const;

  // Waits until every queue is empty and no delivery is in flight; false when that did not
  // happen within timeout_ms. For tests.
  bool WaitIdle(int64_t timeout_ms) const;

 private:
  class Worker;
  std::unique_ptr<prometheus::Registry> own_registry_;  // when none was given
  int64_t drain_ms_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
};

// The chat line for a deploy-log event, as a person would write it:
//   alice deployed api a1b2c3 fix login (prod) — https://ci/1
//   bob flipped flag on checkout: checkout_v2 → 10 % (prod)
//   carol pushed config to api: ...   dave opened an incident on api: ...
//   erin noted on api: ...            (any other type) frank rollback api: to v41
// Empty parts are left out (no "()" without env, no " — " without url, no "on api" without
// service); an empty who reads "someone". Only the first non-blank line of `what` is used.
// A region (end_ms after time_ms) adds its duration: "(prod, 1m30s)", or "(1m30s)".
std::string EventMessage(const storage::Event& e);

}  // namespace plumbline::query
