#include "web/internal/http_date.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace plumbline::web::internal {

std::string FormatHttpDate(std::time_t seconds_since_epoch) {
  // Names spelled out: strftime's %a and %b follow the locale, HTTP wants English.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&seconds_since_epoch, &tm);
  char text[40];
  const int n = std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                              tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n <= 0) return {};
  return std::string(text, std::min(static_cast<size_t>(n), sizeof(text) - 1));
}

std::string_view CurrentHttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached_text;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    cached_text = FormatHttpDate(now);
  }
  return cached_text;
}

}  // namespace plumbline::web::internal
