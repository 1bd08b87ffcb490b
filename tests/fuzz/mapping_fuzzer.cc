// Fuzzes the StatsD mapping rules: Mapper::LoadText on any bytes, then Mapper::Map and
// MappingCache::Lookup on any names. Checks, beyond "no crash, no UB, no leak, no exception":
//   * a load error is InvalidArgument and starts with the source name;
//   * every mapped name is a valid Prometheus name, every label name a valid one, observer
//     options are set exactly for observer types and are sorted and in range;
//   * Map is deterministic, and the cache returns what Map returns.
// Input: the first byte picks the mode. Even: "<yaml>\0<names>"; odd: a fixed realistic rule
// file, and the rest is names. Names are '\n'-separated; a name's first byte picks its type.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "collector/mapping.h"
#include "common/strings.h"
#include "storage/labels.h"
#include "tests/fuzz/fuzz_check.h"

namespace plumbline::collector {
namespace {

constexpr std::string_view kSource = "fuzz.yaml";
constexpr int kMaxNames = 64;

constexpr std::string_view kRealisticRules = R"yaml(
defaults:
  observer_type: histogram
  histogram_options: {buckets: [0.005, 0.01, 0.1, 1, 10]}
  summary_options: {quantiles: [{quantile: 0.5}, {quantile: 0.99}]}
mappings:
- match: "test.dispatcher.*.*.*"
  name: "dispatcher_events_total"
  labels: {processor: "$1", action: "$2", outcome: "$3", job: "test_dispatcher"}
- match: "*.signup.*.*"
  name: "signup_events_total"
  labels: {provider: "$2", outcome: "$3", job: "${1}_server"}
- match: "*.timer"
  match_metric_type: observer
  name: "timer_${1}"
  histogram_options: {buckets: [1, 5, 10]}
- match: "drop.*"
  action: drop
- match: "*.*"
  name: "$1_$2"
- match: "(.*)\\.(.*)--(.*)\\.status\\.(.*)\\.count"
  match_type: regex
  name: "request_total"
  labels: {hostname: "${1}", exec: "${2}", all: "$0"}
- match: "^(?P<first>[^.]*)\\.?(.*)$"
  match_type: regex
  match_metric_type: gauge
  name: "${first}_$2"
  scale: 2
  honor_labels: true
)yaml";

using fuzz::Check;

MetricType TypeOf(uint8_t b) {
  switch (b % 6) {
    case 0:
      return MetricType::kCounter;
    case 1:
      return MetricType::kGauge;
    case 2:
      return MetricType::kTimer;
    case 3:
      return MetricType::kHistogram;
    case 4:
      return MetricType::kDistribution;
    default:
      return MetricType::kSet;
  }
}

bool IsObserver(MetricType t) {
  return t == MetricType::kTimer || t == MetricType::kHistogram || t == MetricType::kDistribution;
}

bool Same(const MappingResult& a, const MappingResult& b) {
  return a.action == b.action && a.name == b.name && a.labels == b.labels &&
         a.observer == b.observer && a.honor_labels == b.honor_labels && a.scale == b.scale;
}

void CheckOptions(const ObserverOptions& o) {
  for (size_t i = 0; i < o.buckets.size(); ++i) {
    Check(std::isfinite(o.buckets[i]), "bucket bound not finite");
    Check(i == 0 || o.buckets[i] > o.buckets[i - 1], "buckets not strictly increasing");
  }
  for (double q : o.quantiles) Check(q > 0 && q < 1, "quantile outside (0, 1)");
}

void CheckResult(const MappingResult& r, MetricType type) {
  switch (r.action) {
    case MappingResult::Action::kMap:
      Check(storage::ValidateMetricName(r.name).ok(), "mapped name is not a valid name");
      for (const storage::Label& l : r.labels) {
        Check(storage::ValidateLabelName(l.name).ok(), "invalid label name");
        Check(!l.name.starts_with("__"), "reserved label name");
      }
      Check(std::isfinite(r.scale), "scale not finite");
      Check((r.observer != nullptr) == IsObserver(type), "observer options for the wrong type");
      break;
    case MappingResult::Action::kNoMatch:
      Check(r.name.empty() && r.labels.empty(), "no match with a name or labels");
      Check((r.observer != nullptr) == IsObserver(type), "observer options for the wrong type");
      break;
    case MappingResult::Action::kDrop:
    case MappingResult::Action::kInvalidName:
      Check(r.name.empty() && r.observer == nullptr, "drop / invalid with a name or options");
      break;
  }
  if (r.observer != nullptr) CheckOptions(*r.observer);
}

void MapNames(const Mapper& mapper, std::string_view names) {
  CheckOptions(mapper.defaults());
  MappingCache cache(&mapper, 4);
  MappingResult first, second;
  int count = 0;
  while (!names.empty() && count++ < kMaxNames) {
    const size_t nl = names.find('\n');
    std::string_view line = names.substr(0, nl);
    names = nl == std::string_view::npos ? std::string_view() : names.substr(nl + 1);
    const MetricType type = line.empty() ? MetricType::kCounter : TypeOf(line[0]);
    if (!line.empty()) line.remove_prefix(1);
    mapper.Map(line, type, &first);
    CheckResult(first, type);
    mapper.Map(line, type, &second);
    Check(Same(first, second), "Map is not deterministic");
    Check(Same(cache.Lookup(line, type), first), "the cache differs from Map");
    Check(Same(cache.Lookup(line, type), first), "a cache hit differs from Map");
  }
  Check(cache.size() <= 4, "the cache outgrew its capacity");
}

}  // namespace
}  // namespace plumbline::collector

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline::collector;  // NOLINT: a fuzzer entry point
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view yaml = kRealisticRules;
  std::string_view names = input;
  if ((data[0] & 1) == 0) {
    const size_t nul = input.find('\0');
    yaml = input.substr(0, nul);
    names = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  }
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadText(yaml, kSource);
  if (!mapper.ok()) {
    Check(mapper.status().code() == absl::StatusCode::kInvalidArgument, "not InvalidArgument");
    Check(absl::StartsWith(mapper.status().message(), plumbline::ToAbsl(kSource)),
          "no source name");
    Check(yaml != kRealisticRules, "the realistic rules do not load");
    return 0;
  }
  MapNames(**mapper, names);
  return 0;
}
