// Shared by the statsd parser tests: readable ParseError and MetricType in gtest messages, and
// helpers that collect what the readers yield.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/statsd_parser.h"

namespace plumbline::collector {

inline void PrintTo(ParseError e, std::ostream* os) { *os << ParseErrorName(e); }

inline void PrintTo(MetricType t, std::ostream* os) {
  switch (t) {
    case MetricType::kCounter:
      *os << "c";
      return;
    case MetricType::kGauge:
      *os << "g";
      return;
    case MetricType::kTimer:
      *os << "ms";
      return;
    case MetricType::kHistogram:
      *os << "h";
      return;
    case MetricType::kDistribution:
      *os << "d";
      return;
    case MetricType::kSet:
      *os << "s";
      return;
  }
}

struct Value {
  double value;
  bool is_delta;
  friend bool operator==(const Value&, const Value&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Value& v) {
    return os << (v.is_delta ? "delta " : "") << v.value;
  }
};

inline std::vector<Value> ReadValues(std::string_view values, MetricType type) {
  std::vector<Value> out;
  ValueReader reader(values, type);
  double v;
  bool delta;
  while (reader.Next(&v, &delta)) out.push_back({v, delta});
  return out;
}

inline std::vector<std::pair<std::string, std::string>> ReadTags(std::string_view tags) {
  std::vector<std::pair<std::string, std::string>> out;
  TagReader reader(tags);
  std::string_view name, value;
  while (reader.Next(&name, &value)) out.emplace_back(name, value);
  return out;
}

// A std::string_view over a literal that may hold NUL bytes: Bytes("a\0b").
template <size_t N>
constexpr std::string_view Bytes(const char (&s)[N]) {
  return std::string_view(s, N - 1);
}

}  // namespace plumbline::collector
