// ReadChunkInfo and EncodeChunk: reading headers and choosing the smallest encoding.
// ChunkAppender lives in appender.cc, ChunkIterator in iterator.cc.
#include "storage/codec/chunk.h"

#include <bit>
#include <string>
#include <vector>

#include "storage/codec/internal/ans_timestamps.h"
#include "storage/codec/internal/ans_values.h"
#include "storage/codec/internal/const_value.h"
#include "storage/codec/internal/format.h"
#include "storage/codec/internal/int_stream.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/ts_stream.h"
#include "storage/codec/internal/xor_stream.h"

namespace plumbline::storage::codec {

using internal::BitBuffer;
using internal::Header;
using internal::TsMode;
using internal::ValueKind;

absl::StatusOr<ChunkInfo> ReadChunkInfo(std::string_view chunk) {
  Header h;
  absl::Status s = internal::ParseHeader(chunk, &h);
  if (!s.ok()) return s;
  return ChunkInfo{h.n, h.min_t, h.max_t, internal::RegularInterval(h)};
}

namespace {

// Intervals up to 2^53 ms have a regular-interval code (format.md, "Chunk layout").
bool IsRegular(absl::Span<const int64_t> ts, int64_t* interval) {
  if (ts.size() < 2) {
    *interval = 0;
    return true;
  }
  const int64_t dt = ts[1] - ts[0];
  if (dt <= 0 || dt > internal::kMaxExactInt) return false;
  for (size_t i = 2; i < ts.size(); ++i) {
    if (ts[i] - ts[i - 1] != dt) return false;
  }
  *interval = dt;
  return true;
}

// The smallest timestamp section for irregular timestamps: Stream or (n >= 3) Sealed.
TsMode EncodeTimestamps(absl::Span<const int64_t> ts, std::string* section) {
  internal::TsStreamEncoder enc;
  BitBuffer bits;
  for (int64_t t : ts) enc.Append(t, &bits);
  enc.WriteSection(bits, section);
  if (ts.size() < 3) return TsMode::kStream;
  std::string sealed;
  internal::EncodeAnsTimestamps(ts, &sealed);
  if (sealed.size() >= section->size()) return TsMode::kStream;
  section->swap(sealed);
  return TsMode::kAns;
}

void EncodeStreamValues(absl::Span<const double> vs, ValueKind kind, int digits, std::string* out) {
  BitBuffer bits;
  if (kind == ValueKind::kXor) {
    internal::XorEncoder enc;
    for (double v : vs) enc.Append(v, &bits);
  } else {
    internal::IntStreamEncoder enc(digits);
    for (double v : vs) enc.Append(v, &bits);
  }
  bits.AppendTo(out);
}

bool AllSameBits(absl::Span<const double> vs) {
  const uint64_t first = std::bit_cast<uint64_t>(vs[0]);
  for (double v : vs) {
    if (std::bit_cast<uint64_t>(v) != first) return false;
  }
  return true;
}

// Chunks this small may do better without a model table; try the streamed encodings too.
constexpr size_t kSmallChunk = 64;

// The decimal scale (0..9 digits) that leaves the fewest values unrepresentable; scales are
// screened on a sample first, so float series do not pay nine full passes.
size_t ScaleToIntegers(absl::Span<const double> vs, internal::ScaledValues* sv) {
  size_t exceptions = internal::ScaleValues(vs, 0, sv);
  if (exceptions == 0) return 0;
  const size_t stride = vs.size() / 32 + 1;
  internal::ScaledValues trial;
  for (int d = 1; d <= internal::kMaxDecimalDigits; ++d) {
    size_t sampled = 0, misses = 0;
    for (size_t i = 0; i < vs.size(); i += stride, ++sampled) {
      int64_t m;
      misses += internal::ToScaledInt(vs[i], d, &m) ? 0 : 1;
    }
    if (misses * 2 > sampled) continue;
    const size_t e = internal::ScaleValues(vs, d, &trial);
    if (e < exceptions) {
      exceptions = e;
      std::swap(*sv, trial);
      if (e == 0) break;
    }
  }
  return exceptions;
}

// Appends the value section of each encoding worth trying; keeps the smallest in *best.
ValueKind EncodeValues(absl::Span<const double> vs, std::string* best) {
  const size_t n = vs.size();
  if (AllSameBits(vs)) {
    internal::WriteConstValue(vs[0], best);
    return ValueKind::kConst;
  }
  ValueKind kind = ValueKind::kXor;
  std::string candidate;
  auto consider = [&](ValueKind k) {
    if (best->empty() || candidate.size() < best->size()) {
      best->swap(candidate);
      kind = k;
    }
    candidate.clear();
  };
  // Integers, or decimals with few digits, take the rANS path; exceptions are escapes.
  internal::ScaledValues sv;
  const size_t exceptions = ScaleToIntegers(vs, &sv);
  if (exceptions * 2 <= n) {
    internal::EncodeAnsValues(vs, sv, &candidate);
    consider(ValueKind::kIntAns);
  }
  if (exceptions > 0 || n <= kSmallChunk) {
    EncodeStreamValues(vs, ValueKind::kXor, 0, &candidate);
    consider(ValueKind::kXor);
  }
  if (n <= kSmallChunk) {
    EncodeStreamValues(vs, ValueKind::kIntStream, sv.digits, &candidate);
    consider(ValueKind::kIntStream);
  }
  return kind;
}

}  // namespace

void EncodeChunk(absl::Span<const int64_t> ts, absl::Span<const double> vs, std::string* out) {
  out->clear();
  const size_t n = std::min(ts.size(), vs.size());
  ts = ts.subspan(0, n);
  vs = vs.subspan(0, n);
  Header h;
  if (n == 0) {
    internal::WriteHeader(h, out);
    return;
  }
  // Timestamps and values are independent sections: each takes its smallest encoding.
  std::string ts_section, value_section;
  const bool regular = IsRegular(ts, &h.interval);
  h.ts_mode = regular ? TsMode::kRegular : EncodeTimestamps(ts, &ts_section);
  h.kind = EncodeValues(vs, &value_section);
  h.n = static_cast<uint32_t>(n);
  h.min_t = ts.front();
  h.max_t = ts.back();
  internal::WriteHeader(h, out);
  out->append(ts_section);
  out->append(value_section);
}

}  // namespace plumbline::storage::codec
