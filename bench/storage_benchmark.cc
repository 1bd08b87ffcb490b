// Storage engine hot paths on a real RocksDB in a temp dir: Append (the collector's flush),
// bulk import, series lookup through postings, and reading samples back.
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "storage/engine.h"

namespace plumbline::storage {
namespace {

class TempStore {
 public:
  TempStore() {
    std::string tmpl = "/tmp/plumbline_bench_XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    EngineOptions options;
    options.data_dir = dir_ + "/data";
    options.background_maintenance = false;
    options.retention_ms = 3650 * kDayMs;
    engine_ = std::move(*Engine::Open(options));
  }
  ~TempStore() {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  Engine& engine() { return *engine_; }

 private:
  std::string dir_;
  std::unique_ptr<Engine> engine_;
};

std::vector<Labels> MakeSeries(int n) {
  std::vector<Labels> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(*Labels::FromPairs({{"__name__", "statsd_requests_total"},
                                      {"host", "h" + std::to_string(i % 500)},
                                      {"service", "svc" + std::to_string(i / 500)}}));
  }
  return out;
}

const int64_t kStart = (1'764'115'200'000 / kDayMs) * kDayMs;

// One collector flush: every series gets one sample, appended by ref (the steady state).
void BM_AppendFlush(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  TempStore store;
  std::vector<Labels> series = MakeSeries(n);
  AppendBatch first;
  for (int i = 0; i < n; ++i) first.Add(series[i], kStart, 0);
  std::vector<SeriesRef> refs = store.engine().Append(first)->refs;
  int64_t t = kStart;
  std::mt19937_64 rng(1);
  AppendBatch batch;
  for (auto _ : state) {
    t += 10'000;
    batch.Clear();
    for (int i = 0; i < n; ++i) batch.Add(refs[i], t, static_cast<double>(rng() % 1000));
    benchmark::DoNotOptimize(store.engine().Append(batch));
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_AppendFlush)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);

// Bulk import: 1000 series x 8640 samples (the standard data set's shape).
void BM_BulkImport(benchmark::State& state) {
  std::vector<Labels> series = MakeSeries(1000);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    state.PauseTiming();
    TempStore store;
    auto writer = store.engine().NewBulkWriter();
    state.ResumeTiming();
    for (int s = 0; s < 1000; ++s) {
      const uint32_t h = writer->Intern(series[s]);
      double v = 0;
      for (int i = 0; i < 8640; ++i) {
        v += static_cast<double>(rng() % 200);
        writer->Add(h, kStart + i * 10'000LL, v);
      }
      if (writer->buffered() >= (1 << 20)) benchmark::DoNotOptimize(writer->Flush());
    }
    benchmark::DoNotOptimize(writer->Flush());
  }
  state.SetItemsProcessed(state.iterations() * 1000 * 8640);
}
BENCHMARK(BM_BulkImport)->Unit(benchmark::kMillisecond)->Iterations(3);

// Select one series among 100k by two equality matchers (postings intersection + labels).
void BM_SelectOneSeries(benchmark::State& state) {
  TempStore store;
  std::vector<Labels> series = MakeSeries(100000);
  AppendBatch batch;
  for (const Labels& l : series) batch.Add(l, kStart, 1);
  (void)store.engine().Append(batch);
  std::vector<LabelMatcher> matchers = {
      *LabelMatcher::Create(LabelMatcher::Type::kEqual, "host", "h7"),
      *LabelMatcher::Create(LabelMatcher::Type::kEqual, "service", "svc42")};
  for (auto _ : state) {
    auto set = store.engine().Select(matchers, kStart, kStart + 1000);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_SelectOneSeries)->Unit(benchmark::kMicrosecond);

// Read 1000 series x 8640 samples back through the iterators (sealed chunks).
void BM_ReadAllSamples(benchmark::State& state) {
  TempStore store;
  std::vector<Labels> series = MakeSeries(1000);
  auto writer = store.engine().NewBulkWriter();
  std::mt19937_64 rng(3);
  for (int s = 0; s < 1000; ++s) {
    const uint32_t h = writer->Intern(series[s]);
    double v = 0;
    for (int i = 0; i < 8640; ++i) writer->Add(h, kStart + i * 10'000LL, v += rng() % 200);
  }
  (void)writer->Flush();
  std::vector<LabelMatcher> matchers = {
      *LabelMatcher::Create(LabelMatcher::Type::kEqual, "__name__", "statsd_requests_total")};
  std::vector<int64_t> ts(1024);
  std::vector<double> vs(1024);
  for (auto _ : state) {
    auto set = *store.engine().Select(matchers, kStart, kStart + kDayMs);
    double sum = 0;
    for (size_t i = 0; i < set->series().size(); ++i) {
      auto it = set->Samples(i);
      while (size_t n = it->NextBatch(ts.data(), vs.data(), ts.size())) sum += vs[n - 1];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1000 * 8640);
}
BENCHMARK(BM_ReadAllSamples)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace plumbline::storage

BENCHMARK_MAIN();
