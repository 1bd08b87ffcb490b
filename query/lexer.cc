// A port of promql/parser/lex.go. The state functions keep Go's names and order so the two
// can be read side by side; the series-description states (promtool's test format) are left
// out. Each state function returns the next state; kDone is Go's nil.
// Also the decoding of token values (numbers, durations, strings) as the Go parser does it.
#include "query/lexer.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "common/strings.h"

namespace plumbline::query {
namespace {

constexpr int32_t kRuneError = 0xFFFD;

struct Keyword {
  std::string_view word;
  TokenType type;
};

// Prometheus' `key` map, plus "inf" and "nan", which lex as numbers.
constexpr std::array<Keyword, 36> kKeywords = {{
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"limitk", TokenType::kLimitk},
    {"limit_ratio", TokenType::kLimitRatio},
    {"offset", TokenType::kOffset},
    {"smoothed", TokenType::kSmoothed},
    {"anchored", TokenType::kAnchored},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"fill", TokenType::kFill},
    {"fill_left", TokenType::kFillLeft},
    {"fill_right", TokenType::kFillRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"step", TokenType::kStep},
    {"range", TokenType::kRange},
    {"inf", TokenType::kNumber},
}};

bool LookupKeyword(std::string_view word, TokenType* type) {
  std::string lower(word);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "nan") {
    *type = TokenType::kNumber;
    return true;
  }
  for (const Keyword& k : kKeywords) {
    if (k.word == lower) {
      *type = k.type;
      return true;
    }
  }
  return false;
}

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsEndOfLine(int32_t r) { return r == '\r' || r == '\n'; }
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlpha(int32_t r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsAlphaNumeric(int32_t r) { return IsAlpha(r) || IsDigit(r); }

bool ContainsRune(std::string_view valid, int32_t r) {
  if (r < 0 || r >= 0x80) return false;  // every set used here is ASCII
  return valid.find(static_cast<char>(r)) != std::string_view::npos;
}

int DigitVal(int32_t ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 16;
}

void AppendRune(std::string* out, int32_t r) {
  const uint32_t c = static_cast<uint32_t>(r);
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

void AppendHex(std::string* out, uint32_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xF]);
}

// Appends valid rune `r` to a Go-quoted string, as strconv.appendEscapedRune.
void AppendEscapedRune(std::string* out, int32_t r, char quote) {
  if (r == quote || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (r != kRuneError && IsPrintRune(r)) {
    AppendRune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out->append("\\a");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\v':
      out->append("\\v");
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    out->append("\\x");
    AppendHex(out, static_cast<uint32_t>(r), 2);
  } else if (r < 0x10000) {
    out->append("\\u");
    AppendHex(out, static_cast<uint32_t>(r), 4);
  } else {
    out->append("\\U");
    AppendHex(out, static_cast<uint32_t>(r), 8);
  }
}

std::string QuoteWith(std::string_view s, char quote, int max_runes) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(quote);
  int runes = 0;
  while (!s.empty() && (max_runes < 0 || runes < max_runes)) {
    int32_t width = 0;
    const int32_t r = DecodeRune(s, &width);
    if (r == kRuneError && width == 1) {
      out.append("\\x");
      AppendHex(&out, static_cast<unsigned char>(s[0]), 2);
    } else {
      AppendEscapedRune(&out, r, quote);
    }
    s.remove_prefix(static_cast<size_t>(width));
    ++runes;
  }
  out.push_back(quote);
  return out;
}

bool IsValidUtf8Impl(std::string_view s) {
  while (!s.empty()) {
    int32_t width = 0;
    const int32_t r = DecodeRune(s, &width);
    if (r == 0xFFFD && width == 1) return false;
    s.remove_prefix(static_cast<size_t>(width));
  }
  return true;
}

// --- Go's strconv number parsing, as Prometheus' parser.number() uses it. ---

