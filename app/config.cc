#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/duration.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/yaml_guard.h"
#include "query/alert_notify.h"
#include "query/query_backend.h"
#include "remote/sender.h"
#include "storage/labels.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::app {
namespace {

absl::Status ApplyDuration(std::string_view value, int64_t min_ms, std::string_view min_text,
                           int64_t* out) {
  absl::StatusOr<int64_t> ms = ParseDurationMs(value);
  if (!ms.ok()) return ms.status();
  if (*ms < min_ms) {
    return absl::InvalidArgumentError(
        StrCat("must be at least ", min_text, ", got \"", value, "\""));
  }
  *out = *ms;
  return absl::OkStatus();
}

absl::Status ApplyHostPort(std::string_view value, HostPort* out) {
  absl::StatusOr<HostPort> hp = ParseHostPort(value);
  if (!hp.ok()) return hp.status();
  *out = *hp;
  return absl::OkStatus();
}

// "" or "off" turns a listener off.
absl::Status ApplyOptionalHostPort(std::string_view value, std::optional<HostPort>* out) {
  if (value.empty() || value == "off") {
    out->reset();
    return absl::OkStatus();
  }
  HostPort hp;
  PL_RETURN_IF_ERROR(ApplyHostPort(value, &hp));
  *out = hp;
  return absl::OkStatus();
}

absl::Status ApplyInteger(std::string_view value, int64_t min, int64_t max, int64_t* out) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min || v > max) {
    return absl::InvalidArgumentError(StrCat("expected a whole number from ", min, " to ", max));
  }
  *out = v;
  return absl::OkStatus();
}

