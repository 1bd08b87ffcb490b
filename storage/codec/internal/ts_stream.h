// Streamed timestamps (TsMode::kStream, format.md "Timestamp stream"): the first timestamp
// and the first delta live in the header; every later sample contributes a delta-of-delta
// (dod). Zero dods cost nothing until a non-zero one arrives, which is written as an event:
// EliasGamma(zeros before it + 1), then AdaptiveRice(ZigZag(dod) - 1). Trailing zeros are
// implied by the sample count, so a regular series writes no bits at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/rice.h"

namespace plumbline::storage::codec::internal {

// Encoder state; a plain struct so the open chunk can checkpoint it by copy.
struct TsStreamEncoder {
  uint32_t n = 0;
  uint32_t pending_zeros = 0;
  int64_t first_t = 0;
  int64_t last_t = 0;
  int64_t first_delta = 0;
  int64_t last_delta = 0;
  AdaptiveRice rice;
  bool irregular = false;  // some dod != 0 was written

  // Requires t > last_t once n > 0.
  void Append(int64_t t, BitBuffer* bits);
  // The timestamp section for kStream (see format.md); needs n >= 2.
  void WriteSection(const BitBuffer& bits, std::string* out) const;
};

// Decodes a kStream timestamp section. Thread-compatible.
class TsStreamDecoder {
 public:
  // Consumes the section from the front of *in.
  absl::Status Init(std::string_view* in, uint32_t n, int64_t min_t, int64_t max_t);
  // Decodes up to `count` timestamps; false on corruption.
  bool Decode(int64_t* out, size_t count);
  // After the last sample: true when the stream ended exactly where it should.
  bool Finished() const;

 private:
  bool NextEvent();

  BitReader in_;
  uint64_t stream_bits_ = 0;
  uint32_t n_ = 0;
  uint32_t i_ = 0;
  int64_t min_t_ = 0;
  int64_t max_t_ = 0;
  int64_t first_delta_ = 0;
  int64_t last_t_ = 0;
  int64_t last_delta_ = 0;
  uint64_t zeros_left_ = 0;  // zero dods before the next event; kNoEvent when none is left
  AdaptiveRice rice_;
};

}  // namespace plumbline::storage::codec::internal
