// Time sources. Production code takes a Clock* so tests can drive time by hand.
#pragma once

#include <cstdint>

namespace plumbline {

// Wall-clock time in milliseconds since the Unix epoch. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// The system's real-time clock. Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  // A process-wide instance.
  static Clock* Get();
};

// Monotonic seconds for measuring durations (never goes back). Thread-safe.
double MonotonicSeconds();

}  // namespace plumbline