bool UnderscoreOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  const auto lower = [](char c) { return static_cast<char>(c | 0x20); };
  if (s.size() >= 2 && s[0] == '0' &&
      (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

// strconv.ParseInt(s, 0, 64).
bool GoParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const std::string_view orig = s;
  const auto lower = [](char c) { return static_cast<char>(c | 0x20); };
  uint64_t base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && lower(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && lower(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && lower(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t n = 0;
  bool underscores = false;
  for (const char c : s) {
    if (c == '_') {
      underscores = true;
      continue;
    }
    uint64_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c - '0');
    } else if (lower(c) >= 'a' && lower(c) <= 'z') {
      d = static_cast<uint64_t>(lower(c) - 'a' + 10);
    } else {
      return false;
    }
    if (d >= base) return false;
    if (n > (std::numeric_limits<uint64_t>::max() - d) / base) return false;
    n = n * base + d;
  }
  if (underscores && !UnderscoreOk(orig)) return false;
  if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = static_cast<int64_t>(n);
  return true;
}

// strconv.ParseFloat(s, 64) for what the lexer can hand over; the error is Go's.
bool GoParseFloat(std::string_view s, double* out, std::string* error) {
  const std::string quoted = GoQuote(s);
  const auto syntax = [&] {
    *error = StrCat("strconv.ParseFloat: parsing ", quoted, ": invalid syntax");
    return false;
  };
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "+inf" || lower == "infinity" || lower == "+infinity") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf" || lower == "-infinity") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // Hexadecimal floats need a 'p' exponent, which the lexer never lets through.
  if (lower.size() >= 2 && lower[0] == '0' && lower[1] == 'x') return syntax();
  std::string clean;
  bool underscores = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean.push_back(s[i++]);
  int mantissa_digits = 0;
  for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
    if (s[i] == '_') {
      underscores = true;
    } else {
      clean.push_back(s[i]);
      ++mantissa_digits;
    }
  }
  if (i < s.size() && s[i] == '.') {
    clean.push_back('.');
    for (++i; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
      if (s[i] == '_') {
        underscores = true;
      } else {
        clean.push_back(s[i]);
        ++mantissa_digits;
      }
    }
  }
  if (mantissa_digits == 0) return syntax();
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean.push_back('e');
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean.push_back(s[i++]);
    int exp_digits = 0;
    for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
      if (s[i] == '_') {
        underscores = true;
      } else {
        clean.push_back(s[i]);
        ++exp_digits;
      }
    }
    if (exp_digits == 0) return syntax();
  }
  if (i != s.size()) return syntax();
  if (underscores && !UnderscoreOk(s)) return syntax();
  const double v = std::strtod(clean.c_str(), nullptr);
  if (std::isinf(v)) {
    *error = StrCat("strconv.ParseFloat: parsing ", quoted, ": value out of range");
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kAtan2; }
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kLimitRatio; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kFillRight; }

