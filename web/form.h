// application/x-www-form-urlencoded parameters: URL query strings and POST bodies.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace plumbline::web {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// Parses "a=1&b=x%20y&b=z" (in order, repeated names kept). '+' is a space. InvalidArgument
// for a bad percent escape, naming it.
[[nodiscard]] absl::StatusOr<FormParams> ParseForm(std::string_view text);

// The first value of `name`, or nullptr.
const std::string* FindParam(const FormParams& params, std::string_view name);

// Percent-decodes one component ('+' stays '+'); false on a bad escape.
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace plumbline::web
