// The values a PromQL query evaluates to, as Prometheus' promql/value.go has them (floats
// only: native histograms are out of scope). Value types; thread-compatible.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "storage/labels.h"

namespace plumbline::query {

// One float sample of a series.
struct FPoint {
  int64_t t = 0;  // ms since the epoch
  double f = 0;
};

// One element of an instant vector.
struct Sample {
  storage::Labels metric;
  int64_t t = 0;
  double f = 0;
};
using Vector = std::vector<Sample>;

// One series of a range vector (matrix): points in time order.
struct Series {
  storage::Labels metric;
  std::vector<FPoint> floats;
};
using Matrix = std::vector<Series>;

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

// The result of a query. Instant queries give Scalar, Vector, String or (for a range
// selector or subquery at the top) Matrix; range queries always give Matrix.
using Value = std::variant<Scalar, Vector, Matrix, String>;

// Prometheus' staleness marker: a NaN with this bit pattern ends a series (value.StaleNaN).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

// A float as Go's strconv.FormatFloat(v, 'f', -1, 64) prints it, which is how Prometheus
// writes sample values: the shortest decimal that reads back to the same double, never in
// exponent form ("0.0000001", "1000000000000000000000"); "+Inf", "-Inf", "NaN".
std::string FormatGoFloat(double v);

}  // namespace plumbline::query
