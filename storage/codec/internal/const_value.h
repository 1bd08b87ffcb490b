// The value section of ValueKind::kConst (format.md, "Constant values"): one varint x; an
// even x is the integer UnZigZag(x >> 1), x == 1 is followed by the value's 8 raw bytes.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {

inline void WriteConstValue(double v, std::string* out) {
  int64_t i = 0;
  if (ToExactInt(v, &i)) {
    PutVarint(out, ZigZag(i) << 1);
    return;
  }
  PutVarint(out, 1);
  const uint64_t b = std::bit_cast<uint64_t>(v);
  for (int k = 0; k < 8; ++k) out->push_back(static_cast<char>(b >> (8 * k)));
}

// The whole section must be consumed.
inline bool ReadConstValue(std::string_view in, double* v) {
  uint64_t x = 0;
  if (!GetVarint(&in, &x)) return false;
  if ((x & 1) == 0) {
    *v = static_cast<double>(UnZigZag(x >> 1));
    return in.empty() && (x >> 1) <= ZigZag(kMaxExactInt);
  }
  if (x != 1 || in.size() != 8) return false;
  uint64_t b = 0;
  for (int k = 0; k < 8; ++k)
    b |= uint64_t{static_cast<uint8_t>(in[static_cast<size_t>(k)])} << (8 * k);
  *v = std::bit_cast<double>(b);
  return true;
}

}  // namespace plumbline::storage::codec::internal
