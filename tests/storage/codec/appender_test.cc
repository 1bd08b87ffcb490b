// ChunkAppender: snapshots while appending, rollback, sealing, memory accounting.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "tests/storage/codec/codec_test_util.h"

namespace plumbline::storage::codec {
namespace {

using testing::DecodeChunk;
using testing::SameSamples;
using testing::Samples;
using testing::ValueKind;

constexpr int64_t kT0 = 1'700'000'000'000;

Samples Prefix(const Samples& s, size_t n) {
  Samples p;
  p.ts.assign(s.ts.begin(), s.ts.begin() + static_cast<ptrdiff_t>(n));
  p.vs.assign(s.vs.begin(), s.vs.begin() + static_cast<ptrdiff_t>(n));
  return p;
}

Samples Make(std::mt19937_64& rng, ValueKind kind, size_t n, bool jitter) {
  Samples s;
  s.ts = jitter ? testing::JitteredTimes(rng, n, kT0, 10'000, 25)
                : testing::RegularTimes(n, kT0, 10'000);
  s.vs = testing::Values(rng, kind, n);
  return s;
}

TEST(ChunkAppenderTest, StartsEmpty) {
  ChunkAppender app;
  EXPECT_EQ(app.num_samples(), 0u);
  std::string chunk;
  app.EncodeTo(&chunk);
  Samples got;
  EXPECT_TRUE(DecodeChunk(chunk, &got));
  EXPECT_EQ(got.size(), 0u);
  app.SealTo(&chunk);
  EXPECT_TRUE(DecodeChunk(chunk, &got));
}

TEST(ChunkAppenderTest, TracksBounds) {
  ChunkAppender app;
  app.Append(-5, 1.5);
  app.Append(10, 2.5);
  app.Append(11, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(app.num_samples(), 3u);
  EXPECT_EQ(app.min_t(), -5);
  EXPECT_EQ(app.max_t(), 11);
  EXPECT_TRUE(std::isnan(app.last_value()));
  EXPECT_GT(app.MemoryBytes(), 0u);
}

// A snapshot taken mid-way decodes to the prefix, and appending afterwards is unaffected.
TEST(ChunkAppenderTest, EncodeToThenKeepAppending) {
  std::mt19937_64 rng(11);
  for (ValueKind kind : testing::kAllValueKinds) {
    for (bool jitter : {false, true}) {
      SCOPED_TRACE(testing::Name(kind));
      SCOPED_TRACE(jitter ? "jittered" : "regular");
      const Samples s = Make(rng, kind, 500, jitter);
      ChunkAppender app;
      std::string chunk;
      for (size_t i = 0; i < s.size(); ++i) {
        app.Append(s.ts[i], s.vs[i]);
        if (i % 37 == 0 || i < 5) {
          app.EncodeTo(&chunk);
          Samples got;
          ASSERT_TRUE(DecodeChunk(chunk, &got));
          ASSERT_TRUE(SameSamples(Prefix(s, i + 1), got)) << "after " << i + 1;
        }
      }
      app.EncodeTo(&chunk);
      Samples got;
      ASSERT_TRUE(DecodeChunk(chunk, &got));
      EXPECT_TRUE(SameSamples(s, got));
    }
  }
}

// SealTo makes exactly the chunk EncodeChunk makes of the same samples.
TEST(ChunkAppenderTest, SealToEqualsEncodeChunk) {
  std::mt19937_64 rng(12);
  for (ValueKind kind : testing::kAllValueKinds) {
    for (size_t n : {1, 2, 3, 10, 64, 65, 720, 3000}) {
      SCOPED_TRACE(testing::Name(kind));
      SCOPED_TRACE(n);
      const Samples s = Make(rng, kind, n, n % 2 == 1);
      ChunkAppender app;
      for (size_t i = 0; i < n; ++i) app.Append(s.ts[i], s.vs[i]);
      std::string sealed, encoded;
      app.SealTo(&sealed);
      EncodeChunk(s.ts, s.vs, &encoded);
      EXPECT_EQ(sealed, encoded);
      Samples got;
      ASSERT_TRUE(DecodeChunk(sealed, &got));
      EXPECT_TRUE(SameSamples(s, got));
    }
  }
}

// Restore(Save()) undoes every Append since Save(), including a switch to XOR.
TEST(ChunkAppenderTest, RestoreUndoesAppends) {
  std::mt19937_64 rng(13);
  struct Case {
    const char* name;
    ValueKind before;
    ValueKind after;
  };
  const Case cases[] = {
      {"integers", ValueKind::kCounter, ValueKind::kCounter},
      {"floats", ValueKind::kFloatGauge, ValueKind::kFloatGauge},
      {"integers then floats (switches to XOR)", ValueKind::kCounter, ValueKind::kRandomBits},
      {"integers then decimals (rescales)", ValueKind::kRandomWalk, ValueKind::kDecimal},
      {"specials", ValueKind::kSpecials, ValueKind::kSpecials},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (bool jitter : {false, true}) {
      const Samples first = Make(rng, c.before, 200, jitter);
      Samples rest = Make(rng, c.after, 100, jitter);
      for (int64_t& t : rest.ts) t += first.ts.back() - kT0 + 1;
      ChunkAppender app;
      for (size_t i = 0; i < first.size(); ++i) app.Append(first.ts[i], first.vs[i]);
      std::string before;
      app.EncodeTo(&before);
      const size_t memory = app.MemoryBytes();
      const ChunkAppender::Checkpoint cp = app.Save();
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < rest.size(); ++i) app.Append(rest.ts[i], rest.vs[i]);
        EXPECT_EQ(app.num_samples(), first.size() + rest.size());
        app.Restore(cp);
        EXPECT_EQ(app.num_samples(), first.size());
        EXPECT_EQ(app.max_t(), first.ts.back());
        EXPECT_TRUE(testing::SameBits(app.last_value(), first.vs.back()));
        std::string after;
        app.EncodeTo(&after);
        EXPECT_EQ(after, before) << "round " << round;
      }
      EXPECT_GE(app.MemoryBytes(), memory);
      // Appending after a restore still works.
      Samples all = first;
      for (size_t i = 0; i < 10; ++i) {
        app.Append(rest.ts[i], rest.vs[i]);
        all.ts.push_back(rest.ts[i]);
        all.vs.push_back(rest.vs[i]);
      }
      std::string chunk;
      app.SealTo(&chunk);
      Samples got;
      ASSERT_TRUE(DecodeChunk(chunk, &got));
      EXPECT_TRUE(SameSamples(all, got));
    }
  }
}

TEST(ChunkAppenderTest, RestoreToEmpty) {
  ChunkAppender app;
  const ChunkAppender::Checkpoint cp = app.Save();
  app.Append(1, 1);
  app.Append(2, 2.5);
  app.Restore(cp);
  EXPECT_EQ(app.num_samples(), 0u);
  app.Append(5, 7);
  std::string chunk;
  app.EncodeTo(&chunk);
  Samples got;
  ASSERT_TRUE(DecodeChunk(chunk, &got));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.ts[0], 5);
  EXPECT_EQ(got.vs[0], 7);
}

// Nested checkpoints restore in any order to any earlier point.
TEST(ChunkAppenderTest, RestoresNestedCheckpoints) {
  std::mt19937_64 rng(14);
  const Samples s = Make(rng, ValueKind::kSpecials, 300, true);
  ChunkAppender app;
  std::vector<std::pair<size_t, ChunkAppender::Checkpoint>> cps;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 50 == 0) cps.emplace_back(i, app.Save());
    app.Append(s.ts[i], s.vs[i]);
  }
  for (auto it = cps.rbegin(); it != cps.rend(); ++it) {
    app.Restore(it->second);
    std::string chunk;
    app.EncodeTo(&chunk);
    Samples got;
    ASSERT_TRUE(DecodeChunk(chunk, &got));
    EXPECT_TRUE(SameSamples(Prefix(s, it->first), got)) << it->first;
  }
}

