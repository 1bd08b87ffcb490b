// Fuzzes the PromQL parser (query/parser.h). Beyond "no crash, no UB, no stack overflow":
//   * a failure is InvalidArgument with a "<line>:<col>: parse error: " prefix (or Prometheus'
//     "unknown position" for empty input);
//   * a successful parse prints (Expr::ToString) to a query that parses again and prints the
//     same, with the same type;
//   * ParseMetricSelector and ParseDurationMs take any bytes too.
// Inputs over 4 KiB are skipped: they only slow the fuzzer down.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "query/ast.h"
#include "query/parser.h"

namespace {

void Check(bool ok, const char* what, std::string_view input, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "promql_parser_fuzzer: %s\ninput: %.*s\ndetail: %.*s\n", what,
               static_cast<int>(input.size()), input.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool IsParseError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return false;
  const std::string_view m(status.message().data(), status.message().size());
  if (m.starts_with("unknown position: parse error: ")) return true;
  size_t i = 0;
  const auto digits = [&] {
    const size_t from = i;
    while (i < m.size() && m[i] >= '0' && m[i] <= '9') ++i;
    return i > from;
  };
  if (!digits() || i >= m.size() || m[i++] != ':' || !digits()) return false;
  return m.substr(i).starts_with(": parse error: ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline::query;
  if (size > 4096) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto expr = ParseExpr(input);
  if (!expr.ok()) {
    Check(IsParseError(expr.status()), "error is not a positioned parse error", input,
          expr.status().ToString());
  } else {
    const std::string printed = (*expr)->ToString();
    auto again = ParseExpr(printed);
    Check(again.ok(), "printed query does not parse", input,
          printed + "\n" + again.status().ToString());
    const std::string reprinted = (*again)->ToString();
    Check(reprinted == printed, "printed query prints differently", input,
          printed + "\n" + reprinted);
    Check((*again)->type() == (*expr)->type(), "printed query has another type", input, printed);
  }

  auto matchers = ParseMetricSelector(input);
  if (!matchers.ok()) {
    Check(matchers.status().code() == absl::StatusCode::kInvalidArgument,
          "selector error is not InvalidArgument", input);
  }
  auto ms = ParseDurationMs(input);
  if (ms.ok()) Check(*ms >= 0, "negative duration", input);
  return 0;
}
