// Loading a statsd_exporter mapping file (collector/mapping.h documents the format and every
// decision). yaml-cpp reports errors by throwing: every exception stops at LoadRuleSet.
#include <algorithm>
#include <cmath>
#include <exception>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/escaping.h"
#include "collector/internal/mapping_rules.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/yaml_guard.h"
#include "storage/labels.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::collector::internal {
namespace {

// RE2's memory budget per regex (compiled program and DFA cache): mapping regexes are small.
constexpr int64_t kMaxRegexMemory = int64_t{1} << 20;
// The compiled size of all of a file's regexes together, in RE2 instructions (16 bytes each),
// so that a short file cannot make the collector build gigabytes of programs. A typical
// mapping regex is 30 to 60 instructions; \pL{50} is 60000.
constexpr int64_t kMaxTotalRegexProgram = int64_t{1} << 20;

std::string Quoted(std::string_view s) {
  return StrCat("\"", absl::CEscape(ToAbsl(s.substr(0, 80))), s.size() > 80 ? "...\"" : "\"");
}

enum class MatchType : uint8_t { kGlob, kRegex };

// One entry of a YAML map. yaml-cpp's iterators hand out temporaries: nodes are copied.
// Nodes are only ever copy-constructed here, never assigned: yaml-cpp's Node::operator= merges
// the whole document's node set into the target's, which is quadratic over a file.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// The observer option lists one level of the config (defaults, a rule) states.
struct OptionLists {
  std::optional<std::vector<double>> buckets;
  std::optional<std::vector<double>> quantiles;
};

// What a rule states, before it is compiled. The nodes point into the rule's entries; null
// when absent.
struct RuleFields {
  const YAML::Node* rule = nullptr;  // the whole rule, for messages about what it lacks
  const YAML::Node* match = nullptr;
  const YAML::Node* name = nullptr;
  const YAML::Node* labels = nullptr;
  MatchType match_type = MatchType::kGlob;
  OptionLists legacy, current;  // buckets / quantiles, and histogram_ / summary_options
  const YAML::Node* legacy_buckets_at = nullptr;
  const YAML::Node* legacy_quantiles_at = nullptr;
};

class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source), set_(std::make_unique<RuleSet>()) {}

  absl::StatusOr<std::unique_ptr<RuleSet>> Load(const std::vector<YAML::Node>& documents);

 private:
  absl::Status Error(const YAML::Node& at, std::string_view what) const {
    const YAML::Mark mark = at.Mark();
    if (mark.is_null()) return absl::InvalidArgumentError(StrCat(source_, ": ", what));
    return absl::InvalidArgumentError(
        StrCat(source_, ":", mark.line + 1, ":", mark.column + 1, ": ", what));
  }
  absl::Status UnknownKey(const Entry& e, std::string_view where, std::string_view known) const {
    return Error(e.key_node,
                 StrCat("unknown key ", Quoted(e.key), " in ", where, " (known: ", known, ")"));
  }

  absl::StatusOr<std::vector<Entry>> Entries(const YAML::Node& map, std::string_view what) const;
  absl::StatusOr<std::string> String(const YAML::Node& node, std::string_view key) const;
  absl::StatusOr<double> Number(const YAML::Node& node, std::string_view key) const;
  absl::StatusOr<bool> Bool(const YAML::Node& node, std::string_view key) const;
  absl::Status Ignored(const YAML::Node& node, std::string_view key) const;
  absl::Status ObserverType(const YAML::Node& node, std::string_view key) const;
  absl::StatusOr<MatchType> ParseMatchType(const YAML::Node& node) const;
  absl::Status Buckets(const YAML::Node& node, std::optional<std::vector<double>>* out) const;
  absl::Status Quantiles(const YAML::Node& node, std::optional<std::vector<double>>* out) const;
  absl::Status HistogramOptions(const YAML::Node& node, OptionLists* out) const;
  absl::Status SummaryOptions(const YAML::Node& node, OptionLists* out) const;

  absl::Status Defaults(const YAML::Node& node);
  absl::Status Mapping(const YAML::Node& node);
  absl::Status RuleField(const Entry& e, Rule* rule, RuleFields* fields) const;
  absl::Status CompileMatch(const RuleFields& fields, Rule* rule, int* num_captures,
                            const std::map<std::string, int>** named);
  absl::Status CompileName(const RuleFields& fields, int num_captures,
                           const std::map<std::string, int>* named, Rule* rule) const;
  absl::Status CompileLabels(const RuleFields& fields, int num_captures,
                             const std::map<std::string, int>* named, Rule* rule) const;
  absl::Status ResolveOptions(RuleFields* fields, Rule* rule);
  void Index();

  const std::string_view source_;
  std::unique_ptr<RuleSet> set_;
  MatchType default_match_ = MatchType::kGlob;
  bool glob_ordering_ = true;
  // Regexes by pattern: rules with the same pattern (YAML aliases, one pattern per metric type)
  // share one compiled RE2.
  std::map<std::string, std::shared_ptr<const RE2>> regexes_;
  int64_t regex_program_ = 0;
};

