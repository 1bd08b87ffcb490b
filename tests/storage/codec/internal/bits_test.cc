// The bit-level pieces: BitBuffer/BitReader, varints, the self-delimiting codes, Rice.
#include "storage/codec/internal/bits.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/rice.h"

namespace plumbline::storage::codec::internal {
namespace {

TEST(BitBufferTest, WritesAndReadsFieldsOfEveryWidth) {
  std::mt19937_64 rng(1);
  BitBuffer buf;
  std::vector<std::pair<uint64_t, int>> fields;
  for (int i = 0; i < 2000; ++i) {
    const int n = static_cast<int>(rng() % 65);
    const uint64_t v = rng() & LowMask(n);
    buf.Write(v, n);
    fields.push_back({v, n});
  }
  std::string bytes;
  buf.AppendTo(&bytes);
  EXPECT_EQ(bytes.size(), buf.size_bytes());
  BitReader in(bytes);
  for (const auto& [v, n] : fields) {
    ASSERT_EQ(in.ReadLong(n), v) << n;
  }
  EXPECT_FALSE(in.overrun());
  EXPECT_TRUE(in.AtPaddedEnd());
}

TEST(BitBufferTest, TruncateClearsTheTail) {
  BitBuffer buf;
  buf.Write(~uint64_t{0}, 64);
  buf.Write(~uint64_t{0}, 37);
  buf.Truncate(70);
  EXPECT_EQ(buf.size(), 70u);
  buf.Write(0, 30);
  std::string bytes;
  buf.AppendTo(&bytes);
  BitReader in(bytes);
  EXPECT_EQ(in.ReadLong(64), ~uint64_t{0});
  EXPECT_EQ(in.Read(6), 63u);
  EXPECT_EQ(in.Read(30), 0u);
  buf.Truncate(0);
  EXPECT_EQ(buf.size(), 0u);
}

// Truncating to a word boundary leaves stale words past it; writing again must not see them.
// Copies and moves carry the bits, not the stale words.
TEST(BitBufferTest, WritesAfterTruncatingToAWordBoundaryAndCopiesAndMoves) {
  BitBuffer buf;
  for (int i = 0; i < 3; ++i) buf.Write(~uint64_t{0}, 64);
  buf.Truncate(64);
  buf.Write(0, 64);
  buf.Write(1, 3);
  BitBuffer copy(buf);
  BitBuffer moved(std::move(buf));
  EXPECT_EQ(buf.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
  BitBuffer assigned;
  assigned.Write(5, 3);
  assigned = copy;
  for (const BitBuffer* b : {&copy, &moved, &assigned}) {
    ASSERT_EQ(b->size(), 131u);
    std::string bytes;
    b->AppendTo(&bytes);
    BitReader in(bytes);
    EXPECT_EQ(in.ReadLong(64), ~uint64_t{0});
    EXPECT_EQ(in.ReadLong(64), 0u);
    EXPECT_EQ(in.Read(3), 1u);
    EXPECT_TRUE(in.AtPaddedEnd());
  }
}

TEST(BitReaderTest, ReadingPastTheEndIsAnOverrun) {
  const std::string bytes = "\xff\x01";
  BitReader in(bytes);
  EXPECT_EQ(in.Read(9), 0x1ffu);
  EXPECT_FALSE(in.overrun());
  EXPECT_TRUE(in.AtPaddedEnd());  // the rest of the last byte is zero
  EXPECT_EQ(in.Read(20), 0u);
  EXPECT_TRUE(in.overrun());
  EXPECT_FALSE(in.AtPaddedEnd());
  BitReader empty(std::string_view{});
  EXPECT_EQ(empty.ReadUnary(24), 24u);
  EXPECT_TRUE(empty.overrun());
}

TEST(BitReaderTest, ReadsUnaryCodes) {
  BitBuffer buf;
  for (uint32_t q : {0u, 1u, 5u, 31u, 32u, 40u}) buf.WriteUnary(q);
  std::string bytes;
  buf.AppendTo(&bytes);
  BitReader in(bytes);
  for (uint32_t q : {0u, 1u, 5u, 31u, 32u, 40u}) EXPECT_EQ(in.ReadUnary(56), q);
}

TEST(NumbersTest, ZigZagAndWrappingArithmetic) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX, int64_t{-12345}}) {
    EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  }
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  EXPECT_EQ(WrapAdd(INT64_MAX, 1), INT64_MIN);
  EXPECT_EQ(WrapSub(INT64_MIN, 1), INT64_MAX);
}

TEST(NumbersTest, ExactIntegers) {
  int64_t i = 0;
  EXPECT_TRUE(ToExactInt(3.0, &i));
  EXPECT_EQ(i, 3);
  EXPECT_TRUE(ToExactInt(-9007199254740992.0, &i));
  EXPECT_FALSE(ToExactInt(9007199254740994.0, &i));
  EXPECT_FALSE(ToExactInt(0.5, &i));
  EXPECT_FALSE(ToExactInt(-0.0, &i));
  EXPECT_FALSE(ToExactInt(std::numeric_limits<double>::quiet_NaN(), &i));
  EXPECT_FALSE(ToExactInt(std::numeric_limits<double>::infinity(), &i));
}

TEST(NumbersTest, Varints) {
  std::string s;
  const uint64_t values[] = {0, 1, 127, 128, 300, uint64_t{1} << 35, ~uint64_t{0}};
  for (uint64_t v : values) {
    PutVarint(&s, v);
  }
  std::string_view in = s;
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
  uint64_t got;
  for (std::string_view bad : {std::string_view("\x80"), std::string_view(""),
                               std::string_view("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02")}) {
    std::string_view b = bad;
    EXPECT_FALSE(GetVarint(&b, &got));
  }
}

TEST(NumbersTest, SelfDelimitingCodes) {
  BitBuffer buf;
  const uint64_t values[] = {0, 1, 2, 1000, uint64_t{1} << 40, ~uint64_t{0}};
  for (uint64_t v : values) WriteLen64(&buf, v);
  for (uint64_t v : {1u, 2u, 3u, 1000u, 65536u}) WriteEliasGamma(&buf, v);
  std::string bytes;
  buf.AppendTo(&bytes);
  BitReader in(bytes);
  for (uint64_t v : values) EXPECT_EQ(ReadLen64(&in), v);
  for (uint64_t v : {1u, 2u, 3u, 1000u, 65536u}) EXPECT_EQ(ReadEliasGamma(&in), v);
  EXPECT_TRUE(in.AtPaddedEnd());
}

TEST(RiceTest, AdaptsAndEscapes) {
  std::mt19937_64 rng(2);
  std::vector<uint64_t> values;
  for (int i = 0; i < 5000; ++i) {
    values.push_back(i % 500 == 0 ? rng() : rng() % (1 + (uint64_t{1} << (i / 500))));
  }
  BitBuffer buf;
  AdaptiveRice enc;
  for (uint64_t u : values) {
    if (RiceFits(u, enc.k())) {
      WriteRice(&buf, u, enc.k());
    } else {
      WriteRiceEscape(&buf);
      WriteLen64(&buf, u);
    }
    enc.Update(u);
  }
  std::string bytes;
  buf.AppendTo(&bytes);
  BitReader in(bytes);
  AdaptiveRice dec;
  for (uint64_t want : values) {
    uint64_t u;
    if (!ReadRice(&in, dec.k(), &u)) u = ReadLen64(&in);
    ASSERT_EQ(u, want);
    dec.Update(u);
  }
  EXPECT_TRUE(in.AtPaddedEnd());
}

}  // namespace
}  // namespace plumbline::storage::codec::internal
