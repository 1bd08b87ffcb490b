// Fuzzes the two YAML inputs of the deploy log's configuration: the auth file
// (web::AuthConfig::Parse) and the config file's `notifiers:` (query::ParseNotifiers, behind
// the same CheckYamlText guard and YAML load as app/config.cc). Checks, beyond "no crash, no
// UB, no leak, no exception": an error is InvalidArgument naming the source; an accepted auth
// file has entries, and a token of the empty string matches none of them; accepted notifiers
// have a name and an http(s) URL, unique names, and a timeout in range.
// Input: the first byte picks the parser; the rest is the YAML text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "common/strings.h"
#include "common/yaml_guard.h"
#include "query/notifier.h"
#include "tests/fuzz/fuzz_check.h"
#include "web/auth.h"
#include "yaml-cpp/yaml.h"

namespace plumbline {
namespace {

constexpr std::string_view kSource = "fuzz.yaml";

using fuzz::Check;

void CheckError(const absl::Status& s) {
  Check(absl::IsInvalidArgument(s), "errors are InvalidArgument");
  Check(absl::StrContains(s.message(), ToAbsl(kSource)), "errors name the source");
}

void FuzzAuth(std::string_view text) {
  absl::StatusOr<web::AuthConfig> auth = web::AuthConfig::Parse(text, kSource);
  if (!auth.ok()) return CheckError(auth.status());
  Check(auth->size() > 0, "an accepted auth file has tokens");
  Check(auth->RoleOf("") == web::Role::kNone, "the empty token matches nothing");
}

void FuzzNotifiers(std::string_view text) {
  if (!CheckYamlText(text, kSource).ok()) return;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception&) {
    return;
  }
  absl::StatusOr<std::vector<query::NotifierConfig>> notifiers =
      query::ParseNotifiers(root, kSource);
  if (!notifiers.ok()) return CheckError(notifiers.status());
  std::set<std::string> names;
  for (const query::NotifierConfig& n : *notifiers) {
    Check(!n.name.empty() && names.insert(n.name).second, "names are given and unique");
    Check(absl::StartsWithIgnoreCase(n.url, "http://") ||
              absl::StartsWithIgnoreCase(n.url, "https://"),
          "urls are http(s)");
    Check(n.timeout_ms >= 100 && n.timeout_ms <= 60'000, "timeouts are in range");
  }
}

}  // namespace
}  // namespace plumbline

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    plumbline::FuzzAuth(text);
  } else {
    plumbline::FuzzNotifiers(text);
  }
  return 0;
}
