#include "storage/import/internal/series_scanner.h"

#include <algorithm>

#include "absl/status/status.h"
#include "common/strings.h"
#include "storage/import/internal/error_text.h"
#include "storage/labels.h"

namespace plumbline::storage::import::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

size_t SkipSpaces(std::string_view text, size_t i) {
  while (i < text.size() && IsSpace(text[i])) ++i;
  return i;
}

bool EndsLabelName(char c) {
  return c == '=' || c == ',' || c == '}' || c == '{' || c == '"' || IsSpace(c);
}

bool Fail(const absl::Status& status, std::string* error) {
  error->assign(status.message().data(), status.message().size());
  return false;
}

}  // namespace

bool ScanLabelList(std::string_view text, std::vector<RawLabel>* labels, size_t* length,
                   std::string* error) {
  const size_t n = text.size();
  size_t i = SkipSpaces(text, 1);  // text[0] == '{'
  std::string_view after = "'{'";
  while (true) {
    if (i < n && text[i] == '}') {
      *length = i + 1;
      return true;
    }
    const size_t name_start = i;
    while (i < n && !EndsLabelName(text[i])) ++i;
    const std::string_view name = text.substr(name_start, i - name_start);
    if (name.empty()) {
      *error = StrCat("expected a label name or '}' after ", after, ", got ", Got(text.substr(i)));
      return false;
    }
    if (absl::Status s = ValidateLabelName(name); !s.ok()) return Fail(s, error);
    i = SkipSpaces(text, i);
    if (i == n || text[i] != '=') {
      *error = StrCat("expected '=' after label name \"", name, "\", got ", Got(text.substr(i)));
      return false;
    }
    i = SkipSpaces(text, i + 1);
    if (i == n || text[i] != '"') {
      *error =
          StrCat("expected a quoted label value after \"", name, "=\", got ", Got(text.substr(i)));
      return false;
    }
    const size_t value_start = ++i;
    while (i < n && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    if (i >= n) {
      *error = StrCat("unterminated label value for label \"", name, "\"");
      return false;
    }
    const std::string_view value = text.substr(value_start, i - value_start);
    // Escapes map ASCII to ASCII, so the raw text is valid exactly when the value is.
    if (absl::Status s = ValidateLabelValue(value); !s.ok()) {
      *error = StrCat(ToStd(s.message()), " (label \"", name, "\")");
      return false;
    }
    labels->push_back(RawLabel{name, value});
    i = SkipSpaces(text, i + 1);
    if (i < n && text[i] == ',') {
      i = SkipSpaces(text, i + 1);
      after = "','";
      continue;
    }
    if (i < n && text[i] == '}') continue;
    *error = StrCat("expected ',' or '}' after the value of label \"", name, "\", got ",
                    Got(text.substr(i)));
    return false;
  }
}

bool ScanSeries(std::string_view text, SeriesScratch* scratch, std::string_view* series,
                std::string* error) {
  size_t i = 0;
  while (i < text.size() && text[i] != '{' && !IsSpace(text[i])) ++i;
  const std::string_view name = text.substr(0, i);
  if (name.empty()) {
    *error = StrCat("expected a metric name, got ", Got(text));
    return false;
  }
  if (absl::Status s = ValidateMetricName(name); !s.ok()) return Fail(s, error);
  scratch->labels.clear();
  scratch->labels.push_back(RawLabel{kMetricNameLabel, name});
  size_t end = i;
  i = SkipSpaces(text, i);
  if (i < text.size() && text[i] == '{') {
    size_t length = 0;
    if (!ScanLabelList(text.substr(i), &scratch->labels, &length, error)) return false;
    end = i + length;
  }
  // Duplicates, ignoring empty values as Labels::FromPairs does.
  if (scratch->labels.size() > 1) {
    std::vector<std::string_view>& names = scratch->names;
    names.clear();
    for (const RawLabel& l : scratch->labels) {
      if (!l.value.empty()) names.push_back(l.name);
    }
    std::sort(names.begin(), names.end());
    const auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end()) {
      *error = StrCat("duplicate label name \"", *dup, "\"");
      return false;
    }
  }
  *series = text.substr(0, end);
  return true;
}

void UnescapeLabelValue(std::string_view raw, std::string* out) {
  out->clear();
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      const char next = raw[i + 1];
      if (next == '\\' || next == '"' || next == 'n') {
        out->push_back(next == 'n' ? '\n' : next);
        ++i;
        continue;
      }
    }
    out->push_back(raw[i]);
  }
}

}  // namespace plumbline::storage::import::internal
