// Sealed irregular timestamps (TsMode::kAns, format.md "Timestamps, sealed"): the first delta
// explicitly, then per sample the residual against a prediction from the previous delta
// (delta-of-delta), a constant delta, or a grid (scrape jitter around a fixed phase);
// residual tokens in a token stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/token_model.h"
#include "storage/codec/internal/token_stream.h"

namespace plumbline::storage::codec::internal {

// Predicts t_i (i >= 2) from the timestamps before it. Encoder and decoder run the same code.
struct TsPredictor {
  enum Kind { kPrevDelta = 0, kConstDelta = 1, kGrid = 2 };
  int kind = kPrevDelta;
  int64_t step = 0;    // kConstDelta, kGrid (> 0)
  int64_t origin = 0;  // kGrid: a grid point
  int64_t cell = 0;    // kGrid: the grid point of the last timestamp

  // The grid point of t: origin + floor((t - origin + floor(step / 2)) / step) * step.
  int64_t Cell(int64_t t) const;
  void Start(int64_t t1) {
    if (kind == kGrid) cell = Cell(t1);
  }
  int64_t Predict(int64_t last_t, int64_t last_delta) const {
    switch (kind) {
      case kPrevDelta:
        return WrapAdd(last_t, last_delta);
      case kConstDelta:
        return WrapAdd(last_t, step);
      default:
        return WrapAdd(cell, step);
    }
  }
  // After t was coded against `predicted`. A sample within half a step of its prediction
  // keeps the grid without a division.
  void Update(int64_t t, int64_t predicted) {
    if (kind != kGrid) return;
    const uint64_t off = static_cast<uint64_t>(WrapAdd(WrapSub(t, predicted), step / 2));
    cell = off < static_cast<uint64_t>(step) ? predicted : Cell(t);
  }
};

// Appends the timestamp section; requires ts.size() >= 3, strictly increasing.
void EncodeAnsTimestamps(absl::Span<const int64_t> ts, std::string* out);

// Thread-compatible.
class AnsTimestampDecoder {
 public:
  // Consumes the section from the front of *in.
  // Of a chunk of format `version`.
  absl::Status Init(std::string_view* in, uint32_t n, int64_t min_t, int64_t max_t, int version);
  bool Decode(int64_t* out, size_t count);
  bool Finished() const;

 private:
  // kLanes: 0 for a single-symbol model, else the token stream's rANS states.
  template <int kLanes>
  bool Loop(int64_t* out, size_t count);

  std::string padded_;  // the bit stream, zero-padded (BitReader::Padded)
  BitReader in_;
  TokenDecoder tokens_;
  TokenStreamState st_;
  TsPredictor predictor_;
  int64_t first_delta_ = 0;
  int64_t last_t_ = 0;
  int64_t last_delta_ = 0;
  int64_t min_t_ = 0;
  int64_t max_t_ = 0;
  uint32_t n_ = 0;
  uint32_t i_ = 0;
};

}  // namespace plumbline::storage::codec::internal
