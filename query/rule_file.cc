// Rule files read as Prometheus 2.42's rulefmt reads them: yaml.v3 decoding with known fields
// only (its "field x not found in type rulefmt.RuleNode" and "cannot unmarshal" messages, its
// duplicate-key and merge-key handling), then RuleGroups.Validate's checks, in its order.
#include "query/rule_file.h"

#include <glob.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "common/duration.h"
#include "common/strings.h"
#include "common/yaml_guard.h"
#include "query/parser.h"
#include "re2/re2.h"
#include "storage/labels.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::query {
namespace {

// Go's %q for the strings of messages: quotes, backslashes and control bytes escaped.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// The problems of one file, each "FILE:LINE:COL: message".
class Problems {
 public:
  explicit Problems(std::string_view file) : file_(file) {}

  // One line per problem: line breaks in a message (from a key, a name, a value) are escaped.
  void Add(const YAML::Mark& mark, std::string_view message) {
    std::string line = StrCat(file_, ":", Line(mark), ":", Column(mark), ": ");
    for (const char c : message) {
      if (c == '\n') {
        line += "\\n";
      } else if (c == '\r') {
        line += "\\r";
      } else {
        line += c;
      }
    }
    errors_.push_back(std::move(line));
  }
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  std::string Joined() const {
    std::string out;
    for (const std::string& e : errors_) StrAppend(&out, out.empty() ? "" : "\n", e);
    return out;
  }

