// Integer helpers shared by the encoders and decoders: zigzag, wrapping arithmetic (the
// decoders run on untrusted bytes, so nothing here may overflow a signed type), varints,
// and the test for values the integer paths can carry.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/codec/internal/bits.h"

namespace plumbline::storage::codec::internal {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }
inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t WrapShl(int64_t a, int s) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) << s);
}

// Integers the integer paths carry: |v| <= 2^53, where every integer is exactly a double.
inline constexpr int64_t kMaxExactInt = int64_t{1} << 53;

// True when `v` is an integer in [-2^53, 2^53] other than -0.0; sets *out.
inline bool ToExactInt(double v, int64_t* out) {
  if (!(v >= -9007199254740992.0 && v <= 9007199254740992.0)) return false;  // also NaN
  const int64_t i = static_cast<int64_t>(v);
  if (static_cast<double>(i) != v) return false;
  if (i == 0 && std::signbit(v)) return false;
  *out = i;
  return true;
}

// Exact powers of ten: division by them is correctly rounded, so decimal scaling round-trips.
inline constexpr int kMaxDecimalDigits = 9;
inline constexpr double kPow10[kMaxDecimalDigits + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                                         1e5, 1e6, 1e7, 1e8, 1e9};

// True when v == m / 10^digits exactly for an integer |m| <= 2^53 (digits = 0: ToExactInt);
// sets *m. Division by an exact power of ten is correctly rounded, so decoding reproduces v.
inline bool ToScaledInt(double v, int digits, int64_t* m) {
  if (digits == 0) return ToExactInt(v, m);
  const double scaled = v * kPow10[digits];
  if (!(std::fabs(scaled) <= 9007199254740992.0)) return false;
  const int64_t i = std::llround(scaled);
  if (i == 0 && std::signbit(v)) return false;
  const double back = static_cast<double>(i) / kPow10[digits];
  if (std::memcmp(&back, &v, sizeof v) != 0) return false;
  *m = i;
  return true;
}
inline double FromScaledInt(int64_t m, int digits) {
  return digits == 0 ? static_cast<double>(m) : static_cast<double>(m) / kPow10[digits];
}

// Base-128 varints (LEB128).
inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
inline int VarintLength(uint64_t v) { return v == 0 ? 1 : (BitLength(v) + 6) / 7; }

// Reads a varint from the front of *in and advances it; false when malformed or truncated.
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, i = 0; i < 10 && i < static_cast<int>(in->size()); ++i, shift += 7) {
    const uint64_t byte = static_cast<uint8_t>((*in)[static_cast<size_t>(i)]);
    if (i == 9 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      in->remove_prefix(static_cast<size_t>(i) + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

// Self-delimiting bit codes (format.md, "Bit codes").
// Len64: 6 bits of (bit length - 1), then the value's `bit length` bits (0 has length 1).
inline void WriteLen64(BitBuffer* out, uint64_t v) {
  const int len = v == 0 ? 1 : BitLength(v);
  out->Write(static_cast<uint64_t>(len - 1), 6);
  out->Write(v & LowMask(len), len);
}
inline uint64_t ReadLen64(BitReader* in) {
  const int len = static_cast<int>(in->Read(6)) + 1;
  return in->ReadLong(len);
}
inline int Len64Length(uint64_t v) { return 6 + (v == 0 ? 1 : BitLength(v)); }

// Elias gamma of 1 <= v < 2^56: unary(bit length - 1), then the bits below the leading one.
inline void WriteEliasGamma(BitBuffer* out, uint64_t v) {
  const int len = BitLength(v);
  out->WriteUnary(static_cast<uint32_t>(len - 1));
  out->Write(v & LowMask(len - 1), len - 1);
}
// Returns 0 (never a valid value) when the code is longer than 56 bits.
inline uint64_t ReadEliasGamma(BitReader* in) {
  const uint32_t q = in->ReadUnary(56);
  if (q >= 56) return 0;
  return (uint64_t{1} << q) | in->Read(static_cast<int>(q));
}
inline int EliasGammaLength(uint64_t v) { return 2 * BitLength(v) - 1; }

}  // namespace plumbline::storage::codec::internal
