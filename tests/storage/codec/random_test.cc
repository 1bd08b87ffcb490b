// Seeded random round trips: every value kind with every timestamp shape, many seeds.
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "tests/storage/codec/codec_test_util.h"

namespace plumbline::storage::codec {
namespace {

using testing::Samples;
using testing::ValueKind;

enum class TimeShape { kRegular, kJittered, kRandom, kNegative };

std::vector<int64_t> Times(std::mt19937_64& rng, TimeShape shape, size_t n) {
  switch (shape) {
    case TimeShape::kRegular:
      return testing::RegularTimes(n, 1'700'000'000'000,
                                   1000 * (1 + static_cast<int64_t>(rng() % 60)));
    case TimeShape::kJittered:
      return testing::JitteredTimes(rng, n, 1'700'000'000'000, 10'000, 25);
    case TimeShape::kRandom:
      return testing::RandomTimes(rng, n, static_cast<int64_t>(rng() >> 2) - (int64_t{1} << 61),
                                  1 + static_cast<int64_t>(rng() % (uint64_t{1} << (rng() % 40))));
    case TimeShape::kNegative:
      return testing::RandomTimes(rng, n, -(int64_t{1} << 50), 1000);
  }
  return {};
}

TEST(ChunkRandomTest, RoundTripsEveryKind) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    for (ValueKind kind : testing::kAllValueKinds) {
      for (TimeShape shape :
           {TimeShape::kRegular, TimeShape::kJittered, TimeShape::kRandom, TimeShape::kNegative}) {
        const size_t n = 1 + rng() % (rng() % 4 == 0 ? 3000 : 300);
        Samples s;
        s.ts = Times(rng, shape, n);
        s.vs = testing::Values(rng, kind, n);
        SCOPED_TRACE(::testing::Message() << "seed " << seed << " kind " << testing::Name(kind)
                                          << " shape " << static_cast<int>(shape) << " n " << n);
        ASSERT_TRUE(testing::RoundTrips(s));
      }
    }
  }
}

// Series whose kind changes part-way, as real series do (a counter that starts reporting
// fractions, a gauge that goes stale).
TEST(ChunkRandomTest, RoundTripsMixedKinds) {
  for (uint64_t seed = 100; seed < 160; ++seed) {
    std::mt19937_64 rng(seed);
    const size_t n = 50 + rng() % 1000;
    Samples s;
    s.ts = Times(rng, rng() % 2 ? TimeShape::kRegular : TimeShape::kJittered, n);
    size_t i = 0;
    while (i < n) {
      const size_t len = std::min(n - i, 1 + static_cast<size_t>(rng() % 200));
      const ValueKind kind = testing::kAllValueKinds[rng() % std::size(testing::kAllValueKinds)];
      for (double v : testing::Values(rng, kind, len)) s.vs.push_back(v);
      i += len;
    }
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " n " << n);
    ASSERT_TRUE(testing::RoundTrips(s));
  }
}

}  // namespace
}  // namespace plumbline::storage::codec