  static int Line(const YAML::Mark& m) { return m.line < 0 ? 0 : m.line + 1; }
  static int Column(const YAML::Mark& m) { return m.column < 0 ? 0 : m.column + 1; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

// yaml-cpp turns a plain `~`/`null` into a Null node and forgets its text; yaml.v3's Node keeps
// it, and rulefmt reads record/alert/expr from the Node's text. Recover it from the source.
std::string NullText(const YAML::Node& node, std::string_view text) {
  const YAML::Mark m = node.Mark();
  if (m.pos < 0 || static_cast<size_t>(m.pos) >= text.size()) return "";
  std::string_view rest = text.substr(static_cast<size_t>(m.pos));
  for (std::string_view form : {"~", "null", "Null", "NULL"}) {
    if (rest.substr(0, form.size()) != form) continue;
    const char next = rest.size() > form.size() ? rest[form.size()] : '\n';
    if (next == ' ' || next == '\t' || next == '\n' || next == '\r' || next == ',' || next == '}' ||
        next == ']' || next == '#') {
      return std::string(form);
    }
  }
  return "";
}

// yaml.v3's resolution of a scalar's tag, for its "cannot unmarshal !!x" messages.
std::string ShortTag(const YAML::Node& node) {
  if (node.IsMap()) return "!!map";
  if (node.IsSequence()) return "!!seq";
  if (node.IsNull()) return "!!null";
  const std::string& tag = node.Tag();
  if (tag == "!") return "!!str";
  if (tag.rfind("tag:yaml.org,2002:", 0) == 0) return StrCat("!!", tag.substr(18));
  if (tag != "?" && !tag.empty()) return tag;
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return "!!bool";
  }
  static const RE2 kInt(R"([-+]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9_]+))");
  static const RE2 kFloat(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (RE2::FullMatch(s, kInt)) return "!!int";
  if (RE2::FullMatch(s, kFloat)) return "!!float";
  return "!!str";
}

// As yaml.v3 describes a value it cannot decode: "!!str `hello`", "!!map".
std::string Describe(const YAML::Node& node) {
  if (!node.IsScalar()) return ShortTag(node);
  std::string value = node.Scalar();
  if (value.size() > 10) value = StrCat(value.substr(0, 7), "...");
  return StrCat(ShortTag(node), " `", value, "`");
}

std::string CannotUnmarshal(const YAML::Node& node, std::string_view into) {
  return StrCat("cannot unmarshal ", Describe(node), " into ", into);
}

using Entry = std::pair<YAML::Node, YAML::Node>;

bool IsMergeKey(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() != "!";
}

// A mapping's entries as yaml.v3 decodes them: repeated keys refused, merge keys (`<<: *x`)
// expanded after the explicit entries, which win over merged ones.
// Merges nest (a merged map may merge others) and can loop (`&a {<<: *a}`) or fan out; both are
// bounded. yaml.v3 refuses a loop with "anchor 'a' value contains itself".
constexpr int kMaxMergeDepth = 16;
constexpr int kMaxMergedMaps = 1000;

std::vector<Entry> Entries(const YAML::Node& map, Problems& problems, std::string_view prefix = "",
                           int depth = 0, int* merged_maps = nullptr) {
  int budget = kMaxMergedMaps;
  if (merged_maps == nullptr) merged_maps = &budget;
  std::vector<Entry> out;
  std::map<std::string, int> seen;  // key -> its line
  std::vector<YAML::Node> merges;
  for (const auto& kv : map) {
    if (IsMergeKey(kv.first)) {
      merges.push_back(kv.second);
      continue;
    }
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (kv.first.IsScalar()) {
      const auto [it, inserted] = seen.emplace(key, Problems::Line(kv.first.Mark()));
      if (!inserted) {
        problems.Add(kv.first.Mark(), StrCat(prefix, "mapping key ", GoQuote(key),
                                             " already defined at line ", it->second));
        continue;
      }
    }
    out.emplace_back(kv.first, kv.second);
  }
  std::set<std::string> have;
  for (const Entry& e : out) {
    if (e.first.IsScalar()) have.insert(e.first.Scalar());
  }
  const auto merge_one = [&](const YAML::Node& source) {
    if (depth >= kMaxMergeDepth || *merged_maps <= 0) {
      if (*merged_maps != -1) {  // said once; no more merging in this mapping
        problems.Add(source.Mark(),
                     StrCat(prefix, "map merges nest too deep or contain themselves"));
      }
      *merged_maps = -1;
      return;
    }
    --*merged_maps;
    if (!source.IsMap()) {
      problems.Add(source.Mark(),
                   StrCat(prefix, "map merge requires map or sequence of maps as the value"));
      return;
    }
    for (const Entry& e : Entries(source, problems, prefix, depth + 1, merged_maps)) {
      const std::string key = e.first.IsScalar() ? e.first.Scalar() : "";
      if (have.insert(key).second) out.push_back(e);
    }
  };
  for (const YAML::Node& m : merges) {
    if (m.IsSequence()) {
      for (const YAML::Node& element : m) merge_one(element);
    } else {
      merge_one(m);
    }
  }
  return out;
}

// A Go string field: null is "", any scalar its text, a collection an error.
std::optional<std::string> StringField(const YAML::Node& value, Problems& problems,
                                       std::string_view prefix) {
  if (value.IsNull()) return std::string();
  if (value.IsScalar()) return value.Scalar();
  problems.Add(value.Mark(), StrCat(prefix, CannotUnmarshal(value, "string")));
  return std::nullopt;
}

// A yaml.Node field (record, alert, expr): a scalar's text as written, else "".
std::string NodeText(const YAML::Node& value, std::string_view text) {
  if (value.IsNull()) return NullText(value, text);
  if (value.IsScalar()) return value.Scalar();
  return "";
}

// A model.Duration field: model.ParseDuration's forms and messages. 0 when null.
int64_t DurationField(const YAML::Node& value, Problems& problems, std::string_view prefix) {
  if (value.IsNull()) return 0;
  if (!value.IsScalar()) {
    problems.Add(value.Mark(), StrCat(prefix, CannotUnmarshal(value, "string")));
    return 0;
  }
  const std::string& s = value.Scalar();
  if (s.empty()) {
    problems.Add(value.Mark(), StrCat(prefix, "empty duration string"));
    return 0;
  }
  if (s == "0") return 0;
  static const RE2 kDuration(
      R"(([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)");
  if (!RE2::FullMatch(s, kDuration)) {
    problems.Add(value.Mark(), StrCat(prefix, "not a valid duration string: ", GoQuote(s)));
    return 0;
  }
  absl::StatusOr<int64_t> ms = plumbline::ParseDurationMs(s);
  // model.Duration is a time.Duration: nanoseconds in an int64.
  if (!ms.ok() || *ms > std::numeric_limits<int64_t>::max() / 1'000'000) {
    problems.Add(value.Mark(), StrCat(prefix, "duration out of range"));
    return 0;
  }
  return *ms;
}

// A Go int field as yaml.v3 decodes it: null 0; ints in Go's base-prefixed forms with '_';
// floats truncated; strings and booleans refused.
int64_t IntField(const YAML::Node& value, Problems& problems, std::string_view prefix) {
  if (value.IsNull()) return 0;
  const std::string tag = ShortTag(value);
  if (tag == "!!int") {
    std::string plain;
    for (char c : value.Scalar()) {
      if (c != '_') plain += c;
    }
    bool negative = false;
    std::string_view digits = plain;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.size() > 1 && digits[0] == '0') {
      const char p = digits[1];
      if (p == 'x' || p == 'X') {
        base = 16;
        digits.remove_prefix(2);
      } else if (p == 'o' || p == 'O') {
        base = 8;
        digits.remove_prefix(2);
      } else if (p == 'b' || p == 'B') {
        base = 2;
        digits.remove_prefix(2);
      } else {
        base = 8;  // Go's ParseInt(s, 0, 64): a leading 0 is octal
        digits.remove_prefix(1);
      }
    }
    bool ok = !digits.empty();
    uint64_t v = 0;
    for (char c : digits) {
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : 99;
      if (d >= base || v > (std::numeric_limits<uint64_t>::max() - d) / base) {
        ok = false;
        break;
      }
      v = v * base + d;
    }
    const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    if (ok && v <= limit) {
      return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    }
  } else if (tag == "!!float") {
    std::string plain = value.Scalar();
    double d = 0;
    if (plain.find("inf") == std::string::npos && plain.find("Inf") == std::string::npos &&
        plain.find("INF") == std::string::npos && plain.find("na") == std::string::npos &&
        plain.find("Na") == std::string::npos && plain.find("NA") == std::string::npos) {
      d = std::strtod(plain.c_str(), nullptr);
      if (d > -9.2e18 && d < 9.2e18) return static_cast<int64_t>(d);
    }
  }
  problems.Add(value.Mark(), StrCat(prefix, CannotUnmarshal(value, "int")));
  return 0;
}

// A map[string]string field (labels, annotations): null keys dropped as yaml.v3 drops them.
std::vector<std::pair<YAML::Node, std::string>> StringMapField(const YAML::Node& value,
                                                               Problems& problems,
                                                               std::string_view prefix) {
  std::vector<std::pair<YAML::Node, std::string>> out;
  if (value.IsNull()) return out;
  if (!value.IsMap()) {
    problems.Add(value.Mark(), StrCat(prefix, CannotUnmarshal(value, "map[string]string")));
    return out;
  }
  for (const Entry& e : Entries(value, problems, prefix)) {
    if (e.first.IsNull()) continue;
    if (!e.first.IsScalar()) {
      problems.Add(e.first.Mark(), StrCat(prefix, CannotUnmarshal(e.first, "string")));
      continue;
    }
    std::optional<std::string> v = StringField(e.second, problems, prefix);
    if (v) out.emplace_back(e.first, std::move(*v));
  }
  return out;
}

std::string KeyText(const YAML::Node& key) { return key.IsScalar() ? key.Scalar() : ""; }

struct RawRule {
  YAML::Mark mark;
  YAML::Node record, alert, expr;
  std::string record_text, alert_text, expr_text;
  int64_t for_ms = 0, keep_firing_for_ms = 0;
  std::vector<std::pair<YAML::Node, std::string>> labels, annotations;
};

class FileParser {
 public:
  FileParser(std::string_view text, std::string_view file) : text_(text), file_(file), p_(file) {}

