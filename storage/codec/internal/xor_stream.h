// Gorilla XOR values (ValueKind::kXor, format.md "XOR values"): the first value's 64 bits,
// then per value the XOR with the previous one: '0' when equal; '10' + the bits inside the
// previous window of meaningful bits when they fit; otherwise '11' + 6 bits of leading zeros
// + 6 bits of (length - 1) + the meaningful bits, which become the new window.
#pragma once

#include <cstdint>
#include <string_view>

#include "storage/codec/internal/bits.h"

namespace plumbline::storage::codec::internal {

struct XorEncoder {
  uint64_t prev = 0;
  uint8_t lead = 0;  // window: leading zeros and length of the meaningful bits
  uint8_t len = 0;   // 0 until the first window is set
  bool started = false;

  void Append(double v, BitBuffer* bits);
};

class XorDecoder {
 public:
  void Init(std::string_view bits);
  // Decodes `count` values; false on corruption (reading past the end).
  bool Decode(double* out, size_t count);
  bool Finished() const { return in_.AtPaddedEnd(); }

 private:
  BitReader in_;
  uint64_t prev_ = 0;
  int lead_ = 0;
  int len_ = 0;
  bool started_ = false;
};

}  // namespace plumbline::storage::codec::internal
