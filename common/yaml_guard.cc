#include "common/yaml_guard.h"

#include <cstddef>
#include <cstdint>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace plumbline {
namespace {

enum class Mode {
  kBetween,      // between tokens
  kPlain,        // inside a plain scalar
  kSingle,       // inside '...'
  kDouble,       // inside "..."
  kProperty,     // inside an anchor, alias or tag
  kComment,      // to the end of the line
  kBlockHeader,  // the rest of a line that opened a block scalar (| or >)
  kBlockScalar,  // lines of a block scalar, more indented than the line that opened it
  kBlockLine,    // the rest of one line of a block scalar
};

bool Blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool FlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

// The length of the UTF-8 sequence at text[i] if it is a printable character, else 0.
size_t PrintableLength(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b(i + k) & 0x3f);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  const bool c1 = cp >= 0x80 && cp <= 0x9f && cp != 0x85;
  if (overlong || surrogate || c1 || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff) return 0;
  return n;
}

}  // namespace

absl::Status CheckYamlText(std::string_view text, std::string_view source) {
  Mode mode = Mode::kBetween;
  int depth = 0;  // flow collections open
  size_t line = 1, column = 0;
  bool line_start = true;  // only blanks so far on this line
  size_t indent = 0;       // blanks before the first character of this line
  size_t block_indent = 0;
  const auto at = [&](size_t i) { return i < text.size() ? text[i] : '\n'; };
  size_t skip = 0;  // continuation bytes of a multi-byte character
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (skip > 0) {
      --skip;
      continue;
    }
    const size_t length = PrintableLength(text, i);
    if (length == 0) {
      return absl::InvalidArgumentError(
          StrCat(source, ":", line, ":", column + 1, ": byte 0x",
                 absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2),
                 " is not printable UTF-8 text"));
    }
    skip = length - 1;
    if (c == '\n') {
      ++line;
      column = 0;
      line_start = true;
      indent = 0;
      if (mode == Mode::kPlain || mode == Mode::kComment || mode == Mode::kProperty) {
        mode = Mode::kBetween;
      } else if (mode == Mode::kBlockHeader || mode == Mode::kBlockLine) {
        mode = Mode::kBlockScalar;
      }
      continue;
    }
    ++column;
    if (mode == Mode::kSingle) {
      if (c == '\'') {
        if (at(i + 1) == '\'') {
          ++i;
          ++column;
        } else {
          mode = Mode::kBetween;
        }
      }
      continue;
    }
    if (mode == Mode::kDouble) {
      if (c == '\\' && at(i + 1) != '\n') {
        ++i;
        ++column;
      } else if (c == '"') {
        mode = Mode::kBetween;
      }
      continue;
    }
    if (mode == Mode::kComment || mode == Mode::kBlockHeader || mode == Mode::kBlockLine) continue;
    if (line_start) {
      if (Blank(c)) {
        ++indent;
        continue;
      }
      line_start = false;
      if (mode == Mode::kBlockScalar) {
        if (indent > block_indent) {
          mode = Mode::kBlockLine;  // content: skip the line
          continue;
        }
        mode = Mode::kBetween;
      }
      if (indent == 0 && depth == 0) {
        if (c == '%') {  // a directive
          mode = Mode::kComment;
          continue;
        }
        const std::string_view rest = text.substr(i, 3);
        if ((rest == "---" || rest == "...") && (Blank(at(i + 3)) || at(i + 3) == '\n')) {
          i += 2;
          column += 2;
          continue;
        }
      }
    }
    if (mode == Mode::kBlockScalar) continue;  // blank lines inside a block scalar
    if (mode == Mode::kProperty) {
      if (Blank(c)) {
        mode = Mode::kBetween;
        continue;
      }
      // Anchor and tag characters exclude the flow indicators, in any context.
      if (!FlowIndicator(c)) continue;
      mode = Mode::kBetween;  // handled below
    }
    if (mode == Mode::kPlain) {
      const char next = at(i + 1);
      if (c == ':' && (Blank(next) || next == '\n' || (depth > 0 && FlowIndicator(next)))) {
        mode = Mode::kBetween;
        continue;
      }
      if (c == '#' && i > 0 && Blank(text[i - 1])) {
        mode = Mode::kComment;
        continue;
      }
      if (depth == 0 || !FlowIndicator(c)) continue;
      mode = Mode::kBetween;  // a flow indicator ends it: handled below
    }
    // Between tokens: c begins one.
    if (Blank(c)) continue;
    switch (c) {
      case '#':
        mode = Mode::kComment;
        continue;
      case ',':
        if (depth == 0) {
          return absl::InvalidArgumentError(
              StrCat(source, ":", line, ":", column,
                     ": ',' outside a flow collection ([...] or {...}); quote the value that "
                     "holds it"));
        }
        continue;
      case '[':
      case '{':
        ++depth;
        continue;
      case ']':
      case '}':
        if (depth > 0) --depth;
        continue;
      case '\'':
        mode = Mode::kSingle;
        continue;
      case '"':
        mode = Mode::kDouble;
        continue;
      case '&':
      case '*':
      case '!':
        mode = Mode::kProperty;
        continue;
      default:
        break;
    }
    const char next = at(i + 1);
    if ((c == '-' || c == '?' || c == ':') && (Blank(next) || next == '\n')) continue;
    if (c == ':' && depth > 0) continue;
    if ((c == '|' || c == '>') && depth == 0) {
      mode = Mode::kBlockHeader;
      block_indent = indent;
      continue;
    }
    mode = Mode::kPlain;
  }
  return absl::OkStatus();
}

namespace {

// Where documents start; nothing else of the event stream is kept.
class DocumentStarts final : public YAML::EventHandler {
 public:
  YAML::Mark last = YAML::Mark::null_mark();
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::optional<std::pair<int, int>> SecondYamlDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  if (parser.HandleNextDocument(starts) && parser.HandleNextDocument(starts)) {
    return std::make_pair(starts.last.line + 1, starts.last.column + 1);
  }
  return std::nullopt;
}

}  // namespace plumbline