int32_t DecodeRune(std::string_view s, int32_t* width) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (s.empty()) {
    *width = 0;
    return kRuneError;
  }
  const unsigned char c0 = b(0);
  *width = 1;
  if (c0 < 0x80) return c0;
  if (c0 < 0xC2 || c0 > 0xF4) return kRuneError;
  if (c0 < 0xE0) {
    if (s.size() < 2 || (b(1) & 0xC0) != 0x80) return kRuneError;
    *width = 2;
    return ((c0 & 0x1F) << 6) | (b(1) & 0x3F);
  }
  if (c0 < 0xF0) {
    if (s.size() < 3) return kRuneError;
    const unsigned char lo = c0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c0 == 0xED ? 0x9F : 0xBF;
    if (b(1) < lo || b(1) > hi || (b(2) & 0xC0) != 0x80) return kRuneError;
    *width = 3;
    return ((c0 & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  }
  if (s.size() < 4) return kRuneError;
  const unsigned char lo = c0 == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = c0 == 0xF4 ? 0x8F : 0xBF;
  if (b(1) < lo || b(1) > hi || (b(2) & 0xC0) != 0x80 || (b(3) & 0xC0) != 0x80) {
    return kRuneError;
  }
  *width = 4;
  return ((c0 & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

bool IsPrintRune(int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0 || r > 0x10FFFF) return false;
  // Spaces other than U+0020 and format characters are not printable for Go; nor are
  // surrogates, private use areas and noncharacters.
  if (r == 0xA0 || r == 0xAD || r == 0x1680 || (r >= 0x2000 && r <= 0x200F) ||
      (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF ||
      (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD ||
      r == 0x70F || r == 0x180E || (r >= 0xD800 && r <= 0xF8FF) || (r >= 0xFDD0 && r <= 0xFDEF) ||
      (r & 0xFFFE) == 0xFFFE || r >= 0xF0000 || (r >= 0xE0000 && r <= 0xE0FFF)) {
    return false;
  }
  return true;
}

std::string GoQuote(std::string_view s) { return QuoteWith(s, '"', -1); }

std::string GoQuotePrefix(std::string_view s, int max_runes) {
  return QuoteWith(s, '"', max_runes);
}

std::string GoQuoteRune(int32_t r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  std::string out = "'";
  if (r == kRuneError) {
    AppendRune(&out, r);  // Go prints the replacement character itself
  } else {
    AppendEscapedRune(&out, r, '\'');
  }
  out.push_back('\'');
  return out;
}

std::string GoUnicodeRune(int32_t r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if ((r >= 0 && IsPrintRune(r)) || r == kRuneError) {
    out.append(" '");
    AppendRune(&out, r);
    out.push_back('\'');
  }
  return out;
}

std::string DescribeToken(const Token& token) {
  const TokenType t = token.type;
  switch (t) {
    case TokenType::kEOF:
      return "end of input";
    case TokenType::kError:
      return token.val;
    case TokenType::kIdentifier:
      return StrCat("identifier ", GoQuote(token.val));
    case TokenType::kMetricIdentifier:
      return StrCat("metric identifier ", GoQuote(token.val));
    case TokenType::kComment:
    case TokenType::kString:
    case TokenType::kNumber:
    case TokenType::kDuration: {
      std::string_view kind = t == TokenType::kComment  ? "comment"
                              : t == TokenType::kString ? "string"
                              : t == TokenType::kNumber ? "number"
                                                        : "duration";
      std::string text =
          token.val.size() > 10 ? StrCat(GoQuotePrefix(token.val, 10), "...") : GoQuote(token.val);
      return StrCat(kind, " ", text);
    }
    default:
      break;
  }
  if (IsKeywordToken(t)) return StrCat("<", token.val, ">");
  if (IsOperatorToken(t)) return StrCat("<op:", token.val, ">");
  if (IsAggregatorToken(t)) return StrCat("<aggr:", token.val, ">");
  if (token.val.size() > 10) return StrCat(GoQuotePrefix(token.val, 10), "...");
  return GoQuote(token.val);
}

// --- Token values. ---

bool IsValidUtf8(std::string_view s) { return IsValidUtf8Impl(s); }

bool ParseNumberToken(std::string_view text, double* value, std::string* error) {
  int64_t i = 0;
  if (GoParseInt(text, &i)) {
    *value = static_cast<double>(i);
    return true;
  }
  return GoParseFloat(text, value, error);
}

// model.ParseDuration, in nanoseconds, with its error messages.
bool ParseGoDuration(std::string_view s, int64_t* ns, std::string* error) {
  if (s == "0") {
    *ns = 0;
    return true;
  }
  if (s.empty()) {
    *error = "empty duration string";
    return false;
  }
  struct Unit {
    std::string_view name;
    int pos;
    uint64_t mult;
  };
  static constexpr Unit kUnits[] = {
      {"y", 1, 365ULL * 24 * 3600 * 1000000000ULL},
      {"w", 2, 7ULL * 24 * 3600 * 1000000000ULL},
      {"d", 3, 24ULL * 3600 * 1000000000ULL},
      {"h", 4, 3600ULL * 1000000000ULL},
      {"m", 5, 60ULL * 1000000000ULL},
      {"s", 6, 1000000000ULL},
      {"ms", 7, 1000000ULL},
  };
  const std::string_view orig = s;
  const auto invalid = [&] {
    *error = StrCat("not a valid duration string: ", GoQuote(orig));
    return false;
  };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  uint64_t dur = 0;
  int last_unit_pos = 0;
  while (!s.empty()) {
    if (!is_digit(s[0])) return invalid();
    size_t i = 0;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      const uint64_t d = static_cast<uint64_t>(s[i] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) overflow = true;
      v = v * 10 + d;
    }
    if (overflow) return invalid();
    s.remove_prefix(i);
    for (i = 0; i < s.size() && !is_digit(s[i]); ++i) {
    }
    if (i == 0) return invalid();
    const std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == u) unit = &candidate;
    }
    if (unit == nullptr) {
      *error = StrCat("unknown unit ", GoQuote(u), " in duration ", GoQuote(orig));
      return false;
    }
    if (unit->pos <= last_unit_pos) return invalid();
    last_unit_pos = unit->pos;
    if (v > (1ULL << 63) / unit->mult) {
      *error = "duration out of range";
      return false;
    }
    dur += v * unit->mult;
    if (dur > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      *error = "duration out of range";
      return false;
    }
  }
  *ns = static_cast<int64_t>(dur);
  return true;
}

// strutil.Unquote of a string token the lexer accepted.
std::string UnquoteString(std::string_view token) {
  if (token.size() < 2) return std::string();
  const char quote = token[0];
  std::string_view s = token.substr(1, token.size() - 2);
  if (quote == '`') return std::string(s);
  std::string out;
  out.reserve(s.size());
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x':
        if (i + 2 < s.size()) {
          out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
          i += 2;
        }
        break;
      case 'u':
      case 'U': {
        const size_t n = c == 'u' ? 4 : 8;
        uint32_t r = 0;
        for (size_t k = 1; k <= n && i + k < s.size(); ++k) {
          r = r * 16 + static_cast<uint32_t>(hex(s[i + k]));
        }
        i += n;
        // Encode as UTF-8 (the lexer has refused surrogates and values past U+10FFFF).
        if (r < 0x80) {
          out.push_back(static_cast<char>(r));
        } else if (r < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (r >> 6)));
          out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
        } else if (r < 0x10000) {
          out.push_back(static_cast<char>(0xE0 | (r >> 12)));
          out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xF0 | (r >> 18)));
          out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
        }
        break;
      }
      default:
        if (c >= '0' && c <= '7' && i + 2 < s.size()) {
          const int v = (c - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0');
          out.push_back(static_cast<char>(v));
          i += 2;
        } else {
          out.push_back(c);  // \\, \' or \"
        }
        break;
    }
  }
  return out;
}