std::vector<Setting> MakeSettings() {
  return {
      {"data-dir", "Directory of the embedded store (created if missing)", "./data",
       [](std::string_view v, ServeConfig* c) {
         if (v.empty()) return absl::InvalidArgumentError("must not be empty");
         c->data_dir = std::string(v);
         return absl::OkStatus();
       }},
      {"storage",
       "rocksdb (the embedded store) or none (agent mode: keep only the remote-write queue; "
       "needs a remote-write-url)",
       "rocksdb",
       [](std::string_view v, ServeConfig* c) {
         if (v != "rocksdb" && v != "none") {
           return absl::InvalidArgumentError(StrCat("expected rocksdb or none, got \"", v, "\""));
         }
         c->storage = std::string(v);
         return absl::OkStatus();
       }},
      {"http-listen", "Address of the HTTP API, UI and /metrics", "127.0.0.1:8080",
       [](std::string_view v, ServeConfig* c) { return ApplyHostPort(v, &c->http_listen); }},
      {"statsd-listen", "Address of the StatsD UDP and TCP listeners (off: none)", "127.0.0.1:8125",
       [](std::string_view v, ServeConfig* c) {
         return ApplyOptionalHostPort(v, &c->statsd_listen);
       }},
      {"graphite-listen", "Address of the Graphite plaintext TCP listener (off: none)",
       "127.0.0.1:2003",
       [](std::string_view v, ServeConfig* c) {
         return ApplyOptionalHostPort(v, &c->graphite_listen);
       }},
      {"flush-interval", "How often aggregated StatsD metrics are written", "10s",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 100, "100ms", &c->flush_interval_ms);
       }},
      {"log-level", "debug, info, warn or error", "info",
       [](std::string_view v, ServeConfig* c) {
         if (!ParseLogLevel(v, &c->log_level)) {
           return absl::InvalidArgumentError(
               StrCat("expected one of debug, info, warn, error, got \"", v, "\""));
         }
         return absl::OkStatus();
       }},
      {"retention", "How long samples are kept (whole UTC days; at least 1d)", "15d",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, kDayMs, "1d (data is dropped in whole days)", &c->retention_ms);
       }},
      {"mapping-file", "statsd_exporter-style YAML mapping rules for StatsD names", "",
       [](std::string_view v, ServeConfig* c) {
         c->mapping_file = std::string(v);
         return absl::OkStatus();
       }},
      {"max-series", "Distinct StatsD keys held per receiver; new ones beyond are refused",
       "1000000",
       [](std::string_view v, ServeConfig* c) {
         return ApplyInteger(v, 1, 1'000'000'000, &c->max_series);
       }},
      {"statsd-receivers", "UDP receiver threads (SO_REUSEPORT sockets); 0: one per core", "0",
       [](std::string_view v, ServeConfig* c) {
         int64_t n = 0;
         PL_RETURN_IF_ERROR(ApplyInteger(v, 0, 256, &n));
         c->statsd_receivers = static_cast<int>(n);
         return absl::OkStatus();
       }},
      {"statsd-receive-buffer", "SO_RCVBUF bytes per UDP socket (capped by the kernel)", "33554432",
       [](std::string_view v, ServeConfig* c) {
         return ApplyInteger(v, 4096, 1LL << 31, &c->statsd_receive_buffer);
       }},
      {"counter-expiry", "A StatsD counter idle this long stops being written", "5m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->counter_expiry_ms);
       }},
      {"gauge-expiry", "A gauge (or service check) idle this long stops being re-written", "5m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->gauge_expiry_ms);
       }},
      {"timer-expiry", "A timer/histogram/distribution idle this long stops being written", "5m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->timer_expiry_ms);
       }},
      {"set-expiry", "A set idle this long stops being written", "5m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->set_expiry_ms);
       }},
      {"auth-file",
       "YAML file of write tokens (SHA-256 hashes with roles); without it, only loopback "
       "clients may write",
       "",
       [](std::string_view v, ServeConfig* c) {
         c->auth_file = std::string(v);
         return absl::OkStatus();
       }},
      {"dashboards-dir", "Directory of dashboard YAML files (re-read when they change)",
       "./dashboards",
       [](std::string_view v, ServeConfig* c) {
         c->dashboards_dir = std::string(v);
         return absl::OkStatus();
       }},
      {"self-scrape-interval",
       "How often the server stores its own metrics (/metrics) in its store; off: never", "15s",
       [](std::string_view v, ServeConfig* c) {
         if (v == "off" || v == "0") {
           c->self_scrape_interval_ms = 0;
           return absl::OkStatus();
         }
         return ApplyDuration(v, 1000, "1s", &c->self_scrape_interval_ms);
       }},
      {"events-retention", "How long deploy-log events are kept (at least 1d)", "400d",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, kDayMs, "1d", &c->events_retention_ms);
       }},
      {"event-types",
       "Event types accepted besides deploy, flag, config, incident, note (comma-separated)", "",
       [](std::string_view v, ServeConfig* c) {
         c->extra_event_types.clear();
         for (absl::string_view part : absl::StrSplit(ToAbsl(v), ',', absl::SkipWhitespace())) {
           std::string type(absl::StripAsciiWhitespace(part));
           if (type.empty() || type.size() > 32 ||
               !std::all_of(type.begin(), type.end(), [](char ch) {
                 return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                        ch == '-';
               })) {
             return absl::InvalidArgumentError(
                 StrCat("expected types of 1 to 32 of [a-z0-9_-], got \"", type, "\""));
           }
           c->extra_event_types.push_back(std::move(type));
         }
         return absl::OkStatus();
       }},
      {"rule-files",
       "Glob of Prometheus rule files (repeatable); reloaded on SIGHUP and POST /-/reload", "",
       [](std::string_view v, ServeConfig* c) {
         if (!v.empty()) c->rule_files.emplace_back(v);  // "": none
         return absl::OkStatus();
       },
       [](ServeConfig* c) { c->rule_files.clear(); }},
      {"alertmanager-url",
       "Alertmanager to send alerts to, e.g. http://127.0.0.1:9093 (repeatable)", "",
       [](std::string_view v, ServeConfig* c) {
         if (v.empty()) return absl::OkStatus();  // none
         PL_RETURN_IF_ERROR(query::ValidateAlertmanagerUrl(v));
         c->alertmanager_urls.emplace_back(v);
         return absl::OkStatus();
       },
       [](ServeConfig* c) { c->alertmanager_urls.clear(); }},
      {"remote-write-url",
       "Prometheus remote-write receiver to send every sample to, e.g. "
       "http://127.0.0.1:8428/api/v1/write (repeatable)",
       "",
       [](std::string_view v, ServeConfig* c) {
         if (v.empty()) return absl::OkStatus();  // none
         PL_RETURN_IF_ERROR(remote::ValidateRemoteWriteUrl(v));
         c->remote_write_urls.emplace_back(v);
         return absl::OkStatus();
       },
       [](ServeConfig* c) { c->remote_write_urls.clear(); }},
      {"remote-write-shards", "Sending threads per remote-write URL (a series keeps its shard)",
       "2",
       [](std::string_view v, ServeConfig* c) {
         return ApplyInteger(v, 1, 64, &c->remote_write_shards);
       }},
      {"remote-write-queue-max-bytes",
       "Bound of the remote-write queue on disk; when full the oldest requests are dropped",
       "1073741824",
       [](std::string_view v, ServeConfig* c) {
         return ApplyInteger(v, 1 << 20, 1LL << 40, &c->remote_write_queue_max_bytes);
       }},
      {"evaluation-interval", "How often rule groups without an interval are evaluated", "1m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 1000, "1s", &c->evaluation_interval_ms);
       }},
      {"external-url",
       "The URL users reach this server at, for alert links (default http://<http-listen>)", "",
       [](std::string_view v, ServeConfig* c) {
         if (!v.empty() && !absl::StartsWith(ToAbsl(v), "http://") &&
             !absl::StartsWith(ToAbsl(v), "https://")) {
           return absl::InvalidArgumentError("expected an http:// or https:// URL");
         }
         c->external_url = std::string(v);
         return absl::OkStatus();
       }},
      {"external-label",
       "A label name=value every alert carries ($externalLabels in templates; repeatable)", "",
       [](std::string_view v, ServeConfig* c) {
         if (v.empty()) return absl::OkStatus();  // none
         const size_t eq = v.find('=');
         if (eq == std::string_view::npos) return absl::InvalidArgumentError("expected name=value");
         const std::string_view name = v.substr(0, eq);
         PL_RETURN_IF_ERROR(storage::ValidateLabelName(name));
         PL_RETURN_IF_ERROR(storage::ValidateLabelValue(v.substr(eq + 1)));
         c->external_labels[std::string(name)] = std::string(v.substr(eq + 1));
         return absl::OkStatus();
       },
       [](ServeConfig* c) { c->external_labels.clear(); }},
      {"alert-resend-delay", "How often a firing alert is re-sent to Alertmanager", "1m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 1000, "1s", &c->alert_resend_delay_ms);
       }},
      {"alert-for-grace-period",
       "After a restart, an alert's restored `for` waits at least this long", "10m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->alert_for_grace_period_ms);
       }},
      {"alert-for-outage-tolerance",
       "A restart within this long restores the `for` state of pending alerts", "1h",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->alert_for_outage_tolerance_ms);
       }},
      {"alert-changes-window",
       "Alerts name the deploy-log events of their service from this long before they began", "30m",
       [](std::string_view v, ServeConfig* c) {
         return ApplyDuration(v, 0, "0s", &c->alert_changes_window_ms);
       }},
      {"alert-service-label", "The alert label that names its service (for recent changes)",
       "service",
       [](std::string_view v, ServeConfig* c) {
         PL_RETURN_IF_ERROR(storage::ValidateLabelName(v));
         c->alert_service_label = std::string(v);
         return absl::OkStatus();
       }},
      {"query-backend",
       "A Prometheus-compatible query API (e.g. http://127.0.0.1:8428) that answers the UI's and "
       "the rules' queries instead of the local store",
       "",
       [](std::string_view v, ServeConfig* c) {
         if (!v.empty()) PL_RETURN_IF_ERROR(query::ValidateQueryBackendUrl(v));
         c->query_backend = std::string(v);
         return absl::OkStatus();
       }},
  };
}

}  // namespace

