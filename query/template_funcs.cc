// The functions of alert templates: Go's text/template built-ins (funcs.go), the part of
// Go's fmt they need (print.go, format.go, strconv's float formatting), and Prometheus'
// FuncMap (template/template.go, v2.42).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/strings.h"
#include "query/internal/template_tree.h"
#include "query/parser.h"
#include "re2/re2.h"

namespace plumbline::query::internal {
namespace {

constexpr std::array<const char*, kFnCount> kFuncNames = {
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "html",
    "js",
    "urlquery",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "sortByLabel",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "title",
    "toUpper",
    "toLower",
    "match",
    "reReplaceAll",
    "safeHtml",
    "args",
    "graphLink",
    "tableLink",
    "pathPrefix",
    "externalURL",
    "stripPort",
    "stripDomain",
    "parseDuration",
};

[[noreturn]] void Fail(std::string msg) { throw FuncError{std::move(msg)}; }

// ---- Go's float formatting -----------------------------------------------------------

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, f, g (prec -1: shortest).
std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (prec >= 0) {
    // C's %e/%f/%g round exactly as Go's (half to even on the exact binary value) and
    // print exponents with at least two digits, as Go does.
    prec = std::min(prec, 1000);
    const char spec[] = {'%', '.', '*', fmt, '\0'};
    char buf[1400];
    std::snprintf(buf, sizeof(buf), spec, prec, v);
    return buf;
  }
  // Shortest digits that round-trip, then Go's layout.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  const bool neg = sci.front() == '-';
  if (neg) sci.remove_prefix(1);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (digits == "0") exp = 0;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int nd = static_cast<int>(digits.size());
  const int dp = exp + 1;
  std::string out = neg ? "-" : "";
  bool use_e = fmt == 'e';
  // Go's shortest %g/%v: exponent form below 1e-4 and from 1e+06 (strconv's eprec 6;
  // the 1e21 threshold is encoding/json's, not fmt's).
  if (fmt == 'g') use_e = exp < -4 || exp >= 6;
  if (use_e) {
    out += digits[0];
    if (nd > 1) StrAppend(&out, ".", std::string_view(digits).substr(1));
    absl::StrAppendFormat(&out, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out;
  }
  // %f with as many decimals as the digits need.
  if (dp <= 0) {
    StrAppend(&out, "0.", std::string(-dp, '0'), digits);
  } else if (dp >= nd) {
    StrAppend(&out, digits, std::string(dp - nd, '0'));
  } else {
    StrAppend(&out, std::string_view(digits).substr(0, dp), ".",
              std::string_view(digits).substr(dp));
  }
  return out;
}

// ---- values --------------------------------------------------------------------------

std::string FormatTime(int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1000000000;
  int64_t nanos = unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  // days_from_civil's inverse (Howard Hinnant's algorithm).
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  std::string out = absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d", y, m, d, rem / 3600,
                                    rem / 60 % 60, rem % 60);
  if (nanos != 0) {
    std::string frac = absl::StrFormat("%09d", nanos);
    while (frac.back() == '0') frac.pop_back();
    StrAppend(&out, ".", frac);
  }
  StrAppend(&out, " +0000 UTC");
  return out;
}

std::string FormatLabels(const std::map<std::string, std::string>& m) {
  std::string out = "map[";
  bool first = true;
  for (const auto& [k, v] : m) {
    StrAppend(&out, first ? "" : " ", k, ":", v);
    first = false;
  }
  return out + "]";
}

std::string FormatSample(const TemplateSample& s) {
  return StrCat("{", FormatLabels(s.labels), " ", FormatGoFloatV(s.value), "}");
}

bool IsStringKind(const Value& v) {
  return v.kind == ValueKind::kString || v.kind == ValueKind::kHTML;
}

// ---- printf --------------------------------------------------------------------------

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1, prec = -1;
};

std::string Pad(std::string s, const Spec& spec, bool numeric) {
  const int len = static_cast<int>(s.size());
  if (spec.width <= len) return s;
  const size_t n = spec.width - len;
  if (spec.minus) return s + std::string(n, ' ');
  if (spec.zero) {
    size_t at = 0;
    if (numeric && !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) at = 1;
    if (!(numeric && (s.find("Inf") != std::string::npos || s.find("NaN") != std::string::npos))) {
      s.insert(at, n, '0');
      return s;
    }
  }
  return std::string(n, ' ') + s;
}

std::string BadVerb(char verb, const Value& v) {
  if (v.kind == ValueKind::kInvalid) return StrCat("%!", std::string(1, verb), "(<nil>)");
  return StrCat("%!", std::string(1, verb), "(", GoTypeName(v), "=", FormatValue(v), ")");
}

