// Sample values and timestamps: the number syntax of Prometheus' text formats.
#pragma once

#include <cstdint>
#include <string_view>

#include "storage/import/prom_text_parser.h"

namespace plumbline::storage::import::internal {

enum class NumberError : uint8_t { kOk, kSyntax, kOutOfRange };

// Prometheus' NaN for a parsed "NaN" (value.NormalNaN); stale markers use another payload.
inline constexpr uint64_t kNormalNanBits = 0x7ff8000000000001;

// A sample value as Prometheus reads it: Go's strconv.ParseFloat without hex floats and '_'.
//   [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
//   [+-]? (inf | infinity)     nan        (case-insensitive)
// Overflow to infinity is kOutOfRange; underflow gives (signed) zero, as in Go.
[[nodiscard]] NumberError ParseValue(std::string_view text, double* value) noexcept;

// A timestamp: [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, converted exactly
// to integer milliseconds and truncated toward zero. kOutOfRange when it does not fit int64.
// `unit` as TimestampUnit documents: kAuto reads seconds when the text has '.' or an exponent.
[[nodiscard]] NumberError ParseTimestampMs(std::string_view text, TimestampUnit unit,
                                           int64_t* ms) noexcept;

}  // namespace plumbline::storage::import::internal