absl::StatusOr<std::vector<Entry>> Loader::Entries(const YAML::Node& map,
                                                   std::string_view what) const {
  std::vector<Entry> entries;
  if (map.IsNull()) return entries;  // an empty map
  if (!map.IsMap()) return Error(map, StrCat(what, " must be a map"));
  std::set<std::string> seen;
  for (const auto& kv : map) {
    Entry e{std::string(), kv.first, kv.second};
    if (!e.key_node.IsScalar()) {
      return Error(e.key_node, StrCat("the keys of ", what, " must be strings"));
    }
    e.key = e.key_node.Scalar();
    if (!seen.insert(e.key).second) {
      return Error(e.key_node, StrCat("duplicate key ", Quoted(e.key), " in ", what));
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

absl::StatusOr<std::string> Loader::String(const YAML::Node& node, std::string_view key) const {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return Error(node, StrCat(key, " must be a string"));
  return node.Scalar();
}

absl::StatusOr<double> Loader::Number(const YAML::Node& node, std::string_view key) const {
  if (!node.IsScalar()) return Error(node, StrCat(key, " must be a number"));
  try {
    return node.as<double>();
  } catch (const YAML::Exception&) {
    return Error(node, StrCat(key, " must be a number, not ", Quoted(node.Scalar())));
  }
}

absl::StatusOr<bool> Loader::Bool(const YAML::Node& node, std::string_view key) const {
  if (node.IsScalar()) {
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
    }
  }
  return Error(node, StrCat(key, " must be true or false"));
}

// A statsd_exporter setting that has no effect here: any scalar.
absl::Status Loader::Ignored(const YAML::Node& node, std::string_view key) const {
  if (!node.IsNull() && !node.IsScalar()) return Error(node, StrCat(key, " must be a scalar"));
  return absl::OkStatus();
}

absl::Status Loader::ObserverType(const YAML::Node& node, std::string_view key) const {
  PL_ASSIGN_OR_RETURN(const std::string type, String(node, key));
  if (type.empty() || type == "histogram" || type == "summary") return absl::OkStatus();
  return Error(node, StrCat(key, " must be histogram or summary, not ", Quoted(type)));
}

absl::StatusOr<MatchType> Loader::ParseMatchType(const YAML::Node& node) const {
  PL_ASSIGN_OR_RETURN(const std::string type, String(node, "match_type"));
  if (type.empty() || type == "glob") return MatchType::kGlob;
  if (type == "regex") return MatchType::kRegex;
  return Error(node, StrCat("match_type must be glob or regex, not ", Quoted(type)));
}

absl::Status Loader::Buckets(const YAML::Node& node,
                             std::optional<std::vector<double>>* out) const {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsSequence()) return Error(node, "buckets must be a list of numbers");
  if (node.size() == 0) return absl::OkStatus();  // [] means the defaults, as in statsd_exporter
  std::vector<double> bounds;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    PL_ASSIGN_OR_RETURN(const double bound, Number(item, "a bucket bound"));
    if (std::isinf(bound) && bound > 0 && i + 1 == node.size()) break;  // +Inf is implied
    if (!std::isfinite(bound)) {
      return Error(item, "bucket bounds must be finite (+Inf is always written, last)");
    }
    if (!bounds.empty() && bound <= bounds.back()) {
      return Error(
          item, StrCat("buckets must be strictly increasing: ", bound, " after ", bounds.back()));
    }
    bounds.push_back(bound);
  }
  *out = std::move(bounds);
  return absl::OkStatus();
}