std::string FormatInt(int64_t i, char verb, const Spec& spec) {
  const bool neg = i < 0;
  const uint64_t u = neg ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
  std::string digits;
  switch (verb) {
    case 'v':
    case 'd':
      digits = absl::StrFormat("%u", u);
      break;
    case 'b':
      for (uint64_t x = u; x > 0; x >>= 1) digits.insert(digits.begin(), '0' + (x & 1));
      if (digits.empty()) digits = "0";
      break;
    case 'o':
      digits = absl::StrFormat("%o", u);
      break;
    case 'x':
      digits = absl::StrFormat("%x", u);
      break;
    case 'X':
      digits = absl::StrFormat("%X", u);
      break;
    case 'c':
    case 'q':
    case 'U': {
      std::string utf8;
      const uint32_t r = (i < 0 || i > 0x10FFFF || (i >= 0xD800 && i < 0xE000)) ? 0xFFFD : i;
      if (r < 0x80) {
        utf8 += static_cast<char>(r);
      } else if (r < 0x800) {
        utf8 += static_cast<char>(0xC0 | (r >> 6));
        utf8 += static_cast<char>(0x80 | (r & 0x3F));
      } else if (r < 0x10000) {
        utf8 += static_cast<char>(0xE0 | (r >> 12));
        utf8 += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (r & 0x3F));
      } else {
        utf8 += static_cast<char>(0xF0 | (r >> 18));
        utf8 += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
        utf8 += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (r & 0x3F));
      }
      if (verb == 'c') return Pad(utf8, spec, false);
      if (verb == 'U') return Pad(absl::StrFormat("U+%04X", i), spec, false);
      std::string q = GoQuote(utf8);
      if (utf8 == "'") return Pad("'\\''", spec, false);
      if (q == "\"\\\"\"") return Pad("'\"'", spec, false);
      return Pad(StrCat("'", q.substr(1, q.size() - 2), "'"), spec, false);
    }
    default:
      return BadVerb(verb, Value::Int(i));
  }
  if (spec.prec >= 0 && static_cast<int>(digits.size()) < spec.prec) {
    digits.insert(0, spec.prec - digits.size(), '0');
  }
  if (spec.sharp) {
    if (verb == 'x') digits.insert(0, "0x");
    if (verb == 'X') digits.insert(0, "0X");
    if (verb == 'o' && digits[0] != '0') digits.insert(0, "0");
  }
  const std::string sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  Spec s = spec;
  if (spec.prec >= 0) s.zero = false;
  return Pad(sign + digits, s, true);
}

std::string FormatFloatVerb(double f, char verb, const Spec& spec) {
  std::string s;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      s = FormatFloat(f, 'g', spec.prec);
      break;
    case 'e':
    case 'E':
      s = FormatFloat(f, 'e', spec.prec < 0 ? 6 : spec.prec);
      break;
    case 'f':
    case 'F':
      s = FormatFloat(f, 'f', spec.prec < 0 ? 6 : spec.prec);
      break;
    default:
      return BadVerb(verb, Value::Float(f));
  }
  if (verb == 'G' || verb == 'E') {
    for (char& c : s) {
      if (c == 'e') c = 'E';
    }
  }
  if (s == "NaN" && (spec.plus || spec.space)) s = (spec.plus ? "+" : " ") + s;
  if (s == "+Inf" && !spec.plus) s = spec.space ? " Inf" : "+Inf";
  if (s[0] != '-' && s[0] != '+' && s[0] != ' ' && s != "NaN") {
    if (spec.plus)
      s = "+" + s;
    else if (spec.space)
      s = " " + s;
  }
  return Pad(s, spec, true);
}

std::string FormatString(std::string_view str, char verb, const Spec& spec, const Value& orig) {
  std::string s(str);
  if (spec.prec >= 0 && (verb == 's' || verb == 'v' || verb == 'q')) {
    // Precision counts runes.
    size_t i = 0;
    int runes = 0;
    while (i < s.size() && runes < spec.prec) {
      const auto c = static_cast<unsigned char>(s[i]);
      i += c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      ++runes;
    }
    s = s.substr(0, std::min(i, s.size()));
  }
  switch (verb) {
    case 'v':
    case 's':
      return Pad(s, spec, false);
    case 'q':
      return Pad(GoQuote(s), spec, false);
    case 'x':
    case 'X': {
      std::string out;
      const size_t n = spec.prec >= 0 ? std::min<size_t>(spec.prec, s.size()) : s.size();
      for (size_t i = 0; i < n; ++i) {
        const auto byte = static_cast<unsigned char>(s[i]);
        if (verb == 'x') {
          absl::StrAppendFormat(&out, "%02x", byte);
        } else {
          absl::StrAppendFormat(&out, "%02X", byte);
        }
      }
      return Pad(out, spec, false);
    }
    default:
      return BadVerb(verb, orig);
  }
}

