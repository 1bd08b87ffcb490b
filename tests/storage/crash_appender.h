// Shared by crash_test.cc and the crash_appender program it kills.
#pragma once

#include <string>

#include "storage/labels.h"

namespace plumbline::storage::crash {

inline constexpr int kSeries = 20;
inline constexpr int64_t kStepMs = 1000;

inline double ValueOf(int series, int64_t t) {
  return static_cast<double>(t / kStepMs) * (series + 1) + 0.25;
}

inline Labels SeriesLabels(int i) {
  return *Labels::FromPairs({{"__name__", "crash_test"}, {"series", std::to_string(i)}});
}

}  // namespace plumbline::storage::crash
