// Adaptive Golomb-Rice codes for the streamable encodings (format.md, "Adaptive Rice").
// A value u >= 0 with parameter k is unary(u >> k) then the k low bits of u. A quotient of
// kRiceEscape or more is written as kRiceEscape zero bits (no terminating one) followed by an
// escape payload chosen by the caller, so an outlier costs tens of bits, not thousands.
#pragma once

#include <algorithm>
#include <cstdint>

#include "storage/codec/internal/bits.h"

namespace plumbline::storage::codec::internal {

inline constexpr uint32_t kRiceEscape = 24;

// k follows the recent mean of u: `a` decays by 1/16 per value and adds min(u, 2^24), so it
// tracks 16 x mean(u); k = BitLength(mean / 2). Both sides update it identically.
struct AdaptiveRice {
  uint32_t a = 16;

  int k() const { return BitLength(a >> 5); }
  void Update(uint64_t u) {
    a = a - (a >> 4) + static_cast<uint32_t>(std::min<uint64_t>(u, uint64_t{1} << 24));
  }
};

inline bool RiceFits(uint64_t u, int k) { return (u >> k) < kRiceEscape; }

// Requires RiceFits(u, k).
inline void WriteRice(BitBuffer* out, uint64_t u, int k) {
  out->WriteUnary(static_cast<uint32_t>(u >> k));
  out->Write(u & LowMask(k), k);
}
inline void WriteRiceEscape(BitBuffer* out) { out->Write(0, kRiceEscape); }

// Returns false for an escape (the caller then reads its payload).
inline bool ReadRice(BitReader* in, int k, uint64_t* u) {
  const uint32_t q = in->ReadUnary(kRiceEscape);
  if (q >= kRiceEscape) return false;
  *u = (uint64_t{q} << k) | in->Read(k);
  return true;
}

}  // namespace plumbline::storage::codec::internal