absl::Status Loader::Quantiles(const YAML::Node& node,
                               std::optional<std::vector<double>>* out) const {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsSequence()) return Error(node, "quantiles must be a list of {quantile: q}");
  if (node.size() == 0) return absl::OkStatus();
  std::vector<double> quantiles;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    if (!item.IsMap()) return Error(item, "a quantile must be a map {quantile: q, error: e}");
    PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(item, "a quantile"));
    std::optional<double> q;
    for (const Entry& e : entries) {
      if (e.key == "quantile") {
        PL_ASSIGN_OR_RETURN(q, Number(e.value, "quantile"));
        if (!(*q > 0 && *q < 1)) {
          return Error(e.value, StrCat("quantile ", *q, " is outside (0, 1)"));
        }
        if (std::find(quantiles.begin(), quantiles.end(), *q) != quantiles.end()) {
          return Error(e.value, StrCat("duplicate quantile ", *q));
        }
      } else if (e.key == "error") {  // our quantiles are exact
        PL_RETURN_IF_ERROR(Number(e.value, "error").status());
      } else {
        return UnknownKey(e, "a quantile", "quantile, error");
      }
    }
    if (!q.has_value()) return Error(item, "a quantile without `quantile`");
    quantiles.push_back(*q);
  }
  *out = std::move(quantiles);
  return absl::OkStatus();
}

absl::Status Loader::HistogramOptions(const YAML::Node& node, OptionLists* out) const {
  PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(node, "histogram_options"));
  for (const Entry& e : entries) {
    if (e.key == "buckets") {
      PL_RETURN_IF_ERROR(Buckets(e.value, &out->buckets));
    } else if (e.key == "native_histogram_bucket_factor" ||
               e.key == "native_histogram_max_buckets") {
      PL_RETURN_IF_ERROR(Number(e.value, e.key).status());
    } else {
      return UnknownKey(e, "histogram_options",
                        "buckets, native_histogram_bucket_factor, native_histogram_max_buckets");
    }
  }
  return absl::OkStatus();
}

absl::Status Loader::SummaryOptions(const YAML::Node& node, OptionLists* out) const {
  PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(node, "summary_options"));
  for (const Entry& e : entries) {
    if (e.key == "quantiles") {
      PL_RETURN_IF_ERROR(Quantiles(e.value, &out->quantiles));
    } else if (e.key == "max_age" || e.key == "age_buckets" || e.key == "buf_cap" ||
               e.key == "max_summary_age" || e.key == "summary_age_buckets" ||
               e.key == "stream_buffer_size") {
      // client_golang summary settings (statsd_exporter's code reads the first three, its
      // README names the others): nothing to do with exact quantiles.
      PL_RETURN_IF_ERROR(Ignored(e.value, e.key));
    } else {
      return UnknownKey(e, "summary_options", "quantiles, max_age, age_buckets, buf_cap");
    }
  }
  return absl::OkStatus();
}

