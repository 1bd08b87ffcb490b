// The compiled form of a mapping file (collector/mapping.h), built by LoadRuleSet and read by
// Mapper::Map. Immutable once built; thread-safe to read (RE2 matching is thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "collector/internal/mapping_template.h"
#include "collector/mapping.h"
#include "collector/statsd_parser.h"
#include "re2/re2.h"

namespace plumbline::collector::internal {

// The StatsD types as rules tell them apart (match_metric_type).
enum class TypeClass : uint8_t { kCounter, kGauge, kObserver };

inline TypeClass TypeClassOf(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return TypeClass::kCounter;
    case MetricType::kGauge:
    case MetricType::kSet:  // a set is written as a gauge (the number of distinct members)
      return TypeClass::kGauge;
    case MetricType::kTimer:
    case MetricType::kHistogram:
    case MetricType::kDistribution:
      return TypeClass::kObserver;
  }
  return TypeClass::kGauge;
}

struct GlobPart {
  std::string literal;  // empty for `*`
  bool star = false;
};

struct Rule {
  int line = 0;  // 1-based, for messages
  bool drop = false;
  std::optional<TypeClass> type_class;  // match_metric_type; nullopt: any
  bool is_regex = false;
  std::vector<GlobPart> glob;             // glob rules
  int num_stars = 0;                      // glob rules
  std::shared_ptr<const re2::RE2> regex;  // regex rules (shared by rules with one pattern)
  int regex_submatches = 0;  // regex rules: submatches Map asks RE2 for (highest referenced + 1)
  Template name;
  std::vector<std::pair<std::string, Template>> labels;
  const ObserverOptions* observer = nullptr;  // the rule's options, or the defaults
  bool honor_labels = false;
  double scale = 1;
};

struct RuleSet {
  ObserverOptions defaults;
  std::vector<std::unique_ptr<const ObserverOptions>> rule_options;  // rules' own options
  std::vector<std::unique_ptr<const Rule>> rules;                    // file order
  // Glob rules by their number of components, each list in match priority order.
  absl::flat_hash_map<size_t, std::vector<const Rule*>> globs_by_size;
  std::vector<const Rule*> regexes;  // file order
};

// Builds the rules of a YAML mapping file. Never throws; errors are InvalidArgument
// "<source_name>:<line>:<column>: <what>".
absl::StatusOr<std::unique_ptr<RuleSet>> LoadRuleSet(std::string_view yaml,
                                                     std::string_view source_name);

// The default observer options (mapping.h).
ObserverOptions DefaultObserverOptions();

}  // namespace plumbline::collector::internal
