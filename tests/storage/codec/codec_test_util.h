// Helpers for the chunk codec tests: sample generators and round-trip checks.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"

namespace plumbline::storage::codec::testing {

struct Samples {
  std::vector<int64_t> ts;
  std::vector<double> vs;
  size_t size() const { return ts.size(); }
};

inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

inline bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// Equal timestamps and bit-identical values.
inline ::testing::AssertionResult SameSamples(const Samples& want, const Samples& got) {
  if (want.size() != got.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << ", want " << want.size();
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want.ts[i] != got.ts[i] || !SameBits(want.vs[i], got.vs[i])) {
      return ::testing::AssertionFailure()
             << "sample " << i << ": got (" << got.ts[i] << ", " << got.vs[i] << " bits 0x"
             << std::hex << std::bit_cast<uint64_t>(got.vs[i]) << std::dec << "), want ("
             << want.ts[i] << ", " << want.vs[i] << " bits 0x" << std::hex
             << std::bit_cast<uint64_t>(want.vs[i]) << std::dec << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Decodes a whole chunk with NextBatch (in batches of `batch`) and checks the iterator ends
// cleanly and agrees with the header.
inline ::testing::AssertionResult DecodeChunk(std::string_view chunk, Samples* out,
                                              size_t batch = kMaxSamples) {
  *out = Samples();
  ChunkIterator it;
  absl::Status s = it.Init(chunk);
  if (!s.ok()) return ::testing::AssertionFailure() << "Init: " << s;
  std::vector<int64_t> ts(batch);
  std::vector<double> vs(batch);
  while (true) {
    const size_t got = it.NextBatch(ts.data(), vs.data(), batch);
    if (got == 0) break;
    out->ts.insert(out->ts.end(), ts.begin(), ts.begin() + static_cast<ptrdiff_t>(got));
    out->vs.insert(out->vs.end(), vs.begin(), vs.begin() + static_cast<ptrdiff_t>(got));
  }
  if (!it.status().ok()) return ::testing::AssertionFailure() << "status: " << it.status();
  if (out->size() != it.info().num_samples) {
    return ::testing::AssertionFailure()
           << "decoded " << out->size() << " of " << it.info().num_samples;
  }
  if (!out->ts.empty() &&
      (out->ts.front() != it.info().min_t || out->ts.back() != it.info().max_t)) {
    return ::testing::AssertionFailure() << "timestamps disagree with the header";
  }
  return ::testing::AssertionSuccess();
}

// Decodes with Next() only.
inline ::testing::AssertionResult DecodeChunkWithNext(std::string_view chunk, Samples* out) {
  *out = Samples();
  ChunkIterator it;
  absl::Status s = it.Init(chunk);
  if (!s.ok()) return ::testing::AssertionFailure() << "Init: " << s;
  while (it.Next()) {
    out->ts.push_back(it.t());
    out->vs.push_back(it.v());
  }
  if (!it.status().ok()) return ::testing::AssertionFailure() << "status: " << it.status();
  return ::testing::AssertionSuccess();
}

// Every way of making a chunk of `s` must give `s` back: EncodeChunk, the appender's EncodeTo
// and SealTo; decoded with NextBatch (whole and in odd batches) and with Next.
inline ::testing::AssertionResult RoundTrips(const Samples& s) {
  std::string encoded, open, sealed;
  EncodeChunk(s.ts, s.vs, &encoded);
  ChunkAppender app;
  for (size_t i = 0; i < s.size(); ++i) app.Append(s.ts[i], s.vs[i]);
  app.EncodeTo(&open);
  app.SealTo(&sealed);
  struct Variant {
    const char* name;
    const std::string* bytes;
  };
  for (const Variant& v :
       {Variant{"EncodeChunk", &encoded}, Variant{"EncodeTo", &open}, Variant{"SealTo", &sealed}}) {
    Samples got;
    auto r = DecodeChunk(*v.bytes, &got);
    if (r) r = SameSamples(s, got);
    if (r) r = DecodeChunk(*v.bytes, &got, 7);
    if (r) r = SameSamples(s, got);
    if (r) r = DecodeChunkWithNext(*v.bytes, &got);
    if (r) r = SameSamples(s, got);
    if (!r) return r << " (" << v.name << ")";
    absl::StatusOr<ChunkInfo> info = ReadChunkInfo(*v.bytes);
    if (!info.ok() || info->num_samples != s.size() ||
        (s.size() > 0 && (info->min_t != s.ts.front() || info->max_t != s.ts.back()))) {
      return ::testing::AssertionFailure() << "ReadChunkInfo (" << v.name << ")";
    }
  }
  if (sealed != encoded) {
    return ::testing::AssertionFailure() << "SealTo differs from EncodeChunk (" << sealed.size()
                                         << " vs " << encoded.size() << " bytes)";
  }
  return ::testing::AssertionSuccess();
}

// ---- Generators (all deterministic given the engine) ----------------------------------------

inline std::vector<int64_t> RegularTimes(size_t n, int64_t start, int64_t step) {
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = start + static_cast<int64_t>(i) * step;
  return ts;
}

// A scrape-like series: step +- jitter, with occasional gaps.
inline std::vector<int64_t> JitteredTimes(std::mt19937_64& rng, size_t n, int64_t start,
                                          int64_t step, int64_t jitter) {
  std::vector<int64_t> ts(n);
  std::uniform_int_distribution<int64_t> j(-jitter, jitter);
  std::uniform_int_distribution<int> gap(0, 99);
  int64_t grid = start;
  int64_t last = INT64_MIN;
  for (size_t i = 0; i < n; ++i) {
    grid += step * (gap(rng) == 0 ? 1 + gap(rng) % 20 : 1);
    int64_t t = grid + j(rng);
    if (t <= last) t = last + 1;
    ts[i] = last = t;
  }
  return ts;
}

// Strictly increasing with arbitrary steps, anywhere in [lo, ...).
inline std::vector<int64_t> RandomTimes(std::mt19937_64& rng, size_t n, int64_t lo,
                                        int64_t max_step) {
  std::vector<int64_t> ts(n);
  std::uniform_int_distribution<int64_t> step(1, max_step);
  int64_t t = lo;
  for (size_t i = 0; i < n; ++i) {
    ts[i] = t;
    t += step(rng);
  }
  return ts;
}

enum class ValueKind {
  kConstant,
  kCounter,     // Poisson-like increments, rare resets
  kSparse,      // mostly zero
  kRandomWalk,  // integer gauge, often unchanged
  kNoise,       // iid around a level
  kFloatGauge,  // smooth float
  kDecimal,     // multiples of 0.01
  kRandomBits,  // any 64-bit pattern
  kSpecials,    // integers with NaN, stale markers, infinities, -0.0 mixed in
  kHuge,        // integers around and beyond 2^53
};
inline constexpr ValueKind kAllValueKinds[] = {
    ValueKind::kConstant, ValueKind::kCounter,    ValueKind::kSparse,  ValueKind::kRandomWalk,
    ValueKind::kNoise,    ValueKind::kFloatGauge, ValueKind::kDecimal, ValueKind::kRandomBits,
    ValueKind::kSpecials, ValueKind::kHuge};

inline const char* Name(ValueKind k) {
  switch (k) {
    case ValueKind::kConstant:
      return "constant";
    case ValueKind::kCounter:
      return "counter";
    case ValueKind::kSparse:
      return "sparse";
    case ValueKind::kRandomWalk:
      return "random walk";
    case ValueKind::kNoise:
      return "noise";
    case ValueKind::kFloatGauge:
      return "float gauge";
    case ValueKind::kDecimal:
      return "decimal";
    case ValueKind::kRandomBits:
      return "random bits";
    case ValueKind::kSpecials:
      return "specials";
    case ValueKind::kHuge:
      return "huge";
  }
  return "?";
}

inline std::vector<double> Values(std::mt19937_64& rng, ValueKind kind, size_t n) {
  std::vector<double> vs(n);
  std::uniform_real_distribution<double> u01(0, 1);
  switch (kind) {
    case ValueKind::kConstant: {
      const double c = std::floor(u01(rng) * 1000);
      for (double& v : vs) v = c;
      break;
    }
    case ValueKind::kCounter: {
      std::poisson_distribution<int64_t> inc(std::exp(u01(rng) * 7));
      double c = std::floor(u01(rng) * 1e6);
      for (double& v : vs) {
        c += static_cast<double>(inc(rng));
        if (u01(rng) < 0.002) c = 0;
        v = c;
      }
      break;
    }
    case ValueKind::kSparse: {
      std::poisson_distribution<int> p(0.05);
      for (double& v : vs) v = p(rng);
      break;
    }
    case ValueKind::kRandomWalk: {
      double w = std::floor(u01(rng) * 50);
      for (double& v : vs) {
        if (u01(rng) < 0.4) w = std::max(0.0, w + std::floor(u01(rng) * 7) - 3);
        v = w;
      }
      break;
    }
    case ValueKind::kNoise: {
      std::lognormal_distribution<double> ln(std::log(5 + u01(rng) * 300), 0.05 + 0.35 * u01(rng));
      for (double& v : vs) v = std::round(ln(rng));
      break;
    }
    case ValueKind::kFloatGauge: {
      double g = u01(rng) * 100;
      for (double& v : vs) {
        g += (u01(rng) - 0.5) * 0.37;
        v = g;
      }
      break;
    }
    case ValueKind::kDecimal: {
      int64_t cents = static_cast<int64_t>(u01(rng) * 10000);
      for (double& v : vs) {
        cents += static_cast<int64_t>(u01(rng) * 9) - 4;
        v = static_cast<double>(cents) / 100;
      }
      break;
    }
    case ValueKind::kRandomBits:
      for (double& v : vs) v = std::bit_cast<double>(rng());
      break;
    case ValueKind::kSpecials: {
      const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                                 StaleNaN(),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 -0.0,
                                 0.5,
                                 std::numeric_limits<double>::denorm_min(),
                                 std::numeric_limits<double>::max(),
                                 -std::numeric_limits<double>::max(),
                                 std::bit_cast<double>(uint64_t{0xfff8000000000123})};
      double c = 100;
      for (double& v : vs) {
        c += std::floor(u01(rng) * 10);
        v = u01(rng) < 0.05 ? specials[rng() % std::size(specials)] : c;
      }
      break;
    }
    case ValueKind::kHuge: {
      const double near = 9007199254740992.0;  // 2^53
      for (double& v : vs) {
        const int64_t d = static_cast<int64_t>(rng() % 2001) - 1000;
        v = (rng() & 1 ? 1 : -1) * (u01(rng) < 0.5 ? near + static_cast<double>(d) * 2
                                                   : near * 64 + static_cast<double>(d) * 128);
      }
      break;
    }
  }
  return vs;
}

}  // namespace plumbline::storage::codec::testing