absl::Status Loader::Defaults(const YAML::Node& node) {
  PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(node, "defaults"));
  OptionLists legacy, current;
  for (const Entry& e : entries) {
    if (e.key == "observer_type" || e.key == "timer_type") {
      PL_RETURN_IF_ERROR(ObserverType(e.value, e.key));
    } else if (e.key == "buckets") {
      PL_RETURN_IF_ERROR(Buckets(e.value, &legacy.buckets));
    } else if (e.key == "quantiles") {
      PL_RETURN_IF_ERROR(Quantiles(e.value, &legacy.quantiles));
    } else if (e.key == "histogram_options") {
      PL_RETURN_IF_ERROR(HistogramOptions(e.value, &current));
    } else if (e.key == "summary_options") {
      PL_RETURN_IF_ERROR(SummaryOptions(e.value, &current));
    } else if (e.key == "match_type") {
      PL_ASSIGN_OR_RETURN(default_match_, ParseMatchType(e.value));
    } else if (e.key == "glob_disable_ordering") {
      PL_ASSIGN_OR_RETURN(const bool disable, Bool(e.value, e.key));
      glob_ordering_ = !disable;
    } else if (e.key == "ttl") {
      PL_RETURN_IF_ERROR(Ignored(e.value, e.key));
    } else {
      return UnknownKey(e, "defaults",
                        "observer_type, histogram_options, summary_options, match_type, "
                        "glob_disable_ordering, ttl, timer_type, buckets, quantiles");
    }
  }
  // histogram_options / summary_options win over the deprecated buckets / quantiles.
  if (std::optional<std::vector<double>>& b = current.buckets ? current.buckets : legacy.buckets) {
    set_->defaults.buckets = std::move(*b);
  }
  if (std::optional<std::vector<double>>& q =
          current.quantiles ? current.quantiles : legacy.quantiles) {
    set_->defaults.quantiles = std::move(*q);
  }
  return absl::OkStatus();
}

absl::Status Loader::RuleField(const Entry& e, Rule* rule, RuleFields* fields) const {
  if (e.key == "match") {
    fields->match = &e.value;
  } else if (e.key == "name") {
    fields->name = &e.value;
  } else if (e.key == "labels") {
    fields->labels = &e.value;
  } else if (e.key == "match_type") {
    PL_ASSIGN_OR_RETURN(fields->match_type, ParseMatchType(e.value));
  } else if (e.key == "action") {
    PL_ASSIGN_OR_RETURN(const std::string action, String(e.value, e.key));
    if (action != "" && action != "map" && action != "drop") {
      return Error(e.value, StrCat("action must be map or drop, not ", Quoted(action)));
    }
    rule->drop = action == "drop";
  } else if (e.key == "match_metric_type") {
    PL_ASSIGN_OR_RETURN(const std::string type, String(e.value, e.key));
    if (type == "counter") {
      rule->type_class = TypeClass::kCounter;
    } else if (type == "gauge") {
      rule->type_class = TypeClass::kGauge;
    } else if (type == "observer" || type == "timer") {  // `timer`: statsd_exporter < 0.16
      rule->type_class = TypeClass::kObserver;
    } else if (!type.empty()) {
      return Error(e.value, StrCat("match_metric_type must be counter, gauge or observer, not ",
                                   Quoted(type)));
    }
  } else if (e.key == "observer_type" || e.key == "timer_type") {
    return ObserverType(e.value, e.key);
  } else if (e.key == "buckets") {
    fields->legacy_buckets_at = &e.key_node;
    return Buckets(e.value, &fields->legacy.buckets);
  } else if (e.key == "quantiles") {
    fields->legacy_quantiles_at = &e.key_node;
    return Quantiles(e.value, &fields->legacy.quantiles);
  } else if (e.key == "histogram_options") {
    return HistogramOptions(e.value, &fields->current);
  } else if (e.key == "summary_options") {
    return SummaryOptions(e.value, &fields->current);
  } else if (e.key == "honor_labels") {
    PL_ASSIGN_OR_RETURN(rule->honor_labels, Bool(e.value, e.key));
  } else if (e.key == "scale") {
    PL_ASSIGN_OR_RETURN(rule->scale, Number(e.value, e.key));
    if (!std::isfinite(rule->scale)) return Error(e.value, "scale must be finite");
  } else if (e.key == "help" || e.key == "ttl") {
    return Ignored(e.value, e.key);
  } else {
    return UnknownKey(e, "a mapping rule",
                      "match, name, labels, match_type, match_metric_type, action, "
                      "observer_type, histogram_options, summary_options, honor_labels, scale, "
                      "help, ttl, timer_type, buckets, quantiles");
  }
  return absl::OkStatus();
}

