// PromTextParser throughput: MB/s and lines/s on one core.
//
// Inputs are built in memory with a fixed seed, shaped like bench/gen_dataset.py (4 families x
// hosts x services, series-major, integer values), and fed in 64 KiB pieces like a file read.
// With PLUMBLINE_PROM_TEXT_DATASET=/tmp/d.prom[:/tmp/d.om] the whole standard data set files
// are loaded into memory first and parsed too (BM_DataSet/<path>).
//
//   prom_text_benchmark --benchmark_filter=. --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "storage/import/prom_text_parser.h"

namespace plumbline::storage::import {
namespace {

constexpr size_t kPieceBytes = 64 << 10;
constexpr int64_t kStartMs = 1764043200000;

// What a caller does: resolve the series when its text changes, use value and timestamp.
class ImportLikeSink : public ParserSink {
 public:
  explicit ImportLikeSink(bool resolve_series) : resolve_series_(resolve_series) {}
  void OnSample(const SampleLine& s) override {
    if (s.series != last_series_) {
      last_series_.assign(s.series);
      ++series_changes;
      if (resolve_series_) labels_ok += ParseSeries(s.series).ok();
    }
    value_sum += s.value;
    timestamp_sum += s.timestamp_ms;
  }
  void OnMetadata(const MetadataLine&) override { ++metadata; }
  void OnError(uint64_t, std::string_view) override { ++errors; }

  double value_sum = 0;
  int64_t timestamp_sum = 0;
  int64_t series_changes = 0, labels_ok = 0, metadata = 0, errors = 0;

 private:
  const bool resolve_series_;
  std::string last_series_;
};

// `samples_per_series` consecutive lines per series (1: every line another series, as in a
// scrape). OpenMetrics: seconds with 3 decimals and "# EOF"; else milliseconds.
std::string MakeInput(int hosts, int samples_per_series, bool open_metrics) {
  static const char* const kFamilies[] = {"statsd_requests_total", "statsd_errors",
                                          "statsd_queue_depth", "statsd_latency_ms"};
  static const char* const kServices[] = {"api", "web", "worker", "db", "cache"};
  std::mt19937_64 rng(42);
  std::string out;
  char line[256];
  for (const char* family : kFamilies) {
    out.append("# TYPE ").append(family).append(" gauge\n");
    for (int h = 1; h <= hosts; ++h) {
      for (const char* service : kServices) {
        int64_t value = static_cast<int64_t>(rng() % 1000000);
        for (int i = 0; i < samples_per_series; ++i) {
          value += static_cast<int64_t>(rng() % 100);
          const int64_t ts = kStartMs + int64_t{10000} * i;
          const int n =
              open_metrics
                  ? std::snprintf(
                        line, sizeof line, "%s{host=\"h%03d\",service=\"%s\"} %lld %lld.%03lld\n",
                        family, h, service, static_cast<long long>(value),
                        static_cast<long long>(ts / 1000), static_cast<long long>(ts % 1000))
                  : std::snprintf(
                        line, sizeof line, "%s{host=\"h%03d\",service=\"%s\"} %lld %lld\n", family,
                        h, service, static_cast<long long>(value), static_cast<long long>(ts));
          out.append(line, static_cast<size_t>(n));
        }
      }
    }
  }
  if (open_metrics) out.append("# EOF\n");
  return out;
}

void Run(benchmark::State& state, const std::string& input, bool resolve_series) {
  uint64_t lines = 0;
  for (auto _ : state) {
    ImportLikeSink sink(resolve_series);
    PromTextParser parser(&sink);
    for (size_t i = 0; i < input.size(); i += kPieceBytes) {
      parser.Feed(std::string_view(input).substr(i, kPieceBytes));
    }
    parser.Finish();
    lines += parser.lines();
    if (sink.errors != 0) state.SkipWithError("parse errors");
    benchmark::DoNotOptimize(sink.value_sum);
    benchmark::DoNotOptimize(sink.timestamp_sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["lines_per_s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
  state.counters["bytes_per_line"] =
      static_cast<double>(input.size() * state.iterations()) / static_cast<double>(lines);
}

// 50 hosts x 5 services x 4 families = 1000 series x 200 samples: 200k lines, ~13 MB.
void BM_PromText(benchmark::State& state) {
  static const std::string input = MakeInput(50, 200, /*open_metrics=*/false);
  Run(state, input, /*resolve_series=*/true);
}
BENCHMARK(BM_PromText)->Unit(benchmark::kMillisecond);

void BM_OpenMetrics(benchmark::State& state) {
  static const std::string input = MakeInput(50, 200, /*open_metrics=*/true);
  Run(state, input, /*resolve_series=*/true);
}
BENCHMARK(BM_OpenMetrics)->Unit(benchmark::kMillisecond);

// Worst case for the series fast path: every line is another series (and the caller
// resolves each one with ParseSeries, allocating).
void BM_PromTextEveryLineNewSeries(benchmark::State& state) {
  static const std::string input = MakeInput(10000, 1, /*open_metrics=*/false);
  Run(state, input, /*resolve_series=*/state.range(0) != 0);
}
BENCHMARK(BM_PromTextEveryLineNewSeries)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_DataSet(benchmark::State& state, const std::string* input) {
  Run(state, *input, /*resolve_series=*/true);
}

// Loads the files named by PLUMBLINE_PROM_TEXT_DATASET (':'-separated) and registers them.
void RegisterDataSets() {
  const char* env = std::getenv("PLUMBLINE_PROM_TEXT_DATASET");
  if (env == nullptr || *env == '\0') return;
  static std::deque<std::string> data_sets;  // stable addresses, alive until exit
  std::stringstream paths(env);
  std::string path;
  while (std::getline(paths, path, ':')) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      continue;
    }
    std::string& data = data_sets.emplace_back(std::istreambuf_iterator<char>(in),
                                               std::istreambuf_iterator<char>());
    benchmark::RegisterBenchmark(("BM_DataSet/" + path).c_str(), BM_DataSet, &data)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(3);
  }
}

}  // namespace
}  // namespace plumbline::storage::import

int main(int argc, char** argv) {
  plumbline::storage::import::RegisterDataSets();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
