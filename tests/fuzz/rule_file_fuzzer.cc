// Fuzzes rule files in Prometheus' format (query::ParseRuleFile: the YAML guard, yaml-cpp, the
// PromQL parser, templates). Checks, beyond "no crash, no UB, no leak, no exception": an error
// is InvalidArgument whose every line names the file; an accepted file's groups have names,
// unique within the file, and its rules a name, a parsed expression, a line, and templates only
// when they alert. Input: the YAML text.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/strings.h"
#include "query/rule_file.h"
#include "tests/fuzz/fuzz_check.h"

namespace plumbline {
namespace {

constexpr std::string_view kFile = "fuzz.rules.yaml";

using fuzz::Check;

void FuzzRuleFile(std::string_view text) {
  absl::StatusOr<std::vector<query::RuleGroup>> groups = query::ParseRuleFile(text, kFile);
  if (!groups.ok()) {
    Check(absl::IsInvalidArgument(groups.status()), "errors are InvalidArgument");
    const std::string_view message = ToStd(groups.status().message());
    size_t start = 0;
    while (start <= message.size()) {
      size_t end = message.find('\n', start);
      if (end == std::string_view::npos) end = message.size();
      Check(message.substr(start, kFile.size() + 1) == StrCat(kFile, ":"),
            "every error line starts with the file name");
      start = end + 1;
    }
    return;
  }
  std::set<std::string> names;
  for (const query::RuleGroup& g : *groups) {
    Check(!g.name.empty(), "groups have names");
    Check(names.insert(g.name).second, "group names are unique in a file");
    Check(g.file == kFile, "groups name their file");
    Check(g.interval_ms >= 0, "intervals are not negative");
    for (const query::Rule& r : g.rules) {
      Check(!r.name.empty(), "rules have names");
      Check(r.expr != nullptr && !r.expr_text.empty(), "rules have an expression");
      Check(r.line > 0, "rules have a line");
      Check(r.for_ms >= 0 && r.keep_firing_for_ms >= 0, "durations are not negative");
      if (r.kind == query::Rule::Kind::kRecording) {
        Check(r.for_ms == 0 && r.keep_firing_for_ms == 0 && r.annotations.empty(),
              "recording rules have no for, keep_firing_for or annotations");
        Check(r.label_templates.empty(), "recording rules have no templates");
      } else {
        Check(r.label_templates.size() == r.labels.size() &&
                  r.annotation_templates.size() == r.annotations.size(),
              "alerting rules have a template per label and annotation");
      }
    }
  }
}

}  // namespace
}  // namespace plumbline

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  plumbline::FuzzRuleFile(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