// --- The state machine. ---

int32_t Lexer::NextRune() {
  if (static_cast<size_t>(pos_) >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  int32_t width = 0;
  const int32_t r = DecodeRune(input_.substr(static_cast<size_t>(pos_)), &width);
  width_ = width;
  pos_ += width;
  return r;
}

int32_t Lexer::PeekRune() {
  const int32_t r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  if (ContainsRune(valid, NextRune())) return true;
  Backup();
  return false;
}

bool Lexer::Is(std::string_view valid) { return ContainsRune(valid, PeekRune()); }

void Lexer::AcceptRun(std::string_view valid) {
  while (ContainsRune(valid, NextRune())) {
  }
  Backup();
}

void Lexer::Emit(TokenType type) {
  item_->type = type;
  item_->pos = start_;
  item_->val =
      std::string(input_.substr(static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_)));
  start_ = pos_;
  scanned_ = true;
}

Lexer::State Lexer::Errorf(std::string message) {
  item_->type = TokenType::kError;
  item_->pos = start_;
  item_->val = std::move(message);
  scanned_ = true;
  return State::kDone;
}

void Lexer::SkipSpaces() {
  while (IsSpace(PeekRune())) NextRune();
  Ignore();
}

Token Lexer::Next() {
  Token token;
  item_ = &token;
  scanned_ = false;
  if (state_ != State::kDone) {
    while (!scanned_) state_ = Run(state_);
  } else {
    Emit(TokenType::kEOF);
  }
  item_ = nullptr;
  return token;
}

