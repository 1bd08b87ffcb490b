// Helpers for storage engine tests.
#pragma once

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "storage/engine.h"

namespace plumbline::storage {

inline Labels L(std::vector<Label> pairs) {
  absl::StatusOr<Labels> labels = Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(labels.ok()) << labels.status();
  return labels.ok() ? *labels : Labels();
}

inline LabelMatcher M(LabelMatcher::Type type, std::string name, std::string value) {
  absl::StatusOr<LabelMatcher> m = LabelMatcher::Create(type, std::move(name), std::move(value));
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}
inline LabelMatcher Eq(std::string name, std::string value) {
  return M(LabelMatcher::Type::kEqual, std::move(name), std::move(value));
}

struct Point {
  int64_t t;
  double v;
  friend bool operator==(const Point& a, const Point& b) {
    return a.t == b.t && std::bit_cast<uint64_t>(a.v) == std::bit_cast<uint64_t>(b.v);
  }
  friend std::ostream& operator<<(std::ostream& os, const Point& p) {
    return os << "(" << p.t << ", " << p.v << ")";
  }
};

using SeriesData = std::map<std::string, std::vector<Point>>;  // by Labels::ToString()

// Reads every matching series in [mint, maxt] with Next() (and checks NextBatch agrees).
inline SeriesData ReadAll(Engine& engine, std::vector<LabelMatcher> matchers, int64_t mint,
                          int64_t maxt) {
  SeriesData out;
  absl::StatusOr<std::unique_ptr<SeriesSet>> set = engine.Select(matchers, mint, maxt);
  EXPECT_TRUE(set.ok()) << set.status();
  if (!set.ok()) return out;
  for (size_t i = 0; i < (*set)->series().size(); ++i) {
    std::vector<Point>& points = out[(*set)->series()[i].labels.ToString()];
    std::unique_ptr<SeriesIterator> it = (*set)->Samples(i);
    while (it->Next()) points.push_back({it->t(), it->v()});
    EXPECT_TRUE(it->status().ok()) << it->status();
    std::vector<Point> batched;
    std::unique_ptr<SeriesIterator> batch_it = (*set)->Samples(i);
    int64_t ts[37];
    double vs[37];
    while (size_t n = batch_it->NextBatch(ts, vs, 37)) {
      for (size_t j = 0; j < n; ++j) batched.push_back({ts[j], vs[j]});
    }
    EXPECT_EQ(batched, points);
    if (points.empty()) out.erase((*set)->series()[i].labels.ToString());
  }
  return out;
}

}  // namespace plumbline::storage
