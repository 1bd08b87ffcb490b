// The series part of a sample line: metric-name [ws] ['{' label-list '}'].
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace plumbline::storage::import::internal {

struct RawLabel {
  std::string_view name;
  std::string_view value;  // between the quotes, escapes unresolved
};

// Reusable buffers, so that scanning does not allocate in steady state.
struct SeriesScratch {
  std::vector<RawLabel> labels;
  std::vector<std::string_view> names;
};

// Scans the series at the start of `text` (no leading whitespace) and checks everything
// Labels::FromPairs checks, so ParseSeries() of the series text cannot fail. On success sets
// *series to the series text (a prefix of `text`, no trailing whitespace) and
// scratch->labels to its labels as written, the metric name first as "__name__". On failure
// returns false with the reason in *error.
[[nodiscard]] bool ScanSeries(std::string_view text, SeriesScratch* scratch,
                              std::string_view* series, std::string* error);

// Scans a label list that starts at text[0] == '{' and appends its labels to *labels.
// Checks syntax, label names and values (UTF-8, no NUL), not duplicates. On success sets
// *length to the length up to and including '}'.
[[nodiscard]] bool ScanLabelList(std::string_view text, std::vector<RawLabel>* labels,
                                 size_t* length, std::string* error);

// Resolves the escapes \\ \" \n of a label value; any other backslash is kept as written.
void UnescapeLabelValue(std::string_view raw, std::string* out);

}  // namespace plumbline::storage::import::internal
