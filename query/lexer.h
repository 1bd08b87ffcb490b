// The PromQL lexer: a port of Prometheus' state-machine lexer (promql/parser/lex.go), so that
// the tokens, and the lexer's error messages and positions, are Prometheus' own. Also the Go
// quoting helpers (strconv.Quote, %q) the parser's messages and the printer need.
//
// Owned by one thread (one Lexer per parse).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace plumbline::query {

enum class TokenType : uint8_t {
  kEOF,
  kError,  // val holds the message
  kComment,
  kIdentifier,
  kMetricIdentifier,
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kEql,  // "=" (label matching)
  kColon,
  kDoubleColon,
  kString,
  kNumber,
  kDuration,

  // Operators (Prometheus' operatorsStart..operatorsEnd).
  kAdd,
  kDiv,
  kEqlc,
  kEqlRegex,
  kGte,
  kGtr,
  kLand,
  kLor,
  kLss,
  kLte,
  kLunless,
  kMod,
  kMul,
  kNeq,
  kNeqRegex,
  kPow,
  kSub,
  kAt,
  kAtan2,

  // Aggregators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  kLimitk,
  kLimitRatio,

  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kSmoothed,
  kAnchored,
  kOn,
  kWithout,
  kFill,
  kFillLeft,
  kFillRight,

  // Preprocessors.
  kStart,
  kEnd,
  kStep,
  kRange,
};

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

struct Token {
  TokenType type = TokenType::kEOF;
  int32_t pos = 0;  // byte offset of the token's first byte
  std::string val;  // the token's text; the message for kError
};

// How Prometheus names a token in "unexpected ..." messages (Item.desc()): `<op:+>`,
// `identifier "foo"`, `"("`, `end of input`, ...
std::string DescribeToken(const Token& token);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}
  Lexer(const Lexer&) = delete;
  Lexer& operator=(const Lexer&) = delete;

  // The next token, comments included. After kError or kEOF, kEOF forever.
  Token Next();

 private:
  enum class State : uint8_t {
    kDone,
    kStatements,
    kInsideBraces,
    kString,
    kRawString,
    kEscape,
    kSpace,
    kLineComment,
    kNumberOrDuration,
    kIdentifier,
    kKeywordOrIdentifier,
    kDurationExpr,
  };
  static constexpr int32_t kEofRune = -1;

  State Run(State state);
  State LexStatements();
  State LexInsideBraces();
  State LexString();
  State LexRawString();
  State LexEscape();
  State LexSpace();
  State LexLineComment();
  State LexNumberOrDuration();
  State LexIdentifier();
  State LexKeywordOrIdentifier();
  State LexDurationExpr();

  int32_t NextRune();
  int32_t PeekRune();
  void Backup() { pos_ -= width_; }
  bool Accept(std::string_view valid);
  bool Is(std::string_view valid);
  void AcceptRun(std::string_view valid);
  void Emit(TokenType type);
  void Ignore() { start_ = pos_; }
  State Errorf(std::string message);
  void SkipSpaces();
  bool ScanNumber();
  bool AcceptRemainingDuration();
  bool ScanDurationKeyword();
  bool PeekFollowedByLeftParen() const;

  std::string_view input_;
  State state_ = State::kStatements;
  int32_t pos_ = 0;
  int32_t start_ = 0;
  int32_t width_ = 0;
  Token* item_ = nullptr;
  bool scanned_ = false;

  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  bool got_duration_ = false;
  int32_t string_open_ = 0;
};

// Token values, decoded as Prometheus' parser does. Each returns false with Go's error text.
// A NUMBER token: strconv.ParseInt(text, 0, 64), else strconv.ParseFloat(text, 64).
bool ParseNumberToken(std::string_view text, double* value, std::string* error);
// A DURATION token (and ParseDurationMs): model.ParseDuration, in nanoseconds.
bool ParseGoDuration(std::string_view text, int64_t* ns, std::string* error);
// A STRING token the lexer accepted: strutil.Unquote (escapes may yield invalid UTF-8).
std::string UnquoteString(std::string_view token);
bool IsValidUtf8(std::string_view s);

// Decodes one rune as Go's utf8.DecodeRuneInString: invalid input is (U+FFFD, 1).
int32_t DecodeRune(std::string_view s, int32_t* width);

// Go's strconv.Quote: a double-quoted string with Go escapes, printable runes kept as is.
// U+FFFD is escaped too, so that the result always lexes back (Go keeps it as is).
std::string GoQuote(std::string_view s);
// Go's %.Nq: quotes the first `max_runes` runes of `s`.
std::string GoQuotePrefix(std::string_view s, int max_runes);
// Go's %q of a rune: 'x', '\n', '\x00', '\u00a0'; an invalid rune (e.g. end of input) is '�'.
std::string GoQuoteRune(int32_t r);
// Go's %#U: "U+0063 'c'", or "U+000A" when not printable.
std::string GoUnicodeRune(int32_t r);
// Whether Go's unicode.IsPrint would say so (approximately, for non-ASCII).
bool IsPrintRune(int32_t r);

}  // namespace plumbline::query