std::string FormatArg(const Value& v, char verb, const Spec& spec) {
  if (verb == 'T') return Pad(GoTypeName(v), spec, false);
  switch (v.kind) {
    case ValueKind::kInvalid:
      if (verb == 'v') return Pad("<nil>", spec, false);
      return BadVerb(verb, v);
    case ValueKind::kBool:
      if (verb == 'v' || verb == 't') return Pad(v.b ? "true" : "false", spec, false);
      return BadVerb(verb, v);
    case ValueKind::kInt:
      return FormatInt(v.i, verb, spec);
    case ValueKind::kFloat:
      return FormatFloatVerb(v.f, verb, spec);
    case ValueKind::kString:
    case ValueKind::kHTML:
      return FormatString(v.s, verb, spec, v);
    case ValueKind::kTime:
      return FormatString(FormatTime(v.i), verb == 'v' ? 's' : verb, spec, v);
    default:
      // Composite values: Go applies the verb to the elements; %v and %s read the same.
      return Pad(FormatValue(v), spec, false);
  }
}

// ---- Prometheus' helpers -------------------------------------------------------------

// strconv.ParseFloat(s, 64): Go's syntax only (no spaces, no C extensions).
double ParseGoFloat(const std::string& s) {
  auto invalid = [&] {
    Fail(StrCat("strconv.ParseFloat: parsing ", GoQuote(s), ": invalid syntax"));
  };
  std::string_view t = s;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.remove_prefix(1);
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool neg = !s.empty() && s[0] == '-';
  if (lower == "inf" || lower == "infinity") return neg ? -INFINITY : INFINITY;
  if (lower == "nan") return NAN;
  if (lower.empty()) invalid();
  bool digits = false;
  size_t i = 0;
  if (lower.starts_with("0x")) {
    i = 2;
    while (i < lower.size() && std::isxdigit(static_cast<unsigned char>(lower[i])))
      i++, digits = true;
    if (i < lower.size() && lower[i] == '.') {
      ++i;
      while (i < lower.size() && std::isxdigit(static_cast<unsigned char>(lower[i])))
        i++, digits = true;
    }
    if (!digits || i >= lower.size() || lower[i] != 'p') invalid();
    ++i;
  } else {
    while (i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i])))
      i++, digits = true;
    if (i < lower.size() && lower[i] == '.') {
      ++i;
      while (i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i])))
        i++, digits = true;
    }
    if (!digits) invalid();
    if (i == lower.size()) goto parse;
    if (lower[i] != 'e') invalid();
    ++i;
  }
  if (i < lower.size() && (lower[i] == '+' || lower[i] == '-')) ++i;
  if (i >= lower.size()) invalid();
  while (i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i]))) ++i;
  if (i != lower.size()) invalid();
parse:
  errno = 0;
  const double v = std::strtod(s.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v)) {
    Fail(StrCat("strconv.ParseFloat: parsing ", GoQuote(s), ": value out of range"));
  }
  return v;
}

double ConvertToFloat(const Value& v) {
  switch (v.kind) {
    case ValueKind::kFloat:
      return v.f;
    case ValueKind::kInt:
      return static_cast<double>(v.i);
    case ValueKind::kString:
      return ParseGoFloat(v.s);
    case ValueKind::kInvalid:
      Fail("can't convert <nil> to float");
    default:
      Fail(StrCat("can't convert ", GoTypeName(v), " to float"));
  }
}

std::string G4(double v) { return FormatFloat(v, 'g', 4); }

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  if (std::abs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return G4(v) + prefix;
  }
  for (const char* p : kSmall) {
    if (std::abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::abs(v) <= 1 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  std::string prefix;
  for (const char* p : kPrefixes) {
    if (std::abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return G4(v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  if (v == 0) return G4(v) + "s";
  if (std::abs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Go's int64(v) of a huge float is implementation-defined; saturate instead.
    const int64_t d = v >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(v);
    const int64_t seconds = d % 60, minutes = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
    if (days != 0) return absl::StrFormat("%s%dd %dh %dm %ds", sign, days, hours, minutes, seconds);
    if (hours != 0) return absl::StrFormat("%s%dh %dm %ds", sign, hours, minutes, seconds);
    if (minutes != 0) return absl::StrFormat("%s%dm %ds", sign, minutes, seconds);
    return sign + G4(v) + "s";
  }
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (std::abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix + "s";
}

// Prometheus' floatToTime: model.TimeFromUnixNano (millisecond precision) in UTC.
int64_t FloatToTimeNanos(double v) {
  const double ts = v * 1e9;
  if (ts >= 9223372036854775807.0 || ts < -9223372036854775807.0) {
    Fail(StrCat(FormatGoFloatV(v),
                " cannot be represented as a nanoseconds timestamp since it overflows int64"));
  }
  const int64_t ms = static_cast<int64_t>(ts) / 1000000;
  return ms * 1000000;
}

std::string QueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::string HTMLEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\uFFFD";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string JSEscape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      default:
        if (c < ' ') {
          absl::StrAppendFormat(&out, "\\u%04X", c);
        } else {
          out += ch;
        }
    }
  }
  return out;
}

// The text html/js/urlquery work on: a lone string as is, otherwise fmt.Sprint of all.
std::string EvalArgs(const std::vector<Value>& args) {
  if (args.size() == 1 && args[0].kind == ValueKind::kString) return args[0].s;
  return Sprint(args);
}

// net.SplitHostPort; false on error.
bool SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  size_t colon;
  if (!hp.empty() && hp[0] == '[') {
    const size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 >= hp.size() || hp[end + 1] != ':') return false;
    colon = end + 1;
    *host = std::string(hp.substr(1, end - 1));
    if (host->find_first_of("[]") != std::string::npos) return false;
  } else {
    colon = hp.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(hp.substr(0, colon));
    if (host->find_first_of(":[]") != std::string::npos) return false;
  }
  *port = std::string(hp.substr(colon + 1));
  return port->find_first_of("[]") == std::string::npos;
}

