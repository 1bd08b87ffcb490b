// StatsD metric mapping rules: StatsD name -> Prometheus name and labels, in the YAML format of
// prometheus/statsd_exporter (its README, "Metric Mapping and Configuration"), so that an
// existing statsd_exporter mapping file works here unchanged.
//
//   defaults:                          # all optional
//     observer_type: histogram         # histogram | summary (timer_type: the old spelling)
//     histogram_options: {buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]}
//     summary_options: {quantiles: [{quantile: 0.5, error: 0.05}, {quantile: 0.99}]}
//     match_type: glob                 # glob | regex
//     glob_disable_ordering: false
//   mappings:
//   - match: "test.dispatcher.*.*.*"
//     name: "dispatcher_events_total"
//     labels: {processor: "$1", action: "$2", outcome: "$3", job: "test_dispatcher"}
//   - match: "(.*)\\.(.*)--(.*)\\.status\\.(.*)\\.count"
//     match_type: regex
//     name: "request_total"
//     labels: {hostname: "${1}", exec: "$2"}
//   - match: "drop.*"
//     action: drop                     # map (the default) | drop
//
// Matching (as statsd_exporter does it):
//   * glob: `*` stands for exactly one dot-separated component, non-empty, without dots; other
//     components match literally; a name matches only a glob with as many components. `*` must
//     be a whole component ("a*.b" is a load error).
//   * Every glob rule is tried before any regex rule, wherever they stand in the file. Among
//     globs the first in file order wins; with `glob_disable_ordering: true` the most specific
//     wins instead: at the leftmost component where two globs differ, a literal beats `*`.
//     Regex rules are tried in file order after the globs.
//   * regex: RE2 syntax (the syntax of Go's regexp), NOT anchored: the rule matches when the
//     pattern matches anywhere in the name (statsd_exporter's `match: "."` drops every name).
//     Write ^...$ to match the whole name.
//   * match_metric_type filters by StatsD type: counter (c), gauge (g, and s: a set is written
//     as a gauge), observer (ms, h, d; `timer` is accepted for observer). A rule filtered out by
//     type does not match, and the next rule is tried.
//
// Names and labels: `$n` / `${n}` is capture n (glob: the n-th `*`; regex: group n), `$0` the
// whole match, `${name}` a regex named group, `$$` a '$'. `$1_total` is capture 1 followed by
// "_total" (statsd_exporter would read a group named "1_total" and expand it to "").
// A reference to a capture the match does not have is a load error (statsd_exporter: "").
// The expanded name is sanitised like an unmapped name ([^a-zA-Z0-9_:] -> '_', '_' before a
// leading digit; statsd_exporter escapes it the same way): "api_$1" on "api.log-in" is
// "api_log_in". A name that expands to "", or a result whose name and label values together
// would exceed kMaxMappedBytes, maps to nothing (Action::kInvalidName).
// Label values are the expanded text, not re-validated (they come from a parsed StatsD name).
//
// Observer options (ms, h, d): every observer is written with both its buckets and its
// quantiles (DESIGN.md), so observer_type is validated and otherwise ignored, and both
// histogram_options and summary_options apply. UNITS: StatsD timers (ms) are written in
// SECONDS, as statsd_exporter does (the flusher divides ms values by 1000); h and d values are
// written as sent. Bucket bounds are therefore in the written unit: seconds for timers, so a
// statsd_exporter config's buckets mean the same here. The defaults are Prometheus'
// (kDefaultBuckets, the same as statsd_exporter's) and quantiles 0.5, 0.9, 0.99.
// Buckets must be strictly increasing and finite (a trailing .inf is dropped: +Inf is always
// written); quantiles must lie in (0, 1), without duplicates. An empty list means the defaults.
//
// Accepted and ignored (statsd_exporter keys with no effect here): help, ttl (series expiry is
// the collector's own setting), observer_type / timer_type, quantile `error`, summary_options
// max_age / age_buckets / buf_cap (and the README's max_summary_age / summary_age_buckets /
// stream_buffer_size), histogram_options native_histogram_*. Carried in MappingResult for the
// caller to apply: honor_labels, scale. Any other key, anywhere, is a load error, as are a
// missing match, a missing name (except for drop), a bad glob or regex, an invalid label name
// (or one starting with "__"; `le` and `quantile` on a rule that can match observers), a bad
// reference, duplicate keys, unsorted or duplicate buckets, and quantiles outside (0, 1).
// Every load error reads "<source>:<line>:<column>: <what>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "collector/statsd_parser.h"
#include "storage/labels.h"

