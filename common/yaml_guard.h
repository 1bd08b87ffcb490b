// A guard in front of yaml-cpp 0.7 (Debian 12), which loops forever, allocating, on some
// inputs that are not YAML: a ',' where a block-context node or document end is expected
// ("," alone, "- a\n,", "[a] ,", "---\n,"), and control characters ("!\x1a\n?\n"). Valid
// YAML has neither (it is printable Unicode, and a ',' never starts a token outside a flow
// collection), so such text is refused here, with its position, before the parser sees it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace plumbline {

// OK, or InvalidArgument "<source>:<line>:<column>: ..." for the first byte that is not
// printable UTF-8 (tab, LF and CR allowed), or the first ',' that begins a token outside flow
// collections, quoted scalars, comments and block scalars. A lexical check only: everything
// else is left to the YAML parser.
absl::Status CheckYamlText(std::string_view text, std::string_view source);

// The 1-based line and column where a second YAML document begins in `text`, if one does.
// YAML::Load reads the first document only and YAML::LoadAll can loop forever on yaml-cpp
// 0.7, so a file's loader asks this once, to refuse what it would otherwise ignore. Call after
// CheckYamlText; may throw YAML::Exception on text that is not YAML.
std::optional<std::pair<int, int>> SecondYamlDocument(const std::string& text);

}  // namespace plumbline
