// `plumbline check rules FILE...`: checks rule files as `promtool check rules` does
// (Prometheus' rule file format, query/rule_file.h), printing like promtool:
//
//   Checking rules.yaml
//     SUCCESS: 3 rules found
//
//   Checking bad.yaml
//     FAILED:
//     bad.yaml:7:11: group "api", rule 2, "HighErrorRate": could not parse expression: ...
//
// "Checking" and SUCCESS lines go to stdout; FAILED and its error lines (each indented by two
// spaces) to stderr. Every file is checked, even after one fails.
#pragma once

#include <string>
#include <vector>

namespace plumbline::app {

// Checks each file in order. Exit code: 0 when every file passes, 1 when any fails (a file
// that cannot be read fails, naming the file and the reason).
int RunCheckRules(const std::vector<std::string>& files);

}  // namespace plumbline::app
