#include "storage/internal/head_log.h"

#include <bit>
#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace plumbline::storage {
namespace {

TEST(HeadLogTest, RoundTripsSamples) {
  HeadLogWriter writer;
  const double nan_bits = std::bit_cast<double>(0x7ff0000000000002ULL);
  writer.Add(1, 1'764'115'200'000, 1.5);
  writer.Add(1ULL << 40, -5, -0.0);
  writer.Add(7, std::numeric_limits<int64_t>::max(), nan_bits);
  const std::string record = writer.Finish();
  EXPECT_EQ(writer.count(), 0u);
  HeadLogReader reader(record);
  ASSERT_TRUE(reader.Init().ok());
  uint64_t ref;
  int64_t t;
  double v;
  ASSERT_TRUE(reader.Next(&ref, &t, &v));
  EXPECT_EQ(ref, 1u);
  EXPECT_EQ(t, 1'764'115'200'000);
  EXPECT_EQ(v, 1.5);
  ASSERT_TRUE(reader.Next(&ref, &t, &v));
  EXPECT_EQ(ref, 1ULL << 40);
  EXPECT_EQ(t, -5);
  EXPECT_TRUE(std::signbit(v));
  ASSERT_TRUE(reader.Next(&ref, &t, &v));
  EXPECT_EQ(t, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(std::bit_cast<uint64_t>(v), 0x7ff0000000000002ULL);
  EXPECT_FALSE(reader.Next(&ref, &t, &v));
  EXPECT_TRUE(reader.status().ok());
}

TEST(HeadLogTest, TruncatedRecordIsDataLoss) {
  HeadLogWriter writer;
  writer.Add(1, 2, 3);
  const std::string record = writer.Finish();
  for (size_t cut = 0; cut < record.size(); ++cut) {
    HeadLogReader reader(std::string_view(record).substr(0, cut));
    uint64_t ref;
    int64_t t;
    double v;
    if (!reader.Init().ok()) continue;
    EXPECT_FALSE(reader.Next(&ref, &t, &v)) << cut;
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << cut;
  }
}

}  // namespace
}  // namespace plumbline::storage