  absl::StatusOr<std::vector<RuleGroup>> Parse() {
    absl::Status guard = CheckYamlText(text_, file_);
    if (!guard.ok()) return guard;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text_));
    } catch (const YAML::Exception& e) {
      p_.Add(e.mark, StrCat("yaml: ", e.msg));
      return absl::InvalidArgumentError(p_.Joined());
    }
    std::vector<RuleGroup> groups;
    try {
      groups = Groups(root);
    } catch (const YAML::Exception& e) {  // not expected: every access above is checked
      p_.Add(e.mark, StrCat("yaml: ", e.msg));
    }
    if (!p_.empty()) return absl::InvalidArgumentError(p_.Joined());
    return groups;
  }

 private:
  std::vector<RuleGroup> Groups(const YAML::Node& root) {
    std::vector<RuleGroup> groups;
    if (root.IsNull()) return groups;
    if (!root.IsMap()) {
      p_.Add(root.Mark(), CannotUnmarshal(root, "rulefmt.RuleGroups"));
      return groups;
    }
    std::set<std::string> names;
    for (const Entry& e : Entries(root, p_)) {
      const std::string key = KeyText(e.first);
      if (key != "groups") {
        p_.Add(e.first.Mark(), StrCat("field ", key, " not found in type rulefmt.RuleGroups"));
        continue;
      }
      const YAML::Node& list = e.second;
      if (list.IsNull()) continue;
      if (!list.IsSequence()) {
        p_.Add(list.Mark(), CannotUnmarshal(list, "[]rulefmt.RuleGroup"));
        continue;
      }
      for (const YAML::Node& g : list) {
        if (g.IsNull()) continue;  // yaml.v3 skips a null element of a slice of structs
        if (!g.IsMap()) {
          p_.Add(g.Mark(), CannotUnmarshal(g, "rulefmt.RuleGroup"));
          continue;
        }
        RuleGroup group = Group(g);
        if (group.name.empty()) {
          p_.Add(g.Mark(), "Groupname must not be empty");
        } else if (!names.insert(group.name).second) {
          p_.Add(g.Mark(),
                 StrCat("groupname: ", GoQuote(group.name), " is repeated in the same file"));
        }
        groups.push_back(std::move(group));
      }
    }
    return groups;
  }

  RuleGroup Group(const YAML::Node& node) {
    RuleGroup group;
    group.file = std::string(file_);
    std::vector<Entry> entries = Entries(node, p_);
    // The name first: the messages of the group's rules name it.
    for (const Entry& e : entries) {
      if (KeyText(e.first) == "name") {
        std::optional<std::string> name = StringField(e.second, p_, "");
        if (name) group.name = std::move(*name);
      }
    }
    const std::string prefix = StrCat("group ", GoQuote(group.name), ": ");
    for (const Entry& e : entries) {
      const std::string key = KeyText(e.first);
      if (key == "name") continue;
      if (key == "interval") {
        group.interval_ms = DurationField(e.second, p_, prefix);
      } else if (key == "limit") {
        group.limit = IntField(e.second, p_, prefix);
      } else if (key == "rules") {
        if (e.second.IsNull()) continue;
        if (!e.second.IsSequence()) {
          p_.Add(e.second.Mark(), StrCat(prefix, CannotUnmarshal(e.second, "[]rulefmt.RuleNode")));
          continue;
        }
        int index = 0;
        for (const YAML::Node& r : e.second) {
          if (r.IsNull()) continue;
          ++index;
          if (!r.IsMap()) {
            p_.Add(r.Mark(), StrCat("group ", GoQuote(group.name), ", rule ", index,
                                    ", \"\": ", CannotUnmarshal(r, "rulefmt.RuleNode")));
            continue;
          }
          std::optional<Rule> rule = ParseRule(r, group.name, index);
          if (rule) group.rules.push_back(std::move(*rule));
        }
      } else {
        p_.Add(e.first.Mark(),
               StrCat(prefix, "field ", key, " not found in type rulefmt.RuleGroup"));
      }
    }
    return group;
  }

  std::optional<Rule> ParseRule(const YAML::Node& node, const std::string& group_name, int index) {
    RawRule raw;
    raw.mark = node.Mark();
    Problems later(file_);  // repeated keys, reported below once the rule's name is known
    std::vector<Entry> entries = Entries(node, later);
    for (const Entry& e : entries) {
      const std::string key = KeyText(e.first);
      if (key == "record") {
        raw.record = e.second;
        raw.record_text = NodeText(e.second, text_);
      } else if (key == "alert") {
        raw.alert = e.second;
        raw.alert_text = NodeText(e.second, text_);
      } else if (key == "expr") {
        raw.expr = e.second;
        raw.expr_text = NodeText(e.second, text_);
      }
    }
    const std::string name = raw.alert_text.empty() ? raw.record_text : raw.alert_text;
    const std::string prefix =
        StrCat("group ", GoQuote(group_name), ", rule ", index, ", ", GoQuote(name), ": ");
    const size_t before = Count();
    if (!later.empty()) Entries(node, p_, prefix);
    for (const Entry& e : entries) {
      const std::string key = KeyText(e.first);
      if (key == "record" || key == "alert" || key == "expr") continue;
      if (key == "for") {
        raw.for_ms = DurationField(e.second, p_, prefix);
      } else if (key == "keep_firing_for") {
        raw.keep_firing_for_ms = DurationField(e.second, p_, prefix);
      } else if (key == "labels") {
        raw.labels = StringMapField(e.second, p_, prefix);
      } else if (key == "annotations") {
        raw.annotations = StringMapField(e.second, p_, prefix);
      } else {
        p_.Add(e.first.Mark(),
               StrCat(prefix, "field ", key, " not found in type rulefmt.RuleNode"));
      }
    }
    return Validate(raw, prefix, before);
  }

  // RuleNode.Validate's checks, in its order.
  std::optional<Rule> Validate(const RawRule& raw, const std::string& prefix, size_t before) {
    const auto mark_of = [&](const YAML::Node& n) {
      return n.Mark().is_null() ? raw.mark : n.Mark();
    };
    Rule rule;
    rule.line = Problems::Line(raw.mark);
    const bool recording = !raw.record_text.empty();
    const bool alerting = !raw.alert_text.empty();
    if (recording && alerting) {
      p_.Add(mark_of(raw.record), StrCat(prefix, "only one of 'record' and 'alert' must be set"));
    }
    if (!recording && !alerting) {
      p_.Add(mark_of(raw.record), StrCat(prefix, "one of 'record' or 'alert' must be set"));
    }
    if (raw.expr_text.empty()) {
      p_.Add(mark_of(raw.expr), StrCat(prefix, "field 'expr' must be set in rule"));
    } else {
      absl::StatusOr<ExprPtr> expr = ParseExpr(raw.expr_text);
      if (expr.ok()) {
        rule.expr = std::shared_ptr<const Expr>(std::move(*expr));
      } else {
        p_.Add(mark_of(raw.expr),
               StrCat(prefix, "could not parse expression: ", ToStd(expr.status().message())));
      }
    }
    if (recording) {
      if (!raw.annotations.empty()) {
        p_.Add(mark_of(raw.record),
               StrCat(prefix, "invalid field 'annotations' in recording rule"));
      }
      if (raw.for_ms != 0) {
        p_.Add(mark_of(raw.record), StrCat(prefix, "invalid field 'for' in recording rule"));
      }
      if (raw.keep_firing_for_ms != 0) {
        p_.Add(mark_of(raw.record),
               StrCat(prefix, "invalid field 'keep_firing_for' in recording rule"));
      }
      if (!storage::ValidateMetricName(raw.record_text).ok()) {
        p_.Add(mark_of(raw.record),
               StrCat(prefix, "invalid recording rule name: ", raw.record_text));
      }
    }
    for (const auto& [key, value] : raw.labels) {
      const std::string& k = key.Scalar();
      if (!storage::ValidateLabelName(k).ok() || k == storage::kMetricNameLabel) {
        p_.Add(key.Mark(), StrCat(prefix, "invalid label name: ", k));
      }
      if (!storage::IsValidUtf8(value)) {
        p_.Add(key.Mark(), StrCat(prefix, "invalid label value: ", value));
      }
    }
    for (const auto& [key, value] : raw.annotations) {
      const std::string& k = key.Scalar();
      if (!storage::ValidateLabelName(k).ok()) {
        p_.Add(key.Mark(), StrCat(prefix, "invalid annotation name: ", k));
      }
    }
    if (alerting) {
      const std::string template_name = StrCat("__alert_", raw.alert_text);
      for (const auto& [key, value] : raw.labels) {
        absl::StatusOr<Template> t = Template::Parse(template_name, value);
        if (t.ok()) {
          rule.label_templates.emplace(key.Scalar(), std::move(*t));
        } else {
          p_.Add(key.Mark(), StrCat(prefix, "label ", GoQuote(key.Scalar()), ": ",
                                    ToStd(t.status().message())));
        }
      }
      for (const auto& [key, value] : raw.annotations) {
        absl::StatusOr<Template> t = Template::Parse(template_name, value);
        if (t.ok()) {
          rule.annotation_templates.emplace(key.Scalar(), std::move(*t));
        } else {
          p_.Add(key.Mark(), StrCat(prefix, "annotation ", GoQuote(key.Scalar()), ": ",
                                    ToStd(t.status().message())));
        }
      }
    }
    if (Count() != before) return std::nullopt;
    rule.kind = recording ? Rule::Kind::kRecording : Rule::Kind::kAlerting;
    rule.name = recording ? raw.record_text : raw.alert_text;
    rule.expr_text = raw.expr_text;
    rule.for_ms = raw.for_ms;
    rule.keep_firing_for_ms = raw.keep_firing_for_ms;
    for (const auto& [key, value] : raw.labels) rule.labels[key.Scalar()] = value;
    for (const auto& [key, value] : raw.annotations) rule.annotations[key.Scalar()] = value;
    return rule;
  }

  size_t Count() const { return p_.size(); }

  std::string_view text_;
  std::string_view file_;
  Problems p_;
};

