// Lexer and parser of Go's text/template (text/template/parse: lex.go, parse.go, node.go),
// producing internal::TemplateTree. Error messages are Go's, "template: NAME:LINE: ...".
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/strings.h"
#include "query/internal/template_tree.h"

namespace plumbline::query::internal {
namespace {

enum class Tok {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kAssign,
  kDeclare,
  kEOF,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // keywords follow; Go prints them as <word>
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type;
  int pos;
  int line;
  std::string val;  // the text, or the message of kError
};

// Go's item.String(), used in "unexpected X in Y".
std::string TokenString(const Token& t) {
  if (t.type == Tok::kEOF) return "EOF";
  if (t.type == Tok::kError) return t.val;
  if (t.type > Tok::kKeyword) return StrCat("<", t.val, ">");
  if (t.val.size() > 10) return StrCat(GoQuote(t.val.substr(0, 10)), "...");
  return GoQuote(t.val);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Decodes the UTF-8 rune at s[i] (invalid bytes as U+FFFD, one byte).
char32_t DecodeRune(std::string_view s, size_t i, int* width) {
  const auto c = static_cast<unsigned char>(s[i]);
  *width = 1;
  if (c < 0x80) return c;
  int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0xFFFD;
  char32_t r = c & (0xFF >> (n + 1));
  for (int k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid, as in Go.
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) return 0xFFFD;
  *width = n;
  return r;
}

bool IsAlphaNumeric(char32_t r) {
  if (r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
    return true;
  }
  // Go accepts any Unicode letter or digit; non-ASCII letters are rare in templates and
  // treating all of them (but the replacement char) as letters is close enough.
  return r >= 0xC0 && r != 0xFFFD && r != 0xD7 && r != 0xF7;
}

// Go's %#U: U+0041 'A' (the character only when printable).
std::string FormatRune(char32_t r) {
  std::string out = absl::StrFormat("U+%04X", static_cast<uint32_t>(r));
  const bool printable = (r >= 0x20 && r < 0x7F) || (r > 0xA0 && r != 0xAD && r != 0xFFFD);
  if (printable) {
    std::string utf8;
    if (r < 0x80) {
      utf8 += static_cast<char>(r);
    } else if (r < 0x800) {
      utf8 += static_cast<char>(0xC0 | (r >> 6));
      utf8 += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
      utf8 += static_cast<char>(0xE0 | (r >> 12));
      utf8 += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
      utf8 += static_cast<char>(0x80 | (r & 0x3F));
    } else {
      utf8 += static_cast<char>(0xF0 | (r >> 18));
      utf8 += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
      utf8 += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
      utf8 += static_cast<char>(0x80 | (r & 0x3F));
    }
    StrAppend(&out, " '", utf8, "'");
  }
  return out;
}

// Go's lexer, run to completion up front: the token list ends with kEOF or kError.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    while (LexText()) {
    }
    return std::move(tokens_);
  }

 private:
  void Emit(Tok t, size_t start, size_t end) {
    tokens_.push_back(
        Token{t, static_cast<int>(start), line_, std::string(in_.substr(start, end - start))});
    CountLines(start, end);
  }
  void CountLines(size_t start, size_t end) {
    line_ += static_cast<int>(std::count(in_.begin() + start, in_.begin() + end, '\n'));
  }
  bool Error(std::string msg) {
    tokens_.push_back(Token{Tok::kError, static_cast<int>(pos_), line_, std::move(msg)});
    return false;
  }
  bool StartsWith(size_t at, std::string_view p) const {
    return at <= in_.size() && in_.substr(at).starts_with(p);
  }
  bool LeftTrimAt(size_t at) const {
    return at + 1 < in_.size() && in_[at] == '-' && IsSpace(in_[at + 1]);
  }
  bool RightTrimAt(size_t at) const {
    return at + 1 < in_.size() && IsSpace(in_[at]) && in_[at + 1] == '-';
  }
  bool AtRightDelim() const {
    return StartsWith(pos_, "}}") || (RightTrimAt(pos_) && StartsWith(pos_ + 2, "}}"));
  }
  void SkipLeadingSpace() {
    size_t p = pos_;
    while (p < in_.size() && IsSpace(in_[p])) ++p;
    CountLines(pos_, p);
    pos_ = p;
  }

