#include "storage/codec/internal/format.h"

#include "storage/codec/chunk.h"
#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {
namespace {

// A regular interval is stored as m * 10^k (k <= 3, m > 0) in one varint: (m << 2) | k, so
// 10 s costs one byte rather than two.
uint64_t IntervalCode(int64_t interval) {
  uint64_t m = static_cast<uint64_t>(interval);
  uint64_t k = 0;
  while (k < 3 && m % 10 == 0) {
    m /= 10;
    ++k;
  }
  return (m << 2) | k;
}

bool IntervalFromCode(uint64_t code, int64_t* interval) {
  static constexpr uint64_t kScale[4] = {1, 10, 100, 1000};
  const uint64_t m = code >> 2;
  if (m == 0 || m > (uint64_t{1} << 53)) return false;
  *interval = static_cast<int64_t>(m * kScale[code & 3]);
  return true;
}

// min_t is stored divided by the largest of these that divides it: a chunk that starts on a
// round time (a 2-hour window, a 10 s flush) saves one or two bytes.
constexpr int64_t kTimeScale[4] = {1, 1000, 10'000, 100'000};

int TimeScaleOf(int64_t t) {
  for (int s = 3; s > 0; --s) {
    if (t % kTimeScale[s] == 0) return s;
  }
  return 0;
}

absl::Status Corrupt(const char* what) {
  return absl::DataLossError(std::string("chunk header: ") + what);
}

}  // namespace

void WriteHeader(const Header& h, std::string* out) {
  const int scale = h.n == 0 ? 0 : TimeScaleOf(h.min_t);
  out->push_back(static_cast<char>((kFormatVersion << 6) | (static_cast<uint8_t>(h.ts_mode) << 4) |
                                   (static_cast<uint8_t>(h.kind) << 2) | scale));
  PutVarint(out, h.n);
  if (h.n == 0) return;
  PutVarint(out, ZigZag(h.min_t / kTimeScale[scale]));
  if (h.n == 1) return;
  if (h.ts_mode == TsMode::kRegular) {
    PutVarint(out, IntervalCode(h.interval));
  } else {
    PutVarint(out, static_cast<uint64_t>(h.max_t) - static_cast<uint64_t>(h.min_t));
  }
}

absl::Status ParseHeader(std::string_view chunk, Header* h) {
  if (chunk.empty()) return Corrupt("empty");
  const uint8_t b0 = static_cast<uint8_t>(chunk[0]);
  const uint8_t version = b0 >> 6;
  if (version < kOldestFormatVersion || version > kFormatVersion) {
    return Corrupt("unknown format version");
  }
  h->version = version;
  const uint8_t ts_mode = (b0 >> 4) & 3;
  const uint8_t kind = (b0 >> 2) & 3;
  const int scale = b0 & 3;
  if (ts_mode > 2) return Corrupt("unknown encoding");
  h->ts_mode = static_cast<TsMode>(ts_mode);
  h->kind = static_cast<ValueKind>(kind);
  std::string_view in = chunk.substr(1);
  uint64_t n = 0;
  if (!GetVarint(&in, &n) || n > kMaxSamples) return Corrupt("bad sample count");
  h->n = static_cast<uint32_t>(n);
  h->min_t = h->max_t = h->interval = 0;
  if (n == 0) {
    if (!in.empty() || b0 != (version << 6)) return Corrupt("bad empty chunk");
    h->rest = in;
    return absl::OkStatus();
  }
  uint64_t zt = 0;
  if (!GetVarint(&in, &zt)) return Corrupt("bad min_t");
  if (__builtin_mul_overflow(UnZigZag(zt), kTimeScale[scale], &h->min_t)) {
    return Corrupt("bad min_t");
  }
  h->max_t = h->min_t;
  if (n >= 2) {
    uint64_t x = 0;
    if (!GetVarint(&in, &x)) return Corrupt("bad interval");
    if (h->ts_mode == TsMode::kRegular) {
      int64_t interval = 0;
      if (!IntervalFromCode(x, &interval)) return Corrupt("bad interval");
      int64_t span = 0;
      if (__builtin_mul_overflow(interval, static_cast<int64_t>(n - 1), &span) ||
          __builtin_add_overflow(h->min_t, span, &h->max_t)) {
        return Corrupt("interval overflows");
      }
      h->interval = interval;
    } else {
      // Every step is at least 1 ms.
      if (x < n - 1 || x > static_cast<uint64_t>(INT64_MAX) ||
          __builtin_add_overflow(h->min_t, static_cast<int64_t>(x), &h->max_t)) {
        return Corrupt("bad time span");
      }
    }
  } else if (h->ts_mode != TsMode::kRegular) {
    return Corrupt("single sample with timestamp stream");
  }
  h->rest = in;
  return absl::OkStatus();
}

}  // namespace plumbline::storage::codec::internal
