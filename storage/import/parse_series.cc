// ParseSeries: the series text of a SampleLine to canonical Labels (the cache-miss path).
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "storage/import/internal/error_text.h"
#include "storage/import/internal/series_scanner.h"
#include "storage/import/prom_text_parser.h"

namespace plumbline::storage::import {
namespace {

absl::Status Invalid(std::string_view message) {
  std::string sanitized;
  internal::SanitizeMessage(message, &sanitized);
  return absl::InvalidArgumentError(sanitized);
}

}  // namespace

absl::StatusOr<Labels> ParseSeries(std::string_view series) {
  internal::SeriesScratch scratch;
  std::string_view scanned;
  std::string error;
  if (!internal::ScanSeries(series, &scratch, &scanned, &error)) return Invalid(error);
  if (scanned.size() != series.size()) {
    return Invalid(
        StrCat("unexpected ", internal::Got(series.substr(scanned.size())), " after the series"));
  }
  std::vector<Label> labels;
  labels.reserve(scratch.labels.size());
  for (const internal::RawLabel& raw : scratch.labels) {
    Label& label = labels.emplace_back();
    label.name.assign(raw.name);
    internal::UnescapeLabelValue(raw.value, &label.value);
  }
  absl::StatusOr<Labels> result = Labels::FromPairs(std::move(labels));
  if (!result.ok()) return Invalid(ToStd(result.status().message()));
  return result;
}

}  // namespace plumbline::storage::import
