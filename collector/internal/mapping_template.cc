#include "collector/internal/mapping_template.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace plumbline::collector::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool IsIdent(std::string_view s) {
  if (s.empty() || !IsIdentStart(s[0])) return false;
  for (char c : s) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

std::string Quoted(std::string_view s) {
  return StrCat("\"", absl::CEscape(ToAbsl(s.substr(0, 64))), s.size() > 64 ? "...\"" : "\"");
}

}  // namespace

absl::StatusOr<Template> Template::Parse(std::string_view text, int num_captures,
                                         const std::map<std::string, int>* named) {
  Template t;
  auto add_literal = [&t](std::string_view s) {
    if (s.empty()) return;
    if (t.pieces_.empty() || t.pieces_.back().capture >= 0) t.pieces_.push_back({});
    t.pieces_.back().literal.append(s);
  };
  auto add_number = [&](std::string_view digits) -> absl::Status {
    // At most 6 digits: no overflow, and no regex has a million groups.
    int index = num_captures + 1;
    if (digits.size() <= 6) {
      index = 0;
      for (char c : digits) index = index * 10 + (c - '0');
    }
    if (index > num_captures) {
      return absl::InvalidArgumentError(StrCat("reference $", digits, " but the match has ",
                                               num_captures, " capture",
                                               num_captures == 1 ? "" : "s"));
    }
    t.pieces_.push_back({std::string(), index});
    t.max_capture_ = std::max(t.max_capture_, index);
    return absl::OkStatus();
  };
  auto add_named = [&](std::string_view name) -> absl::Status {
    if (named == nullptr) {
      return absl::InvalidArgumentError(StrCat("reference $", Quoted(name),
                                               ": a glob has only numbered captures $1..$",
                                               num_captures, " (write $$ for a '$')"));
    }
    const auto it = named->find(std::string(name));
    if (it == named->end()) {
      return absl::InvalidArgumentError(StrCat("reference ", Quoted(StrCat("$", name)),
                                               ": the regex has no group of that name",
                                               " (write $$ for a '$')"));
    }
    t.pieces_.push_back({std::string(), it->second});
    t.max_capture_ = std::max(t.max_capture_, it->second);
    return absl::OkStatus();
  };

  size_t i = 0;
  while (i < text.size()) {
    const size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) {
      add_literal(text.substr(i));
      break;
    }
    add_literal(text.substr(i, dollar - i));
    i = dollar + 1;
    if (i == text.size()) {  // a trailing '$' is itself
      add_literal("$");
      break;
    }
    const char next = text[i];
    if (next == '$') {
      add_literal("$");
      ++i;
    } else if (next == '{') {
      const size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        return absl::InvalidArgumentError("unterminated \"${\" (write $$ for a '$')");
      }
      const std::string_view inner = text.substr(i + 1, close - i - 1);
      if (AllDigits(inner)) {
        if (absl::Status s = add_number(inner); !s.ok()) return s;
      } else if (IsIdent(inner)) {
        if (absl::Status s = add_named(inner); !s.ok()) return s;
      } else {
        return absl::InvalidArgumentError(StrCat("invalid reference ",
                                                 Quoted(text.substr(dollar, close + 1 - dollar)),
                                                 " (write $$ for a '$')"));
      }
      i = close + 1;
    } else if (IsDigit(next)) {
      // "$1_total" is capture 1 then "_total" (Go's regexp would read a group named "1_total").
      size_t end = i;
      while (end < text.size() && IsDigit(text[end])) ++end;
      if (absl::Status s = add_number(text.substr(i, end - i)); !s.ok()) return s;
      i = end;
    } else if (IsIdentStart(next)) {
      size_t end = i;
      while (end < text.size() && IsIdentChar(text[end])) ++end;
      if (absl::Status s = add_named(text.substr(i, end - i)); !s.ok()) return s;
      i = end;
    } else {  // "$-", "$ ": a plain '$', as in Go's Regexp.Expand
      add_literal("$");
    }
  }
  return t;
}

size_t Template::ExpandedSize(std::span<const std::string_view> captures) const {
  size_t size = 0;
  for (const Piece& p : pieces_) {
    size += p.capture < 0 ? p.literal.size() : captures[static_cast<size_t>(p.capture)].size();
  }
  return size;
}

void Template::Expand(std::span<const std::string_view> captures, std::string* out) const {
  out->clear();
  for (const Piece& p : pieces_) {
    if (p.capture < 0) {
      out->append(p.literal);
    } else {
      out->append(captures[static_cast<size_t>(p.capture)]);
    }
  }
}

}  // namespace plumbline::collector::internal
