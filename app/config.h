// The `serve` configuration: every setting is a flag and a YAML key of the same name
// (flag --flush-interval, key flush-interval). Flags win over the config file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/host_port.h"
#include "common/log.h"
#include "query/notifier.h"

namespace plumbline::app {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

struct ServeConfig {
  std::string data_dir = "./data";
  // rocksdb: the embedded store; none: agent mode, only the remote-write queue is kept.
  std::string storage = "rocksdb";
  HostPort http_listen{"127.0.0.1", 8080};
  std::optional<HostPort> statsd_listen = HostPort{"127.0.0.1", 8125};    // unset: off
  std::optional<HostPort> graphite_listen = HostPort{"127.0.0.1", 2003};  // unset: off
  int64_t flush_interval_ms = 10'000;
  LogLevel log_level = LogLevel::kInfo;
  int64_t retention_ms = 15 * kDayMs;
  std::string mapping_file;
  int64_t max_series = 1'000'000;
  int statsd_receivers = 0;  // 0: one per core
  int64_t statsd_receive_buffer = 32 << 20;
  int64_t counter_expiry_ms = 5 * 60'000;
  int64_t gauge_expiry_ms = 5 * 60'000;
  int64_t timer_expiry_ms = 5 * 60'000;
  int64_t set_expiry_ms = 5 * 60'000;
  std::string auth_file;  // "": no auth file (loopback-only writes)
  int64_t events_retention_ms = 400 * kDayMs;
  std::vector<std::string> extra_event_types;
  // The config file's `notifiers:` (no flag: a list of maps).
  std::vector<query::NotifierConfig> notifiers;
  std::string dashboards_dir = "./dashboards";
  int64_t self_scrape_interval_ms = 15'000;  // 0: off
  // Alerting and recording rules.
  std::vector<std::string> rule_files;  // globs
  std::vector<std::string> alertmanager_urls;
  int64_t evaluation_interval_ms = 60'000;  // groups without `interval:`
  std::string external_url;                 // "": http://<http-listen>
  std::map<std::string, std::string> external_labels;
  int64_t alert_resend_delay_ms = 60'000;
  int64_t alert_for_grace_period_ms = 10 * 60'000;
  int64_t alert_for_outage_tolerance_ms = 3600'000;
  int64_t alert_changes_window_ms = 30 * 60'000;
  std::string alert_service_label = "service";
  // Remote write: every appended sample is also sent to these receivers.
  std::vector<std::string> remote_write_urls;
  int64_t remote_write_shards = 2;
  int64_t remote_write_queue_max_bytes = 1LL << 30;
  // A Prometheus-compatible query API the UI's API and the rules query ("": the local store).
  std::string query_backend;
};

// One setting: its name (flag without "--", and config key), help and how to apply a value.
struct Setting {
  std::string name;
  std::string help;
  std::string default_value;
  // Parses `value` into `config`; InvalidArgument says what was expected.
  std::function<absl::Status(std::string_view value, ServeConfig* config)> apply;
  // Set for a repeatable setting (a list: the flag may be given several times, the key may
  // hold a YAML sequence): empties the list before a source's values are applied.
  std::function<void(ServeConfig* config)> clear = nullptr;
};

// All settings of `serve`, in the order `--help` shows them.
const std::vector<Setting>& ServeSettings();

// The setting called `name`, or nullptr.
const Setting* FindSetting(std::string_view name);
// Names of all settings, comma-separated (for messages).
std::string SettingNames();

// Applies `value`; the error names the flag or key via `source`
// (e.g. "flag --flush-interval" or "config file p.yaml line 3: flush-interval").
absl::Status ApplySetting(const Setting& setting, std::string_view value, std::string_view source,
                          ServeConfig* config);

// Reads a YAML config file whose top level maps setting names to values and applies it.
// Unknown keys, non-scalar values and bad values are errors naming the file, line and key.
absl::Status LoadConfigFile(const std::string& path, ServeConfig* config);
// The same for YAML text (`source_name` is used in messages).
absl::Status LoadConfigText(std::string_view text, std::string_view source_name,
                            ServeConfig* config);

}  // namespace plumbline::app