  // Text up to the next action; false once done (EOF or error).
  bool LexText() {
    const size_t x = in_.find("{{", pos_);
    if (x == std::string_view::npos) {
      if (pos_ < in_.size()) Emit(Tok::kText, pos_, in_.size());
      tokens_.push_back(Token{Tok::kEOF, static_cast<int>(in_.size()), line_, ""});
      return false;
    }
    const bool trim = LeftTrimAt(x + 2);
    size_t text_end = x;
    if (trim) {
      while (text_end > pos_ && IsSpace(in_[text_end - 1])) --text_end;
    }
    if (text_end > pos_) Emit(Tok::kText, pos_, text_end);
    CountLines(text_end, x);
    pos_ = x + 2 + (trim ? 2 : 0);
    if (StartsWith(pos_, "/*")) return LexComment(x);
    Emit(Tok::kLeftDelim, x, x + 2);
    return LexInsideAction();
  }

  bool LexComment(size_t delim) {
    const size_t end = in_.find("*/", pos_ + 2);
    if (end == std::string_view::npos) {
      pos_ = delim;
      return Error("unclosed comment");
    }
    CountLines(pos_, end);
    pos_ = end + 2;
    const bool trim = RightTrimAt(pos_) && StartsWith(pos_ + 2, "}}");
    if (trim) pos_ += 2;
    if (!StartsWith(pos_, "}}")) return Error("comment ends before closing delimiter");
    pos_ += 2;
    if (trim) SkipLeadingSpace();
    return true;
  }