TEST(ChunkAppenderTest, SwitchesToXorForFloats) {
  ChunkAppender ints, floats;
  for (int i = 0; i < 720; ++i) {
    ints.Append(kT0 + i * 10'000, i * 3);
    floats.Append(kT0 + i * 10'000, std::sin(i * 0.01) * 1000);
  }
  std::string a, b;
  ints.EncodeTo(&a);
  floats.EncodeTo(&b);
  EXPECT_NE(a[0], b[0]);  // different value encodings
  EXPECT_LT(b.size(), 720u * 8);
}

// Decimal values are scaled to integers, raising the scale as more digits appear; values
// that never fit stay escapes.
TEST(ChunkAppenderTest, RescalesForDecimals) {
  struct Case {
    const char* name;
    std::vector<double> vs;
  };
  const std::vector<Case> cases = {
      {"more digits over time", {1, 2, 2.5, 3.25, 3.125, 4, 0.001, 5}},
      {"decimal first", {0.1, 0.2, 0.3, 0.4, 0.5}},
      {"decimal with escapes",
       {1.5, std::numeric_limits<double>::quiet_NaN(), 2.5, -0.0, 3.5, 1e300, 4.5}},
      {"too many digits for the integers", {9007199254740000.0, 1.5, 2.25}},
      {"ten digits", {1, 1e-10, 2e-10, 3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Samples s;
    s.ts = testing::RegularTimes(c.vs.size(), kT0, 1000);
    s.vs = c.vs;
    EXPECT_TRUE(testing::RoundTrips(s));
  }
  // A decimal gauge stays compact in the open chunk.
  ChunkAppender app;
  int64_t cents = 123456;
  for (int i = 0; i < 720; ++i) {
    cents += (i * 7919) % 11 - 5;
    app.Append(kT0 + i * 10'000, static_cast<double>(cents) / 100);
  }
  std::string chunk;
  app.EncodeTo(&chunk);
  EXPECT_LT(chunk.size(), 720u);
}

TEST(ChunkAppenderTest, MovesAndMemory) {
  ChunkAppender a;
  const size_t empty = a.MemoryBytes();
  for (int i = 0; i < 720; ++i) a.Append(kT0 + i * 10'000, i % 7);
  EXPECT_GT(a.MemoryBytes(), empty);
  // A 720-sample integer head stays small (its bits plus a little slack).
  EXPECT_LT(a.MemoryBytes(), 2048u);
  ChunkAppender b = std::move(a);
  EXPECT_EQ(b.num_samples(), 720u);
  ChunkAppender c;
  c = std::move(b);
  EXPECT_EQ(c.num_samples(), 720u);
  std::string chunk;
  c.SealTo(&chunk);
  Samples got;
  ASSERT_TRUE(DecodeChunk(chunk, &got));
  EXPECT_EQ(got.size(), 720u);
}

}  // namespace
}  // namespace plumbline::storage::codec
