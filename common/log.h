// Logging: one line per event in logfmt, as Prometheus' own logs are written:
//   ts=2026-11-26T05:58:09.123Z level=info caller=serve.cc:42 msg="Server is ready"
// Thread-safe. Never log per packet or per request on a hot path: count instead.
#pragma once

#include <sstream>
#include <string_view>

namespace plumbline {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);
// Accepts debug, info, warn, error. Returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// Collects one message and writes it as one line to stderr when destroyed.
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Turns the streamed expression into void so PL_LOG works as an expression statement.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

// PL_LOG(Info) << "listening on " << addr;   Levels: Debug, Info, Warn, Error.
// Arguments are not evaluated when the level is disabled. Safe inside an unbraced if/else.
#define PL_LOG(level)                                       \
  !::plumbline::LogEnabled(::plumbline::LogLevel::k##level) \
      ? (void)0                                             \
      : ::plumbline::LogVoidify() &                         \
            ::plumbline::LogMessage(::plumbline::LogLevel::k##level, __FILE__, __LINE__).stream()

}  // namespace plumbline
