// Label matchers with Prometheus' semantics: =, !=, =~, !~. Regexes are RE2, fully anchored
// ("^(?:re)$"), compiled once when the matcher is created. A matcher on a missing label sees
// the empty string, so {a=""} matches series without `a`. Immutable; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace plumbline::storage {

class LabelMatcher {
 public:
  enum class Type { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

  // InvalidArgument for a regex RE2 cannot compile (message names the pattern and reason).
  static absl::StatusOr<LabelMatcher> Create(Type type, std::string name, std::string value);

  Type type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(std::string_view value) const;
  // Whether a series without the label (value "") matches.
  bool MatchesEmpty() const { return matches_empty_; }
  // "name=\"value\"", "name=~\"re\"", ... as PromQL prints it.
  std::string ToString() const;

 private:
  LabelMatcher() = default;
  Type type_ = Type::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  bool matches_empty_ = false;
};

}  // namespace plumbline::storage
