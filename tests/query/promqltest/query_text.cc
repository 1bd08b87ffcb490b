#include "tests/query/promqltest/query_text.h"

#include <set>
#include <string>
#include <vector>

#include "common/strings.h"
#include "query/ast.h"
#include "re2/re2.h"
#include "tests/query/promqltest/script.h"

namespace plumbline::promqltest {
namespace {

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A token of a PromQL query, enough for the textual checks below.
struct Token {
  enum class Type { kIdentifier, kString, kOther } type;
  std::string text;       // identifier, unescaped string, or the character
  std::string operator_;  // strings: the matcher operator before them ("=", "=~", ...)
  bool call = false;      // identifiers: followed by `(`
  char previous = 0;      // the last non-blank character before the token
};

std::vector<Token> Tokenize(std::string_view expr) {
  std::vector<Token> tokens;
  char previous = 0;
  std::string last_operator;
  for (size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (IsBlank(c)) {
      ++i;
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      size_t j = i + 1;
      while (j < expr.size() && expr[j] != c) {
        if (expr[j] == '\\' && c != '`') ++j;
        ++j;
      }
      const size_t end = std::min(j + 1, expr.size());
      auto unquoted = GoUnquote(expr.substr(i, end - i));
      tokens.push_back({Token::Type::kString,
                        unquoted.ok() ? *unquoted : std::string(expr.substr(i, end - i)),
                        last_operator, false, previous});
      previous = c;
      last_operator.clear();
      i = end;
      continue;
    }
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < expr.size() && IsIdentChar(expr[j])) ++j;
      size_t k = j;
      while (k < expr.size() && IsBlank(expr[k])) ++k;
      tokens.push_back({Token::Type::kIdentifier, std::string(expr.substr(i, j - i)), "",
                        k < expr.size() && expr[k] == '(', previous});
      previous = expr[j - 1];
      last_operator.clear();
      i = j;
      continue;
    }
    if (c == '=' || c == '!' || c == '~') {
      last_operator.push_back(c);
    } else {
      last_operator.clear();
    }
    tokens.push_back({Token::Type::kOther, std::string(1, c), "", false, previous});
    previous = c;
    ++i;
  }
  return tokens;
}

}  // namespace

std::string ExperimentalFeature(std::string_view expr) {
  const std::vector<Token> tokens = Tokenize(expr);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.type != Token::Type::kIdentifier) continue;
    // `@ start()` / `@ end()` are the stable @ modifier, not the functions.
    if (t.call && (t.text == "limitk" || t.text == "limit_ratio")) {
      return StrCat("aggregation \"", t.text, "\"");
    }
    // The parser's own list of the experimental functions it refuses.
    if (t.call && t.previous != '@' && query::IsExperimentalFunction(t.text)) {
      return StrCat("function \"", t.text, "\"");
    }
    if (t.call && (t.text == "fill" || t.text == "fill_left" || t.text == "fill_right")) {
      return "fill modifier";
    }
    if ((t.text == "anchored" || t.text == "smoothed") && t.previous == ']') {
      return StrCat("\"", t.text, "\" modifier");
    }
    if (t.text == "offset" && i + 1 < tokens.size() && tokens[i + 1].text == "(") {
      return "duration expression";
    }
  }
  // Range and subquery brackets holding anything but a duration: `[5m+1m]`, `[step()]`.
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') {
      const char q = expr[i];
      for (++i; i < expr.size() && expr[i] != q; ++i) {
        if (expr[i] == '\\' && q != '`') ++i;
      }
      continue;
    }
    if (expr[i] != '[') continue;
    const size_t close = expr.find(']', i);
    if (close == std::string_view::npos) break;
    for (size_t k = i + 1; k < close; ++k) {
      if (!IsIdentChar(expr[k]) && !IsBlank(expr[k]) && expr[k] != '.') {
        return "duration expression";
      }
    }
    i = close;
  }
  return "";
}

bool IsAtModifierUnsafeFunction(std::string_view name) {
  static const std::set<std::string_view> kNames = {
      "days_in_month", "day_of_month", "day_of_week", "day_of_year",    "hour",
      "minute",        "month",        "year",        "predict_linear", "time",
      "timestamp",     "start",        "end",         "range",          "step",
  };
  return kNames.count(name) > 0;
}

bool MentionsMetric(std::string_view expr, std::string_view name) {
  if (name.empty()) return false;
  for (const Token& token : Tokenize(expr)) {
    if (token.type == Token::Type::kIdentifier && token.text == name) return true;
    if (token.type != Token::Type::kString) continue;
    if (token.operator_ == "=" && token.text == name) return true;
    if (token.operator_ == "=~") {
      RE2 re(token.text, RE2::Quiet);
      if (re.ok() && RE2::FullMatch(std::string(name), re)) return true;
    }
  }
  return false;
}

}  // namespace plumbline::promqltest
