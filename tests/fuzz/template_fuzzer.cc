// Fuzzes the alert template engine (query/template.h). Beyond "no crash, no UB, no stack
// overflow":
//   * Parse fails only with InvalidArgument, in Go's "template: NAME:" wording;
//   * a parsed template executes (twice, the same way: Execute is pure) within the caps:
//     success has at most 1 MiB of output, failure is InvalidArgument ("template: NAME:")
//     or ResourceExhausted;
//   * the `query` function gets a small fixed result, so query pipelines run too.
// Inputs over 4 KiB are skipped: they only slow the fuzzer down.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/template.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using plumbline::fuzz::Check;
using plumbline::query::Template;
using plumbline::query::TemplateData;
using plumbline::query::TemplateSample;

bool HasPrefix(const absl::Status& s, std::string_view prefix) {
  return std::string_view(s.message().data(), s.message().size()).starts_with(prefix);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tmpl = Template::Parse("__alert_F", text);
  if (!tmpl.ok()) {
    Check(tmpl.status().code() == absl::StatusCode::kInvalidArgument, "parse error code");
    Check(HasPrefix(tmpl.status(), "template: __alert_F:"), "parse error wording");
    return 0;
  }
  TemplateData d;
  d.labels = {{"instance", "web-1.example.com:9100"}, {"job", "node"}, {"n", "1234.5"}};
  d.external_labels = {{"cluster", "eu"}};
  d.external_url = "http://prom:9090/p";
  d.value = 0.25;
  int calls = 0;
  const auto query =
      [&calls](std::string_view expr) -> absl::StatusOr<std::vector<TemplateSample>> {
    ++calls;
    if (expr == "fail") return absl::InvalidArgumentError("bad query");
    return std::vector<TemplateSample>{{{{"instance", "b"}}, 2}, {{{"instance", "a"}}, 1e6}};
  };
  const auto first = tmpl->Execute(d, query);
  const auto second = tmpl->Execute(d, query);
  Check(first.ok() == second.ok(), "Execute is deterministic");
  if (first.ok()) {
    Check(first->size() <= (1u << 20), "output within 1 MiB");
    Check(*first == *second, "same output twice");
  } else {
    const auto code = first.status().code();
    Check(
        code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kResourceExhausted,
        "execute error code");
    if (code == absl::StatusCode::kInvalidArgument) {
      Check(HasPrefix(first.status(), "template: __alert_F:"), "execute error wording");
    }
    Check(first.status() == second.status(), "same error twice");
  }
  return 0;
}
