// Sealed integer values (ValueKind::kIntAns, format.md "Integer values, sealed"): values
// scaled by 10^digits to integers, one chunk-level predictor, residual tokens in a token
// stream under a static model written in the chunk. Non-integers are escapes with raw bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/predictors.h"
#include "storage/codec/internal/token_model.h"
#include "storage/codec/internal/token_stream.h"

namespace plumbline::storage::codec::internal {

// Values as integers m = v * 10^digits, where that is exact.
struct ScaledValues {
  int digits = 0;
  std::vector<int64_t> ints;
  std::vector<uint8_t> exception;  // 1: not representable, stored raw
  size_t num_exceptions = 0;
};

// Fills *out; returns the number of exceptions.
size_t ScaleValues(absl::Span<const double> vs, int digits, ScaledValues* out);

// Appends the value section of a kIntAns chunk.
void EncodeAnsValues(absl::Span<const double> vs, const ScaledValues& sv, std::string* out);

// Thread-compatible.
class AnsValueDecoder {
 public:
  // `section` runs to the end of a chunk of format `version`.
  absl::Status Init(std::string_view section, uint32_t n, int version);
  bool Decode(double* out, size_t count);
  bool Finished() const;

 private:
  // kLanes: 0 for a single-symbol model, else the token stream's rANS states. kShift: the
  // predictor's averaging shift when it is the encoder's (4), else 0 (read at run time).
  template <class P, int kLanes, bool kScaled, bool kRawSign, int kShift = 0>
  bool Loop(P* p, double* out, size_t count);
  template <class P, bool kScaled>
  bool Dispatch(P* p, double* out, size_t count);
  template <class P>
  bool Dispatch(P* p, double* out, size_t count);

  std::string padded_;  // the section, zero-padded (BitReader::Padded)
  BitReader in_;
  TokenDecoder tokens_;
  TokenStreamState st_;
  PredictorParams params_;
  PrevPredictor prev_{params_};
  CounterPredictor counter_{params_};
  LevelPredictor level_{params_};
  ConstPredictor const_{params_};
  int digits_ = 0;
  bool rawsign_ = false;
  bool first_is_raw_ = false;
  double first_raw_ = 0;
  int64_t first_int_ = 0;
  uint32_t n_ = 0;
  uint32_t i_ = 0;
};

}  // namespace plumbline::storage::codec::internal
