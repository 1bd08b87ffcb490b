// StatsD line parser throughput (collector/statsd_parser.h): time per line (time_per_line, in
// seconds with an SI prefix) and lines/s (items_per_second) on one core.
//
// Each case parses a fixed set of 4096 distinct lines built outside the timed loop with a fixed
// seed (names vary, so branch predictors can't memorise one line):
//   Counter      blast.k1234:1|c                        the hot path's target: >= 20 M lines/s
//   TimerRate    api.checkout.latency:12.25|ms|@0.1
//   Tagged       web.request.duration:0.2341|h|#env:prod,service:api,host:web-12,status:200
//   Packed       rpc.size:1:2.5:300:4:...|d              (8 packed values)
//   Datagram     ForEachLine over 1432-byte datagrams of mixed lines, as a receiver does
// "+Read" variants also walk the values (ValueReader) and tags (TagReader), as the shard does.
//
//   statsd_parser_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "collector/statsd_parser.h"

namespace plumbline::collector {
namespace {

constexpr int kLines = 4096;

std::vector<std::string> MakeLines(int kind) {
  std::mt19937_64 rng(42 + kind);
  std::uniform_int_distribution<int> key(0, 99999), small(0, 999);
  std::vector<std::string> lines;
  lines.reserve(kLines);
  for (int i = 0; i < kLines; ++i) {
    std::string line;
    switch (kind) {
      case 0:  // counter
        line =
            "blast.k" + std::to_string(key(rng)) + ":" + std::to_string(1 + small(rng) % 9) + "|c";
        break;
      case 1:  // timer with a sample rate
        line = "api.svc" + std::to_string(small(rng) % 50) +
               ".latency:" + std::to_string(small(rng)) + "." + std::to_string(small(rng) % 100) +
               "|ms|@0.1";
        break;
      case 2:  // DogStatsD with tags
        line = "web.request.duration:0." + std::to_string(key(rng)) +
               "|h|#env:prod,service:api,host:web-" + std::to_string(small(rng) % 64) +
               ",status:" + std::to_string(200 + small(rng) % 4 * 100);
        break;
      default:  // packed distribution values
        line = "rpc.size" + std::to_string(small(rng) % 20) + ":";
        for (int v = 0; v < 8; ++v) {
          if (v > 0) line += ":";
          line += std::to_string(small(rng));
          if (v % 2 == 1) line += ".5";
        }
        line += "|d|#region:eu";
        break;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// Walks the values and tags as the shard does; returns something to keep the work alive.
double Read(const StatsdLine& m) {
  double sum = 0, v;
  bool delta;
  ValueReader values(m.values, m.type);
  while (values.Next(&v, &delta)) sum += v;
  TagReader tags(m.tags);
  std::string_view name, value;
  while (tags.Next(&name, &value)) sum += static_cast<double>(value.size());
  return sum;
}

void Report(benchmark::State& state, int64_t lines_per_iteration, int64_t bytes) {
  state.SetItemsProcessed(state.iterations() * lines_per_iteration);
  state.SetBytesProcessed(state.iterations() * bytes);
  // Printed with an SI prefix: "23.1n" is 23.1 ns per line.
  state.counters["time_per_line"] = benchmark::Counter(
      static_cast<double>(lines_per_iteration),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_ParseLine(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  const bool read = state.range(1) != 0;
  const std::vector<std::string> lines = MakeLines(kind);
  int64_t bytes = 0;
  for (const std::string& l : lines) bytes += static_cast<int64_t>(l.size());
  int64_t bad = 0;
  double sum = 0;
  for (auto _ : state) {
    for (const std::string& l : lines) {
      StatsdLine m;
      if (ParseLine(l, &m) != ParseError::kOk) {
        ++bad;
        continue;
      }
      if (read) sum += Read(m);
      benchmark::DoNotOptimize(m);
    }
  }
  benchmark::DoNotOptimize(sum);
  if (bad != 0) state.SkipWithError("a benchmark line was refused");
  Report(state, kLines, bytes);
}
BENCHMARK(BM_ParseLine)
    ->ArgNames({"kind", "read"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({2, 0})
    ->Args({2, 1})
    ->Args({3, 0})
    ->Args({3, 1});

// Whole datagrams of up to 1432 bytes (a typical client's MTU-sized batch), all kinds mixed.
void BM_Datagram(benchmark::State& state) {
  std::vector<std::vector<std::string>> kinds;
  for (int kind = 0; kind < 4; ++kind) kinds.push_back(MakeLines(kind));
  std::mt19937_64 rng(7);
  std::vector<std::string> datagrams(1);
  int64_t lines = 0;
  for (int i = 0; i < kLines; ++i) {
    const std::string& l = kinds[rng() % 4][static_cast<size_t>(i)];
    if (datagrams.back().size() + l.size() + 1 > 1432) datagrams.emplace_back();
    datagrams.back() += l;
    datagrams.back() += '\n';
    ++lines;
  }
  int64_t bytes = 0;
  for (const std::string& d : datagrams) bytes += static_cast<int64_t>(d.size());
  double sum = 0;
  for (auto _ : state) {
    for (const std::string& d : datagrams) {
      ForEachLine(d, [&](std::string_view line) {
        StatsdLine m;
        if (ParseLine(line, &m) == ParseError::kOk) sum += Read(m);
      });
    }
  }
  benchmark::DoNotOptimize(sum);
  Report(state, lines, bytes);
}
BENCHMARK(BM_Datagram);

}  // namespace
}  // namespace plumbline::collector

BENCHMARK_MAIN();
