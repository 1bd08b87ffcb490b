#include "storage/matcher.h"

#include "common/strings.h"
#include "re2/re2.h"

namespace plumbline::storage {

absl::StatusOr<LabelMatcher> LabelMatcher::Create(Type type, std::string name, std::string value) {
  LabelMatcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == Type::kRegexMatch || type == Type::kRegexNoMatch) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);  // Go's regexp in Prometheus matches '\n' with '.' via (?s)
    auto re = std::make_shared<const RE2>(StrCat("^(?:", m.value_, ")$"), options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          StrCat("invalid regular expression \"", m.value_, "\": ", re->error()));
    }
    m.re_ = std::move(re);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

bool LabelMatcher::Matches(std::string_view value) const {
  switch (type_) {
    case Type::kEqual:
      return value == value_;
    case Type::kNotEqual:
      return value != value_;
    case Type::kRegexMatch:
      return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re_);
    case Type::kRegexNoMatch:
      return !RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re_);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  const char* op = "=";
  switch (type_) {
    case Type::kEqual:
      op = "=";
      break;
    case Type::kNotEqual:
      op = "!=";
      break;
    case Type::kRegexMatch:
      op = "=~";
      break;
    case Type::kRegexNoMatch:
      op = "!~";
      break;
  }
  std::string out = StrCat(name_, op, "\"");
  for (char c : value_) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace plumbline::storage