// The glob's components, or the compiled regex; and how many captures the match gives.
absl::Status Loader::CompileMatch(const RuleFields& fields, Rule* rule, int* num_captures,
                                  const std::map<std::string, int>** named) {
  const YAML::Node& match = *fields.match;
  PL_ASSIGN_OR_RETURN(const std::string pattern, String(match, "match"));
  if (pattern.empty()) return Error(match, "`match` is empty");
  if (fields.match_type == MatchType::kGlob) {
    for (size_t start = 0;;) {
      const size_t dot = std::min(pattern.find('.', start), pattern.size());
      const std::string_view part = std::string_view(pattern).substr(start, dot - start);
      if (part.empty()) {
        return Error(match, StrCat("glob ", Quoted(pattern), " has an empty component"));
      }
      if (part == "*") {
        rule->glob.push_back({std::string(), true});
        ++rule->num_stars;
      } else if (part.find('*') != std::string_view::npos) {
        return Error(match, StrCat("glob ", Quoted(pattern),
                                   ": `*` must be a whole dot-separated component"));
      } else {
        rule->glob.push_back({std::string(part), false});
      }
      if (dot == pattern.size()) break;
      start = dot + 1;
    }
    *num_captures = rule->num_stars;
    *named = nullptr;
    return absl::OkStatus();
  }
  std::shared_ptr<const RE2>& regex = regexes_[pattern];
  if (regex == nullptr) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kMaxRegexMemory);
    auto compiled = std::make_shared<const RE2>(pattern, options);
    if (!compiled->ok()) {
      regexes_.erase(pattern);
      return Error(match, StrCat("invalid regex ", Quoted(pattern), ": ", compiled->error()));
    }
    regex_program_ += compiled->ProgramSize();
    if (regex_program_ > kMaxTotalRegexProgram) {
      return Error(match, "the regexes of this file are too large together");
    }
    regex = std::move(compiled);
  }
  rule->is_regex = true;
  rule->regex = regex;
  *num_captures = regex->NumberOfCapturingGroups();
  *named = &regex->NamedCapturingGroups();
  return absl::OkStatus();
}

absl::Status Loader::CompileName(const RuleFields& fields, int num_captures,
                                 const std::map<std::string, int>* named, Rule* rule) const {
  const bool has_name = fields.name != nullptr && !fields.name->IsNull();
  if (has_name) {
    PL_ASSIGN_OR_RETURN(const std::string text, String(*fields.name, "name"));
    absl::StatusOr<Template> name = Template::Parse(text, num_captures, named);
    if (!name.ok()) return Error(*fields.name, StrCat("name: ", name.status().message()));
    // Outside references, only what a metric name may hold (statsd_exporter checks the same).
    const std::vector<Template::Piece>& pieces = name->pieces();
    for (size_t i = 0; i < pieces.size(); ++i) {
      for (char c : pieces[i].literal) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':')) {
          return Error(*fields.name, StrCat("name ", Quoted(text),
                                            ": only letters, digits, '_' and ':' may appear "
                                            "outside references"));
        }
      }
      if (i == 0 && pieces[i].capture < 0 && pieces[i].literal[0] >= '0' &&
          pieces[i].literal[0] <= '9') {
        return Error(*fields.name, StrCat("name ", Quoted(text), " must not start with a digit"));
      }
    }
    rule->name = *std::move(name);
  }
  if (!rule->drop && rule->name.pieces().empty()) {
    return Error(has_name ? *fields.name : *fields.rule, "a mapping rule without `name`");
  }
  return absl::OkStatus();
}

