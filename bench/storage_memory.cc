// The storage engine's memory per series as its open chunks fill: N series appended by ref
// once per interval (as the StatsD flusher does), Poisson counter steps, on a real RocksDB in
// a temp dir. Prints, at checkpoints, the heap in use (glibc mallinfo2, all arenas, after
// malloc_trim) and the process RSS: what the series index, the open chunks and RocksDB's
// memtables hold together. The clock is the samples' own (a fake), so maintenance seals and
// merges exactly as it would at those times.
//
//   build/bench/storage_memory [--series 200000] [--samples 1440] [--interval-s 10]
//                              [--head-cut-bytes 128]
#include <malloc.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/clock.h"
#include "storage/engine.h"

namespace plumbline::storage {
namespace {

class BenchClock final : public Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t now_ms = 0;
};

double HeapMb() {
  malloc_trim(0);
  return mallinfo2().uordblks / 1e6;
}

double RssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1e3;
  }
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app("Storage memory as N series' open chunks fill.");
  int series = 200'000;
  int samples = 1440;
  int interval_s = 10;
  size_t head_cut_bytes = kHeadCutBytes;
  app.add_option("--series", series, "series")->check(CLI::Range(1, 10'000'000));
  app.add_option("--samples", samples, "samples per series")->check(CLI::Range(2, 100'000));
  app.add_option("--interval-s", interval_s, "seconds between samples")->check(CLI::Range(1, 3600));
  app.add_option("--head-cut-bytes", head_cut_bytes,
                 "seal open chunks in parts at this size (0: only at the window's end)");
  CLI11_PARSE(app, argc, argv);

  std::string tmpl = std::filesystem::temp_directory_path().string() + "/plumbline_mem_XXXXXX";
  const std::string dir = mkdtemp(tmpl.data());
  BenchClock clock;
  const int64_t interval_ms = int64_t{interval_s} * 1000;
  // A window boundary, so that the run covers whole windows.
  clock.now_ms = 1'764'115'200'000;
  EngineOptions options;
  options.data_dir = dir + "/data";
  options.clock = &clock;
  options.background_maintenance = false;
  options.head_cut_bytes = head_cut_bytes;
  const double base_heap = HeapMb();
  std::unique_ptr<Engine> engine = std::move(*Engine::Open(options));

  std::mt19937_64 rng(1);
  std::poisson_distribution<int> step(25);
  std::vector<double> totals(series, 0);
  std::vector<SeriesRef> refs(series, 0);
  std::printf("%d series, a sample every %d s; heap in use and RSS after each checkpoint\n", series,
              interval_s);
  std::printf(
      "| samples per series | heap MB | bytes/series | open chunks MB | RSS MB |\n"
      "|---:|---:|---:|---:|---:|\n");
  int next_report = 1;
  for (int i = 0; i < samples; ++i) {
    const int64_t t = clock.now_ms;
    // In appends of 8,192 samples, as the flusher sends them.
    for (int begin = 0; begin < series; begin += 8192) {
      AppendBatch batch;
      const int end = std::min(series, begin + 8192);
      for (int s = begin; s < end; ++s) {
        totals[s] += step(rng);
        if (refs[s] != 0) {
          batch.Add(refs[s], t, totals[s]);
        } else {
          batch.Add(*Labels::FromPairs({{"__name__", "blast_k" + std::to_string(s)}}), t,
                    totals[s]);
        }
      }
      absl::StatusOr<AppendResult> result = engine->Append(batch);
      if (!result.ok()) {
        std::fprintf(stderr, "append failed: %s\n", std::string(result.status().message()).c_str());
        return 1;
      }
      for (size_t k = 0; k < result->refs.size(); ++k) {
        if (result->refs[k] != 0) refs[begin + k] = result->refs[k];
      }
    }
    // Maintenance every minute of sample time, as the server runs it.
    if ((i + 1) % std::max(1, 60 / interval_s) == 0) {
      if (absl::Status s = engine->Maintain(); !s.ok()) {
        std::fprintf(stderr, "maintenance failed: %s\n", std::string(s.message()).c_str());
        return 1;
      }
    }
    if (i + 1 == next_report || i + 1 == samples) {
      const double heap = HeapMb() - base_heap;
      std::printf("| %d | %.1f | %.0f | %.1f | %.1f |\n", i + 1, heap, heap * 1e6 / series,
                  engine->Stats().head_bytes / 1e6, RssMb());
      std::fflush(stdout);
      next_report = next_report < 64 ? next_report * 2 : next_report + 120;
    }
    clock.now_ms += interval_ms;
  }
  engine.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace plumbline::storage

int main(int argc, char** argv) { return plumbline::storage::Main(argc, argv); }
