// OpenMetrics exemplars: "# {trace_id="abc"} 0.67 [1764130000.5]" after a sample's value or
// timestamp. The importer has nowhere to store them: they are checked, then ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/import/internal/series_scanner.h"
#include "storage/import/prom_text_parser.h"

namespace plumbline::storage::import::internal {

// `text` starts at the '#' and runs to the end of the line. False with the reason in *error
// when it is not "#" whitespace label-list value [timestamp]. `labels` is scratch space.
[[nodiscard]] bool CheckExemplar(std::string_view text, TimestampUnit unit,
                                 std::vector<RawLabel>* labels, std::string* error);

}  // namespace plumbline::storage::import::internal
