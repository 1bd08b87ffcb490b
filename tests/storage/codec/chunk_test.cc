// Hand-written cases: every path (EncodeChunk, the appender's EncodeTo and SealTo) must give
// the samples back bit-exactly, and the header must be readable on its own.
#include "storage/codec/chunk.h"

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/codec/codec_test_util.h"
#include "tests/testing/status_matchers.h"

namespace plumbline::storage::codec {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;
using testing::RegularTimes;
using testing::RoundTrips;
using testing::Samples;
using testing::StaleNaN;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kT0 = 1'700'000'000'000;  // ms

Samples Regular(std::vector<double> vs, int64_t start = kT0, int64_t step = 10'000) {
  Samples s;
  s.ts = RegularTimes(vs.size(), start, step);
  s.vs = std::move(vs);
  return s;
}

Samples Counter(size_t n, double start, double inc) {
  std::vector<double> vs(n);
  for (size_t i = 0; i < n; ++i) vs[i] = start + inc * static_cast<double>(i);
  return Regular(vs);
}

TEST(ChunkTest, RoundTripsHandWrittenSeries) {
  const double two53 = 9007199254740992.0;
  struct Case {
    const char* name;
    Samples samples;
  };
  std::vector<Case> cases = {
      {"one sample", Regular({42})},
      {"one NaN", Regular({kNaN})},
      {"two samples", Regular({1, 2})},
      {"constant", Regular(std::vector<double>(720, 7))},
      {"constant zero", Regular(std::vector<double>(720, 0))},
      {"constant float", Regular(std::vector<double>(100, 0.1))},
      {"constant NaN", Regular(std::vector<double>(50, kNaN))},
      {"constant stale", Regular(std::vector<double>(50, StaleNaN()))},
      {"counter", Counter(720, 1e6, 37)},
      {"counter by 0.5", Counter(720, 10, 0.5)},
      {"counter by 0.1", Counter(300, 0, 0.1)},
      {"counter reset", Regular({100, 200, 300, 400, 5, 105, 205, 305, 0, 90, 180})},
      {"ramp down", Counter(100, 0, -3)},
      {"NaN and infinities", Regular({1, kNaN, 3, kInf, 5, -kInf, 7, kNaN, kNaN, 10})},
      {"stale markers", Regular({1, 2, StaleNaN(), 4, 5, StaleNaN(), StaleNaN(), 8})},
      {"stale first", Regular({StaleNaN(), 1, 2, 3, 4, 5, 6, 7, 8, 9})},
      {"NaN payloads", Regular({std::bit_cast<double>(uint64_t{0x7ff8000000000001}),
                                std::bit_cast<double>(uint64_t{0xfff0000000000001}), 1, 2,
                                std::bit_cast<double>(uint64_t{0x7fffffffffffffff})})},
      {"negative zero", Regular({0, -0.0, 0, -0.0, 1, -0.0})},
      {"huge", Regular({1e300, -1e300, std::numeric_limits<double>::max(),
                        -std::numeric_limits<double>::max(), 1e308, 3})},
      {"tiny", Regular({std::numeric_limits<double>::denorm_min(), 1e-300,
                        std::numeric_limits<double>::min(), -1e-310, 5e-324, 0})},
      {"near 2^53", Regular({two53, two53 - 1, -two53, -two53 + 1, two53 - 2, 0, two53})},
      {"beyond 2^53", Regular({two53 * 2, two53 + 2, -two53 - 2, two53 * 1024, 1e19, -1e19, 9.3e18,
                               1.8446744073709552e19})},
      {"int64 extremes as doubles", Regular({-9223372036854775808.0, 9223372036854775807.0, 0})},
      {"alternating signs", Regular({-5, 5, -5, 5, -1e15, 1e15, -5, 5})},
      {"floats", Regular({0.1, 0.2, 0.30000000000000004, 1.0 / 3, M_PI, -M_E, 1e-5, 123.456})},
      {"decimals", Regular({12.34, 12.35, 12.31, 12.4, 13.02, 11.99, 12.0, 12.5})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(RoundTrips(c.samples));
  }
}

TEST(ChunkTest, RoundTripsUnusualTimestamps) {
  struct Case {
    const char* name;
    std::vector<int64_t> ts;
  };
  const std::vector<Case> cases = {
      {"negative", {-1'000'000, -990'000, -980'000, -970'000}},
      {"crossing zero", {-20'000, -10'000, 0, 10'000, 20'000, 30'001}},
      {"irregular", {kT0, kT0 + 9'977, kT0 + 20'013, kT0 + 30'000, kT0 + 39'990, kT0 + 50'025}},
      {"gaps", {kT0, kT0 + 10'000, kT0 + 20'000, kT0 + 620'000, kT0 + 630'000, kT0 + 640'000}},
      {"1 ms apart", {kT0, kT0 + 1, kT0 + 2, kT0 + 3, kT0 + 5}},
      {"huge steps", {INT64_MIN / 4, 0, INT64_MAX / 4}},
      {"huge regular step", {-(int64_t{1} << 60), 0, int64_t{1} << 60}},
      {"near the minimum", {INT64_MIN, INT64_MIN + 1, INT64_MIN + 1000}},
      {"near the maximum", {INT64_MAX - 1000, INT64_MAX - 1, INT64_MAX}},
      {"jittered near the minimum",
       {INT64_MIN, INT64_MIN + 9'990, INT64_MIN + 20'020, INT64_MIN + 29'995, INT64_MIN + 40'001}},
      {"jittered near the maximum",
       {INT64_MAX - 40'010, INT64_MAX - 29'990, INT64_MAX - 20'005, INT64_MAX - 10'020, INT64_MAX}},
      {"two samples far apart", {-(int64_t{1} << 61), int64_t{1} << 61}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (double v : {3.0, 0.25}) {
      Samples s;
      s.ts = c.ts;
      s.vs.assign(c.ts.size(), v);
      for (size_t i = 0; i < s.size(); i += 2) s.vs[i] = v * static_cast<double>(i);
      EXPECT_TRUE(RoundTrips(s));
    }
  }
}

TEST(ChunkTest, RoundTripsMaxSamples) {
  std::mt19937_64 rng(7);
  for (testing::ValueKind kind : {testing::ValueKind::kCounter, testing::ValueKind::kFloatGauge}) {
    SCOPED_TRACE(testing::Name(kind));
    Samples s;
    s.ts = RegularTimes(kMaxSamples, kT0, 1000);
    s.vs = testing::Values(rng, kind, kMaxSamples);
    EXPECT_TRUE(RoundTrips(s));
  }
}

TEST(ChunkTest, EmptyChunk) {
  std::string chunk;
  EncodeChunk({}, {}, &chunk);
  absl::StatusOr<ChunkInfo> info = ReadChunkInfo(chunk);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->num_samples, 0u);
  testing::Samples got;
  EXPECT_TRUE(testing::DecodeChunk(chunk, &got));
  EXPECT_EQ(got.size(), 0u);
}

TEST(ChunkTest, ReadsInfoFromTheHeader) {
  const Samples s = Counter(720, 5, 3);
  std::string chunk;
  EncodeChunk(s.ts, s.vs, &chunk);
  absl::StatusOr<ChunkInfo> info = ReadChunkInfo(chunk);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->num_samples, 720u);
  EXPECT_EQ(info->min_t, s.ts.front());
  EXPECT_EQ(info->max_t, s.ts.back());
  EXPECT_EQ(info->interval, s.ts[1] - s.ts[0]);  // evenly spaced: the header says so
  // The header alone is enough.
  EXPECT_TRUE(ReadChunkInfo(std::string_view(chunk).substr(0, 12)).ok());
  // No interval for one sample, nor for uneven timestamps.
  EncodeChunk(std::vector<int64_t>{s.ts[0]}, std::vector<double>{1}, &chunk);
  EXPECT_EQ(ReadChunkInfo(chunk)->interval, 0);
  std::vector<int64_t> uneven = s.ts;
  uneven[100] += 1;
  EncodeChunk(uneven, s.vs, &chunk);
  EXPECT_EQ(ReadChunkInfo(chunk)->interval, 0);
}

TEST(ChunkTest, RejectsNonChunks) {
  // Not even a header: version 0, version 3, timestamp mode 3, truncated varints.
  for (std::string bytes :
       {std::string(), std::string("\x00", 1), std::string("\xff\x01"), std::string("\x70hello"),
        std::string("\x40"), std::string("\x40\x80\x80\x80\x80\x80\x80")}) {
    SCOPED_TRACE(bytes);
    EXPECT_THAT(ReadChunkInfo(bytes), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("chunk")));
    ChunkIterator it;
    EXPECT_THAT(it.Init(bytes), StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
    EXPECT_FALSE(it.Next());
  }
  // ReadChunkInfo reads only the header, which "hello world" happens to be; Init reads the
  // sections too.
  ChunkIterator it;
  EXPECT_THAT(it.Init("hello world"), StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
}

TEST(ChunkTest, RegularIntegerSeriesAreSmall) {
  // A constant series costs only its header; a counter with a steady rate far less than a
  // byte per sample.
  std::string chunk;
  const Samples constant = Regular(std::vector<double>(720, 5));
  EncodeChunk(constant.ts, constant.vs, &chunk);
  EXPECT_LE(chunk.size(), 12u);
  const Samples counter = Counter(720, 1e6, 10);
  EncodeChunk(counter.ts, counter.vs, &chunk);
  EXPECT_LE(chunk.size(), 28u);
}

TEST(ChunkTest, OneStaleMarkerKeepsTheIntegerEncoding) {
  Samples s = Counter(720, 1000, 7);
  std::string without, with;
  EncodeChunk(s.ts, s.vs, &without);
  s.vs[300] = StaleNaN();
  EncodeChunk(s.ts, s.vs, &with);
  EXPECT_EQ(with[0], without[0]);  // same encoding
  EXPECT_LE(with.size(), without.size() + 16);
}

}  // namespace
}  // namespace plumbline::storage::codec