namespace plumbline::collector {

namespace internal {
struct RuleSet;
}  // namespace internal

// Prometheus' default buckets (client_golang DefBuckets; statsd_exporter's default), in seconds
// for timers.
inline constexpr double kDefaultBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,    2.5,   5,    10};
inline constexpr double kDefaultQuantiles[] = {0.5, 0.9, 0.99};

// The most a mapped name and its label values may hold together: two copies of the longest
// StatsD line (say, the name and a label holding "$0").
inline constexpr size_t kMaxMappedBytes = 2 * kMaxLineLength;

struct ObserverOptions {
  std::vector<double> buckets;    // upper bounds, strictly increasing, finite (+Inf is implied)
  std::vector<double> quantiles;  // each in (0, 1), distinct, in the config's order
};

struct MappingResult {
  enum class Action : uint8_t {
    kNoMatch,      // no rule matched: the caller sanitises the StatsD name (metric_name.h)
    kMap,          // a rule matched: name and labels below
    kDrop,         // a rule with `action: drop` matched
    kInvalidName,  // a rule matched but its name expanded to "" (or all of it to more than
                   // kMaxMappedBytes): write nothing, count it
  };
  Action action = Action::kNoMatch;
  std::string name;                    // kMap: a valid Prometheus metric name
  std::vector<storage::Label> labels;  // kMap: the rule's labels, expanded, in the rule's order
  // The observer options: the rule's, or the defaults. Set for observer types (ms, h, d) when
  // the action is kMap or kNoMatch; nullptr otherwise. Points into the Mapper.
  const ObserverOptions* observer = nullptr;
  // kMap: the rule's `honor_labels` (a tag of the same name wins over the rule's label) and
  // `scale` (statsd_exporter multiplies every value by it, after ms -> s for timers).
  bool honor_labels = false;
  double scale = 1;
};

// The rules of one mapping file. Immutable after loading; thread-safe (Map is const and takes
// no lock). Map is for cache misses, not for every packet: put a MappingCache in front.
class Mapper {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Mapper>> LoadFile(const std::string& path);
  // `source_name` prefixes every error ("rules.yaml:3:5: ...").
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Mapper>> LoadText(
      std::string_view yaml, std::string_view source_name);
  // No rules: every name is kNoMatch; the default observer options apply.
  static std::unique_ptr<Mapper> Empty();

  ~Mapper();
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;

  // Maps one StatsD name; overwrites every field of *out (reusing its buffers).
  void Map(std::string_view statsd_name, MetricType type, MappingResult* out) const;

  const ObserverOptions& defaults() const;
  size_t num_rules() const;

 private:
  explicit Mapper(std::unique_ptr<const internal::RuleSet> rules);
  std::unique_ptr<const internal::RuleSet> rules_;
};

// Remembers the last `capacity` results of a Mapper (least recently used goes first), so that
// a name seen again is not matched again. Results depend only on the name and on the type's
// class (counter; gauge and set; observer), which is the key.
// Owned by one thread (the flusher): not thread-safe.
class MappingCache {
 public:
  static constexpr size_t kDefaultCapacity = 10'000;

  // `mapper` must outlive the cache. A capacity of 0 is taken as 1.
  explicit MappingCache(const Mapper* mapper, size_t capacity = kDefaultCapacity);
  MappingCache(const MappingCache&) = delete;
  MappingCache& operator=(const MappingCache&) = delete;

  // The result is valid until the next call to Lookup.
  const MappingResult& Lookup(std::string_view statsd_name, MetricType type);

  const Mapper& mapper() const { return *mapper_; }
  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Node {
    std::string name;
    uint8_t type_class = 0;
    MappingResult result;
  };
  struct KeyView {
    std::string_view name;
    uint8_t type_class;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const;
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(const KeyView& a, const KeyView& b) const {
      return a.type_class == b.type_class && a.name == b.name;
    }
  };

  const Mapper* mapper_;
  const size_t capacity_;
  std::list<Node> lru_;  // front: most recently used
  // Keys view the names held by the nodes of lru_ (list nodes never move).
  absl::flat_hash_map<KeyView, std::list<Node>::iterator, KeyHash, KeyEq> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace plumbline::collector