Lexer::State Lexer::Run(State state) {
  switch (state) {
    case State::kDone:
      Emit(TokenType::kEOF);
      return State::kDone;
    case State::kStatements:
      return LexStatements();
    case State::kInsideBraces:
      return LexInsideBraces();
    case State::kString:
      return LexString();
    case State::kRawString:
      return LexRawString();
    case State::kEscape:
      return LexEscape();
    case State::kSpace:
      return LexSpace();
    case State::kLineComment:
      return LexLineComment();
    case State::kNumberOrDuration:
      return LexNumberOrDuration();
    case State::kIdentifier:
      return LexIdentifier();
    case State::kKeywordOrIdentifier:
      return LexKeywordOrIdentifier();
    case State::kDurationExpr:
      return LexDurationExpr();
  }
  return State::kDone;
}

Lexer::State Lexer::LexStatements() {
  if (brace_open_) return State::kInsideBraces;
  if (input_.substr(static_cast<size_t>(pos_)).starts_with("#")) return State::kLineComment;

  const int32_t r = NextRune();
  if (r == kEofRune) {
    if (paren_depth_ != 0) return Errorf("unclosed left parenthesis");
    if (bracket_open_) return Errorf("unclosed left bracket");
    Emit(TokenType::kEOF);
    return State::kDone;
  }
  if (r == ',') {
    Emit(TokenType::kComma);
  } else if (IsSpace(r)) {
    return State::kSpace;
  } else if (r == '*') {
    Emit(TokenType::kMul);
  } else if (r == '/') {
    Emit(TokenType::kDiv);
  } else if (r == '%') {
    Emit(TokenType::kMod);
  } else if (r == '+') {
    Emit(TokenType::kAdd);
  } else if (r == '-') {
    Emit(TokenType::kSub);
  } else if (r == '^') {
    Emit(TokenType::kPow);
  } else if (r == '=') {
    const int32_t t = PeekRune();
    if (t == '=') {
      NextRune();
      Emit(TokenType::kEqlc);
    } else if (t == '~') {
      return Errorf(StrCat("unexpected character after '=': ", GoQuoteRune(t)));
    } else {
      Emit(TokenType::kEql);
    }
  } else if (r == '!') {
    const int32_t t = NextRune();
    if (t != '=') return Errorf(StrCat("unexpected character after '!': ", GoQuoteRune(t)));
    Emit(TokenType::kNeq);
  } else if (r == '<') {
    if (PeekRune() == '=') {
      NextRune();
      Emit(TokenType::kLte);
    } else {
      Emit(TokenType::kLss);
    }
  } else if (r == '>') {
    if (PeekRune() == '=') {
      NextRune();
      Emit(TokenType::kGte);
    } else {
      Emit(TokenType::kGtr);
    }
  } else if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
    Backup();
    return State::kNumberOrDuration;
  } else if (r == '"' || r == '\'') {
    string_open_ = r;
    return State::kString;
  } else if (r == '`') {
    string_open_ = r;
    return State::kRawString;
  } else if (IsAlpha(r) || r == ':') {
    if (!bracket_open_) {
      Backup();
      return State::kKeywordOrIdentifier;
    }
    if (r == ':') {
      if (got_colon_) return Errorf(StrCat("unexpected colon ", GoQuoteRune(r)));
      if (PeekRune() == ':') {
        NextRune();
        Emit(TokenType::kDoubleColon);
      } else {
        Emit(TokenType::kColon);
      }
      got_colon_ = true;
      return State::kStatements;
    }
    if ((r == 's' || r == 'S' || r == 'm' || r == 'M') && ScanDurationKeyword()) {
      return State::kStatements;
    }
    return Errorf(
        StrCat("unexpected character: ", GoQuoteRune(r), ", expected ", GoQuoteRune(':')));
  } else if (r == '(') {
    Emit(TokenType::kLeftParen);
    ++paren_depth_;
    return State::kStatements;
  } else if (r == ')') {
    Emit(TokenType::kRightParen);
    --paren_depth_;
    if (paren_depth_ < 0) {
      return Errorf(StrCat("unexpected right parenthesis ", GoQuoteRune(r)));
    }
    return State::kStatements;
  } else if (r == '{') {
    Emit(TokenType::kLeftBrace);
    brace_open_ = true;
    return State::kInsideBraces;
  } else if (r == '[') {
    if (bracket_open_) return Errorf(StrCat("unexpected left bracket ", GoQuoteRune(r)));
    got_colon_ = false;
    Emit(TokenType::kLeftBracket);
    if (IsSpace(PeekRune())) SkipSpaces();
    bracket_open_ = true;
    return State::kDurationExpr;
  } else if (r == ']') {
    if (!bracket_open_) return Errorf(StrCat("unexpected right bracket ", GoQuoteRune(r)));
    Emit(TokenType::kRightBracket);
    bracket_open_ = false;
  } else if (r == '@') {
    Emit(TokenType::kAt);
  } else {
    return Errorf(StrCat("unexpected character: ", GoQuoteRune(r)));
  }
  return State::kStatements;
}

