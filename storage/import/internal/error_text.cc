#include "storage/import/internal/error_text.h"

#include <cstddef>

#include "storage/labels.h"

namespace plumbline::storage::import::internal {
namespace {

constexpr size_t kMaxTokenBytes = 40;
constexpr size_t kMaxMessageBytes = 1024;

// Length of the valid UTF-8 sequence at the start of `text`, or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  const size_t n = lead < 0x80             ? 1
                   : (lead & 0xE0) == 0xC0 ? 2
                   : (lead & 0xF0) == 0xE0 ? 3
                   : (lead & 0xF8) == 0xF0 ? 4
                                           : 0;
  if (n == 0 || n > text.size()) return 0;
  return IsValidUtf8(text.substr(0, n)) ? n : 0;
}

}  // namespace

std::string Got(std::string_view rest) {
  if (rest.empty()) return "end of line";
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t n = 0;
  while (n < rest.size() && is_space(rest[n])) ++n;  // leading whitespace is shown
  while (n < rest.size() && !is_space(rest[n])) ++n;
  std::string out = "\"";
  if (n > kMaxTokenBytes) {
    out.append(rest.substr(0, kMaxTokenBytes));
    out.append("...");
  } else {
    out.append(rest.substr(0, n));
  }
  out.push_back('"');
  return out;
}

void SanitizeMessage(std::string_view message, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t start = out->size();
  size_t i = 0;
  while (i < message.size()) {
    if (out->size() - start >= kMaxMessageBytes) {
      out->append("...");
      return;
    }
    const auto c = static_cast<unsigned char>(message[i]);
    const size_t n = Utf8SequenceLength(message.substr(i));
    if (n == 0 || c < 0x20 || c == 0x7f) {
      out->append("\\x");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
      ++i;
      continue;
    }
    out->append(message.substr(i, n));
    i += n;
  }
}

}  // namespace plumbline::storage::import::internal
