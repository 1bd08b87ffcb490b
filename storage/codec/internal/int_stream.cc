#include "storage/codec/internal/int_stream.h"

#include <bit>

#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {
namespace {

int64_t RoundFixed(int64_t x, int frac) { return WrapAdd(x, int64_t{1} << (frac - 1)) >> frac; }

// Escape payload: one bit (0: residual as Len64, 1: the raw double).
void WriteRawDouble(BitBuffer* bits, double v) {
  const uint64_t b = std::bit_cast<uint64_t>(v);
  bits->Write(b & 0xffffffffu, 32);
  bits->Write(b >> 32, 32);
}

}  // namespace

int64_t IntStreamState::Predict(int j) const {
  if (ints == 0) return 0;
  switch (j) {
    case 0:
      return last;
    case 1:
      return WrapAdd(last, RoundFixed(avg_delta, kFrac));
    default:
      return RoundFixed(avg_value, kFrac);
  }
}

int IntStreamState::Best() const {
  int best = 0;
  for (int j = 1; j < kPredictors; ++j) {
    if (cost[j] < cost[best]) best = j;
  }
  return best;
}

void IntStreamState::Update(int64_t v) {
  const int k = rice.k();
  for (int j = 0; j < kPredictors; ++j) {
    const uint64_t u = ZigZag(WrapSub(v, Predict(j)));
    // An 8-sample average of 16 x bit length: at most 8 * 16 * 64 = 8192.
    cost[j] = static_cast<uint16_t>(cost[j] - (cost[j] >> 3) + 16 * BitLength(u));
  }
  if (ints == 0) {
    avg_value = WrapShl(v, kFrac);
  } else {
    const int64_t delta = WrapSub(v, last);
    if (ints == 1) {
      avg_delta = WrapShl(delta, kFrac);
    } else if (RiceFits(ZigZag(WrapSub(v, Predict(1))), k)) {
      // A counter reset (an escape-sized miss) does not disturb the average delta.
      avg_delta = WrapAdd(avg_delta, WrapSub(WrapShl(delta, kFrac), avg_delta) >> kShift);
    }
    avg_value = WrapAdd(avg_value, WrapSub(WrapShl(v, kFrac), avg_value) >> kShift);
  }
  last = v;
  if (ints < 2) ++ints;
}

bool IntStreamEncoder::Append(double v, BitBuffer* bits) {
  int64_t iv = 0;
  const bool is_int = ToScaledInt(v, s.digits, &iv);
  if (!s.started) {
    s.started = true;
    // The stream starts with the scale: one bit, then 4 bits of digits when it is set.
    bits->Write(s.digits != 0 ? 1 : 0, 1);
    if (s.digits != 0) bits->Write(s.digits, 4);
    bits->Write(is_int ? 0 : 1, 1);
    if (!is_int) {
      WriteRawDouble(bits, v);
      return true;
    }
    WriteLen64(bits, ZigZag(iv));
    s.Update(iv);
    return false;
  }
  if (!is_int) {
    WriteRiceEscape(bits);
    bits->Write(1, 1);
    WriteRawDouble(bits, v);
    return true;
  }
  const uint64_t u = ZigZag(WrapSub(iv, s.Predict(s.Best())));
  const int k = s.rice.k();
  if (RiceFits(u, k)) {
    WriteRice(bits, u, k);
  } else {
    WriteRiceEscape(bits);
    bits->Write(0, 1);
    WriteLen64(bits, u);
  }
  s.rice.Update(u);
  s.Update(iv);
  return false;
}

void IntStreamDecoder::Init(std::string_view bits) {
  in_ = BitReader(bits);
  s_ = IntStreamState();
}

bool IntStreamDecoder::Decode(double* out, size_t count) {
  for (size_t j = 0; j < count; ++j) {
    if (!s_.started) {
      s_.started = true;
      s_.digits = static_cast<uint8_t>(in_.ReadBit() ? in_.Read(4) : 0);
      if (s_.digits > kMaxDecimalDigits) return false;
      if (in_.ReadBit()) {
        out[j] = std::bit_cast<double>(in_.ReadLong(64));
        continue;
      }
      const int64_t v = UnZigZag(ReadLen64(&in_));
      s_.Update(v);
      out[j] = FromScaledInt(v, s_.digits);
      continue;
    }
    uint64_t u;
    const int k = s_.rice.k();
    if (!ReadRice(&in_, k, &u)) {
      if (in_.ReadBit()) {
        out[j] = std::bit_cast<double>(in_.ReadLong(64));
        continue;
      }
      u = ReadLen64(&in_);
    }
    const int64_t v = WrapAdd(s_.Predict(s_.Best()), UnZigZag(u));
    s_.rice.Update(u);
    s_.Update(v);
    out[j] = FromScaledInt(v, s_.digits);
  }
  return !in_.overrun();
}

}  // namespace plumbline::storage::codec::internal
