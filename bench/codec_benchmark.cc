// Chunk codec throughput and size: encode / decode ns per sample (items/s) and bytes/sample
// per series family, on 2-hour chunks (720 samples at 10 s) built with a fixed seed.
//
// Families follow bench/gen_dataset.py (counter, errors, queue, latency) plus what real
// data adds: float gauges (XOR), decimals, constants, jittered timestamps, stale markers.
// For the whole standard data set, see codec_dataset_tool.
//
//   codec_benchmark --benchmark_filter=Decode --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "storage/codec/chunk.h"

namespace plumbline::storage::codec {
namespace {

constexpr int kChunks = 200;   // chunks per family, cycled through
constexpr int kSamples = 720;  // 2 h at 10 s
constexpr int64_t kStartMs = 1'699'920'000'000;

struct Chunk {
  std::vector<int64_t> ts;
  std::vector<double> vs;
};

enum class Family {
  kCounter,
  kErrors,
  kQueue,
  kLatency,
  kFloatGauge,
  kDecimal,
  kConstant,
  kJitteredCounter,
  kStaleCounter,
};

const char* Name(Family f) {
  switch (f) {
    case Family::kCounter:
      return "counter";
    case Family::kErrors:
      return "errors";
    case Family::kQueue:
      return "queue";
    case Family::kLatency:
      return "latency";
    case Family::kFloatGauge:
      return "float_gauge";
    case Family::kDecimal:
      return "decimal";
    case Family::kConstant:
      return "constant";
    case Family::kJitteredCounter:
      return "jittered_counter";
    case Family::kStaleCounter:
      return "stale_counter";
  }
  return "?";
}

Chunk MakeChunk(Family f, std::mt19937_64& rng) {
  Chunk c;
  std::uniform_real_distribution<double> u01(0, 1);
  c.ts.resize(kSamples);
  c.vs.resize(kSamples);
  for (int i = 0; i < kSamples; ++i) c.ts[static_cast<size_t>(i)] = kStartMs + int64_t{10'000} * i;
  switch (f) {
    case Family::kCounter:
    case Family::kJitteredCounter:
    case Family::kStaleCounter: {
      // Poisson increments, rate log-uniform in [0.5, 200]/s with a diurnal curve.
      const double base = std::exp(std::log(0.5) + u01(rng) * std::log(400.0)) * 10;
      const double phase = u01(rng) * 2 * M_PI;
      double v = std::floor(u01(rng) * 1e6);
      for (int i = 0; i < kSamples; ++i) {
        const double rate = base * (1 + 0.6 * std::sin(2 * M_PI * i / 8640.0 + phase));
        v += static_cast<double>(std::poisson_distribution<int64_t>(rate)(rng));
        c.vs[static_cast<size_t>(i)] = v;
      }
      if (f == Family::kJitteredCounter) {
        for (int i = 0; i < kSamples; ++i) {
          c.ts[static_cast<size_t>(i)] += static_cast<int64_t>(rng() % 51) - 25;
        }
      }
      if (f == Family::kStaleCounter) {
        for (int k = 0; k < 3; ++k) {
          c.vs[rng() % kSamples] = std::bit_cast<double>(kStaleNaNBits);
        }
      }
      break;
    }
    case Family::kErrors: {
      const double rates[] = {0.0, 0.005, 0.02, 0.05, 0.2};
      std::poisson_distribution<int> p(rates[rng() % 5] + 1e-9);
      for (double& v : c.vs) v = p(rng);
      break;
    }
    case Family::kQueue: {
      const double move = 0.2 + 0.4 * u01(rng);
      const int steps[] = {-3, -2, -1, -1, 1, 1, 2, 3};
      double v = std::floor(u01(rng) * 50);
      for (double& x : c.vs) {
        if (u01(rng) < move) v = std::max(0.0, v + steps[rng() % 8]);
        x = v;
      }
      break;
    }
    case Family::kLatency: {
      std::lognormal_distribution<double> ln(std::log(5 + 295 * u01(rng)), 0.05 + 0.35 * u01(rng));
      for (double& v : c.vs) v = std::round(ln(rng));
      break;
    }
    case Family::kFloatGauge: {
      double v = 20 + 60 * u01(rng);
      for (double& x : c.vs) {
        v += (u01(rng) - 0.5) * 0.2;
        x = v;
      }
      break;
    }
    case Family::kDecimal: {
      int64_t cents = static_cast<int64_t>(u01(rng) * 100000);
      for (double& v : c.vs) {
        cents += static_cast<int64_t>(rng() % 21) - 10;
        v = static_cast<double>(cents) / 100;
      }
      break;
    }
    case Family::kConstant: {
      const double v = std::floor(u01(rng) * 100);
      std::fill(c.vs.begin(), c.vs.end(), v);
      break;
    }
  }
  return c;
}

const std::vector<Chunk>& Chunks(Family f) {
  static std::vector<Chunk> cache[9];
  std::vector<Chunk>& chunks = cache[static_cast<int>(f)];
  if (chunks.empty()) {
    std::mt19937_64 rng(42 + static_cast<int>(f));
    for (int i = 0; i < kChunks; ++i) chunks.push_back(MakeChunk(f, rng));
  }
  return chunks;
}

const std::vector<std::string>& Encoded(Family f) {
  static std::vector<std::string> cache[9];
  std::vector<std::string>& out = cache[static_cast<int>(f)];
  if (out.empty()) {
    for (const Chunk& c : Chunks(f)) {
      out.emplace_back();
      EncodeChunk(c.ts, c.vs, &out.back());
    }
  }
  return out;
}

void SetCounters(benchmark::State& state, size_t bytes, size_t chunks) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSamples);
  state.counters["bytes_per_sample"] =
      static_cast<double>(bytes) / static_cast<double>(chunks * kSamples);
}

void BM_Encode(benchmark::State& state, Family f) {
  const std::vector<Chunk>& chunks = Chunks(f);
  std::string out;
  size_t i = 0, bytes = 0, n = 0;
  for (auto _ : state) {
    const Chunk& c = chunks[i++ % chunks.size()];
    EncodeChunk(c.ts, c.vs, &out);
    bytes += out.size();
    ++n;
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, bytes, n);
}

void BM_Decode(benchmark::State& state, Family f) {
  const std::vector<std::string>& chunks = Encoded(f);
  ChunkIterator it;  // reused across chunks, as a series iterator does
  std::vector<int64_t> ts(kSamples);
  std::vector<double> vs(kSamples);
  size_t i = 0, bytes = 0, n = 0;
  for (auto _ : state) {
    const std::string& c = chunks[i++ % chunks.size()];
    if (!it.Init(c).ok() || it.NextBatch(ts.data(), vs.data(), kSamples) != kSamples) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(vs.data());
    bytes += c.size();
    ++n;
  }
  SetCounters(state, bytes, n);
}

void BM_DecodeNext(benchmark::State& state, Family f) {
  const std::vector<std::string>& chunks = Encoded(f);
  ChunkIterator it;
  size_t i = 0, bytes = 0, n = 0;
  for (auto _ : state) {
    const std::string& c = chunks[i++ % chunks.size()];
    if (!it.Init(c).ok()) state.SkipWithError("decode failed");
    double sum = 0;
    while (it.Next()) sum += it.v();
    benchmark::DoNotOptimize(sum);
    bytes += c.size();
    ++n;
  }
  SetCounters(state, bytes, n);
}

// The open chunk: Append sample by sample, then snapshot with EncodeTo.
void BM_AppendEncodeTo(benchmark::State& state, Family f) {
  const std::vector<Chunk>& chunks = Chunks(f);
  std::string out;
  size_t i = 0, bytes = 0, n = 0;
  for (auto _ : state) {
    const Chunk& c = chunks[i++ % chunks.size()];
    ChunkAppender app;
    for (int k = 0; k < kSamples; ++k) {
      app.Append(c.ts[static_cast<size_t>(k)], c.vs[static_cast<size_t>(k)]);
    }
    app.EncodeTo(&out);
    bytes += out.size();
    ++n;
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, bytes, n);
}

// Sealing an open chunk: decode the head, choose and write the smallest encoding.
void BM_SealTo(benchmark::State& state, Family f) {
  const std::vector<Chunk>& chunks = Chunks(f);
  std::vector<ChunkAppender> heads(chunks.size());
  for (size_t k = 0; k < chunks.size(); ++k) {
    for (int j = 0; j < kSamples; ++j) {
      heads[k].Append(chunks[k].ts[static_cast<size_t>(j)], chunks[k].vs[static_cast<size_t>(j)]);
    }
  }
  std::string out;
  size_t i = 0, bytes = 0, n = 0;
  for (auto _ : state) {
    heads[i++ % heads.size()].SealTo(&out);
    bytes += out.size();
    ++n;
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, bytes, n);
}

void RegisterAll() {
  const Family families[] = {Family::kCounter,  Family::kErrors,          Family::kQueue,
                             Family::kLatency,  Family::kFloatGauge,      Family::kDecimal,
                             Family::kConstant, Family::kJitteredCounter, Family::kStaleCounter};
  for (Family f : families) {
    const std::string name = Name(f);
    benchmark::RegisterBenchmark(("BM_Encode/" + name).c_str(), BM_Encode, f);
    benchmark::RegisterBenchmark(("BM_Decode/" + name).c_str(), BM_Decode, f);
    benchmark::RegisterBenchmark(("BM_DecodeNext/" + name).c_str(), BM_DecodeNext, f);
    benchmark::RegisterBenchmark(("BM_AppendEncodeTo/" + name).c_str(), BM_AppendEncodeTo, f);
    benchmark::RegisterBenchmark(("BM_SealTo/" + name).c_str(), BM_SealTo, f);
  }
}

}  // namespace
}  // namespace plumbline::storage::codec

int main(int argc, char** argv) {
  plumbline::storage::codec::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
