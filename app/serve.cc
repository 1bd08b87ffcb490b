#include "app/serve.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "app/query_backend_client.h"
#include "app/self_metrics.h"
#include "app/signals.h"
#include "app/webhook.h"
#include "collector/collector.h"
#include "common/build_info.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/malloc_policy.h"
#include "common/strings.h"
#include "prometheus/registry.h"
#include "query/alert_notify.h"
#include "query/api.h"
#include "query/event_json.h"
#include "query/event_log.h"
#include "query/notifier.h"
#include "query/promql.h"
#include "query/query_backend.h"
#include "query/rule_file.h"
#include "query/rule_manager.h"
#include "remote/forwarding_engine.h"
#include "remote/null_engine.h"
#include "remote/sender.h"
#include "storage/engine.h"
#include "web/auth.h"
#include "web/dashboards.h"
#include "web/events_api.h"
#include "web/http_server.h"
#include "web/import_api.h"
#include "web/query_api.h"
#include "web/remote_write_api.h"
#include "web/router.h"
#include "web/rules_routes.h"
#include "web/ui_routes.h"

namespace plumbline::app {
namespace {

constexpr int64_t kShutdownDeadlineMs = 5000;

void AddHealthRoutes(web::Router* router, const std::atomic<bool>* ready,
                     const MetricsExposition* exposition) {
  router->Add({"/-/healthy",
               {"GET"},
               "/-/healthy",
               0,
               [](const web::HttpRequest&, web::HttpResponse& response) {
                 response.body = "Plumbline is Healthy.\n";
               },
               nullptr});
  // Readers: HTTP threads; writer: RunServe once storage is open; acquire/release pairs them.
  router->Add({"/-/ready",
               {"GET"},
               "/-/ready",
               0,
               [ready](const web::HttpRequest&, web::HttpResponse& response) {
                 if (ready->load(std::memory_order_acquire)) {
                   response.body = "Plumbline is Ready.\n";
                 } else {
                   response.status = 503;
                   response.body = "Service Unavailable\n";
                 }
               },
               nullptr});
  router->Add({"/metrics",
               {"GET"},
               "/metrics",
               0,
               [exposition](const web::HttpRequest&, web::HttpResponse& response) {
                 response.content_type = MetricsExposition::kContentType;
                 response.body = exposition->Render();
               },
               nullptr});
}

}  // namespace

int RunServe(const ServeConfig& config) {
  SetLogLevel(config.log_level);
  if (config.storage == "none" && config.remote_write_urls.empty()) {
    PL_LOG(Error) << "storage: none keeps nothing locally: it needs at least one remote-write-url";
    return 1;
  }
  PL_LOG(Info) << "starting plumbline, data dir " << config.data_dir;
  // Before the threads start (common/malloc_policy.h: queries' short-lived megabytes stay in
  // the arenas instead of costing page faults each time).
  const MallocPolicy malloc_policy =
      ChooseMallocPolicy(static_cast<int>(std::thread::hardware_concurrency()), ::getenv);
  if (ApplyMallocPolicy(malloc_policy)) {
    PL_LOG(Info) << "malloc: " << malloc_policy.ToString();
  } else {
    PL_LOG(Debug) << "malloc: not glibc's, its defaults are kept";
  }
  PL_LOG(Debug) << "configuration: data-dir=" << config.data_dir
                << " http-listen=" << config.http_listen.ToString() << " statsd-listen="
                << (config.statsd_listen ? config.statsd_listen->ToString() : "off")
                << " graphite-listen="
                << (config.graphite_listen ? config.graphite_listen->ToString() : "off")
                << " flush-interval=" << FormatDurationMs(config.flush_interval_ms)
                << " retention=" << FormatDurationMs(config.retention_ms);

  auto registry = std::make_shared<prometheus::Registry>();
  MetricsExposition exposition;
  exposition.Add(std::make_shared<ProcessCollector>());
  exposition.Add(registry);

  // Write tokens, when configured: loaded before the server answers anything.
  std::unique_ptr<web::AuthConfig> auth;
  if (!config.auth_file.empty()) {
    absl::StatusOr<web::AuthConfig> loaded = web::AuthConfig::LoadFile(config.auth_file);
    if (!loaded.ok()) {
      PL_LOG(Error) << loaded.status().message();
      return 1;
    }
    auth = std::make_unique<web::AuthConfig>(*std::move(loaded));
    PL_LOG(Info) << "writes need a token: " << auth->size() << " tokens in " << config.auth_file;
  } else {
    PL_LOG(Info) << "no --auth-file: writes are accepted from loopback clients only";
  }

  // Rule files are checked before anything starts: a broken one refuses the start.
  if (!config.rule_files.empty()) {
    if (absl::StatusOr<std::vector<query::RuleGroup>> groups =
            query::LoadRuleFiles(config.rule_files);
        !groups.ok()) {
      PL_LOG(Error) << "cannot load the rule files:\n" << groups.status().message();
      return 1;
    }
  }

  std::atomic<bool> ready{false};
  // Set once storage is open; handlers that need it answer 503 until then.
  std::atomic<storage::Engine*> engine_slot{nullptr};
  std::atomic<const query::PrometheusApi*> query_api_slot{nullptr};
  web::Router router;
  AddHealthRoutes(&router, &ready, &exposition);
  std::atomic<const web::EventsContext*> events_slot{nullptr};
  router.Add(web::ImportRoute(&engine_slot, auth.get()));
  router.Add(web::RemoteWriteRoute(&engine_slot, auth.get(), registry.get()));
  // --query-backend: the Prometheus API and the rules ask it instead of the local store.
  std::unique_ptr<query::QueryBackend> query_backend;
  if (!config.query_backend.empty()) {
    query_backend = std::make_unique<query::QueryBackend>(config.query_backend, HttpBackendPost());
    PL_LOG(Info) << "queries go to the query backend " << query_backend->display_url();
  }
  for (web::Route& route : web::QueryApiRoutes(&query_api_slot, query_backend.get())) {
    router.Add(std::move(route));
  }
  for (web::Route& route : web::EventsRoutes(&events_slot)) router.Add(std::move(route));
  std::atomic<const web::RulesContext*> rules_slot{nullptr};
  for (web::Route& route : web::RulesRoutes(&rules_slot)) router.Add(std::move(route));
  web::DashboardStore dashboards(config.dashboards_dir, web::ShippedDashboards());
  for (web::Route& route : web::DashboardRoutes(&dashboards)) router.Add(std::move(route));
  for (web::Route& route : web::UiRoutes()) router.Add(std::move(route));

  web::HttpServerOptions http_options;
  http_options.listen = config.http_listen.ToString();
  // Queries run on these threads: 20 evaluating and 40 waiting at most (the PromQL engine's
  // gate), which leaves threads for health checks, /metrics and the UI. Idle threads cost
  // nothing but their stacks.
  http_options.threads = 64;
  absl::StatusOr<std::unique_ptr<web::HttpServer>> http =
      web::HttpServer::Start(http_options, &router, registry.get());
  if (!http.ok()) {
    PL_LOG(Error) << http.status().message();
    return 1;
  }
  PL_LOG(Info) << "HTTP API, UI and /metrics on http://" << config.http_listen.host << ":"
               << (*http)->port();

  storage::EngineOptions engine_options;
  engine_options.data_dir = config.data_dir;
  engine_options.retention_ms = config.retention_ms;
  engine_options.event_retention_ms = config.events_retention_ms;
  engine_options.registry = registry.get();
  // Remote write replays the head-log records it has not queued yet (ForwardingEngine).
  engine_options.hold_head_log = !config.remote_write_urls.empty();
  // `storage: none` (agent mode): nothing is stored but the remote-write queue.
  absl::StatusOr<std::unique_ptr<storage::Engine>> engine =
      config.storage == "none" ? remote::NewNullEngine() : storage::Engine::Open(engine_options);
  if (!engine.ok()) {
    PL_LOG(Error) << "cannot open storage: " << engine.status().message();
    (*http)->Shutdown(kShutdownDeadlineMs);
    return 1;
  }
  exposition.Add((*engine)->RocksDbCollector());
  // Remote write: everything appended (StatsD flushes, rules, the event log's series, what the
  // remote-write receiver takes) is also queued in <data-dir>/remote-write and sent.
  if (!config.remote_write_urls.empty()) {
    remote::SenderOptions sender_options;
    sender_options.urls = config.remote_write_urls;
    sender_options.shards = static_cast<int>(config.remote_write_shards);
    sender_options.queue_dir = config.data_dir + "/remote-write";
    sender_options.queue_max_bytes = static_cast<uint64_t>(config.remote_write_queue_max_bytes);
    sender_options.registry = registry.get();
    absl::StatusOr<std::unique_ptr<remote::Sender>> sender = remote::Sender::Start(sender_options);
    if (!sender.ok()) {
      PL_LOG(Error) << "cannot start remote write: " << sender.status().message();
      (*http)->Shutdown(kShutdownDeadlineMs);
      return 1;
    }
    auto forwarding = std::make_unique<remote::ForwardingEngine>(
        std::move(*engine), *std::move(sender), config.storage == "none");
    if (absl::Status s = forwarding->Recover(); !s.ok()) {
      PL_LOG(Error) << "cannot start remote write: " << s.message();
      (*http)->Shutdown(kShutdownDeadlineMs);
      return 1;
    }
    *engine = std::move(forwarding);
    PL_LOG(Info) << "remote write to " << config.remote_write_urls.size() << " URLs, "
                 << config.remote_write_shards << " shards each"
                 << (config.storage == "none" ? " (agent mode: storage none)" : "");
  }

  // The deploy log: every event (API, Graphite, CLI, DogStatsD) is recorded by one EventLog,
  // which keeps its two series and hands it to the chat notifiers (in the background).
  auto notifiers =
      std::make_unique<query::Notifiers>(config.notifiers, HttpDeliver(), registry.get());
  query::EventLogOptions event_options;
  event_options.hold_interval_ms = config.flush_interval_ms;
  event_options.retention_ms = config.events_retention_ms;
  auto event_log = std::make_unique<query::EventLog>(
      engine->get(), SystemClock::Get(), event_options,
      [notifiers = notifiers.get()](const storage::Event& e) {
        notifiers->Notify(
            {e.type, e.service, e.env, query::EventMessage(e), query::EventToJson(e)});
      });
  if (absl::Status s = event_log->Start(); !s.ok()) {
    PL_LOG(Error) << "cannot read the event series: " << s.message();
    (*http)->Shutdown(kShutdownDeadlineMs);
    return 1;
  }
  web::EventsContext events_context;
  events_context.log = event_log.get();
  events_context.store = (*engine)->events();
  events_context.auth = auth.get();
  events_context.clock = SystemClock::Get();
  events_context.types = query::DefaultEventTypes();
  events_context.types.insert(events_context.types.end(), config.extra_event_types.begin(),
                              config.extra_event_types.end());

  collector::CollectorOptions collector_options;
  collector_options.statsd_listen = config.statsd_listen;
  collector_options.graphite_listen = config.graphite_listen;
  collector_options.receiver_threads = config.statsd_receivers;
  collector_options.receive_buffer_bytes = static_cast<int>(config.statsd_receive_buffer);
  collector_options.mapping_file = config.mapping_file;
  collector_options.shard.max_series = static_cast<size_t>(config.max_series);
  collector_options.flusher.interval_ms = config.flush_interval_ms;
  collector_options.flusher.counter_expiry_ms = config.counter_expiry_ms;
  collector_options.flusher.gauge_expiry_ms = config.gauge_expiry_ms;
  collector_options.flusher.observer_expiry_ms = config.timer_expiry_ms;
  collector_options.flusher.set_expiry_ms = config.set_expiry_ms;
  collector_options.flusher.record_event = [log = event_log.get()](storage::Event e) {
    return log->Record(std::move(e));
  };
  // Keys idle for twice the longest expiry leave the receivers' maps.
  const int64_t longest_expiry = std::max({config.counter_expiry_ms, config.gauge_expiry_ms,
                                           config.timer_expiry_ms, config.set_expiry_ms});
  collector_options.shard.idle_epochs =
      static_cast<uint64_t>(2 * longest_expiry / config.flush_interval_ms + 2);
  absl::StatusOr<std::unique_ptr<collector::Collector>> statsd =
      collector::Collector::Start(collector_options, engine->get(), registry.get());
  if (!statsd.ok()) {
    PL_LOG(Error) << statsd.status().message();
    (*http)->Shutdown(kShutdownDeadlineMs);
    return 1;
  }
  // One PromQL engine over the store for every query; both live until RunServe returns,
  // after the HTTP server has stopped.
  const query::PromqlEngine promql(engine->get());
  query::ApiOptions api_options;
  api_options.build_info.version = kVersion;
  api_options.build_info.revision = kRevision;
  api_options.build_info.go_version = kCompiler;
  const query::PrometheusApi query_api(engine->get(), &promql, api_options);
  query_api_slot.store(&query_api, std::memory_order_release);
  engine_slot.store(engine->get(), std::memory_order_release);
  events_slot.store(&events_context, std::memory_order_release);
  auto self_scraper =
      std::make_unique<SelfScraper>(&exposition, engine->get(), config.self_scrape_interval_ms);

  // Alerts go to the Alertmanagers and to the deploy log's chat notifiers, each naming the
  // recent changes of its service from the deploy log.
  const std::string external_url =
      !config.external_url.empty()
          ? config.external_url
          : StrCat("http://", config.http_listen.host, ":", (*http)->port());
  query::AlertNotifierOptions alert_options;
  alert_options.alertmanager_urls = config.alertmanager_urls;
  alert_options.external_labels = config.external_labels;
  alert_options.external_url = external_url;
  alert_options.service_label = config.alert_service_label;
  alert_options.chat_configs = config.notifiers;
  auto alert_notifier = std::make_unique<query::AlertNotifier>(alert_options, notifiers.get(),
                                                               HttpDeliver(), registry.get());
  query::RecentChangesOptions changes_options;
  changes_options.service_label = config.alert_service_label;
  changes_options.window_ms = config.alert_changes_window_ms;
  const query::ExtraAnnotationsFn recent_changes =
      query::RecentChangesAnnotation((*engine)->events(), changes_options);
  std::unique_ptr<query::RuleManager> rules;
  if (!config.rule_files.empty()) {
    query::RuleEvalEnv env;
    env.storage = engine->get();
    env.promql = &promql;
    if (query_backend) {
      env.remote_instant = [b = query_backend.get()](std::string_view expr, int64_t t_ms) {
        return b->Instant(expr, t_ms);
      };
    }
    env.external_labels = config.external_labels;
    env.external_url = external_url;
    env.resend_delay_ms = config.alert_resend_delay_ms;
    env.outage_tolerance_ms = config.alert_for_outage_tolerance_ms;
    env.for_grace_period_ms = config.alert_for_grace_period_ms;
    env.send = [n = alert_notifier.get()](const query::Rule& rule, std::vector<query::Alert> a) {
      n->Send(rule, std::move(a));
    };
    env.announce = [n = alert_notifier.get()](const query::Rule& rule,
                                              const query::AlertingRule::Transition& t) {
      n->Announce(rule, t);
    };
    env.extra_annotations = recent_changes;
    query::RuleManagerOptions rule_options;
    rule_options.rule_files = config.rule_files;
    rule_options.default_interval_ms = config.evaluation_interval_ms;
    rule_options.registry = registry.get();
    rules = std::make_unique<query::RuleManager>(std::move(env), rule_options);
    if (absl::Status s = rules->Start(); !s.ok()) {
      PL_LOG(Error) << "cannot load the rule files:\n" << s.message();
      (*http)->Shutdown(kShutdownDeadlineMs);
      return 1;
    }
  }
  web::RulesContext rules_context;
  rules_context.rules = rules.get();
  rules_context.notifier = alert_notifier.get();
  rules_context.auth = auth.get();
  rules_context.clock = SystemClock::Get();
  rules_context.service_label = config.alert_service_label;
  rules_context.extra_annotations = recent_changes;
  rules_slot.store(&rules_context, std::memory_order_release);
  ready.store(true, std::memory_order_release);
  PL_LOG(Info) << "server is ready";

  int sig = 0;
  while ((sig = WaitForSignal()) == SIGHUP) {
    if (!rules) {
      PL_LOG(Info) << "received SIGHUP: no --rule-files to reload";
    } else if (absl::Status s = rules->Reload(); !s.ok()) {
      PL_LOG(Error) << "reload refused, the previous rules keep running:\n" << s.message();
    }
  }
  PL_LOG(Info) << "received " << ::strsignal(sig)
               << ", shutting down (send it again to exit at once)";
  ExitOnSecondSignal();
  ready.store(false, std::memory_order_release);
  (*http)->Shutdown(kShutdownDeadlineMs);
  rules_slot.store(nullptr, std::memory_order_release);
  rules.reset();  // stops the groups: no evaluation after this
  alert_notifier.reset();
  (*statsd)->Stop();  // final flush
  statsd->reset();
  self_scraper.reset();
  events_slot.store(nullptr, std::memory_order_release);
  event_log.reset();  // after the final flush, which may record DogStatsD events
  notifiers.reset();  // stops its workers (what is still queued is dropped, counted)
  engine_slot.store(nullptr, std::memory_order_release);
  query_api_slot.store(nullptr, std::memory_order_release);
  engine->reset();  // closes RocksDB; open chunks are rebuilt from the head log on next start
  PL_LOG(Info) << "stopped cleanly";
  return 0;
}

}  // namespace plumbline::app
