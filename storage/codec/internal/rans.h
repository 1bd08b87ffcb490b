// rANS constants and the encoder's symbol (format.md, "Token streams"). A 32-bit state with
// 16-bit renormalisation and 11-bit probabilities (12 bits compressed 0.1% better but made
// the per-chunk decode table twice as costly), after Fabian Giesen's ryg_rans:
//   encode (reverse order):  if x >= 2^21 * f: emit x & 0xffff, x >>= 16;
//                            x = (x / f) * 2^11 + x % f + start
//   decode:                  s = symbol at slot x & 0x7ff; x = f * (x >> 11) + slot - start;
//                            if x < 2^16: x = x << 16 | next word
#pragma once

#include <cstdint>

namespace plumbline::storage::codec::internal {

inline constexpr int kAnsBits = 11;
inline constexpr uint32_t kAnsTotal = 1u << kAnsBits;
inline constexpr uint32_t kAnsLow = 1u << 16;  // the state lives in [kAnsLow, 2^32)

// floor(x / d) by a multiply with rcp = Reciprocal(d), exact for all x, d < 2^32: rcp is
// ceil(2^64 / d), so x * rcp / 2^64 exceeds x / d by less than x / 2^64 < 1 / d, too little
// to reach the next integer. d = 1 takes rcp = 0.
inline uint64_t Reciprocal(uint32_t d) { return d >= 2 ? ~uint64_t{0} / d + 1 : 0; }
inline uint32_t DivideBy(uint32_t x, uint64_t rcp) {
  return rcp == 0 ? x : static_cast<uint32_t>((static_cast<unsigned __int128>(x) * rcp) >> 64);
}

// An encoder symbol: start, frequency and a reciprocal that turns x / freq into a multiply.
struct AnsSymbol {
  uint64_t rcp = 0;  // Reciprocal(freq)
  uint32_t start = 0;
  uint32_t freq = 0;
  uint32_t x_max = 0;  // renormalise before encoding when x >= x_max

  void Init(uint32_t s, uint32_t f) {
    start = s;
    freq = f;
    rcp = Reciprocal(f);
    x_max = (kAnsLow >> kAnsBits << 16) * f;
  }
  // One encoding step; returns the renormalisation word (| 0x10000) or 0.
  uint32_t Encode(uint32_t* x) const {
    uint32_t word = 0;
    uint32_t y = *x;
    if (y >= x_max) {
      word = 0x10000 | (y & 0xffff);
      y >>= 16;
    }
    const uint32_t q = DivideBy(y, rcp);
    *x = (q << kAnsBits) + (y - q * freq) + start;
    return word;
  }
};

}  // namespace plumbline::storage::codec::internal