absl::Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = StrCat(path, ": open ", path, ": ", std::strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(why);
    if (err == ENOENT) return absl::NotFoundError(why);
    return absl::InvalidArgumentError(why);
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(StrCat(path, ": read error"));
  *out = std::move(buf).str();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<RuleGroup>> ParseRuleFile(std::string_view text,
                                                     std::string_view file_name) {
  return FileParser(text, file_name).Parse();
}

absl::StatusOr<std::vector<RuleGroup>> LoadRuleFiles(const std::vector<std::string>& globs) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const std::string& pattern : globs) {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {  // glob sorts its matches
        if (seen.insert(g.gl_pathv[i]).second) files.emplace_back(g.gl_pathv[i]);
      }
    }
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return absl::InvalidArgumentError(StrCat("rule files ", GoQuote(pattern), ": bad glob"));
    }
  }
  std::vector<RuleGroup> all;
  std::string errors;
  for (const std::string& file : files) {
    std::string text;
    absl::Status read = ReadFile(file, &text);
    if (!read.ok()) return read;
    absl::StatusOr<std::vector<RuleGroup>> groups = ParseRuleFile(text, file);
    if (!groups.ok()) {
      StrAppend(&errors, errors.empty() ? "" : "\n", ToStd(groups.status().message()));
      continue;
    }
    for (RuleGroup& g : *groups) all.push_back(std::move(g));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(errors);
  return all;
}

}  // namespace plumbline::query
