// Template::Parse / Execute: the public face of the alert template engine. The work is in
// template_parse.cc (text to tree), template_exec.cc (tree to text) and template_funcs.cc.
#include "query/template.h"

#include <string>
#include <utility>

#include "common/strings.h"
#include "query/internal/template_tree.h"

namespace plumbline::query {
namespace {

// Prometheus' rules/alerting.go prepends these; error columns on line 1 count them.
constexpr std::string_view kDefinitions =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

}  // namespace

absl::StatusOr<Template> Template::Parse(std::string_view name, std::string_view text) {
  try {
    auto tree = internal::ParseTree(name, StrCat(kDefinitions, text));
    if (text.find("{{") == std::string_view::npos) {
      tree->plain = true;
      tree->plain_text = std::string(text);
    }
    return Template(std::move(tree));
  } catch (const internal::TemplateError& e) {
    return absl::Status(e.code, e.message);
  }
}

absl::StatusOr<std::string> Template::Execute(const TemplateData& data,
                                              const TemplateQueryFn& query) const {
  if (tree_->plain) return tree_->plain_text;
  try {
    return internal::ExecuteTree(*tree_, data, query);
  } catch (const internal::TemplateError& e) {
    return absl::Status(e.code, e.message);
  }
}

const std::string& Template::name() const { return tree_->name; }

}  // namespace plumbline::query
