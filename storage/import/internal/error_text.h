// Pieces of parse error messages: what was found, made safe to print.
#pragma once

#include <string>
#include <string_view>

namespace plumbline::storage::import::internal {

// Describes the input at the point of an error: "end of line", or the next token (up to
// whitespace, at most 40 bytes; leading whitespace included) in double quotes, e.g. `"1.2.3"`.
std::string Got(std::string_view rest);

// Makes `message` printable: control bytes and invalid UTF-8 become \xNN, and a message
// longer than 1024 bytes is cut with "...". Appends the result to `out`.
void SanitizeMessage(std::string_view message, std::string* out);

}  // namespace plumbline::storage::import::internal
