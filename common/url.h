// Small URL pieces every client of another server needs: percent-encoding a query or form
// component, and a URL's printable form without its credentials.
#pragma once

#include <string>
#include <string_view>

namespace plumbline {

// `text` as one URL query or form component: RFC 3986's unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, every other byte becomes %XX (upper-case hex), a space too, so
// that form parsers and decodeURIComponent read it back the same.
std::string PercentEncode(std::string_view text);
void AppendPercentEncoded(std::string_view text, std::string* out);

// "http://user:secret@host:port/path" -> "http://host:port/path": for logs, messages and
// metric labels. A URL without user info comes back unchanged.
std::string WithoutUserInfo(std::string_view url);

}  // namespace plumbline