absl::Status Loader::CompileLabels(const RuleFields& fields, int num_captures,
                                   const std::map<std::string, int>* named, Rule* rule) const {
  if (fields.labels == nullptr) return absl::OkStatus();
  PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(*fields.labels, "labels"));
  const bool may_observe =
      !rule->type_class.has_value() || *rule->type_class == TypeClass::kObserver;
  for (const Entry& e : entries) {
    if (!storage::ValidateLabelName(e.key).ok()) {
      return Error(e.key_node,
                   StrCat("invalid label name ", Quoted(e.key), ": want [a-zA-Z_][a-zA-Z0-9_]*"));
    }
    if (e.key.starts_with("__")) {
      return Error(e.key_node,
                   StrCat("label name ", Quoted(e.key), ": names starting with __ are reserved"));
    }
    if (may_observe && (e.key == "le" || e.key == "quantile")) {
      return Error(e.key_node, StrCat("label name ", Quoted(e.key),
                                      " is written by observers (ms, h, d) themselves; a rule "
                                      "with this label needs match_metric_type"));
    }
    PL_ASSIGN_OR_RETURN(const std::string text, String(e.value, StrCat("label ", e.key)));
    if (absl::Status s = storage::ValidateLabelValue(text); !s.ok()) {
      return Error(e.value, StrCat("label ", e.key, ": ", s.message()));
    }
    absl::StatusOr<Template> value = Template::Parse(text, num_captures, named);
    if (!value.ok()) return Error(e.value, StrCat("label ", e.key, ": ", value.status().message()));
    rule->labels.emplace_back(e.key, *std::move(value));
  }
  return absl::OkStatus();
}

// The rule's own lists, the defaults for what it does not state.
absl::Status Loader::ResolveOptions(RuleFields* fields, Rule* rule) {
  OptionLists& legacy = fields->legacy;
  OptionLists& current = fields->current;
  if (legacy.buckets && current.buckets) {
    return Error(*fields->legacy_buckets_at, "both `buckets` and `histogram_options.buckets`");
  }
  if (legacy.quantiles && current.quantiles) {
    return Error(*fields->legacy_quantiles_at, "both `quantiles` and `summary_options.quantiles`");
  }
  std::optional<std::vector<double>>& buckets = current.buckets ? current.buckets : legacy.buckets;
  std::optional<std::vector<double>>& quantiles =
      current.quantiles ? current.quantiles : legacy.quantiles;
  if (!buckets && !quantiles) {
    rule->observer = &set_->defaults;
    return absl::OkStatus();
  }
  auto options = std::make_unique<ObserverOptions>();
  options->buckets = buckets ? *std::move(buckets) : set_->defaults.buckets;
  options->quantiles = quantiles ? *std::move(quantiles) : set_->defaults.quantiles;
  rule->observer = options.get();
  set_->rule_options.push_back(std::move(options));
  return absl::OkStatus();
}

absl::Status Loader::Mapping(const YAML::Node& node) {
  if (!node.IsMap()) return Error(node, "a mapping rule must be a map (match: ..., name: ...)");
  PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(node, "a mapping rule"));
  auto rule = std::make_unique<Rule>();
  rule->line = node.Mark().line + 1;
  RuleFields fields;
  fields.rule = &node;
  fields.match_type = default_match_;
  for (const Entry& e : entries) PL_RETURN_IF_ERROR(RuleField(e, rule.get(), &fields));
  if (fields.match == nullptr || fields.match->IsNull()) {
    return Error(node, "a mapping rule without `match`");
  }
  int num_captures = 0;
  const std::map<std::string, int>* named = nullptr;
  PL_RETURN_IF_ERROR(CompileMatch(fields, rule.get(), &num_captures, &named));
  PL_RETURN_IF_ERROR(CompileName(fields, num_captures, named, rule.get()));
  PL_RETURN_IF_ERROR(CompileLabels(fields, num_captures, named, rule.get()));
  int max_capture = rule->name.max_capture();
  for (const auto& [name, value] : rule->labels)
    max_capture = std::max(max_capture, value.max_capture());
  rule->regex_submatches = rule->drop ? 0 : max_capture + 1;
  PL_RETURN_IF_ERROR(ResolveOptions(&fields, rule.get()));
  set_->rules.push_back(std::move(rule));
  return absl::OkStatus();
}

