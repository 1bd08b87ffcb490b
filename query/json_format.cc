#include "query/json_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace plumbline::query {
namespace {

constexpr std::string_view kInfoPrefix = "PromQL info: ";
constexpr size_t kMaxAnnotations = 10;
constexpr char kHex[] = "0123456789abcdef";

void AppendPoint(int64_t t, double v, std::string* out) {
  out->push_back('[');
  AppendTimestamp(t, out);
  out->append(",\"");
  AppendSampleValue(v, out);
  out->append("\"]");
}

void AppendStrings(std::string_view key, const std::vector<std::string_view>& items, size_t omitted,
                   std::string_view what, std::string* out) {
  if (items.empty()) return;
  StrAppend(out, ",\"", key, "\":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(items[i], out);
  }
  if (omitted > 0) {
    out->push_back(',');
    AppendJsonString(StrCat(omitted, " more ", what, " annotations omitted"), out);
  }
  out->push_back(']');
}

// A rough size of the JSON of `value`, to reserve the buffer once.
size_t EstimateSize(const Value& value) {
  constexpr size_t kPerPoint = 32;
  constexpr size_t kPerSeries = 128;
  if (const auto* matrix = std::get_if<Matrix>(&value)) {
    size_t n = 0;
    for (const Series& s : *matrix) n += kPerSeries + kPerPoint * s.floats.size();
    return n;
  }
  if (const auto* vector = std::get_if<Vector>(&value)) {
    return (kPerSeries + kPerPoint) * vector->size();
  }
  return 128;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  const unsigned b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return continuation(1, lo, hi) && continuation(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return continuation(1, lo, hi) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

void AppendSampleValue(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  // The shortest round-trip digits, as "d.ddde±XX" (Go's 'e' format is exactly this).
  char sci[40];
  const auto [end, ec] = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  if (ec != std::errc()) {
    out->append("NaN");  // cannot happen: 40 bytes hold any double
    return;
  }
  const double abs = std::fabs(v);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
    out->append(sci, end);
    return;
  }
  // Go's 'f' format of the same digits: zeros fill in, never the exact binary expansion
  // (123456789012345683968 prints as 123456789012345680000).
  std::string_view text(sci, static_cast<size_t>(end - sci));
  if (text.front() == '-') {
    out->push_back('-');
    text.remove_prefix(1);
  }
  const size_t e = text.find('e');
  int exponent = 0;
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(),
                  exponent);
  char digits[24];
  size_t n = 0;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits[n++] = c;
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits, n);
  } else if (static_cast<size_t>(point) >= n) {
    out->append(digits, n);
    out->append(static_cast<size_t>(point) - n, '0');
  } else {
    out->append(digits, static_cast<size_t>(point));
    out->push_back('.');
    out->append(digits + point, n - static_cast<size_t>(point));
  }
}

std::string FormatSampleValue(double v) {
  std::string out;
  AppendSampleValue(v, &out);
  return out;
}

void AppendTimestamp(int64_t t_ms, std::string* out) {
  uint64_t magnitude = static_cast<uint64_t>(t_ms);
  if (t_ms < 0) {
    out->push_back('-');
    magnitude = 0 - magnitude;
  }
  absl::StrAppend(out, magnitude / 1000);
  const uint64_t fraction = magnitude % 1000;
  if (fraction != 0) {
    out->push_back('.');
    if (fraction < 100) out->push_back('0');
    if (fraction < 10) out->push_back('0');
    absl::StrAppend(out, fraction);
  }
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s.substr(i));
      if (len == 0) {
        out->append("\\ufffd");
        ++i;
      } else if (len == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
        out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
        i += 3;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

std::vector<const storage::Label*> ByteOrderedLabels(const storage::Labels& labels) {
  std::vector<const storage::Label*> ordered;
  ordered.reserve(labels.size());
  for (const storage::Label& l : labels.items()) ordered.push_back(&l);
  // The canonical form is byte-ordered except that __name__ comes first; only names that
  // sort before it ("Zone", "_0") need a sort.
  if (!std::is_sorted(
          ordered.begin(), ordered.end(),
          [](const storage::Label* a, const storage::Label* b) { return a->name < b->name; })) {
    std::sort(ordered.begin(), ordered.end(),
              [](const storage::Label* a, const storage::Label* b) { return a->name < b->name; });
  }
  return ordered;
}

int CompareOrderedLabels(const std::vector<const storage::Label*>& x,
                         const std::vector<const storage::Label*>& y) {
  const size_t n = std::min(x.size(), y.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = x[i]->name.compare(y[i]->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = x[i]->value.compare(y[i]->value); c != 0) return c < 0 ? -1 : 1;
  }
  if (x.size() == y.size()) return 0;
  return x.size() < y.size() ? -1 : 1;
}

int CompareLabels(const storage::Labels& a, const storage::Labels& b) {
  return CompareOrderedLabels(ByteOrderedLabels(a), ByteOrderedLabels(b));
}

void AppendLabelsObject(const storage::Labels& labels, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const storage::Label* l : ByteOrderedLabels(labels)) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(l->name, out);
    out->push_back(':');
    AppendJsonString(l->value, out);
  }
  out->push_back('}');
}

