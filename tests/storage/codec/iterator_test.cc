// ChunkIterator: Next and NextBatch agree in any mix; corrupt or truncated chunks end in
// DataLoss (or, when the damage is not detectable, in some samples), never in a crash.
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "tests/storage/codec/codec_test_util.h"
#include "tests/testing/status_matchers.h"

namespace plumbline::storage::codec {
namespace {

using ::plumbline::testing::StatusIs;
using testing::Samples;
using testing::ValueKind;

constexpr int64_t kT0 = 1'700'000'000'000;

// One chunk of every encoding: EncodeChunk and the open chunk, regular and jittered.
std::vector<std::string> SomeChunks(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> chunks;
  for (ValueKind kind : testing::kAllValueKinds) {
    for (bool jitter : {false, true}) {
      for (size_t n : {1, 2, 5, 200}) {
        Samples s;
        s.ts = jitter ? testing::JitteredTimes(rng, n, kT0, 10'000, 25)
                      : testing::RegularTimes(n, kT0, 10'000);
        s.vs = testing::Values(rng, kind, n);
        std::string chunk;
        EncodeChunk(s.ts, s.vs, &chunk);
        chunks.push_back(chunk);
        ChunkAppender app;
        for (size_t i = 0; i < n; ++i) app.Append(s.ts[i], s.vs[i]);
        app.EncodeTo(&chunk);
        chunks.push_back(chunk);
      }
    }
  }
  return chunks;
}

// Reads everything the iterator yields, mixing Next and NextBatch.
Samples ReadMixed(ChunkIterator* it, std::mt19937_64& rng) {
  Samples out;
  std::vector<int64_t> ts(100);
  std::vector<double> vs(100);
  while (true) {
    if (rng() % 2 == 0) {
      if (!it->Next()) break;
      out.ts.push_back(it->t());
      out.vs.push_back(it->v());
    } else {
      const size_t cap = 1 + rng() % 100;
      const size_t got = it->NextBatch(ts.data(), vs.data(), cap);
      if (got == 0) break;
      if (got < cap && got > 0) {
        // A short batch only happens at the end.
        out.ts.insert(out.ts.end(), ts.begin(), ts.begin() + static_cast<ptrdiff_t>(got));
        out.vs.insert(out.vs.end(), vs.begin(), vs.begin() + static_cast<ptrdiff_t>(got));
        EXPECT_EQ(it->NextBatch(ts.data(), vs.data(), cap), 0u);
        break;
      }
      out.ts.insert(out.ts.end(), ts.begin(), ts.begin() + static_cast<ptrdiff_t>(got));
      out.vs.insert(out.vs.end(), vs.begin(), vs.begin() + static_cast<ptrdiff_t>(got));
    }
  }
  return out;
}

TEST(ChunkIteratorTest, NextAndNextBatchAgree) {
  std::mt19937_64 rng(21);
  for (const std::string& chunk : SomeChunks(21)) {
    Samples batch;
    ASSERT_TRUE(testing::DecodeChunk(chunk, &batch));
    Samples next;
    ASSERT_TRUE(testing::DecodeChunkWithNext(chunk, &next));
    EXPECT_TRUE(testing::SameSamples(batch, next));
    for (int round = 0; round < 3; ++round) {
      ChunkIterator it;
      ASSERT_TRUE(it.Init(chunk).ok());
      EXPECT_TRUE(testing::SameSamples(batch, ReadMixed(&it, rng)));
      EXPECT_TRUE(it.status().ok());
    }
  }
}

TEST(ChunkIteratorTest, CurrentSampleFollowsNextBatch) {
  Samples s;
  s.ts = testing::RegularTimes(10, kT0, 1000);
  s.vs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::string chunk;
  EncodeChunk(s.ts, s.vs, &chunk);
  ChunkIterator it;
  ASSERT_TRUE(it.Init(chunk).ok());
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.t(), kT0);
  int64_t ts[4];
  double vs[4];
  ASSERT_EQ(it.NextBatch(ts, vs, 4), 4u);
  EXPECT_EQ(ts[0], kT0 + 1000);
  EXPECT_EQ(it.v(), 5);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.v(), 6);
}

TEST(ChunkIteratorTest, ReusesAcrossChunks) {
  ChunkIterator it;
  // Every chunk, then every other one backwards: one iterator decodes chunks of the same and
  // of different encodings in any order.
  std::vector<std::string> chunks = SomeChunks(22);
  for (size_t i = chunks.size(); i-- > 0;) {
    if (i % 2 == 0) chunks.push_back(chunks[i]);
  }
  for (const std::string& chunk : chunks) {
    Samples want;
    ASSERT_TRUE(testing::DecodeChunk(chunk, &want));
    ASSERT_TRUE(it.Init(chunk).ok());
    Samples got;
    while (it.Next()) {
      got.ts.push_back(it.t());
      got.vs.push_back(it.v());
    }
    EXPECT_TRUE(it.status().ok());
    EXPECT_TRUE(testing::SameSamples(want, got));
  }
  // A failed Init leaves it reusable too.
  EXPECT_FALSE(it.Init("junk").ok());
  EXPECT_FALSE(it.Next());
}

// Drains an iterator over damaged bytes; the only acceptable outcomes are OK or DataLoss.
absl::Status Drain(std::string_view bytes) {
  ChunkIterator it;
  absl::Status s = it.Init(bytes);
  if (!s.ok()) return s;
  int64_t ts[64];
  double vs[64];
  size_t total = 0;
  while (size_t got = it.NextBatch(ts, vs, 64)) total += got;
  EXPECT_LE(total, it.info().num_samples);
  return it.status();
}

TEST(ChunkIteratorTest, TruncatedChunksAreDataLoss) {
  for (const std::string& chunk : SomeChunks(23)) {
    for (size_t len = 0; len < chunk.size(); ++len) {
      const absl::Status s = Drain(std::string_view(chunk).substr(0, len));
      if (!s.ok()) {
        EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
        continue;
      }
      // A prefix that still decodes must be a complete chunk of its own (the trailing bytes
      // were padding); the codec never leaves a partial decode unreported.
      EXPECT_GE(len + 1, chunk.size()) << "prefix " << len << " of " << chunk.size();
    }
  }
}

TEST(ChunkIteratorTest, CorruptChunksNeverCrash) {
  std::mt19937_64 rng(24);
  int detected = 0, total = 0;
  for (const std::string& chunk : SomeChunks(24)) {
    for (int round = 0; round < 40; ++round) {
      std::string bad = chunk;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
      }
      if (rng() % 4 == 0) bad.push_back(static_cast<char>(rng()));
      const absl::Status s = Drain(bad);
      ++total;
      if (!s.ok()) {
        ++detected;
        EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
      }
    }
  }
  // No checksum, but the format's redundancy (sample counts, end states, time bounds) catches
  // much of the damage.
  EXPECT_GT(detected, total / 4);
}

// Regular timestamps up to the largest int64 (regular intervals go to 2^53): the decoder's
// induction steps one interval past the last sample, which must not overflow (the chunk
// fuzzer found it under UBSan).
TEST(ChunkIteratorTest, RegularTimestampsUpToTheLargestInt64) {
  const int64_t top = std::numeric_limits<int64_t>::max();
  for (int64_t interval : {int64_t{1}, int64_t{10'000}, int64_t{1} << 52}) {
    std::vector<int64_t> ts;
    std::vector<double> vs;
    for (int64_t i = 3; i >= 0; --i) {
      ts.push_back(top - i * interval);
      vs.push_back(static_cast<double>(i));
    }
    std::string chunk;
    EncodeChunk(ts, vs, &chunk);
    ChunkIterator it;
    ASSERT_TRUE(it.Init(chunk).ok());
    EXPECT_EQ(it.info().interval, interval);
    std::vector<int64_t> got_ts(ts.size());
    std::vector<double> got_vs(vs.size());
    ASSERT_EQ(it.NextBatch(got_ts.data(), got_vs.data(), ts.size()), ts.size());
    EXPECT_EQ(got_ts, ts);
    EXPECT_EQ(got_vs, vs);
  }
}

TEST(ChunkIteratorTest, TrailingBytesAreDataLoss) {
  for (const std::string& chunk : SomeChunks(25)) {
    std::string longer = chunk + std::string(9, '\x5a');
    EXPECT_THAT(Drain(longer), StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
  }
}

}  // namespace
}  // namespace plumbline::storage::codec