bool IsIP(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string Title(std::string_view s) {
  std::string out(s);
  char prev = ' ';
  for (char& c : out) {
    const auto p = static_cast<unsigned char>(prev);
    const bool sep = !(std::isalnum(p) || p == '_' || p >= 0x80);
    prev = c;
    if (sep) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Go's regexp syntax through RE2 (the same syntax family); the error text is RE2's.
std::unique_ptr<re2::RE2> CompileRegexp(const std::string& pattern) {
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, opts);
  return re;
}

// Go's Regexp.ReplaceAllString: $1, ${1}, $name, ${name}, $$ in the replacement.
std::string ReplaceAll(const re2::RE2& re, const std::string& repl, const std::string& text) {
  const int ngroups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> groups(ngroups + 1);
  const auto& names = re.NamedCapturingGroups();
  std::string out;
  size_t pos = 0;
  size_t last_match_end = std::string::npos;
  const re2::StringPiece input(text);
  while (pos <= text.size()) {
    if (!re.Match(input, pos, text.size(), re2::RE2::UNANCHORED, groups.data(), ngroups + 1)) {
      break;
    }
    const size_t start = groups[0].data() - text.data();
    const size_t end = start + groups[0].size();
    if (start == end && start == last_match_end) {
      // An empty match right after the previous match is skipped, as Go does.
      if (pos >= text.size()) break;
      const auto c = static_cast<unsigned char>(text[pos]);
      const size_t w = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      out.append(text, pos, w);
      pos += w;
      continue;
    }
    out.append(text, pos, start - pos);
    for (size_t i = 0; i < repl.size(); ++i) {
      if (repl[i] != '$' || i + 1 >= repl.size()) {
        out += repl[i];
        continue;
      }
      if (repl[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      std::string name;
      size_t j = i + 1;
      bool braced = repl[j] == '{';
      if (braced) ++j;
      while (j < repl.size() &&
             (std::isalnum(static_cast<unsigned char>(repl[j])) || repl[j] == '_')) {
        name += repl[j++];
      }
      if (name.empty() || (braced && (j >= repl.size() || repl[j] != '}'))) {
        out += '$';
        continue;
      }
      if (braced) ++j;
      i = j - 1;
      int idx = -1;
      if (std::all_of(name.begin(), name.end(),
                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        idx = name.size() < 9 ? std::atoi(name.c_str()) : -1;
      } else if (auto it = names.find(name); it != names.end()) {
        idx = it->second;
      }
      if (idx >= 0 && idx <= ngroups && groups[idx].data() != nullptr) {
        out.append(groups[idx].data(), groups[idx].size());
      }
    }
    last_match_end = end;
    if (end == start) {
      if (end >= text.size()) {
        pos = text.size() + 1;
        break;
      }
      const auto c = static_cast<unsigned char>(text[end]);
      const size_t w = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      out.append(text, end, w);
      pos = end + w;
    } else {
      pos = end;
    }
    if (out.size() > kMaxOutputBytes) Fail("result too large");
  }
  if (pos < text.size()) out.append(text, pos, std::string::npos);
  return out;
}

// ---- comparisons (funcs.go) ----------------------------------------------------------

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString };

BasicKind KindOf(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBool:
      return BasicKind::kBool;
    case ValueKind::kInt:
      return BasicKind::kInt;
    case ValueKind::kFloat:
      return BasicKind::kFloat;
    case ValueKind::kString:
    case ValueKind::kHTML:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

bool Eq(const Value& a, const std::vector<Value>& bs) {
  if (bs.empty()) Fail("missing argument for comparison");
  const BasicKind k1 = KindOf(a);
  for (const Value& b : bs) {
    const BasicKind k2 = KindOf(b);
    bool truth = false;
    if (k1 != k2) {
      if (a.kind != ValueKind::kInvalid && b.kind != ValueKind::kInvalid) {
        Fail("incompatible types for comparison");
      }
    } else {
      switch (k1) {
        case BasicKind::kBool:
          truth = a.b == b.b;
          break;
        case BasicKind::kInt:
          truth = a.i == b.i;
          break;
        case BasicKind::kFloat:
          truth = a.f == b.f;
          break;
        case BasicKind::kString:
          truth = a.s == b.s;
          break;
        case BasicKind::kInvalid:
          if (a.kind == ValueKind::kInvalid || b.kind == ValueKind::kInvalid) {
            truth = a.kind == b.kind;
          } else if (a.kind == ValueKind::kSample && b.kind == ValueKind::kSample) {
            truth = a.sample == b.sample;
          } else {
            Fail(StrCat("non-comparable type ", FormatValue(b), ": ", GoTypeName(b)));
          }
      }
    }
    if (truth) return true;
  }
  return false;
}

bool Lt(const Value& a, const Value& b) {
  const BasicKind k1 = KindOf(a), k2 = KindOf(b);
  if (k1 == BasicKind::kInvalid || k2 == BasicKind::kInvalid) Fail("invalid type for comparison");
  if (k1 != k2) Fail("incompatible types for comparison");
  switch (k1) {
    case BasicKind::kInt:
      return a.i < b.i;
    case BasicKind::kFloat:
      return a.f < b.f;
    case BasicKind::kString:
      return a.s < b.s;
    default:
      Fail("invalid type for comparison");
  }
}

int64_t IndexArg(const Value& index, size_t cap, bool slice) {
  if (index.kind == ValueKind::kInvalid) Fail("cannot index slice/array with nil");
  if (index.kind != ValueKind::kInt) {
    Fail(StrCat("cannot index slice/array with type ", GoTypeName(index)));
  }
  const int64_t x = index.i;
  if (x < 0 || static_cast<uint64_t>(x) > cap || (!slice && static_cast<uint64_t>(x) == cap)) {
    Fail(absl::StrFormat("index out of range: %d", x));
  }
  return x;
}

Value SampleAt(const Value& samples, size_t i) {
  Value v;
  v.kind = ValueKind::kSample;
  v.sample = std::shared_ptr<const TemplateSample>(samples.samples, &(*samples.samples)[i]);
  return v;
}

Value Index(Value item, const std::vector<Value>& indexes) {
  if (item.kind == ValueKind::kInvalid) Fail("index of untyped nil");
  for (const Value& idx : indexes) {
    switch (item.kind) {
      case ValueKind::kString:
      case ValueKind::kHTML:
        item = Value::Int(static_cast<unsigned char>(item.s[IndexArg(idx, item.s.size(), false)]));
        break;
      case ValueKind::kSamples: {
        const size_t n = item.samples ? item.samples->size() : 0;
        item = SampleAt(item, IndexArg(idx, n, false));
        break;
      }
      case ValueKind::kLabels:
      case ValueKind::kArgs: {
        if (idx.kind != ValueKind::kString && idx.kind != ValueKind::kInvalid) {
          Fail(StrCat("value has type ", GoTypeName(idx), "; should be string"));
        }
        if (item.kind == ValueKind::kLabels) {
          auto it = item.labels->find(idx.s);
          item = Value::String(it == item.labels->end() ? "" : it->second);
        } else {
          auto it = item.args->values.find(idx.s);
          item = it == item.args->values.end() ? Value{} : it->second;
        }
        break;
      }
      case ValueKind::kSample:
      case ValueKind::kTime:
        if (!item.sample && item.kind == ValueKind::kSample) Fail("index of nil pointer");
        [[fallthrough]];
      default:
        Fail(StrCat("can't index item of type ", GoTypeName(item)));
    }
  }
  return item;
}

Value Slice(const Value& item, const std::vector<Value>& indexes) {
  if (item.kind == ValueKind::kInvalid) Fail("slice of untyped nil");
  if (indexes.size() > 3) Fail(absl::StrFormat("too many slice indexes: %d", indexes.size()));
  size_t len;
  if (IsStringKind(item)) {
    if (indexes.size() == 3) Fail("cannot 3-index slice a string");
    len = item.s.size();
  } else if (item.kind == ValueKind::kSamples) {
    len = item.samples ? item.samples->size() : 0;
  } else {
    Fail(StrCat("can't slice item of type ", GoTypeName(item)));
  }
  int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
  for (size_t i = 0; i < indexes.size(); ++i) idx[i] = IndexArg(indexes[i], len, true);
  if (idx[0] > idx[1]) Fail(absl::StrFormat("invalid slice index: %d > %d", idx[0], idx[1]));
  if (indexes.size() == 3 && idx[1] > idx[2]) {
    Fail(absl::StrFormat("invalid slice index: %d > %d", idx[1], idx[2]));
  }
  Value out = item;
  if (IsStringKind(item)) {
    out.s = item.s.substr(idx[0], idx[1] - idx[0]);
  } else if (item.samples) {
    out.samples = std::make_shared<const std::vector<TemplateSample>>(
        item.samples->begin() + idx[0], item.samples->begin() + idx[1]);
  }
  return out;
}

}  // namespace

int LookupFunc(std::string_view name) {
  for (int i = 0; i < kFnCount; ++i) {
    if (name == kFuncNames[i]) return i;
  }
  return -1;
}

const char* FuncName(int id) { return kFuncNames[id]; }

std::string GoTypeName(const Value& v) {
  switch (v.kind) {
    case ValueKind::kInvalid:
      return "<nil>";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kFloat:
      return "float64";
    case ValueKind::kString:
      return "string";
    case ValueKind::kHTML:
      return "template.HTML";
    case ValueKind::kLabels:
      return "map[string]string";
    case ValueKind::kSample:
      return "*template.sample";
    case ValueKind::kSamples:
      return "template.queryResult";
    case ValueKind::kData:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; "
             "ExternalURL string; Value float64 }";
    case ValueKind::kArgs:
      return "map[string]interface {}";
    case ValueKind::kTime:
      return "*time.Time";
  }
  return "";
}

std::string FormatValue(const Value& v) {
  switch (v.kind) {
    case ValueKind::kInvalid:
      return "<no value>";
    case ValueKind::kBool:
      return v.b ? "true" : "false";
    case ValueKind::kInt:
      return absl::StrCat(v.i);
    case ValueKind::kFloat:
      return FormatGoFloatV(v.f);
    case ValueKind::kString:
    case ValueKind::kHTML:
      return v.s;
    case ValueKind::kLabels:
      return FormatLabels(*v.labels);
    case ValueKind::kSample:
      return v.sample ? FormatSample(*v.sample) : "<nil>";
    case ValueKind::kSamples: {
      std::string out = "[";
      if (v.samples) {
        for (size_t i = 0; i < v.samples->size(); ++i) {
          StrAppend(&out, i > 0 ? " " : "", "&", FormatSample((*v.samples)[i]));
        }
      }
      return out + "]";
    }
    case ValueKind::kData:
      return StrCat("{", FormatLabels(v.data->labels), " ", FormatLabels(v.data->external_labels),
                    " ", v.data->external_url, " ", FormatGoFloatV(v.data->value), "}");
    case ValueKind::kArgs: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : v.args->values) {
        StrAppend(&out, first ? "" : " ", k, ":",
                  e.kind == ValueKind::kInvalid ? "<nil>" : FormatValue(e));
        first = false;
      }
      return out + "]";
    }
    case ValueKind::kTime:
      return FormatTime(v.i);
  }
  return "";
}

std::string Sprint(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    // fmt.Sprint adds a space between operands when neither is a string.
    if (i > 0 && !IsStringKind(args[i]) && !IsStringKind(args[i - 1])) out += ' ';
    StrAppend(&out, args[i].kind == ValueKind::kInvalid ? "<nil>" : FormatValue(args[i]));
  }
  return out;
}

std::string Sprintln(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    StrAppend(&out, args[i].kind == ValueKind::kInvalid ? "<nil>" : FormatValue(args[i]));
  }
  return out + "\n";
}

