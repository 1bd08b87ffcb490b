#include "storage/codec/internal/ts_stream.h"

#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {
namespace {
constexpr uint64_t kNoEvent = ~uint64_t{0};
}  // namespace

void TsStreamEncoder::Append(int64_t t, BitBuffer* bits) {
  if (n == 0) {
    first_t = t;
  } else if (n == 1) {
    first_delta = last_delta = t - last_t;
  } else {
    const int64_t delta = t - last_t;
    const int64_t dod = WrapSub(delta, last_delta);
    if (dod == 0) {
      ++pending_zeros;
    } else {
      WriteEliasGamma(bits, uint64_t{pending_zeros} + 1);
      const uint64_t u = ZigZag(dod) - 1;
      const int k = rice.k();
      if (RiceFits(u, k)) {
        WriteRice(bits, u, k);
      } else {
        WriteRiceEscape(bits);
        WriteLen64(bits, u);
      }
      rice.Update(u);
      pending_zeros = 0;
      irregular = true;
    }
    last_delta = delta;
  }
  last_t = t;
  ++n;
}

void TsStreamEncoder::WriteSection(const BitBuffer& bits, std::string* out) const {
  PutVarint(out, static_cast<uint64_t>(first_delta));
  PutVarint(out, bits.size());
  bits.AppendTo(out);
}

absl::Status TsStreamDecoder::Init(std::string_view* in, uint32_t n, int64_t min_t, int64_t max_t) {
  uint64_t first_delta = 0;
  if (!GetVarint(in, &first_delta) || !GetVarint(in, &stream_bits_) || first_delta == 0 ||
      first_delta > static_cast<uint64_t>(max_t - min_t) ||
      stream_bits_ > uint64_t{in->size()} * 8) {
    return absl::DataLossError("timestamp stream: bad section header");
  }
  const size_t bytes = static_cast<size_t>((stream_bits_ + 7) / 8);
  in_ = BitReader(in->substr(0, bytes));
  in->remove_prefix(bytes);
  n_ = n;
  i_ = 0;
  min_t_ = min_t;
  max_t_ = max_t;
  first_delta_ = static_cast<int64_t>(first_delta);
  last_t_ = min_t;
  last_delta_ = first_delta_;
  rice_ = AdaptiveRice();
  zeros_left_ = 0;
  if (!NextEvent()) return absl::DataLossError("timestamp stream: bad run");
  return absl::OkStatus();
}

// Reads the zero-run length in front of the next event, if the stream holds one more.
bool TsStreamDecoder::NextEvent() {
  if (in_.position() >= stream_bits_) {
    zeros_left_ = kNoEvent;
    return true;
  }
  const uint64_t run = ReadEliasGamma(&in_);
  if (run == 0) return false;
  zeros_left_ = run - 1;
  return true;
}

bool TsStreamDecoder::Decode(int64_t* out, size_t count) {
  for (size_t j = 0; j < count; ++j) {
    int64_t t;
    if (i_ == 0) {
      t = min_t_;
    } else if (i_ == 1) {
      t = min_t_ + first_delta_;
    } else {
      int64_t dod = 0;
      if (zeros_left_ != 0) {
        if (zeros_left_ != kNoEvent) --zeros_left_;
      } else {
        uint64_t u;
        const int k = rice_.k();
        if (!ReadRice(&in_, k, &u)) {
          u = ReadLen64(&in_);
        }
        rice_.Update(u);
        dod = UnZigZag(u + 1);
        if (!NextEvent()) return false;
      }
      last_delta_ = WrapAdd(last_delta_, dod);
      if (last_delta_ <= 0) return false;
      t = WrapAdd(last_t_, last_delta_);
      if (t <= last_t_ || t > max_t_) return false;
    }
    last_t_ = t;
    out[j] = t;
    ++i_;
  }
  return !in_.overrun() && in_.position() <= stream_bits_;
}

bool TsStreamDecoder::Finished() const {
  return i_ == n_ && last_t_ == max_t_ && in_.position() == stream_bits_ &&
         (zeros_left_ == kNoEvent);
}

}  // namespace plumbline::storage::codec::internal
