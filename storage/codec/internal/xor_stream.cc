#include "storage/codec/internal/xor_stream.h"

#include <bit>

namespace plumbline::storage::codec::internal {

void XorEncoder::Append(double v, BitBuffer* bits) {
  const uint64_t b = std::bit_cast<uint64_t>(v);
  if (!started) {
    bits->Write(b, 64);
    prev = b;
    started = true;
    return;
  }
  const uint64_t x = b ^ prev;
  prev = b;
  if (x == 0) {
    bits->Write(0, 1);
    return;
  }
  const int lz = __builtin_clzll(x);
  const int tz = __builtin_ctzll(x);
  if (len != 0 && lz >= lead && tz >= 64 - lead - len) {
    bits->Write(1, 2);  // '1' then '0'
    bits->Write(x >> (64 - lead - len), len);
    return;
  }
  const int n = 64 - lz - tz;
  bits->Write(3, 2);  // '1' then '1'
  bits->Write(static_cast<uint64_t>(lz), 6);
  bits->Write(static_cast<uint64_t>(n - 1), 6);
  bits->Write(x >> tz, n);
  lead = static_cast<uint8_t>(lz);
  len = static_cast<uint8_t>(n);
}

void XorDecoder::Init(std::string_view bits) {
  in_ = BitReader(bits);
  prev_ = 0;
  lead_ = len_ = 0;
  started_ = false;
}

bool XorDecoder::Decode(double* out, size_t count) {
  for (size_t j = 0; j < count; ++j) {
    if (!started_) {
      prev_ = in_.ReadLong(64);
      started_ = true;
    } else if (in_.ReadBit()) {
      if (in_.ReadBit()) {
        lead_ = static_cast<int>(in_.Read(6));
        len_ = static_cast<int>(in_.Read(6)) + 1;
        if (lead_ + len_ > 64) return false;
      } else if (len_ == 0) {
        return false;
      }
      prev_ ^= in_.ReadLong(len_) << (64 - lead_ - len_);
    }
    out[j] = std::bit_cast<double>(prev_);
  }
  return !in_.overrun();
}

}  // namespace plumbline::storage::codec::internal
