#include "web/form.h"

#include "common/strings.h"

namespace plumbline::web {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      const int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  return Decode(in, /*plus_is_space=*/false, out);
}

absl::StatusOr<FormParams> ParseForm(std::string_view text) {
  FormParams params;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name, value;
    if (!Decode(pair.substr(0, eq), true, &name) ||
        (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), true, &value))) {
      return absl::InvalidArgumentError(StrCat("invalid URL escape in \"", pair, "\""));
    }
    params.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

const std::string* FindParam(const FormParams& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return &v;
  }
  return nullptr;
}

}  // namespace plumbline::web