Lexer::State Lexer::LexInsideBraces() {
  if (input_.substr(static_cast<size_t>(pos_)).starts_with("#")) return State::kLineComment;

  const int32_t r = NextRune();
  if (r == kEofRune) return Errorf("unexpected end of input inside braces");
  if (IsSpace(r)) return State::kSpace;
  if (IsAlpha(r)) {
    Backup();
    return State::kIdentifier;
  }
  if (r == ',') {
    Emit(TokenType::kComma);
  } else if (r == '"' || r == '\'') {
    string_open_ = r;
    return State::kString;
  } else if (r == '`') {
    string_open_ = r;
    return State::kRawString;
  } else if (r == '=') {
    if (NextRune() == '~') {
      Emit(TokenType::kEqlRegex);
    } else {
      Backup();
      Emit(TokenType::kEql);
    }
  } else if (r == '!') {
    const int32_t nr = NextRune();
    if (nr == '~') {
      Emit(TokenType::kNeqRegex);
    } else if (nr == '=') {
      Emit(TokenType::kNeq);
    } else {
      return Errorf(StrCat("unexpected character after '!' inside braces: ", GoQuoteRune(nr)));
    }
  } else if (r == '{') {
    return Errorf(StrCat("unexpected left brace ", GoQuoteRune(r)));
  } else if (r == '}') {
    Emit(TokenType::kRightBrace);
    brace_open_ = false;
    return State::kStatements;
  } else {
    return Errorf(StrCat("unexpected character inside braces: ", GoQuoteRune(r)));
  }
  return State::kInsideBraces;
}

