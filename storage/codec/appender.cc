// ChunkAppender: the open chunk. Samples are streamed into two bit buffers (timestamps,
// values) with the streamable encodings; everything else the appender needs sits in one
// plain Cursor. A checkpoint is a sample count: Restore rebuilds from the first samples.
#include <bit>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "storage/codec/chunk.h"
#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/format.h"
#include "storage/codec/internal/int_stream.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/ts_stream.h"
#include "storage/codec/internal/xor_stream.h"

namespace plumbline::storage::codec {

using internal::BitBuffer;
using internal::ValueKind;

namespace {

struct Cursor {
  internal::TsStreamEncoder ts;  // also holds n, min_t (first_t) and max_t (last_t)
  union Values {
    Values() : ints() {}
    internal::IntStreamEncoder ints;  // kind == kIntStream
    internal::XorEncoder xors;        // kind == kXor
  } values;
  double last_value = 0;
  uint16_t exceptions = 0;  // values written as escapes, saturating
  ValueKind kind = ValueKind::kIntStream;
};
static_assert(std::is_trivially_copyable_v<Cursor>);

// Integer escapes cost ~90 bits each; once they are a large share, XOR is smaller.
bool ShouldSwitchToXor(const Cursor& c) {
  return c.exceptions >= 4 && uint32_t{c.exceptions} * 8 > c.ts.n;
}

}  // namespace

struct ChunkAppender::State {
  Cursor c;
  BitBuffer ts_bits;
  BitBuffer value_bits;

