#include "app/check_command.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/strings.h"
#include "query/rule_file.h"

namespace plumbline::app {
namespace {

// The file's text, or the error naming it ("FILE: open FILE: No such file or directory").
absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(StrCat(path, ": open ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad() || (in.fail() && !in.eof())) {
    return absl::InvalidArgumentError(StrCat(path, ": read ", path, ": not a readable file"));
  }
  return std::move(buf).str();
}

// Prints "  FAILED:" and each line of `message` indented by two spaces, to stderr.
void PrintFailure(std::string_view message) {
  std::cerr << "  FAILED:\n";
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::cerr << "  " << message.substr(start, end - start) << "\n";
    start = end + 1;
  }
}

}  // namespace

int RunCheckRules(const std::vector<std::string>& files) {
  bool failed = false;
  for (const std::string& file : files) {
    std::cout << "Checking " << file << std::endl;
    absl::StatusOr<std::string> text = ReadText(file);
    absl::StatusOr<std::vector<query::RuleGroup>> groups =
        text.ok() ? query::ParseRuleFile(*text, file) : text.status();
    if (!groups.ok()) {
      failed = true;
      PrintFailure(ToStd(groups.status().message()));
    } else {
      size_t rules = 0;
      for (const query::RuleGroup& g : *groups) rules += g.rules.size();
      std::cout << "  SUCCESS: " << rules << " rules found\n";
    }
    std::cout << std::endl;
    std::cerr.flush();
  }
  return failed ? 1 : 0;
}

}  // namespace plumbline::app