Lexer::State Lexer::LexEscape() {
  int n = 0;
  uint32_t base = 0;
  uint32_t max = 0;
  int32_t ch = NextRune();
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      return State::kString;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      n = 3;
      base = 8;
      max = 255;
      break;
    case 'x':
      ch = NextRune();
      n = 2;
      base = 16;
      max = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4;
      base = 16;
      max = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8;
      base = 16;
      max = 0x10FFFF;
      break;
    case kEofRune:
      return Errorf("escape sequence not terminated");
    default:
      if (ch == string_open_) return State::kString;
      return Errorf(StrCat("unknown escape sequence ", GoUnicodeRune(ch)));
  }
  uint32_t x = 0;
  while (n > 0) {
    const uint32_t d = static_cast<uint32_t>(DigitVal(ch));
    if (d >= base) {
      if (ch == kEofRune) return Errorf("escape sequence not terminated");
      return Errorf(StrCat("illegal character ", GoUnicodeRune(ch), " in escape sequence"));
    }
    x = x * base + d;
    --n;
    if (n > 0) ch = NextRune();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    return Errorf("escape sequence is an invalid Unicode code point");
  }
  return State::kString;
}

Lexer::State Lexer::LexString() {
  for (;;) {
    const int32_t r = NextRune();
    if (r == '\\') return State::kEscape;
    if (r == kRuneError) return Errorf("invalid UTF-8 rune");
    if (r == kEofRune || r == '\n') return Errorf("unterminated quoted string");
    if (r == string_open_) break;
  }
  Emit(TokenType::kString);
  return State::kStatements;
}

Lexer::State Lexer::LexRawString() {
  for (;;) {
    const int32_t r = NextRune();
    if (r == kRuneError) return Errorf("invalid UTF-8 rune");
    if (r == kEofRune) return Errorf("unterminated raw string");
    if (r == string_open_) break;
  }
  Emit(TokenType::kString);
  return State::kStatements;
}

Lexer::State Lexer::LexSpace() {
  while (IsSpace(PeekRune())) NextRune();
  Ignore();
  return State::kStatements;
}

Lexer::State Lexer::LexLineComment() {
  pos_ += 1;
  int32_t r = NextRune();
  while (!IsEndOfLine(r) && r != kEofRune) r = NextRune();
  Backup();
  Emit(TokenType::kComment);
  return State::kStatements;
}

bool Lexer::ScanDurationKeyword() {
  for (;;) {
    const int32_t r = NextRune();
    if (IsAlpha(r)) continue;
    Backup();
    std::string word(
        input_.substr(static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_)));
    for (char& c : word) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (word == "step") {
      Emit(TokenType::kStep);
    } else if (word == "range") {
      Emit(TokenType::kRange);
    } else if (word == "min") {
      Emit(TokenType::kMin);
    } else if (word == "max") {
      Emit(TokenType::kMax);
    } else {
      return false;
    }
    return true;
  }
}

Lexer::State Lexer::LexNumberOrDuration() {
  if (ScanNumber()) {
    Emit(TokenType::kNumber);
    return State::kStatements;
  }
  if (AcceptRemainingDuration()) {
    Backup();
    Emit(TokenType::kDuration);
    return State::kStatements;
  }
  return Errorf(StrCat(
      "bad number or duration syntax: ",
      GoQuote(input_.substr(static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_)))));
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");
  while (Accept("0123456789")) {
    while (Accept("0123456789")) {
    }
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

bool Lexer::ScanNumber() {
  const int32_t initial = pos_;
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) {
    Accept("_");
    digits = "0123456789abcdefABCDEF";
  }
  const bool hex = digits.size() > 10;
  const std::string loop_set = StrCat(digits, "._eE");
  Accept(".");
  Accept(digits);
  bool dot_consumed = false;
  bool exponent_consumed = false;
  while (Is(loop_set)) {
    if (Is(".") && dot_consumed) {
      Accept(".");
      return false;
    }
    if (Is("eE") && exponent_consumed) {
      Accept("eE");
      return false;
    }
    if (Accept(".")) {
      dot_consumed = true;
      if (Accept("_.")) return false;
      if (hex) return false;
      continue;
    }
    if (Accept("eE")) {
      exponent_consumed = true;
      Accept("+-");
      if (Accept("._eE") || PeekRune() == kEofRune) return false;
      continue;
    }
    if (Accept("_")) {
      if (Accept("._eE") || PeekRune() == kEofRune) return false;
      continue;
    }
    AcceptRun(digits);
  }
  if (pos_ == initial) return false;
  return !IsAlphaNumeric(PeekRune());
}

