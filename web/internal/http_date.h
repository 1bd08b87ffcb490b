// The HTTP Date header value (RFC 9110 IMF-fixdate), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace plumbline::web::internal {

std::string FormatHttpDate(std::time_t seconds_since_epoch);

// Now, formatted once per second per thread. The view stays valid until the next call on the
// same thread. Thread-safe (the cache is thread-local).
std::string_view CurrentHttpDate();

}  // namespace plumbline::web::internal
