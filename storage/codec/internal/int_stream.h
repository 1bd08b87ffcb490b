// Streamed integer values (ValueKind::kIntStream, format.md "Integer stream"): the open
// chunk's encoding for integer- and decimal-valued series. Values are scaled by 10^digits to
// integers; each is predicted by whichever of three predictors has been cheapest lately
// (previous value; previous + average delta; average value), chosen from decoded data only,
// so no side information is written. The residual is zigzag-mapped and Rice-coded with an
// adaptive parameter. Values that do not scale to integers in [-2^53, 2^53] (NaN, stale
// markers, +-Inf, -0.0, other fractions) are escapes holding their raw 64 bits and leave the
// predictor state alone.
#pragma once

#include <cstdint>
#include <string_view>

#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/rice.h"

namespace plumbline::storage::codec::internal {

// The state both sides evolve identically. Plain data, copied into checkpoints.
struct IntStreamState {
  static constexpr int kFrac = 8;   // fixed-point fraction bits of the averages
  static constexpr int kShift = 4;  // averages move by 1/16 of each new sample
  static constexpr int kPredictors = 3;

  int64_t last = 0;                        // last integer value
  int64_t avg_delta = 0;                   // fixed point
  int64_t avg_value = 0;                   // fixed point
  uint16_t cost[kPredictors] = {0, 0, 0};  // recent bit lengths of each predictor's misses
  AdaptiveRice rice;
  uint8_t ints = 0;      // integers seen so far, saturating at 2
  uint8_t digits = 0;    // values are integers / 10^digits
  bool started = false;  // the first value (integer or not) was written

  // Prediction of predictor j.
  int64_t Predict(int j) const;
  int Best() const;
  // After the integer v was coded with residual u (zigzag) under predictor `best`.
  void Update(int64_t v);
};

struct IntStreamEncoder {
  IntStreamState s;

  explicit IntStreamEncoder(int digits = 0) { s.digits = static_cast<uint8_t>(digits); }
  // Returns true when `v` was written as an escape (not representable).
  bool Append(double v, BitBuffer* bits);
};

class IntStreamDecoder {
 public:
  void Init(std::string_view bits);
  bool Decode(double* out, size_t count);
  bool Finished() const { return in_.AtPaddedEnd(); }

 private:
  BitReader in_;
  IntStreamState s_;
};

}  // namespace plumbline::storage::codec::internal