void AppendSuccessBegin(std::string* out) { out->append(R"({"status":"success","data":)"); }

void AppendSuccessEnd(const std::vector<std::string>& annotations, std::string* out) {
  std::vector<std::string_view> warnings, infos;
  size_t more_warnings = 0, more_infos = 0;
  for (const std::string& a : annotations) {
    const bool info = std::string_view(a).starts_with(kInfoPrefix);
    std::vector<std::string_view>& list = info ? infos : warnings;
    if (list.size() < kMaxAnnotations) {
      list.push_back(a);
    } else {
      ++(info ? more_infos : more_warnings);
    }
  }
  AppendStrings("warnings", warnings, more_warnings, "warning", out);
  AppendStrings("infos", infos, more_infos, "info", out);
  out->push_back('}');
}

void AppendQueryData(const Value& value, std::string* out) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Scalar>) {
          out->append(R"({"resultType":"scalar","result":)");
          AppendPoint(v.t, v.v, out);
        } else if constexpr (std::is_same_v<T, String>) {
          out->append(R"({"resultType":"string","result":[)");
          AppendTimestamp(v.t, out);
          out->push_back(',');
          AppendJsonString(v.v, out);
          out->push_back(']');
        } else if constexpr (std::is_same_v<T, Vector>) {
          out->append(R"({"resultType":"vector","result":[)");
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out->push_back(',');
            out->append(R"({"metric":)");
            AppendLabelsObject(v[i].metric, out);
            out->append(R"(,"value":)");
            AppendPoint(v[i].t, v[i].f, out);
            out->push_back('}');
          }
          out->push_back(']');
        } else {
          static_assert(std::is_same_v<T, Matrix>);
          out->append(R"({"resultType":"matrix","result":[)");
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out->push_back(',');
            out->append(R"({"metric":)");
            AppendLabelsObject(v[i].metric, out);
            // Prometheus leaves "values" out of a series without float points.
            if (!v[i].floats.empty()) {
              out->append(R"(,"values":[)");
              for (size_t j = 0; j < v[i].floats.size(); ++j) {
                if (j > 0) out->push_back(',');
                AppendPoint(v[i].floats[j].t, v[i].floats[j].f, out);
              }
              out->push_back(']');
            }
            out->push_back('}');
          }
          out->push_back(']');
        }
      },
      value);
  out->push_back('}');
}

std::string QueryResultJson(const QueryResult& result) {
  std::string out;
  out.reserve(EstimateSize(result.value) + 64);
  AppendSuccessBegin(&out);
  AppendQueryData(result.value, &out);
  AppendSuccessEnd(result.warnings, &out);
  return out;
}

std::string ErrorEnvelopeJson(std::string_view error_type, std::string_view message) {
  std::string out = R"({"status":"error","errorType":)";
  AppendJsonString(error_type, &out);
  out.append(R"(,"error":)");
  AppendJsonString(message, &out);
  out.push_back('}');
  return out;
}

}  // namespace plumbline::query