void Loader::Index() {
  for (const std::unique_ptr<const Rule>& rule : set_->rules) {
    if (rule->is_regex) {
      set_->regexes.push_back(rule.get());
    } else {
      set_->globs_by_size[rule->glob.size()].push_back(rule.get());
    }
  }
  if (glob_ordering_) return;
  // Unordered: at the leftmost component where two globs differ, a literal wins over `*`
  // (statsd_exporter's FSM tries the literal transition first). Ties keep file order.
  for (auto& [size, rules] : set_->globs_by_size) {
    std::stable_sort(rules.begin(), rules.end(), [](const Rule* a, const Rule* b) {
      for (size_t i = 0; i < a->glob.size(); ++i) {
        if (a->glob[i].star != b->glob[i].star) return !a->glob[i].star;
      }
      return false;
    });
  }
}

absl::StatusOr<std::unique_ptr<RuleSet>> Loader::Load(const std::vector<YAML::Node>& documents) {
  set_->defaults = DefaultObserverOptions();
  if (documents.empty() || documents[0].IsNull()) return std::move(set_);
  const YAML::Node& root = documents[0];
  if (!root.IsMap()) return Error(root, "the top level must be a map (defaults:, mappings:)");
  PL_ASSIGN_OR_RETURN(const std::vector<Entry> entries, Entries(root, "the top level"));
  const YAML::Node* defaults = nullptr;
  const YAML::Node* mappings = nullptr;
  for (const Entry& e : entries) {
    if (e.key == "defaults") {
      defaults = &e.value;
    } else if (e.key == "mappings") {
      mappings = &e.value;
    } else {
      return UnknownKey(e, "the top level", "defaults, mappings");
    }
  }
  // The defaults first, wherever they stand: rules take their options from them.
  if (defaults != nullptr) PL_RETURN_IF_ERROR(Defaults(*defaults));
  if (mappings != nullptr && !mappings->IsNull()) {
    if (!mappings->IsSequence()) return Error(*mappings, "mappings must be a list of rules");
    for (size_t i = 0; i < mappings->size(); ++i) {
      const YAML::Node rule = (*mappings)[i];  // const operator[]: never inserts
      PL_RETURN_IF_ERROR(Mapping(rule));
    }
  }
  Index();
  return std::move(set_);
}

}  // namespace

ObserverOptions DefaultObserverOptions() {
  ObserverOptions options;
  options.buckets.assign(std::begin(kDefaultBuckets), std::end(kDefaultBuckets));
  options.quantiles.assign(std::begin(kDefaultQuantiles), std::end(kDefaultQuantiles));
  return options;
}

namespace {}  // namespace

absl::StatusOr<std::unique_ptr<RuleSet>> LoadRuleSet(std::string_view yaml,
                                                     std::string_view source_name) {
  // yaml-cpp 0.7 loops forever on some text that is not YAML: refused before it parses.
  PL_RETURN_IF_ERROR(CheckYamlText(yaml, source_name));
  try {
    // Not YAML::LoadAll: it loops forever when a token is left over that no document takes
    // ("[a] ,"). The first document is loaded, then a parser looks for a second one, once.
    const std::string text(yaml);
    if (const auto second = SecondYamlDocument(text)) {
      return absl::InvalidArgumentError(StrCat(source_name, ":", second->first, ":", second->second,
                                               ": more than one YAML document"));
    }
    return Loader(source_name).Load({YAML::Load(text)});
  } catch (const YAML::Exception& e) {
    const std::string where =
        e.mark.is_null() ? std::string(source_name)
                         : StrCat(source_name, ":", e.mark.line + 1, ":", e.mark.column + 1);
    return absl::InvalidArgumentError(StrCat(where, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat(source_name, ": ", e.what()));
  } catch (...) {
    return absl::InvalidArgumentError(StrCat(source_name, ": unreadable mapping file"));
  }
}

}  // namespace plumbline::collector::internal
