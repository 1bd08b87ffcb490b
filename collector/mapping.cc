#include "collector/mapping.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "collector/internal/mapping_rules.h"
#include "collector/metric_name.h"
#include "common/strings.h"

namespace plumbline::collector {
namespace {

using internal::Rule;
using internal::RuleSet;
using internal::TypeClass;

// Names with more components than this are split into a heap vector (still correct).
constexpr size_t kInlineParts = 16;
using Parts = absl::InlinedVector<std::string_view, kInlineParts>;

bool GlobMatches(const Rule& rule, const Parts& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    const internal::GlobPart& g = rule.glob[i];
    if (g.star ? parts[i].empty() : parts[i] != g.literal) return false;
  }
  return true;
}

// Fills *out from the rule that matched; captures[0] is the whole match.
void Apply(const Rule& rule, std::span<const std::string_view> captures, TypeClass type_class,
           MappingResult* out) {
  if (rule.drop) {
    out->action = MappingResult::Action::kDrop;
    out->observer = nullptr;
    return;
  }
  // Each reference copies a capture: a rule with many could make a long name huge.
  size_t size = rule.name.ExpandedSize(captures);
  for (const auto& [name, value] : rule.labels) size += value.ExpandedSize(captures);
  if (size > kMaxMappedBytes) {
    out->action = MappingResult::Action::kInvalidName;
    out->observer = nullptr;
    return;
  }
  std::string expanded;
  rule.name.Expand(captures, &expanded);
  SanitizeMetricName(expanded, &out->name);
  if (out->name.empty()) {
    out->action = MappingResult::Action::kInvalidName;
    out->observer = nullptr;
    return;
  }
  out->action = MappingResult::Action::kMap;
  out->labels.resize(rule.labels.size());
  for (size_t i = 0; i < rule.labels.size(); ++i) {
    out->labels[i].name = rule.labels[i].first;
    rule.labels[i].second.Expand(captures, &out->labels[i].value);
  }
  out->observer = type_class == TypeClass::kObserver ? rule.observer : nullptr;
  out->honor_labels = rule.honor_labels;
  out->scale = rule.scale;
}

}  // namespace

Mapper::Mapper(std::unique_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}
Mapper::~Mapper() = default;

absl::StatusOr<std::unique_ptr<Mapper>> Mapper::LoadText(std::string_view yaml,
                                                         std::string_view source_name) {
  absl::StatusOr<std::unique_ptr<RuleSet>> rules = internal::LoadRuleSet(yaml, source_name);
  if (!rules.ok()) return rules.status();
  return std::unique_ptr<Mapper>(new Mapper(*std::move(rules)));
}

absl::StatusOr<std::unique_ptr<Mapper>> Mapper::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return absl::ErrnoToStatus(error, StrCat("mapping file ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(StrCat("mapping file ", path, ": read error"));
  return LoadText(text.str(), path);
}

std::unique_ptr<Mapper> Mapper::Empty() {
  auto rules = std::make_unique<RuleSet>();
  rules->defaults = internal::DefaultObserverOptions();
  return std::unique_ptr<Mapper>(new Mapper(std::move(rules)));
}

const ObserverOptions& Mapper::defaults() const { return rules_->defaults; }
size_t Mapper::num_rules() const { return rules_->rules.size(); }

// Cache misses only (the flusher). Globs: the rules with as many components as the name, in
// priority order, compared component by component; then the regexes in file order.
void Mapper::Map(std::string_view statsd_name, MetricType type, MappingResult* out) const {
  const TypeClass type_class = internal::TypeClassOf(type);
  out->action = MappingResult::Action::kNoMatch;
  out->name.clear();
  out->labels.clear();
  out->observer = type_class == TypeClass::kObserver ? &rules_->defaults : nullptr;
  out->honor_labels = false;
  out->scale = 1;

  if (!rules_->globs_by_size.empty()) {
    const size_t size =
        1 + static_cast<size_t>(std::count(statsd_name.begin(), statsd_name.end(), '.'));
    const auto it = rules_->globs_by_size.find(size);
    if (it != rules_->globs_by_size.end()) {
      Parts parts;
      for (size_t start = 0;;) {
        const size_t dot = std::min(statsd_name.find('.', start), statsd_name.size());
        parts.push_back(statsd_name.substr(start, dot - start));
        if (dot == statsd_name.size()) break;
        start = dot + 1;
      }
      for (const Rule* rule : it->second) {
        if (rule->type_class.has_value() && *rule->type_class != type_class) continue;
        if (!GlobMatches(*rule, parts)) continue;
        Parts captures;
        captures.push_back(statsd_name);
        for (size_t i = 0; i < parts.size(); ++i) {
          if (rule->glob[i].star) captures.push_back(parts[i]);
        }
        Apply(*rule, captures, type_class, out);
        return;
      }
    }
  }

  for (const Rule* rule : rules_->regexes) {
    if (rule->type_class.has_value() && *rule->type_class != type_class) continue;
    absl::InlinedVector<re2::StringPiece, 8> submatches(
        static_cast<size_t>(rule->regex_submatches));
    if (!rule->regex->Match(statsd_name, 0, statsd_name.size(), RE2::UNANCHORED, submatches.data(),
                            rule->regex_submatches)) {
      continue;
    }
    Parts captures;
    for (const re2::StringPiece& s : submatches) captures.emplace_back(s.data(), s.size());
    Apply(*rule, captures, type_class, out);
    return;
  }
}

size_t MappingCache::KeyHash::operator()(const KeyView& k) const {
  return absl::HashOf(ToAbsl(k.name), k.type_class);
}

MappingCache::MappingCache(const Mapper* mapper, size_t capacity)
    : mapper_(mapper), capacity_(std::max<size_t>(capacity, 1)) {}

const MappingResult& MappingCache::Lookup(std::string_view statsd_name, MetricType type) {
  const KeyView key{statsd_name, static_cast<uint8_t>(internal::TypeClassOf(type))};
  const auto it = index_.find(key);
  if (it != index_.end()) {
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->result;
  }
  ++misses_;
  std::list<Node>::iterator node;
  if (index_.size() >= capacity_) {  // reuse the least recently used node, and its buffers
    node = std::prev(lru_.end());
    index_.erase(KeyView{node->name, node->type_class});
    lru_.splice(lru_.begin(), lru_, node);
    ++evictions_;
  } else {
    node = lru_.emplace(lru_.begin());
  }
  node->name.assign(statsd_name);
  node->type_class = key.type_class;
  mapper_->Map(statsd_name, type, &node->result);
  index_.emplace(KeyView{node->name, node->type_class}, node);
  return node->result;
}

}  // namespace plumbline::collector
