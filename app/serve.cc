#include "app/serve.h"

#include <signal.h>
#include <string.h>

#include <atomic>
#include <memory>

#include "app/self_metrics.h"
#include "app/signals.h"
#include "common/duration.h"
#include "common/log.h"
#include "prometheus/registry.h"
#include "storage/engine.h"
#include "web/http_server.h"
#include "web/import_api.h"
#include "web/router.h"

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
  PL_LOG(Info) << "starting plumbline, data dir " << config.data_dir;
  PL_LOG(Debug) << "configuration: data-dir=" << config.data_dir
                << " http-listen=" << config.http_listen.ToString()
                << " statsd-listen=" << config.statsd_listen.ToString()
                << " graphite-listen=" << config.graphite_listen.ToString()
                << " flush-interval=" << FormatDurationMs(config.flush_interval_ms)
                << " retention=" << FormatDurationMs(config.retention_ms);

  auto registry = std::make_shared<prometheus::Registry>();
  MetricsExposition exposition;
  exposition.Add(std::make_shared<ProcessCollector>());
  exposition.Add(registry);

  std::atomic<bool> ready{false};
  // Set once storage is open; handlers that need it answer 503 until then.
  std::atomic<storage::Engine*> engine_slot{nullptr};
  web::Router router;
  AddHealthRoutes(&router, &ready, &exposition);
  router.Add(web::ImportRoute(&engine_slot));

  web::HttpServerOptions http_options;
  http_options.listen = config.http_listen.ToString();
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
  engine_options.registry = registry.get();
  absl::StatusOr<std::unique_ptr<storage::Engine>> engine = storage::Engine::Open(engine_options);
  if (!engine.ok()) {
    PL_LOG(Error) << "cannot open storage: " << engine.status().message();
    (*http)->Shutdown(kShutdownDeadlineMs);
    return 1;
  }
  exposition.Add((*engine)->RocksDbCollector());
  engine_slot.store(engine->get(), std::memory_order_release);
  ready.store(true, std::memory_order_release);
  PL_LOG(Info) << "server is ready";

  const int sig = WaitForShutdownSignal();
  PL_LOG(Info) << "received " << ::strsignal(sig)
               << ", shutting down (send it again to exit at once)";
  ExitOnSecondSignal();
  ready.store(false, std::memory_order_release);
  (*http)->Shutdown(kShutdownDeadlineMs);
  engine_slot.store(nullptr, std::memory_order_release);
  engine->reset();  // closes RocksDB; open chunks are rebuilt from the head log on next start
  PL_LOG(Info) << "stopped cleanly";
  return 0;
}

}  // namespace plumbline::app
