#include "storage/import/internal/number.h"

#include <bit>
#include <charconv>
#include <limits>
#include <system_error>

namespace plumbline::storage::import::internal {
namespace {

// Exponents are saturated here: far beyond any double or int64 range, far from overflow.
constexpr int64_t kMaxExponent = 1'000'000'000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower[i]) return false;
  }
  return true;
}

// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, the whole text.
struct Decimal {
  bool negative = false;
  bool has_point = false;
  bool has_exponent = false;
  std::string_view int_digits;
  std::string_view frac_digits;
  int64_t exponent = 0;  // saturated to +-kMaxExponent
};

bool ScanDecimal(std::string_view text, Decimal* d) {
  size_t i = 0;
  const size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) {
    d->negative = text[i] == '-';
    ++i;
  }
  size_t start = i;
  while (i < n && IsDigit(text[i])) ++i;
  d->int_digits = text.substr(start, i - start);
  if (i < n && text[i] == '.') {
    d->has_point = true;
    start = ++i;
    while (i < n && IsDigit(text[i])) ++i;
    d->frac_digits = text.substr(start, i - start);
  }
  if (d->int_digits.empty() && d->frac_digits.empty()) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    d->has_exponent = true;
    ++i;
    bool negative_exponent = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      negative_exponent = text[i] == '-';
      ++i;
    }
    if (i == n || !IsDigit(text[i])) return false;
    int64_t e = 0;
    for (; i < n && IsDigit(text[i]); ++i) {
      if (e < kMaxExponent) e = e * 10 + (text[i] - '0');
    }
    if (e > kMaxExponent) e = kMaxExponent;
    d->exponent = negative_exponent ? -e : e;
  }
  return i == n;
}

// Decimal exponent m with 10^(m-1) <= |value| < 10^m; only called for non-zero values.
int64_t Magnitude(const Decimal& d) {
  for (size_t k = 0; k < d.int_digits.size(); ++k) {
    if (d.int_digits[k] != '0') return static_cast<int64_t>(d.int_digits.size() - k) + d.exponent;
  }
  for (size_t k = 0; k < d.frac_digits.size(); ++k) {
    if (d.frac_digits[k] != '0') return -static_cast<int64_t>(k) + d.exponent;
  }
  return std::numeric_limits<int64_t>::min();  // zero: never out of range
}

}  // namespace

NumberError ParseValue(std::string_view text, double* value) noexcept {
  std::string_view unsigned_text = text;
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    unsigned_text.remove_prefix(1);
  }
  if (EqualsIgnoreCase(unsigned_text, "inf") || EqualsIgnoreCase(unsigned_text, "infinity")) {
    *value = negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    return NumberError::kOk;
  }
  if (EqualsIgnoreCase(text, "nan")) {  // Go takes no sign on NaN
    *value = std::bit_cast<double>(kNormalNanBits);
    return NumberError::kOk;
  }
  Decimal d;
  if (!ScanDecimal(text, &d)) return NumberError::kSyntax;
  double parsed = 0;
  const char* const end = text.data() + text.size();
  // from_chars takes '-' but not '+'; the syntax is already checked, so it reads it all.
  const auto [ptr, ec] = std::from_chars(unsigned_text.data(), end, parsed);
  if (ec == std::errc::result_out_of_range) {
    if (Magnitude(d) > 0) return NumberError::kOutOfRange;
    parsed = 0;  // underflow: zero, as Go does
  } else if (ec != std::errc() || ptr != end) {
    return NumberError::kSyntax;
  }
  *value = negative ? -parsed : parsed;
  return NumberError::kOk;
}

NumberError ParseTimestampMs(std::string_view text, TimestampUnit unit, int64_t* ms) noexcept {
  Decimal d;
  if (!ScanDecimal(text, &d)) return NumberError::kSyntax;
  bool seconds = false;
  switch (unit) {
    case TimestampUnit::kAuto:
      seconds = d.has_point || d.has_exponent;
      break;
    case TimestampUnit::kMilliseconds:
      seconds = false;
      break;
    case TimestampUnit::kSeconds:
      seconds = true;
      break;
  }
  // value = digits(int_digits frac_digits) * 10^shift, exactly.
  const int64_t shift = d.exponent - static_cast<int64_t>(d.frac_digits.size()) + (seconds ? 3 : 0);
  const size_t total = d.int_digits.size() + d.frac_digits.size();
  auto digit = [&d](size_t i) {
    return i < d.int_digits.size() ? d.int_digits[i] : d.frac_digits[i - d.int_digits.size()];
  };
  size_t first = 0;
  while (first < total && digit(first) == '0') ++first;
  const int64_t significant = static_cast<int64_t>(total - first);
  // Digits kept before the decimal point of the result; the rest is truncated.
  const int64_t kept = significant + shift;
  uint64_t magnitude = 0;
  if (significant > 0 && kept > 0) {
    if (kept > 19) return NumberError::kOutOfRange;  // >= 10^19 > 2^63
    const size_t from_digits = static_cast<size_t>(std::min<int64_t>(kept, significant));
    for (size_t i = first; i < first + from_digits; ++i) {
      magnitude = magnitude * 10 + static_cast<uint64_t>(digit(i) - '0');
    }
    for (int64_t i = significant; i < kept; ++i) magnitude *= 10;  // < 10^19 < 2^64
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (d.negative) {
    if (magnitude > kMax + 1) return NumberError::kOutOfRange;
    *ms = magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                : -static_cast<int64_t>(magnitude);
  } else {
    if (magnitude > kMax) return NumberError::kOutOfRange;
    *ms = static_cast<int64_t>(magnitude);
  }
  return NumberError::kOk;
}

}  // namespace plumbline::storage::import::internal