Lexer::State Lexer::LexIdentifier() {
  while (IsAlphaNumeric(NextRune())) {
  }
  Backup();
  Emit(TokenType::kIdentifier);
  return State::kStatements;
}

Lexer::State Lexer::LexKeywordOrIdentifier() {
  for (;;) {
    const int32_t r = NextRune();
    if (IsAlphaNumeric(r) || r == ':') continue;
    Backup();
    const std::string_view word =
        input_.substr(static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_));
    TokenType type;
    if (LookupKeyword(word, &type)) {
      // fill/fill_left/fill_right are keywords only before '(' (so `fill + fill` is fine).
      if ((type == TokenType::kFill || type == TokenType::kFillLeft ||
           type == TokenType::kFillRight) &&
          !PeekFollowedByLeftParen()) {
        type = TokenType::kIdentifier;
      }
      Emit(type);
    } else if (word.find(':') == std::string_view::npos) {
      Emit(TokenType::kIdentifier);
    } else {
      Emit(TokenType::kMetricIdentifier);
    }
    return State::kStatements;
  }
}

bool Lexer::PeekFollowedByLeftParen() const {
  for (size_t p = static_cast<size_t>(pos_); p < input_.size(); ++p) {
    if (!IsSpace(static_cast<unsigned char>(input_[p]))) return input_[p] == '(';
  }
  return false;
}

Lexer::State Lexer::LexDurationExpr() {
  const int32_t r = NextRune();
  if (r == kEofRune) return Errorf("unexpected end of input in duration expression");
  switch (r) {
    case ']':
      Emit(TokenType::kRightBracket);
      bracket_open_ = false;
      got_colon_ = false;
      return State::kStatements;
    case ':':
      Emit(TokenType::kColon);
      if (!got_duration_) {
        return Errorf("unexpected colon before duration in duration expression");
      }
      if (got_colon_) return Errorf("unexpected repeated colon in duration expression");
      got_colon_ = true;
      return State::kDurationExpr;
    case '(':
      Emit(TokenType::kLeftParen);
      ++paren_depth_;
      return State::kDurationExpr;
    case ')':
      Emit(TokenType::kRightParen);
      --paren_depth_;
      if (paren_depth_ < 0) {
        return Errorf(StrCat("unexpected right parenthesis ", GoQuoteRune(r)));
      }
      return State::kDurationExpr;
    case '+':
      Emit(TokenType::kAdd);
      return State::kDurationExpr;
    case '-':
      Emit(TokenType::kSub);
      return State::kDurationExpr;
    case '*':
      Emit(TokenType::kMul);
      return State::kDurationExpr;
    case '/':
      Emit(TokenType::kDiv);
      return State::kDurationExpr;
    case '%':
      Emit(TokenType::kMod);
      return State::kDurationExpr;
    case '^':
      Emit(TokenType::kPow);
      return State::kDurationExpr;
    case ',':
      Emit(TokenType::kComma);
      return State::kDurationExpr;
    case 's':
    case 'S':
    case 'm':
    case 'M':
    case 'r':
    case 'R':
      if (ScanDurationKeyword()) return State::kDurationExpr;
      return Errorf(StrCat("unexpected character in duration expression: ", GoQuoteRune(r)));
    default:
      break;
  }
  if (IsSpace(r)) {
    SkipSpaces();
    return State::kDurationExpr;
  }
  if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
    Backup();
    got_duration_ = true;
    return State::kNumberOrDuration;
  }
  return Errorf(StrCat("unexpected character in duration expression: ", GoQuoteRune(r)));
}

}  // namespace plumbline::query
