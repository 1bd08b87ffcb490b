#include "storage/codec/internal/predictors.h"

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace plumbline::storage::codec::internal {
namespace {

// Residuals of every size and sign, and the values that make the arithmetic wrap.
std::vector<int64_t> Residuals(std::mt19937_64& rng, size_t n) {
  std::vector<int64_t> out;
  const int64_t specials[] = {0,
                              1,
                              -1,
                              127,
                              128,
                              -128,
                              -129,
                              std::numeric_limits<int64_t>::max(),
                              std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max() / 256,
                              std::numeric_limits<int64_t>::min() / 256};
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 4) {
      case 0:
        out.push_back(specials[rng() % std::size(specials)]);
        break;
      case 1:
        out.push_back(static_cast<int64_t>(rng() % 2001) - 1000);
        break;
      case 2:
        out.push_back(static_cast<int64_t>(rng() >> (rng() % 64)) * (rng() % 2 ? 1 : -1));
        break;
      default:
        out.push_back(static_cast<int64_t>(rng()));
    }
  }
  return out;
}

// Next(r), the decoder's shortcut, must leave the predictor exactly as the encoder's
// Predict() + r and Update() do, or a chunk would decode to other values; and so must
// NextStarted(r) once Started() (a second decoder switches to it as the loop does), with
// the shift as a constant where it is 4.
template <class P>
void ExpectNextEqualsPredictAndUpdate(const PredictorParams& params, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int started_runs = 0;
  for (int run = 0; run < 200; ++run) {
    P encoder(params), decoder(params), fast(params);
    const int64_t first = Residuals(rng, 1)[0];
    encoder.Start(first);
    decoder.Start(first);
    fast.Start(first);
    // Runs of one kind of residual too: small counter increments keep the average moving.
    const std::vector<int64_t> rs = Residuals(rng, 300);
    bool started = false;
    for (size_t i = 0; i < rs.size(); ++i) {
      const int64_t want = WrapAdd(encoder.Predict(), rs[i]);
      encoder.Update(want);
      const int64_t got = decoder.Next(rs[i]);
      ASSERT_EQ(got, want) << "run " << run << " sample " << i;
      ASSERT_EQ(decoder.Predict(), encoder.Predict()) << "run " << run << " sample " << i;
      started = started || fast.Started();
      // As the decoder dispatches: the encoder's shift, 4, as a constant.
      const int64_t got_fast = !started                     ? fast.Next(rs[i])
                               : fast.AveragingShift() == 4 ? fast.template NextStarted<4>(rs[i])
                                                            : fast.NextStarted(rs[i]);
      ASSERT_EQ(got_fast, want) << "run " << run << " sample " << i
                                << (started ? " (started)" : "");
      ASSERT_EQ(fast.Predict(), encoder.Predict()) << "run " << run << " sample " << i;
    }
    if (started) ++started_runs;
  }
  EXPECT_GT(started_runs, 100);  // NextStarted was exercised
}

TEST(PredictorsTest, NextEqualsPredictAndUpdateForEveryShiftAndWrap) {
  for (uint8_t shift = 1; shift <= 7; ++shift) {
    SCOPED_TRACE(static_cast<int>(shift));
    PredictorParams params;
    params.shift = shift;
    params.constant = -12345;
    ExpectNextEqualsPredictAndUpdate<CounterPredictor>(params, shift);
    ExpectNextEqualsPredictAndUpdate<LevelPredictor>(params, 100 + shift);
    ExpectNextEqualsPredictAndUpdate<PrevPredictor>(params, 200 + shift);
    ExpectNextEqualsPredictAndUpdate<ConstPredictor>(params, 300 + shift);
  }
}

TEST(PredictorsTest, MoveAvgByResidualEqualsMoveAvgOfTheValue) {
  std::mt19937_64 rng(9);
  for (int i = 0; i < 100000; ++i) {
    const int64_t avg = Residuals(rng, 1)[0];
    const int64_t r = Residuals(rng, 1)[0];
    const int shift = static_cast<int>(rng() % 8);
    ASSERT_EQ(MoveAvgByResidual(avg, r, shift), MoveAvg(avg, WrapAdd(RoundAvg(avg), r), shift))
        << "avg " << avg << " r " << r << " shift " << shift;
  }
}

}  // namespace
}  // namespace plumbline::storage::codec::internal