const std::vector<Setting>& ServeSettings() {
  static const std::vector<Setting>* settings = new std::vector<Setting>(MakeSettings());
  return *settings;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& s : ServeSettings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string SettingNames() {
  std::string names;
  for (const Setting& s : ServeSettings()) StrAppend(&names, names.empty() ? "" : ", ", s.name);
  return names;
}

absl::Status ApplySetting(const Setting& setting, std::string_view value, std::string_view source,
                          ServeConfig* config) {
  absl::Status status = setting.apply(value, config);
  if (status.ok()) return status;
  return absl::InvalidArgumentError(
      StrCat(source, ": invalid value \"", value, "\": ", status.message()));
}

absl::Status LoadConfigText(std::string_view text, std::string_view source_name,
                            ServeConfig* config) {
  // yaml-cpp 0.7 loops forever on some text that is not YAML: refused before it parses.
  PL_RETURN_IF_ERROR(CheckYamlText(text, StrCat("config file ", source_name)));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat("config file ", source_name, " line ", e.mark.line + 1, ": ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();  // an empty file configures nothing
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        StrCat("config file ", source_name, ": expected a mapping of settings at the top level"));
  }
  for (const auto& entry : root) {
    const int line = entry.first.Mark().line + 1;
    const std::string key = entry.first.Scalar();
    if (key == "notifiers") {  // the one structured key
      absl::StatusOr<std::vector<query::NotifierConfig>> notifiers =
          query::ParseNotifiers(entry.second, StrCat("config file ", source_name));
      if (!notifiers.ok()) return notifiers.status();
      config->notifiers = *std::move(notifiers);
      continue;
    }
    const Setting* setting = FindSetting(key);
    if (setting == nullptr) {
      return absl::InvalidArgumentError(StrCat("config file ", source_name, " line ", line,
                                               ": unknown key \"", key,
                                               "\" (known keys: ", SettingNames(), ", notifiers)"));
    }
    const std::string where = StrCat("config file ", source_name, " line ", line, ": ", key);
    if (setting->clear && entry.second.IsSequence()) {
      setting->clear(config);
      for (const YAML::Node& item : entry.second) {
        const std::string item_where =
            StrCat("config file ", source_name, " line ", item.Mark().line + 1, ": ", key);
        if (!item.IsScalar()) {
          return absl::InvalidArgumentError(StrCat(item_where, ": expected a single value"));
        }
        PL_RETURN_IF_ERROR(ApplySetting(*setting, item.Scalar(), item_where, config));
      }
      continue;
    }
    if (setting->clear && setting->name == "external-label" && entry.second.IsMap()) {
      setting->clear(config);
      for (const auto& item : entry.second) {
        const std::string item_where =
            StrCat("config file ", source_name, " line ", item.first.Mark().line + 1, ": ", key);
        if (!item.second.IsScalar()) {
          return absl::InvalidArgumentError(StrCat(item_where, ": expected a single value"));
        }
        PL_RETURN_IF_ERROR(ApplySetting(
            *setting, StrCat(item.first.Scalar(), "=", item.second.Scalar()), item_where, config));
      }
      continue;
    }
    if (!entry.second.IsScalar()) {
      return absl::InvalidArgumentError(StrCat(where, ": expected a single value"));
    }
    if (setting->clear) setting->clear(config);
    PL_RETURN_IF_ERROR(ApplySetting(*setting, entry.second.Scalar(), where, config));
  }
  return absl::OkStatus();
}

absl::Status LoadConfigFile(const std::string& path, ServeConfig* config) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("cannot read config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadConfigText(buffer.str(), path, config);
}

}  // namespace plumbline::app
