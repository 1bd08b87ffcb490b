#include "storage/import/internal/exemplar.h"

#include "common/strings.h"
#include "storage/import/internal/error_text.h"
#include "storage/import/internal/number.h"

namespace plumbline::storage::import::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

size_t SkipSpaces(std::string_view text, size_t i) {
  while (i < text.size() && IsSpace(text[i])) ++i;
  return i;
}

size_t TokenEnd(std::string_view text, size_t i) {
  while (i < text.size() && !IsSpace(text[i])) ++i;
  return i;
}

}  // namespace

bool CheckExemplar(std::string_view text, TimestampUnit unit, std::vector<RawLabel>* labels,
                   std::string* error) {
  size_t i = SkipSpaces(text, 1);  // text[0] == '#'
  if (i == 1 || i == text.size() || text[i] != '{') {
    *error = StrCat("expected an exemplar \"# {labels} value\" after the sample, got ", Got(text));
    return false;
  }
  labels->clear();
  size_t length = 0;
  if (!ScanLabelList(text.substr(i), labels, &length, error)) {
    error->insert(0, "invalid exemplar: ");
    return false;
  }
  i = SkipSpaces(text, i + length);
  size_t token_end = TokenEnd(text, i);
  double value = 0;
  if (i == token_end || ParseValue(text.substr(i, token_end - i), &value) != NumberError::kOk) {
    *error = StrCat("invalid exemplar: expected a float value after the labels, got ",
                    Got(text.substr(i)));
    return false;
  }
  i = SkipSpaces(text, token_end);
  if (i == text.size()) return true;
  token_end = TokenEnd(text, i);
  int64_t ms = 0;
  if (ParseTimestampMs(text.substr(i, token_end - i), unit, &ms) != NumberError::kOk) {
    *error =
        StrCat("invalid exemplar: expected a timestamp after the value, got ", Got(text.substr(i)));
    return false;
  }
  i = SkipSpaces(text, token_end);
  if (i == text.size()) return true;
  *error = StrCat("invalid exemplar: expected end of line after the timestamp, got ",
                  Got(text.substr(i)));
  return false;
}

}  // namespace plumbline::storage::import::internal
