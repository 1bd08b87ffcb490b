// The collector's per-line cost: parse + aggregate into a shard (what a receiver thread does for
// every line), at 100 k and 200 k distinct keys, for counters, timers and tagged lines.
// Inputs are built outside the timed loop with a fixed seed.
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "collector/shard.h"

namespace plumbline::collector {
namespace {

enum class Kind { kCounter, kTimer, kTagged };

std::vector<std::string> MakeLines(Kind kind, int keys, size_t count) {
  std::mt19937_64 rng(42);
  std::vector<std::string> lines;
  lines.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t k = rng() % keys;
    const std::string key = "blast.k" + std::to_string(k);
    switch (kind) {
      case Kind::kCounter:
        lines.push_back(key + ":1|c");
        break;
      case Kind::kTimer:
        lines.push_back(key + ":" + std::to_string(rng() % 500) + "|ms|@0.5");
        break;
      case Kind::kTagged:
        lines.push_back(key + ":" + std::to_string(rng() % 500) +
                        "|h|#env:prod,service:api,region:eu-west-1,host:h" +
                        std::to_string(k % 50));  // tags follow the key: `keys` distinct keys
        break;
    }
  }
  return lines;
}

void Run(benchmark::State& state, Kind kind) {
  const int keys = static_cast<int>(state.range(0));
  const std::vector<std::string> lines = MakeLines(kind, keys, 1 << 20);
  Shard shard({});
  for (const std::string& l : lines) shard.HandleLine(l);  // every key seen once: steady state
  size_t i = 0;
  uint64_t epoch = 0;
  for (auto _ : state) {
    shard.HandleLine(lines[i]);
    if (++i == lines.size()) {
      // As every flush would: hand the window over and reset it (not timed separately).
      i = 0;
      epoch = shard.RequestEpoch();
      shard.MaybeSwitchEpoch();
      shard.FinishWindow(epoch);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(shard.size());
}

void BM_Counter(benchmark::State& state) { Run(state, Kind::kCounter); }
void BM_TimerWithRate(benchmark::State& state) { Run(state, Kind::kTimer); }
void BM_TaggedHistogram(benchmark::State& state) { Run(state, Kind::kTagged); }
BENCHMARK(BM_Counter)->Arg(1000)->Arg(100'000)->Arg(200'000);
BENCHMARK(BM_TimerWithRate)->Arg(100'000)->Arg(200'000);
BENCHMARK(BM_TaggedHistogram)->Arg(100'000)->Arg(200'000);

}  // namespace
}  // namespace plumbline::collector

BENCHMARK_MAIN();
