// Lexical pieces shared by the StatsD, DogStatsD and Graphite line parsers: decimal numbers,
// unsigned integers and UTF-8 text checks. Inline because they run per value on the ingest hot
// path. None allocates; none reads outside the view it is given. Stateless, thread-safe.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>

namespace plumbline::collector::internal {

inline constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Exact powers of ten: every one up to 1e22 is a double without rounding.
inline constexpr double kExactPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// A decimal float: [+-]? (D+ | D+ '.' D* | '.' D+) ([eE] [+-]? D+)?, where D is [0-9]; that is
// what std::from_chars(double, chars_format::general) accepts, plus a leading '+', minus
// "inf"/"nan" (and with no hex: from_chars' general format has none). The whole view must be
// the number: no whitespace, no second sign. Values outside double's range (from_chars reports
// result_out_of_range) are refused, so the result is always finite.
//
// Fast path: up to 15 significant digits and no exponent. The digits fit a double exactly and
// so does 10^k for k <= 15, so one IEEE division is correctly rounded and gives exactly what
// from_chars gives (Clinger's fast path).
inline bool ParseDecimal(std::string_view text, double* out) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p != end && (*p == '+' || *p == '-')) {
    negative = *p == '-';
    ++p;
  }
  if (p == end) return false;
  const char* const digits_begin = p;
  // Up to 15 digits accumulate; `digits` stops counting at 16 ("too many for the fast path").
  uint64_t mantissa = 0;
  int digits = 0;
  while (p != end && IsDigit(*p)) {
    if (digits < 16 && ++digits <= 15) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
  }
  ptrdiff_t fraction_digits = 0;
  if (p != end && *p == '.') {
    const char* const fraction_begin = ++p;
    while (p != end && IsDigit(*p)) {
      if (digits < 16 && ++digits <= 15) {
        mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
      }
      ++p;
    }
    fraction_digits = p - fraction_begin;
  }
  if (p == end && digits > 0 && digits <= 15) {
    double v = static_cast<double>(mantissa);
    if (fraction_digits > 0) v /= kExactPow10[fraction_digits];
    *out = negative ? -v : v;
    return true;
  }
  // Slow path: exponents and long mantissas. The first byte after the sign must start a
  // decimal (this is what keeps "inf", "nan" and "+-1" out).
  if (!IsDigit(*digits_begin) && *digits_begin != '.') return false;
  double v = 0;
  const std::from_chars_result r =
      std::from_chars(digits_begin, end, v, std::chars_format::general);
  if (r.ec != std::errc() || r.ptr != end || !std::isfinite(v)) return false;
  *out = negative ? -v : v;
  return true;
}

// Decimal digits only (no sign, no space), at least one, value <= max. Leading zeros are fine.
inline bool ParseDigits(std::string_view text, int64_t max, int64_t* out) noexcept {
  if (text.empty()) return false;
  int64_t v = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    const int d = c - '0';
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// The length of the well-formed UTF-8 sequence of two to four bytes that starts at p (whose
// first byte is >= 0x80), or 0 if there is none: Unicode's table 3-7, so no overlong forms, no
// surrogates, nothing above U+10FFFF.
inline size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char c = p[0];
  const size_t avail = static_cast<size_t>(end - p);
  auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return avail >= 2 && cont(p[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || !cont(p[2])) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || !cont(p[2]) || !cont(p[3])) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return p[1] >= lo && p[1] <= hi ? 4 : 0;
  }
  return 0;
}

// True if text is well-formed UTF-8 without a NUL byte. Eight ASCII bytes at a time.
inline bool IsCleanUtf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighs = 0x8080808080808080;
  while (p != end) {
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, sizeof w);
      // No high bit set and no zero byte (the classic "has a zero byte" test).
      if ((w & kHighs) == 0 && ((w - kOnes) & ~w & kHighs) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    const size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

}  // namespace plumbline::collector::internal