  // Decodes the first `n` values of the value buffer.
  std::vector<double> DecodeValues(uint32_t n) const;
  // Re-encodes `vs` into the value buffer with the integer stream at `digits`, or XOR.
  void Reencode(const std::vector<double>& vs, ValueKind kind, int digits);
  // Before appending `v`, which the integer stream cannot represent at its scale: moves to
  // the smallest decimal scale that represents v and every value representable so far.
  void MaybeRescale(double v);
};

std::vector<double> ChunkAppender::State::DecodeValues(uint32_t n) const {
  std::string bytes;
  value_bits.AppendTo(&bytes);
  std::vector<double> vs(n);
  if (c.kind == ValueKind::kXor) {
    internal::XorDecoder dec;
    dec.Init(bytes);
    dec.Decode(vs.data(), n);
  } else {
    internal::IntStreamDecoder dec;
    dec.Init(bytes);
    dec.Decode(vs.data(), n);
  }
  return vs;
}

void ChunkAppender::State::Reencode(const std::vector<double>& vs, ValueKind kind, int digits) {
  value_bits.Clear();
  c.kind = kind;
  c.exceptions = 0;
  if (kind == ValueKind::kXor) {
    c.values.xors = internal::XorEncoder();
    for (double v : vs) c.values.xors.Append(v, &value_bits);
  } else {
    c.values.ints = internal::IntStreamEncoder(digits);
    for (double v : vs) {
      if (c.values.ints.Append(v, &value_bits) && c.exceptions < UINT16_MAX) ++c.exceptions;
    }
  }
}

void ChunkAppender::State::MaybeRescale(double v) {
  const int old_digits = c.values.ints.s.digits;
  int digits = old_digits + 1;
  int64_t m;
  while (digits <= internal::kMaxDecimalDigits && !internal::ToScaledInt(v, digits, &m)) ++digits;
  if (digits > internal::kMaxDecimalDigits) return;
  const std::vector<double> vs = DecodeValues(c.ts.n - 1);  // the values before v
  for (double x : vs) {
    if (internal::ToScaledInt(x, old_digits, &m) && !internal::ToScaledInt(x, digits, &m)) return;
  }
  Reencode(vs, ValueKind::kIntStream, digits);
}

ChunkAppender::ChunkAppender() : state_(std::make_unique<State>()) {}
ChunkAppender::~ChunkAppender() = default;
ChunkAppender::ChunkAppender(ChunkAppender&&) noexcept = default;
ChunkAppender& ChunkAppender::operator=(ChunkAppender&&) noexcept = default;

void ChunkAppender::Append(int64_t t, double v) {
  if (!state_) state_ = std::make_unique<State>();
  State& s = *state_;
  Cursor& c = s.c;
  c.ts.Append(t, &s.ts_bits);
  if (c.kind == ValueKind::kIntStream) {
    int64_t m;
    if (!internal::ToScaledInt(v, c.values.ints.s.digits, &m)) s.MaybeRescale(v);
    if (c.values.ints.Append(v, &s.value_bits)) {
      if (c.exceptions < UINT16_MAX) ++c.exceptions;
      if (ShouldSwitchToXor(c)) s.Reencode(s.DecodeValues(c.ts.n), ValueKind::kXor, 0);
    }
  } else {
    c.values.xors.Append(v, &s.value_bits);
  }
  c.last_value = v;
}

uint32_t ChunkAppender::num_samples() const { return state_ ? state_->c.ts.n : 0; }
int64_t ChunkAppender::min_t() const { return state_ ? state_->c.ts.first_t : 0; }
int64_t ChunkAppender::max_t() const { return state_ ? state_->c.ts.last_t : 0; }
double ChunkAppender::last_value() const { return state_ ? state_->c.last_value : 0; }

size_t ChunkAppender::MemoryBytes() const {
  if (!state_) return 0;
  return sizeof(State) + state_->ts_bits.MemoryBytes() + state_->value_bits.MemoryBytes();
}

size_t ChunkAppender::EncodedBytes() const {
  if (!state_) return 0;
  return state_->ts_bits.size_bytes() + state_->value_bits.size_bytes();
}

void ChunkAppender::EncodeTo(std::string* out) const {
  out->clear();
  internal::Header h;
  if (!state_ || state_->c.ts.n == 0) {
    internal::WriteHeader(h, out);
    return;
  }
  const Cursor& c = state_->c;
  h.n = c.ts.n;
  h.kind = c.kind;
  h.min_t = c.ts.first_t;
  h.max_t = c.ts.last_t;
  h.interval = c.ts.first_delta;
  // A regular interval needs a code (<= 2^53 ms); otherwise the stream section carries it.
  const bool regular = h.n <= 1 || (!c.ts.irregular && c.ts.first_delta <= (int64_t{1} << 53));
  h.ts_mode = regular ? internal::TsMode::kRegular : internal::TsMode::kStream;
  internal::WriteHeader(h, out);
  if (!regular) c.ts.WriteSection(state_->ts_bits, out);
  state_->value_bits.AppendTo(out);
}

void ChunkAppender::SealTo(std::string* out) const {
  std::string open;
  EncodeTo(&open);
  const uint32_t n = num_samples();
  if (n == 0) {
    out->swap(open);
    return;
  }
  std::vector<int64_t> ts(n);
  std::vector<double> vs(n);
  ChunkIterator it;
  if (!it.Init(open).ok() || it.NextBatch(ts.data(), vs.data(), n) != n) {
    out->swap(open);  // unreachable: the open chunk always decodes
    return;
  }
  EncodeChunk(ts, vs, out);
}

ChunkAppender::Checkpoint ChunkAppender::Save() const {
  Checkpoint cp;
  cp.num_samples = num_samples();
  return cp;
}

void ChunkAppender::Restore(const Checkpoint& checkpoint) {
  const uint32_t n = checkpoint.num_samples;
  if (n >= num_samples()) return;  // nothing appended since (or not this appender's past)
  // Appending is a deterministic function of the samples appended, so the appender as it
  // was after its first n samples is a fresh one fed those n samples: bit for bit the same
  // buffers and cursor, whatever re-encodings (scale, XOR) happened since. Rollback is the
  // rare path (a failed write); this keeps checkpoints at 4 bytes.
  std::vector<int64_t> ts(n);
  std::vector<double> vs(n);
  if (n > 0) {
    std::string open;
    EncodeTo(&open);
    ChunkIterator it;
    if (!it.Init(open).ok() || it.NextBatch(ts.data(), vs.data(), n) != n) return;  // unreachable
  }
  ChunkAppender rebuilt;
  for (uint32_t i = 0; i < n; ++i) rebuilt.Append(ts[i], vs[i]);
  *this = std::move(rebuilt);
}

}  // namespace plumbline::storage::codec
