// Rule files in Prometheus' format (model/rulefmt), as `promtool check rules` reads them:
//
//   groups:
//     - name: api                 # required, unique within the file
//       interval: 30s             # optional; default: the server's evaluation interval
//       limit: 10                 # optional; 0: no limit on alerts / series per rule
//       rules:
//         - record: job:http_errors:rate5m
//           expr: sum by (job) (rate(http_errors_total[5m]))
//           labels: {team: web}
//         - alert: HighErrorRate
//           expr: job:http_errors:rate5m > 0.05
//           for: 5m
//           keep_firing_for: 10m
//           labels: {severity: page}
//           annotations:
//             summary: "{{ $labels.job }} fails {{ $value | humanizePercentage }}"
//
// Validation is promtool's (Prometheus 2.42, the Debian package's): unknown fields, a rule
// with both or neither of record/alert, a missing or unparsable expr, for/keep_firing_for/
// annotations on a recording rule, an invalid record name (a metric name), label or
// annotation name, an alert name that is not valid UTF-8, templates that do not parse, bad
// durations, repeated group names. Every problem of a file is reported, each naming the
// file, line and rule, e.g.
//   rules.yaml:12:13: group "api", rule 2, "HighErrorRate": could not parse expression: ...
// A file whose top-level mapping has a key other than `groups` is refused, as promtool does
// ("field rules not found in type rulefmt.RuleGroups"); an empty file, `{}` or `groups:` has
// no groups. Of a file with several YAML documents only the first is read, as promtool 2.42
// reads it (it ignores the rest, even text that would be refused).
//
// Messages: "FILE:LINE:COL: " then promtool's text, with its `group "x", rule N, "name": `
// prefix for a fault in a rule (N counts from 1 within the group) and `group "x": ` for one in
// a group's own fields, e.g.
//   rules.yaml:7:9: group "api", rule 1, "Down": field severity not found in type rulefmt.RuleNode
//   rules.yaml:9:5: groupname: "api" is repeated in the same file
// Aliases (*x) are resolved, as YAML means them; promtool 2.42 reads an alias used directly as
// `record`, `alert` or `expr` as the anchor's name instead (a Prometheus bug we do not copy).
//
// Parsing is pure: thread-safe, no I/O except LoadRuleFiles.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/ast.h"
#include "query/template.h"

namespace plumbline::query {

struct Rule {
  enum class Kind { kRecording, kAlerting };
  Kind kind = Kind::kRecording;
  std::string name;       // `record` or `alert`
  std::string expr_text;  // as written in the file
  // Parsed once; shared by copies of the rule (Expr is immutable after parsing).
  std::shared_ptr<const Expr> expr;
  int64_t for_ms = 0;              // alerting only
  int64_t keep_firing_for_ms = 0;  // alerting only
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;  // alerting only
  // Alerting rules: the parsed template of each label and annotation value, by name,
  // named "__alert_<alert>" as Prometheus names them.
  std::map<std::string, Template> label_templates;
  std::map<std::string, Template> annotation_templates;
  int line = 0;  // 1-based line of the rule's first key in its file
};

struct RuleGroup {
  std::string name;
  std::string file;         // as given (the glob's match)
  int64_t interval_ms = 0;  // 0: not set in the file (the server's default applies)
  int64_t limit = 0;
  std::vector<Rule> rules;
};

// Parses one file's text. `file_name` is used in messages and stored in each group.
// InvalidArgument listing every problem, one per line.
absl::StatusOr<std::vector<RuleGroup>> ParseRuleFile(std::string_view text,
                                                     std::string_view file_name);

// Expands each glob (a plain path is a glob matching itself; a glob matching nothing adds
// nothing, as in Prometheus), reads and parses every file, in sorted order per glob, each
// file once. InvalidArgument listing the problems of every file; NotFound/PermissionDenied
// naming a file that cannot be read.
absl::StatusOr<std::vector<RuleGroup>> LoadRuleFiles(const std::vector<std::string>& globs);

}  // namespace plumbline::query
