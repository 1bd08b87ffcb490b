#include "query/value.h"

#include <bit>

namespace plumbline::query {

bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

}  // namespace plumbline::query