  bool LexInsideAction() {
    int paren_depth = 0;
    while (true) {
      if (AtRightDelim()) {
        if (paren_depth != 0) return Error("unclosed left paren");
        const bool trim = !StartsWith(pos_, "}}");
        if (trim) pos_ += 2;
        Emit(Tok::kRightDelim, pos_, pos_ + 2);
        pos_ += 2;
        if (trim) SkipLeadingSpace();
        return true;
      }
      if (pos_ >= in_.size()) return Error("unclosed action");
      int width;
      const char32_t r = DecodeRune(in_, pos_, &width);
      const size_t start = pos_;
      if (width == 1 && IsSpace(in_[pos_])) {
        size_t p = pos_;
        while (p < in_.size() && IsSpace(in_[p])) ++p;
        // A space that begins " -}}" belongs to the delimiter.
        if (RightTrimAt(p - 1) && StartsWith(p + 1, "}}")) {
          --p;
          if (p == start) continue;
        }
        Emit(Tok::kSpace, start, p);
        pos_ = p;
        continue;
      }
      switch (r) {
        case '=':
          Emit(Tok::kAssign, start, ++pos_);
          continue;
        case ':':
          if (pos_ + 1 >= in_.size() || in_[pos_ + 1] != '=') {
            ++pos_;
            return Error("expected :=");
          }
          pos_ += 2;
          Emit(Tok::kDeclare, start, pos_);
          continue;
        case '|':
          Emit(Tok::kPipe, start, ++pos_);
          continue;
        case '"':
          if (!LexQuote('"', "unterminated quoted string", Tok::kString)) return false;
          continue;
        case '\'':
          if (!LexQuote('\'', "unterminated character constant", Tok::kCharConstant)) return false;
          continue;
        case '`': {
          const size_t end = in_.find('`', pos_ + 1);
          if (end == std::string_view::npos) return Error("unterminated raw quoted string");
          pos_ = end + 1;
          Emit(Tok::kRawString, start, pos_);
          continue;
        }
        case '$':
          if (!LexFieldOrVariable(Tok::kVariable)) return false;
          continue;
        case '.':
          if (pos_ + 1 < in_.size() && in_[pos_ + 1] >= '0' && in_[pos_ + 1] <= '9') {
            if (!LexNumber()) return false;
          } else if (!LexFieldOrVariable(Tok::kField)) {
            return false;
          }
          continue;
        case '(':
          Emit(Tok::kLeftParen, start, ++pos_);
          ++paren_depth;
          continue;
        case ')':
          if (--paren_depth < 0) {
            ++pos_;
            return Error("unexpected right paren");
          }
          Emit(Tok::kRightParen, start, ++pos_);
          continue;
        default:
          break;
      }
      if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        if (!LexNumber()) return false;
      } else if (IsAlphaNumeric(r)) {
        if (!LexIdentifier()) return false;
      } else if (r < 0x7F && r >= 0x20) {
        Emit(Tok::kChar, start, ++pos_);
      } else {
        pos_ += width;
        return Error(StrCat("unrecognized character in action: ", FormatRune(r)));
      }
    }
  }

  bool AtTerminator() const {
    if (pos_ >= in_.size()) return true;
    const char c = in_[pos_];
    if (IsSpace(c)) return true;
    switch (c) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return StartsWith(pos_, "}}");
    }
  }

  size_t AbsorbAlphaNumeric(size_t p) const {
    while (p < in_.size()) {
      int width;
      if (!IsAlphaNumeric(DecodeRune(in_, p, &width))) break;
      p += width;
    }
    return p;
  }

  bool BadCharacter() {
    int width;
    const char32_t r = DecodeRune(in_, pos_, &width);
    pos_ += width;
    return Error(StrCat("bad character ", FormatRune(r)));
  }

  bool LexFieldOrVariable(Tok type) {
    const size_t start = pos_++;
    if (AtTerminator()) {
      Emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot, start, pos_);
      return true;
    }
    pos_ = AbsorbAlphaNumeric(pos_);
    if (!AtTerminator()) return BadCharacter();
    Emit(type, start, pos_);
    return true;
  }

  bool LexIdentifier() {
    const size_t start = pos_;
    pos_ = AbsorbAlphaNumeric(pos_);
    if (!AtTerminator()) return BadCharacter();
    const std::string_view word = in_.substr(start, pos_ - start);
    static const std::pair<std::string_view, Tok> kKeywords[] = {{"block", Tok::kBlock},
                                                                 {"break", Tok::kBreak},
                                                                 {"continue", Tok::kContinue},
                                                                 {"define", Tok::kDefine},
                                                                 {"else", Tok::kElse},
                                                                 {"end", Tok::kEnd},
                                                                 {"if", Tok::kIf},
                                                                 {"nil", Tok::kNil},
                                                                 {"range", Tok::kRange},
                                                                 {"template", Tok::kTemplate},
                                                                 {"with", Tok::kWith},
                                                                 {"true", Tok::kBool},
                                                                 {"false", Tok::kBool}};
    Tok type = Tok::kIdentifier;
    for (const auto& [kw, t] : kKeywords) {
      if (kw == word) type = t;
    }
    Emit(type, start, pos_);
    return true;
  }

  bool LexQuote(char quote, const char* unterminated, Tok type) {
    const size_t start = pos_++;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(unterminated);
      const char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(unterminated);
        ++pos_;
      } else if (c == quote) {
        break;
      }
    }
    Emit(type, start, pos_);
    return true;
  }

  bool Accept(std::string_view valid) {
    if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  bool LexNumber() {
    const size_t start = pos_;
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    int width = 1;
    if (pos_ < in_.size() && IsAlphaNumeric(DecodeRune(in_, pos_, &width))) {
      pos_ += width;
      return Error(StrCat("bad number syntax: ", GoQuote(in_.substr(start, pos_ - start))));
    }
    Emit(Tok::kNumber, start, pos_);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

// strconv.Unquote for "..." and `...` (and '...' for char constants); false when invalid.
bool Unquote(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2 || q.front() != q.back()) return false;
  const char quote = q.front();
  const std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') {
    for (char c : body) {
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  for (size_t i = 0; i < body.size();) {
    const char c = body[i];
    if (c == quote) return false;
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (++i >= body.size()) return false;
    const char e = body[i++];
    auto hex = [&](int n, uint32_t* v) {
      *v = 0;
      for (int k = 0; k < n; ++k, ++i) {
        if (i >= body.size()) return false;
        const char h = body[i];
        int d = (h >= '0' && h <= '9')   ? h - '0'
                : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                         : -1;
        if (d < 0) return false;
        *v = *v * 16 + d;
      }
      return true;
    };
    uint32_t v = 0;
    switch (e) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\'':
      case '"':
        if (e != quote) return false;
        out->push_back(e);
        break;
      case 'x':
        if (!hex(2, &v)) return false;
        out->push_back(static_cast<char>(v));
        break;
      case 'u':
      case 'U': {
        if (!hex(e == 'u' ? 4 : 8, &v)) return false;
        if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
        std::string u;
        if (v < 0x80) {
          u += static_cast<char>(v);
        } else if (v < 0x800) {
          u += static_cast<char>(0xC0 | (v >> 6));
          u += static_cast<char>(0x80 | (v & 0x3F));
        } else if (v < 0x10000) {
          u += static_cast<char>(0xE0 | (v >> 12));
          u += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
          u += static_cast<char>(0x80 | (v & 0x3F));
        } else {
          u += static_cast<char>(0xF0 | (v >> 18));
          u += static_cast<char>(0x80 | ((v >> 12) & 0x3F));
          u += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
          u += static_cast<char>(0x80 | (v & 0x3F));
        }
        *out += u;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          v = e - '0';
          for (int k = 0; k < 2; ++k, ++i) {
            if (i >= body.size() || body[i] < '0' || body[i] > '7') return false;
            v = v * 8 + (body[i] - '0');
          }
          if (v > 255) return false;
          out->push_back(static_cast<char>(v));
          break;
        }
        return false;
    }
  }
  return true;
}

class Parser {
 public:
  Parser(TemplateTree* tree, std::vector<Token> tokens) : tree_(tree), tokens_(std::move(tokens)) {}

  void Parse() {
    auto root = NewNode(NodeType::kList, Peek().pos);
    vars_ = {"$"};
    while (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim) {
        const size_t mark = idx_;
        Next();
        if (NextNonSpace().type == Tok::kDefine) {
          ParseDefinition();
          continue;
        }
        idx_ = mark;
      }
      auto n = TextOrAction();
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        Errorf(StrCat("unexpected ", n->type == NodeType::kEnd ? "{{end}}" : "{{else}}"));
      }
      root->nodes.push_back(std::move(n));
    }
    Add(tree_->name, std::move(root));
  }

 private:
  static std::unique_ptr<Node> NewNode(NodeType type, int pos) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->pos = pos;
    return n;
  }

  [[noreturn]] void Errorf(std::string_view msg) {
    const int line = tokens_[std::min(max_idx_, tokens_.size() - 1)].line;
    throw TemplateError{absl::StatusCode::kInvalidArgument,
                        absl::StrFormat("template: %s:%d: %s", tree_->name, line, ToAbsl(msg))};
  }

  [[noreturn]] void Unexpected(const Token& t, std::string_view context) {
    if (t.type == Tok::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != t.line) {
        extra = absl::StrFormat(" in action started at %s:%d", tree_->name, action_line_);
        if (std::string_view(t.val).ends_with(" action")) extra = extra.substr(10);
      }
      Errorf(StrCat(t.val, extra));
    }
    Errorf(StrCat("unexpected ", TokenString(t), " in ", context));
  }

  const Token& Next() {
    const Token& t = tokens_[std::min(idx_, tokens_.size() - 1)];
    max_idx_ = std::max(max_idx_, std::min(idx_, tokens_.size() - 1));
    if (idx_ < tokens_.size()) ++idx_;
    return t;
  }
  const Token& Peek() {
    max_idx_ = std::max(max_idx_, std::min(idx_, tokens_.size() - 1));
    return tokens_[std::min(idx_, tokens_.size() - 1)];
  }
  void Backup() { --idx_; }
  const Token& NextNonSpace() {
    while (Peek().type == Tok::kSpace) Next();
    return Next();
  }
  const Token& PeekNonSpace() {
    while (Peek().type == Tok::kSpace) Next();
    return Peek();
  }
  Token Expect(Tok type, std::string_view context) {
    const Token& t = NextNonSpace();
    if (t.type != type) Unexpected(t, context);
    return t;
  }

  void Add(const std::string& name, std::unique_ptr<Node> root) {
    auto it = tree_->templates.find(name);
    if (it == tree_->templates.end() || IsEmptyTree(*it->second)) {
      tree_->templates[name] = std::move(root);
      return;
    }
    if (!IsEmptyTree(*root)) {
      Errorf(StrCat("template: multiple definition of template ", GoQuote(name)));
    }
  }

  static bool IsEmptyTree(const Node& n) {
    if (n.type == NodeType::kList) {
      return std::all_of(n.nodes.begin(), n.nodes.end(),
                         [](const auto& c) { return IsEmptyTree(*c); });
    }
    if (n.type == NodeType::kText) {
      return std::all_of(n.text.begin(), n.text.end(),
                         [](char c) { return IsSpace(c) || c == '\v' || c == '\f'; });
    }
    return false;
  }

  void ParseDefinition() {
    const Token& name = NextNonSpace();
    if (name.type != Tok::kString && name.type != Tok::kRawString) {
      Unexpected(name, "define clause");
    }
    std::string unquoted;
    if (!Unquote(name.val, &unquoted)) Errorf("invalid syntax");
    Expect(Tok::kRightDelim, "define clause");
    auto saved = std::move(vars_);
    vars_ = {"$"};
    auto [list, end] = ItemList();
    if (end->type != NodeType::kEnd) Errorf("unexpected {{else}} in define clause");
    vars_ = std::move(saved);
    Add(unquoted, std::move(list));
  }

  std::pair<std::unique_ptr<Node>, std::unique_ptr<Node>> ItemList() {
    auto list = NewNode(NodeType::kList, PeekNonSpace().pos);
    while (PeekNonSpace().type != Tok::kEOF) {
      auto n = TextOrAction();
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        return {std::move(list), std::move(n)};
      }
      list->nodes.push_back(std::move(n));
    }
    Errorf("unexpected EOF");
  }

  std::unique_ptr<Node> TextOrAction() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kText: {
        auto n = NewNode(NodeType::kText, t.pos);
        n->text = t.val;
        return n;
      }
      case Tok::kLeftDelim: {
        const int saved = action_line_;
        action_line_ = t.line;
        auto n = Action();
        action_line_ = saved;
        return n;
      }
      default:
        Unexpected(t, "input");
    }
  }

  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p(p) {
      if (++p->depth_ > kMaxParseDepth) p->Errorf("max expression depth exceeded");
    }
    ~DepthGuard() { --p->depth_; }
    Parser* p;
  };

  std::unique_ptr<Node> Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kBlock:
        return BlockControl();
      case Tok::kBreak:
      case Tok::kContinue: {
        const bool brk = t.type == Tok::kBreak;
        const int pos = t.pos;
        const Token& close = NextNonSpace();
        if (close.type != Tok::kRightDelim) Unexpected(close, brk ? "{{break}}" : "{{continue}}");
        if (range_depth_ == 0)
          Errorf(brk ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
        return NewNode(brk ? NodeType::kBreak : NodeType::kContinue, pos);
      }
      case Tok::kElse: {
        const Token& peek = PeekNonSpace();
        if (peek.type == Tok::kIf || peek.type == Tok::kWith)
          return NewNode(NodeType::kElse, peek.pos);
        return NewNode(NodeType::kElse, Expect(Tok::kRightDelim, "else").pos);
      }
      case Tok::kEnd:
        return NewNode(NodeType::kEnd, Expect(Tok::kRightDelim, "end").pos);
      case Tok::kIf:
        return Control(NodeType::kIf, "if");
      case Tok::kRange:
        return Control(NodeType::kRange, "range");
      case Tok::kWith:
        return Control(NodeType::kWith, "with");
      case Tok::kTemplate:
        return TemplateControl();
      default:
        break;
    }
    Backup();
    const int pos = Peek().pos;
    auto n = NewNode(NodeType::kAction, pos);
    n->pipe = Pipeline("command", Tok::kRightDelim);
    return n;
  }

  std::unique_ptr<Node> Control(NodeType type, std::string_view context) {
    DepthGuard guard(this);
    const size_t vars = vars_.size();
    auto n = NewNode(type, 0);
    n->pipe = Pipeline(context, Tok::kRightDelim);
    n->pos = n->pipe->pos;
    if (type == NodeType::kRange) ++range_depth_;
    auto [list, next] = ItemList();
    if (type == NodeType::kRange) --range_depth_;
    n->list = std::move(list);
    if (next->type == NodeType::kElse) {
      const Tok chained = type == NodeType::kIf ? Tok::kIf : Tok::kWith;
      if (type != NodeType::kRange && Peek().type == chained) {
        Next();
        n->else_list = NewNode(NodeType::kList, next->pos);
        n->else_list->nodes.push_back(Control(type, context));
      } else {
        auto [else_list, end] = ItemList();
        if (end->type != NodeType::kEnd) Errorf("expected end; found {{else}}");
        n->else_list = std::move(else_list);
      }
    }
    vars_.resize(vars);
    return n;
  }

  std::string TemplateName(const Token& t, std::string_view context) {
    if (t.type != Tok::kString && t.type != Tok::kRawString) Unexpected(t, context);
    std::string name;
    if (!Unquote(t.val, &name)) Errorf("invalid syntax");
    return name;
  }

  std::unique_ptr<Node> TemplateControl() {
    const Token t = NextNonSpace();
    auto n = NewNode(NodeType::kTemplate, t.pos);
    n->text = TemplateName(t, "template clause");
    if (NextNonSpace().type != Tok::kRightDelim) {
      Backup();
      n->pipe = Pipeline("template clause", Tok::kRightDelim);
    }
    return n;
  }

  std::unique_ptr<Node> BlockControl() {
    DepthGuard guard(this);
    const Token t = NextNonSpace();
    auto n = NewNode(NodeType::kTemplate, t.pos);
    n->text = TemplateName(t, "block clause");
    n->pipe = Pipeline("block clause", Tok::kRightDelim);
    auto saved = std::move(vars_);
    vars_ = {"$"};
    auto [list, end] = ItemList();
    if (end->type != NodeType::kEnd) Errorf("unexpected {{else}} in block clause");
    vars_ = std::move(saved);
    Add(n->text, std::move(list));
    return n;
  }

  std::unique_ptr<Node> Pipeline(std::string_view context, Tok end) {
    auto pipe = NewNode(NodeType::kPipe, PeekNonSpace().pos);
    while (PeekNonSpace().type == Tok::kVariable) {
      const size_t mark = idx_;
      const Token v = Next();
      const Tok after = Peek().type;
      const Token& next = PeekNonSpace();
      if (next.type == Tok::kAssign || next.type == Tok::kDeclare) {
        pipe->is_assign = next.type == Tok::kAssign;
        NextNonSpace();
        auto var = NewNode(NodeType::kVariable, v.pos);
        var->idents = {v.val};
        pipe->decl.push_back(std::move(var));
        vars_.push_back(v.val);
      } else if (next.type == Tok::kChar && next.val == ",") {
        NextNonSpace();
        auto var = NewNode(NodeType::kVariable, v.pos);
        var->idents = {v.val};
        pipe->decl.push_back(std::move(var));
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          const Tok p = PeekNonSpace().type;
          if (p == Tok::kVariable || p == Tok::kRightDelim || p == Tok::kRightParen) continue;
          Errorf("range can only initialize variables");
        }
        Errorf(StrCat("too many declarations in ", context));
      } else {
        (void)after;
        idx_ = mark;
      }
      break;
    }
    while (true) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        if (pipe->nodes.empty()) Errorf(StrCat("missing value for ", context));
        for (size_t i = 1; i < pipe->nodes.size(); ++i) {
          switch (pipe->nodes[i]->nodes[0]->type) {
            case NodeType::kBool:
            case NodeType::kDot:
            case NodeType::kNil:
            case NodeType::kNumber:
            case NodeType::kString:
              Errorf(absl::StrFormat("non executable command in pipeline stage %d", i + 1));
            default:
              break;
          }
        }
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConstant:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen:
          Backup();
          pipe->nodes.push_back(Command());
          break;
        default:
          Unexpected(t, context);
      }
    }
  }

  std::unique_ptr<Node> Command() {
    auto cmd = NewNode(NodeType::kCommand, PeekNonSpace().pos);
    while (true) {
      PeekNonSpace();
      if (auto operand = Operand()) cmd->nodes.push_back(std::move(operand));
      const Token& t = Next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->nodes.empty()) Errorf("empty command");
    return cmd;
  }

  std::unique_ptr<Node> Operand() {
    auto node = Term();
    if (!node || Peek().type != Tok::kField) return node;
    auto chain = NewNode(NodeType::kChain, Peek().pos);
    while (Peek().type == Tok::kField) chain->idents.push_back(Next().val.substr(1));
    switch (node->type) {
      case NodeType::kField:
      case NodeType::kVariable:
        // Go re-makes the node at the chain's position: the first trailing field's.
        node->pos = chain->pos;
        for (auto& f : chain->idents) node->idents.push_back(std::move(f));
        return node;
      case NodeType::kBool:
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kNil:
      case NodeType::kDot:
        Errorf(StrCat("unexpected . after term ", GoQuote(node->String())));
      default:
        chain->operand = std::move(node);
        return chain;
    }
  }

  std::unique_ptr<Node> Term() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kIdentifier: {
        const int id = LookupFunc(t.val);
        if (id < 0) Errorf(StrCat("function ", GoQuote(t.val), " not defined"));
        auto n = NewNode(NodeType::kIdentifier, t.pos);
        n->text = t.val;
        n->func = id;
        return n;
      }
      case Tok::kDot:
        return NewNode(NodeType::kDot, t.pos);
      case Tok::kNil:
        return NewNode(NodeType::kNil, t.pos);
      case Tok::kVariable: {
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
          Errorf(StrCat("undefined variable ", GoQuote(t.val)));
        }
        auto n = NewNode(NodeType::kVariable, t.pos);
        n->idents = {t.val};
        return n;
      }
      case Tok::kField: {
        auto n = NewNode(NodeType::kField, t.pos);
        n->idents = {t.val.substr(1)};
        return n;
      }
      case Tok::kBool: {
        auto n = NewNode(NodeType::kBool, t.pos);
        n->b = t.val == "true";
        return n;
      }
      case Tok::kCharConstant:
      case Tok::kNumber:
        return Number(t);
      case Tok::kLeftParen: {
        DepthGuard guard(this);
        return Pipeline("parenthesized pipeline", Tok::kRightParen);
      }
      case Tok::kString:
      case Tok::kRawString: {
        auto n = NewNode(NodeType::kString, t.pos);
        n->quoted = t.val;
        if (!Unquote(t.val, &n->text)) Errorf("invalid syntax");
        return n;
      }
      default:
        Backup();
        return nullptr;
    }
  }

  std::unique_ptr<Node> Number(const Token& t) {
    auto n = NewNode(NodeType::kNumber, t.pos);
    n->text = t.val;
    if (t.type == Tok::kCharConstant) {
      std::string s;
      // A char constant is one rune; Unquote checks the escapes.
      if (!Unquote(t.val, &s) || s.empty()) Errorf("invalid syntax");
      int width;
      char32_t r = DecodeRune(s, 0, &width);
      if (static_cast<size_t>(width) != s.size()) {
        Errorf(StrCat("malformed character constant: ", t.val));
      }
      if (s.size() == 1) r = static_cast<unsigned char>(s[0]);
      n->i = r;
      n->f = r;
      return n;
    }
    std::string clean;
    for (char c : t.val) {
      if (c != '_') clean.push_back(c);
    }
    const bool underscores = clean.size() != t.val.size();
    std::string_view digits = clean;
    bool neg = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      neg = digits[0] == '-';
      digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.size() > 1 && digits[0] == '0') {
      const char p = digits[1] | 0x20;
      if (p == 'x') base = 16;
      if (p == 'o') base = 8;
      if (p == 'b') base = 2;
      if (base != 10) digits.remove_prefix(2);
    }
    const bool looks_float0 = clean.find_first_of(".eE") != std::string::npos;
    if (base == 10 && digits.size() > 1 && digits[0] == '0' && !looks_float0) base = 8;
    const bool looks_float = base == 10 ? clean.find_first_of(".eE") != std::string::npos
                                        : clean.find_first_of(".pP") != std::string::npos;
    if (t.val.ends_with("i") || (underscores && base == 10) || digits.empty() ||
        (base == 16 && looks_float)) {
      // Imaginary numbers, hex floats and decimal underscores are left out.
      Errorf(StrCat("illegal number syntax: ", GoQuote(t.val)));
    }
    if (!looks_float) {
      errno = 0;
      char* end = nullptr;
      const std::string d(digits);
      const unsigned long long u = std::strtoull(d.c_str(), &end, base);
      if (errno != 0 || *end != '\0' ||
          u > (neg ? 9223372036854775808ULL : 9223372036854775807ULL)) {
        Errorf(StrCat(errno == ERANGE || u > 9223372036854775807ULL ? "integer overflow: "
                                                                    : "illegal number syntax: ",
                      GoQuote(t.val)));
      }
      n->i = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
      n->f = static_cast<double>(n->i);
      return n;
    }
    char* end = nullptr;
    n->f = std::strtod(clean.c_str(), &end);
    if (*end != '\0') Errorf(StrCat("illegal number syntax: ", GoQuote(t.val)));
    n->ideal_float = true;
    return n;
  }

  TemplateTree* tree_;
  std::vector<Token> tokens_;
  size_t idx_ = 0;
  size_t max_idx_ = 0;
  int action_line_ = 0;
  int range_depth_ = 0;
  int depth_ = 0;
  std::vector<std::string> vars_;
};

}  // namespace

std::shared_ptr<TemplateTree> ParseTree(std::string_view name, std::string text) {
  auto tree = std::make_shared<TemplateTree>();
  tree->name = std::string(name);
  tree->text = std::move(text);
  Parser parser(tree.get(), Lexer(tree->text).Run());
  parser.Parse();
  return tree;
}

}  // namespace plumbline::query::internal
