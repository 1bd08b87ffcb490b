// absl::StrCat / StrAppend that also take std::string_view. Debian's Abseil 20220623 has
// its own absl::string_view (not an alias of std's), so its StrCat refuses std::string_view.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace plumbline {
namespace strings_internal {

template <typename T>
decltype(auto) ToAlphaNumArg(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(value.data(), value.size());
  } else {
    return value;
  }
}

}  // namespace strings_internal

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::ToAlphaNumArg(args)...);
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::ToAlphaNumArg(args)...);
}

}  // namespace plumbline
