// Lines that start with '#': metadata (# HELP, # TYPE, # UNIT), # EOF, other comments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/import/prom_text_parser.h"

namespace plumbline::storage::import::internal {

enum class CommentLineKind : uint8_t { kComment, kEof, kMetadata, kError };

// `line` starts with '#' and has no line end. As Prometheus' lexer: the keyword must follow
// "#" and whitespace, and be followed by whitespace ("#HELP x" and "# HELP" are comments).
//   kMetadata: metadata->kind, metric (points into `line`) and text are set;
//   kError:    *error says what is wrong;
//   kEof:      "# EOF", optionally with trailing whitespace;
//   kComment:  anything else; ignore it.
[[nodiscard]] CommentLineKind ParseCommentLine(std::string_view line, MetadataLine* metadata,
                                               std::string* error);

}  // namespace plumbline::storage::import::internal
