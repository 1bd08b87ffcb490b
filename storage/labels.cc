#include "storage/labels.h"

#include <algorithm>

#include "common/strings.h"

namespace plumbline::storage {
namespace {

bool IsNameStart(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}
bool IsNameChar(char c, bool allow_colon) {
  return IsNameStart(c, allow_colon) || (c >= '0' && c <= '9');
}

absl::Status ValidateName(std::string_view name, bool allow_colon, std::string_view what) {
  if (name.empty()) return absl::InvalidArgumentError(StrCat("empty ", what));
  if (!IsNameStart(name[0], allow_colon)) {
    return absl::InvalidArgumentError(StrCat("invalid ", what, " \"", name,
                                             "\": must start with a letter or underscore",
                                             allow_colon ? " or colon" : ""));
  }
  for (char c : name) {
    if (!IsNameChar(c, allow_colon)) {
      return absl::InvalidArgumentError(StrCat("invalid ", what, " \"", name,
                                               "\": only letters, digits, underscores",
                                               allow_colon ? " and colons" : "", " are allowed"));
    }
  }
  return absl::OkStatus();
}

void AppendEscaped(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values beyond Unicode are invalid.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += extra + 1;
  }
  return true;
}

absl::Status ValidateMetricName(std::string_view name) {
  return ValidateName(name, /*allow_colon=*/true, "metric name");
}

absl::Status ValidateLabelName(std::string_view name) {
  return ValidateName(name, /*allow_colon=*/false, "label name");
}

absl::Status ValidateLabelValue(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("invalid label value: contains a NUL byte");
  }
  if (!IsValidUtf8(value))
    return absl::InvalidArgumentError("invalid label value: not valid UTF-8");
  return absl::OkStatus();
}

bool CanonicalNameLess(std::string_view a, std::string_view b) {
  if (a == b) return false;
  if (a == kMetricNameLabel) return true;
  if (b == kMetricNameLabel) return false;
  return a < b;
}

absl::StatusOr<Labels> Labels::FromPairs(std::vector<Label> labels) {
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  for (const Label& l : labels) {
    absl::Status s =
        l.name == kMetricNameLabel ? ValidateMetricName(l.value) : ValidateLabelName(l.name);
    if (!s.ok()) return s;
    s = ValidateLabelValue(l.value);
    if (!s.ok()) {
      return absl::InvalidArgumentError(StrCat(s.message(), " (label \"", l.name, "\")"));
    }
  }
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return CanonicalNameLess(a.name, b.name); });
  for (size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].name == labels[i - 1].name) {
      return absl::InvalidArgumentError(StrCat("duplicate label name \"", labels[i].name, "\""));
    }
  }
  return Labels(std::move(labels));
}

Labels Labels::FromCanonicalUnchecked(std::vector<Label> labels) {
  return Labels(std::move(labels));
}

absl::StatusOr<Labels> Labels::Decode(std::string_view encoded) {
  std::vector<Label> labels;
  while (!encoded.empty()) {
    const size_t name_end = encoded.find('\0');
    if (name_end == std::string_view::npos) return absl::DataLossError("corrupt label set: name");
    const size_t value_end = encoded.find('\0', name_end + 1);
    if (value_end == std::string_view::npos) return absl::DataLossError("corrupt label set: value");
    labels.push_back(Label{std::string(encoded.substr(0, name_end)),
                           std::string(encoded.substr(name_end + 1, value_end - name_end - 1))});
    encoded.remove_prefix(value_end + 1);
  }
  return Labels(std::move(labels));
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

std::string Labels::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

void Labels::EncodeTo(std::string* out) const {
  for (const Label& l : labels_) {
    out->append(l.name);
    out->push_back('\0');
    out->append(l.value);
    out->push_back('\0');
  }
}

std::string Labels::ToString() const {
  std::string out(metric_name());
  out.push_back('{');
  bool first = true;
  for (const Label& l : labels_) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out.append(", ");
    first = false;
    StrAppend(&out, l.name, "=\"");
    AppendEscaped(&out, l.value);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace plumbline::storage