std::string Sprintf(std::string_view format, const std::vector<Value>& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < format.size();) {
    if (format[i] != '%') {
      const size_t next = format.find('%', i);
      const size_t end = next == std::string_view::npos ? format.size() : next;
      out.append(format.substr(i, end - i));
      i = end;
      continue;
    }
    ++i;
    Spec spec;
    for (; i < format.size(); ++i) {
      const char c = format[i];
      if (c == '-')
        spec.minus = true, spec.zero = false;
      else if (c == '+')
        spec.plus = true;
      else if (c == '#')
        spec.sharp = true;
      else if (c == ' ')
        spec.space = true;
      else if (c == '0')
        spec.zero = !spec.minus;
      else
        break;
    }
    auto number = [&](int* dst) {
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (argi >= args.size() || args[argi].kind != ValueKind::kInt ||
            std::abs(args[argi].i) > 1000000) {
          ++argi;
          return false;
        }
        *dst = static_cast<int>(args[argi++].i);
        return true;
      }
      int n = -1;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        n = std::max(n, 0) * 10 + (format[i++] - '0');
        if (n > 1000000) return false;
      }
      if (n >= 0) *dst = n;
      return true;
    };
    if (!number(&spec.width)) {
      out += "%!(BADWIDTH)";
    }
    if (spec.width < 0 && spec.width != -1) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      spec.prec = 0;
      if (!number(&spec.prec) || spec.prec < 0) {
        out += "%!(BADPREC)";
        spec.prec = -1;
      }
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    // The verb is one rune.
    const auto c = static_cast<unsigned char>(format[i]);
    const size_t w = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    const std::string_view verb = format.substr(i, w);
    i += w;
    if (verb == "%") {
      out += '%';
      continue;
    }
    if (argi >= args.size()) {
      StrAppend(&out, "%!", verb, "(MISSING)");
      continue;
    }
    if (w > 1) {
      StrAppend(&out, "%!", verb, "(", GoTypeName(args[argi]), "=", FormatValue(args[argi]), ")");
      ++argi;
      continue;
    }
    out += FormatArg(args[argi++], verb[0], spec);
    if (out.size() > kMaxOutputBytes) Fail("printf result too large");
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      StrAppend(&out, k > argi ? ", " : "", GoTypeName(args[k]), "=",
                args[k].kind == ValueKind::kInvalid ? "<nil>" : FormatValue(args[k]));
    }
    out += ")";
  }
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Keep a valid multi-byte sequence; escape stray bytes.
    const int n = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (int k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      continue;
    }
    out.append(s.substr(i, n));
    i += n - 1;
  }
  return out + "\"";
}

