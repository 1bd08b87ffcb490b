// PromQL range queries end to end on a real RocksDB in a temp dir: the six standard queries
// of bench/query_compare.py over a data set shaped like bench/gen_dataset.py's (4 families x
// 250 series x 8,640 integer samples, 24 h at 10 s, sealed chunks), step 60 s. Reports the
// samples each query reads per second of wall time (the engine decodes and slides series on
// every core; see query/promql.h). glibc's malloc is set up as the server's.
//
//   query_benchmark [--data_dir=DIR --start_ms=T --end_ms=T] [benchmark flags]
//
// With --data_dir, the queries run on an existing store instead (stopped: e.g. the one
// `bench/query_compare.py --workdir W` leaves in W/plumbline), over [start_ms, end_ms].
#include <stdio.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "benchmark/benchmark.h"
#include "common/malloc_policy.h"
#include "query/promql.h"
#include "storage/engine.h"

namespace plumbline::query {
namespace {

constexpr int kHosts = 50;
constexpr int kServices = 5;
constexpr int kSamples = 8640;
constexpr int64_t kInterval = 10'000;
const int64_t kStart = (1'764'115'200'000 / storage::kDayMs) * storage::kDayMs;

// --data_dir, --start_ms, --end_ms.
std::string g_data_dir;
int64_t g_start_ms = kStart;
int64_t g_end_ms = kStart + (kSamples - 1) * kInterval;

// The store, built once for all benchmarks (fixed seed), or opened from --data_dir.
class Dataset {
 public:
  Dataset() {
    storage::EngineOptions options;
    if (g_data_dir.empty()) {
      std::string tmpl = "/tmp/plumbline_query_bench_XXXXXX";
      dir_ = mkdtemp(tmpl.data());
      options.data_dir = dir_ + "/data";
    } else {
      options.data_dir = g_data_dir;
    }
    options.background_maintenance = false;
    options.retention_ms = 3650 * storage::kDayMs;
    auto engine = storage::Engine::Open(options);
    if (!engine.ok()) {
      fprintf(stderr, "%s\n", std::string(engine.status().message()).c_str());
      exit(1);
    }
    engine_ = std::move(*engine);
    if (g_data_dir.empty()) Load();
    promql_ = std::make_unique<PromqlEngine>(engine_.get());
  }
  ~Dataset() {
    promql_.reset();
    engine_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  const PromqlEngine& promql() const { return *promql_; }

 private:
  void Load() {
    auto writer = engine_->NewBulkWriter();
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> unit(0, 1);
    for (const char* family :
         {"statsd_requests_total", "statsd_errors", "statsd_queue_depth", "statsd_latency_ms"}) {
      for (int h = 1; h <= kHosts; ++h) {
        for (int s = 0; s < kServices; ++s) {
          char host[8];
          snprintf(host, sizeof host, "h%03d", h);
          const uint32_t ref = writer->Intern(*storage::Labels::FromPairs(
              {{"__name__", family}, {"host", host}, {"service", "svc" + std::to_string(s)}}));
          const std::string_view name = family;
          double v = static_cast<double>(rng() % 1000);
          const double rate = 0.5 + unit(rng) * 200;
          for (int i = 0; i < kSamples; ++i) {
            if (name == "statsd_requests_total") {
              v += std::round(rate * 10 * (1 + 0.6 * std::sin(i * 2 * M_PI / kSamples)) *
                              (0.8 + 0.4 * unit(rng)));
            } else if (name == "statsd_errors") {
              v = unit(rng) < 0.05 ? static_cast<double>(1 + rng() % 3) : 0;
            } else if (name == "statsd_queue_depth") {
              if (unit(rng) < 0.4) v = std::max(0.0, v + static_cast<double>(rng() % 7) - 3);
            } else {
              v = std::round(50 * std::exp(0.3 * (unit(rng) - 0.5)));
            }
            writer->Add(ref, kStart + i * kInterval, v);
          }
        }
      }
    }
    (void)writer->Flush();
  }

  std::string dir_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<PromqlEngine> promql_;
};

const Dataset& TheDataset() {
  static const Dataset* dataset = new Dataset();
  return *dataset;
}

struct StandardQuery {
  const char* query;
  int64_t samples;  // samples the query reads
};
constexpr int64_t kFamily = int64_t{kHosts} * kServices * kSamples;
const StandardQuery kQueries[] = {
    {"sum(rate(statsd_requests_total[5m])) + sum(rate(statsd_errors[5m])) + "
     "sum(rate(statsd_queue_depth[5m])) + sum(rate(statsd_latency_ms[5m]))",
     4 * kFamily},
    {"sum by (service) (rate(statsd_requests_total[5m]))", kFamily},
    {"sum(rate(statsd_requests_total{host=~\"h0[0-2].*\"}[5m]))", kFamily * 29 / kHosts},
    {"sum by (service) (avg_over_time(statsd_queue_depth[10m]))", kFamily},
    {"max by (host) (statsd_latency_ms)", kFamily},
    {"statsd_requests_total{host=\"h007\",service=\"svc1\"}", kSamples},
};
// Q6 on the standard data set, whose services have names.
constexpr const char* kQ6OnDataSet = "statsd_requests_total{host=\"h007\",service=\"api\"}";

// Q1..Q6 by argument 1..6.
void BM_StandardQuery(benchmark::State& state) {
  const StandardQuery& q = kQueries[state.range(0) - 1];
  const PromqlEngine& promql = TheDataset().promql();
  const char* query = state.range(0) == 6 && !g_data_dir.empty() ? kQ6OnDataSet : q.query;
  for (auto _ : state) {
    auto r = promql.Range(query, g_start_ms, g_end_ms, 60'000);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(r->value);
  }
  state.SetLabel("Q" + std::to_string(state.range(0)));
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(q.samples) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StandardQuery)->DenseRange(1, 6)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace plumbline::query

int main(int argc, char** argv) {
  // As `plumbline serve` does (common/malloc_policy.h).
  plumbline::ApplyMallocPolicy(plumbline::ChooseMallocPolicy(
      static_cast<int>(std::thread::hardware_concurrency()), ::getenv));
  // Our flags first; Google Benchmark refuses flags it does not know.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--data_dir=")) {
      plumbline::query::g_data_dir = std::string(arg.substr(11));
    } else if (arg.starts_with("--start_ms=") || arg.starts_with("--end_ms=")) {
      const size_t eq = arg.find('=');
      int64_t* ms = arg.starts_with("--start_ms=") ? &plumbline::query::g_start_ms
                                                   : &plumbline::query::g_end_ms;
      if (!absl::SimpleAtoi(absl::string_view(arg.data() + eq + 1, arg.size() - eq - 1), ms)) {
        fprintf(stderr, "%s: expected milliseconds since the epoch (an integer)\n", argv[i]);
        return 1;
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
