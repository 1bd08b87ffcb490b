// The chunk header: what every encoding shares (format.md, "Chunk layout").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace plumbline::storage::codec::internal {

// Byte 0 of a chunk: version (bits 7-6), timestamp mode (bits 5-4), value kind (bits 3-2),
// time scale (bits 1-0: min_t is stored divided by 1, 10^3, 10^4 or 10^5). The encoder writes
// kFormatVersion; decoders read versions kOldestFormatVersion..kFormatVersion (format.md).
inline constexpr uint8_t kFormatVersion = 2;
inline constexpr uint8_t kOldestFormatVersion = 1;

enum class TsMode : uint8_t {
  kRegular = 0,  // t_i = min_t + i * interval: no bits per sample
  kStream = 1,   // delta-of-delta, zero runs + adaptive Rice, in a bit stream
  kAns = 2,      // residuals of a delta or grid prediction, rANS-coded; sealed chunks only
};

enum class ValueKind : uint8_t {
  kConst = 0,      // every value has the same bits
  kXor = 1,        // Gorilla XOR, streamable
  kIntStream = 2,  // integers, adaptive predictor + adaptive Rice, streamable
  kIntAns = 3,     // integers (or decimals), chunk-level predictor + rANS; sealed chunks only
};

struct Header {
  uint8_t version = kFormatVersion;
  TsMode ts_mode = TsMode::kRegular;
  ValueKind kind = ValueKind::kConst;
  uint32_t n = 0;
  int64_t min_t = 0;
  int64_t max_t = 0;
  int64_t interval = 0;  // kRegular with n >= 2 only
  // The bytes after the fixed header: the timestamp section, then the value section.
  std::string_view rest;
};

// Writes byte 0 through the end of the fixed header. For kRegular, `interval` must be > 0
// when n >= 2; otherwise max_t is stored (as max_t - min_t).
void WriteHeader(const Header& h, std::string* out);

// Parses the fixed header; DataLoss when it is not one. Cheap: a few varints.
absl::Status ParseHeader(std::string_view chunk, Header* h);

// The d of t_i = min_t + i * d when the header says so (ChunkInfo::interval), else 0.
inline int64_t RegularInterval(const Header& h) {
  return h.ts_mode == TsMode::kRegular && h.n >= 2 ? h.interval : 0;
}

}  // namespace plumbline::storage::codec::internal