bool IsTrue(const Value& v) {
  switch (v.kind) {
    case ValueKind::kInvalid:
      return false;
    case ValueKind::kBool:
      return v.b;
    case ValueKind::kInt:
      return v.i != 0;
    case ValueKind::kFloat:
      return v.f != 0;
    case ValueKind::kString:
    case ValueKind::kHTML:
      return !v.s.empty();
    case ValueKind::kLabels:
      return !v.labels->empty();
    case ValueKind::kSample:
      return v.sample != nullptr;
    case ValueKind::kSamples:
      return v.samples && !v.samples->empty();
    case ValueKind::kData:
      return true;
    case ValueKind::kArgs:
      return !v.args->values.empty();
    case ValueKind::kTime:
      return true;
  }
  return false;
}

Value CallFunc(int id, std::vector<Value>& a, const FuncContext& ctx) {
  switch (id) {
    case kFnNot:
      return Value::Bool(!IsTrue(a[0]));
    case kFnLen:
      switch (a[0].kind) {
        case ValueKind::kString:
        case ValueKind::kHTML:
          return Value::Int(static_cast<int64_t>(a[0].s.size()));
        case ValueKind::kLabels:
          return Value::Int(static_cast<int64_t>(a[0].labels->size()));
        case ValueKind::kArgs:
          return Value::Int(static_cast<int64_t>(a[0].args->values.size()));
        case ValueKind::kSamples:
          return Value::Int(a[0].samples ? static_cast<int64_t>(a[0].samples->size()) : 0);
        case ValueKind::kInvalid:
          Fail("reflect: call of reflect.Value.Type on zero Value");
        case ValueKind::kSample:
          if (!a[0].sample) Fail("len of nil pointer");
          [[fallthrough]];
        default:
          Fail(StrCat("len of type ",
                      GoTypeName(a[0]).substr(a[0].kind == ValueKind::kSample ? 1 : 0)));
      }
    case kFnIndex:
      return Index(a[0], std::vector<Value>(a.begin() + 1, a.end()));
    case kFnSlice:
      return Slice(a[0], std::vector<Value>(a.begin() + 1, a.end()));
    case kFnPrint:
      return Value::String(Sprint(a));
    case kFnPrintln:
      return Value::String(Sprintln(a));
    case kFnPrintf:
      return Value::String(Sprintf(a[0].s, std::vector<Value>(a.begin() + 1, a.end())));
    case kFnHtml:
      return Value::String(HTMLEscape(EvalArgs(a)));
    case kFnJs:
      return Value::String(JSEscape(EvalArgs(a)));
    case kFnUrlquery:
      return Value::String(QueryEscape(EvalArgs(a)));
    case kFnEq:
      return Value::Bool(Eq(a[0], std::vector<Value>(a.begin() + 1, a.end())));
    case kFnNe:
      return Value::Bool(!Eq(a[0], {a[1]}));
    case kFnLt:
      return Value::Bool(Lt(a[0], a[1]));
    case kFnLe:
      return Value::Bool(Lt(a[0], a[1]) || Eq(a[0], {a[1]}));
    case kFnGt:
      return Value::Bool(!(Lt(a[0], a[1]) || Eq(a[0], {a[1]})));
    case kFnGe:
      return Value::Bool(!Lt(a[0], a[1]));
    case kFnQuery: {
      if (!*ctx.query) Fail("query function not available");
      auto res = (*ctx.query)(a[0].s);
      if (!res.ok()) Fail(std::string(res.status().message()));
      Value v;
      v.kind = ValueKind::kSamples;
      v.samples = std::make_shared<const std::vector<TemplateSample>>(std::move(*res));
      return v;
    }
    case kFnFirst:
      if (!a[0].samples || a[0].samples->empty()) Fail("first() called on vector with no elements");
      return SampleAt(a[0], 0);
    case kFnLabel:
    case kFnValue:
    case kFnStrvalue: {
      const Value& s = a.back();
      if (!s.sample) Fail("runtime error: invalid memory address or nil pointer dereference");
      if (id == kFnValue) return Value::Float(s.sample->value);
      auto it = s.sample->labels.find(id == kFnLabel ? a[0].s : "__value__");
      return Value::String(it == s.sample->labels.end() ? "" : it->second);
    }
    case kFnSortByLabel: {
      Value v = a[1];
      if (v.samples) {
        auto sorted = std::make_shared<std::vector<TemplateSample>>(*v.samples);
        const std::string& by = a[0].s;
        auto get = [&by](const TemplateSample& s) {
          auto it = s.labels.find(by);
          return it == s.labels.end() ? std::string_view() : std::string_view(it->second);
        };
        std::stable_sort(sorted->begin(), sorted->end(),
                         [&](const auto& x, const auto& y) { return get(x) < get(y); });
        v.samples = std::move(sorted);
      }
      return v;
    }
    case kFnHumanize:
      return Value::String(Humanize(ConvertToFloat(a[0])));
    case kFnHumanize1024:
      return Value::String(Humanize1024(ConvertToFloat(a[0])));
    case kFnHumanizeDuration:
      return Value::String(HumanizeDuration(ConvertToFloat(a[0])));
    case kFnHumanizePercentage:
      return Value::String(G4(ConvertToFloat(a[0]) * 100) + "%");
    case kFnHumanizeTimestamp: {
      const double v = ConvertToFloat(a[0]);
      if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
      return Value::String(FormatTime(FloatToTimeNanos(v)));
    }
    case kFnToTime: {
      const double v = ConvertToFloat(a[0]);
      if (std::isnan(v) || std::isinf(v)) Fail("value is NaN or Inf");
      Value t;
      t.kind = ValueKind::kTime;
      t.i = FloatToTimeNanos(v);
      return t;
    }
    case kFnTitle:
      return Value::String(Title(a[0].s));
    case kFnToUpper:
    case kFnToLower: {
      std::string s = a[0].s;
      for (char& c : s) {
        c = static_cast<char>(id == kFnToUpper ? std::toupper(static_cast<unsigned char>(c))
                                               : std::tolower(static_cast<unsigned char>(c)));
      }
      return Value::String(std::move(s));
    }
    case kFnMatch: {
      auto re = CompileRegexp(a[0].s);
      if (!re->ok()) Fail(StrCat("error parsing regexp: ", re->error()));
      return Value::Bool(re2::RE2::PartialMatch(a[1].s, *re));
    }
    case kFnReReplaceAll: {
      auto re = CompileRegexp(a[0].s);
      if (!re->ok()) {
        Fail(StrCat("regexp: Compile(", GoQuote(a[0].s), "): error parsing regexp: ", re->error()));
      }
      return Value::String(ReplaceAll(*re, a[1].s, a[2].s));
    }
    case kFnSafeHtml: {
      Value v = Value::String(a[0].s);
      v.kind = ValueKind::kHTML;
      return v;
    }
    case kFnArgs: {
      auto m = std::make_shared<ArgsMap>();
      for (size_t i = 0; i < a.size(); ++i) m->values[StrCat("arg", i)] = a[i];
      Value v;
      v.kind = ValueKind::kArgs;
      v.args = std::move(m);
      return v;
    }
    case kFnGraphLink:
    case kFnTableLink:
      return Value::String(StrCat("/graph?g0.expr=", QueryEscape(a[0].s),
                                  "&g0.tab=", id == kFnGraphLink ? "0" : "1"));
    case kFnPathPrefix:
    case kFnExternalURL: {
      const std::string& url = ctx.data->external_url;
      if (id == kFnExternalURL) return Value::String(url);
      // url.URL.Path: what follows scheme://host, without query or fragment.
      size_t start = url.find("://");
      start = start == std::string::npos ? 0 : url.find('/', start + 3);
      if (start == std::string::npos) return Value::String("");
      const size_t end = url.find_first_of("?#", start);
      return Value::String(url.substr(start, end == std::string::npos ? end : end - start));
    }
    case kFnStripPort: {
      std::string host, port;
      return Value::String(SplitHostPort(a[0].s, &host, &port) ? host : a[0].s);
    }
    case kFnStripDomain: {
      std::string host, port;
      if (!SplitHostPort(a[0].s, &host, &port)) {
        host = a[0].s;
        port.clear();
      }
      if (IsIP(host)) return a[0];
      host = host.substr(0, host.find('.'));
      if (port.empty()) return Value::String(host);
      return Value::String(host.find(':') != std::string::npos ? StrCat("[", host, "]:", port)
                                                               : StrCat(host, ":", port));
    }
    case kFnParseDuration: {
      auto ms = ParseDurationMs(a[0].s);
      if (!ms.ok()) Fail(std::string(ms.status().message()));
      return Value::Float(static_cast<double>(*ms) / 1000);
    }
    default:
      Fail(StrCat("function ", kFuncNames[id], " not callable here"));
  }
}

}  // namespace plumbline::query::internal

namespace plumbline::query {

std::string FormatGoFloatV(double v) { return internal::FormatFloat(v, 'g', -1); }

}  // namespace plumbline::query
