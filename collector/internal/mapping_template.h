// A metric name or label value of a mapping rule, with references to what the match captured:
// "$1", "${1}", "$0" (the whole match), "${name}" / "$name" (regex named groups), "$$" (a '$').
// Immutable after Parse; thread-compatible (Expand is const).
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace plumbline::collector::internal {

class Template {
 public:
  // One run of literal text, or one capture (capture >= 0: literal is empty).
  struct Piece {
    std::string literal;
    int capture = -1;
  };

  // `num_captures`: how many groups the match has ($1..$num_captures; $0 always exists).
  // `named`: a regex's named groups (name -> index); nullptr for a glob, which has none.
  // Returns InvalidArgument naming the bad reference (e.g. "$4" when there are 3 captures).
  static absl::StatusOr<Template> Parse(std::string_view text, int num_captures,
                                        const std::map<std::string, int>* named);

  // Replaces *out with the text, `captures[i]` standing for capture i. `captures` must hold at
  // least max_capture() + 1 entries.
  void Expand(std::span<const std::string_view> captures, std::string* out) const;
  // The size Expand would produce (computed without building it).
  size_t ExpandedSize(std::span<const std::string_view> captures) const;

  // The highest capture referenced, -1 when none.
  int max_capture() const { return max_capture_; }
  const std::vector<Piece>& pieces() const { return pieces_; }

 private:
  std::vector<Piece> pieces_;
  int max_capture_ = -1;
};

}  // namespace plumbline::collector::internal
