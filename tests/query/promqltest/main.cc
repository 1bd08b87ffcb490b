// promqltest_runner: Prometheus' PromQL test files through our storage and PromQL engine.
//
//   promqltest_runner [--verbose] [--summary] [--min-pass N] [--min-pass-file FILE]
//                     [--only FILE_SUBSTR] <files or directories...>
//
// Prints skipped evals with their reason, then `file: pass P fail F skip S` per file and a
// total with the pass rate among the evals in scope (pass + fail). --verbose adds every
// failure (line, query, what differs) and --summary (implied by --verbose) the most common
// kinds of failure. Exits 1 when a file is malformed or fewer than the minimum pass.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "tests/query/promqltest/runner.h"
#include "tests/query/promqltest/script.h"

namespace plumbline::promqltest {
namespace {

constexpr size_t kTopKinds = 10;

struct Flags {
  bool verbose = false;
  bool summary = false;
  long min_pass = 0;
  std::string only;
  std::vector<std::string> paths;
};

int Usage(const std::string& error) {
  std::cerr << "promqltest_runner: " << error << "\n"
            << "usage: promqltest_runner [--verbose] [--summary] [--min-pass N] "
               "[--min-pass-file FILE] [--only FILE_SUBSTR] <files or directories...>\n";
  return 2;
}

bool ParseCount(const std::string& text, long* out) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end == text.c_str() || v < 0) return false;
  while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') ++end;
  if (*end != '\0') return false;
  *out = v;
  return true;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// Files as given; directories expand to their *.test files, sorted.
std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.path().extension() == ".test") found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// For the terminal: one line, control bytes and invalid UTF-8 as \xNN.
std::string OneLine(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t k = 0; k < text.size();) {
    const auto c = static_cast<unsigned char>(text[k]);
    if (c == '\n' || c == '\t') {
      out.push_back(' ');
      ++k;
      continue;
    }
    const size_t n = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
    bool ok = n > 0 && k + n <= text.size() && c >= 0x20 && c != 0x7F;
    for (size_t d = 1; ok && d < n; ++d) {
      ok = (static_cast<unsigned char>(text[k + d]) & 0xC0) == 0x80;
    }
    if (ok) {
      out.append(text.substr(k, n));
      k += n;
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++k;
    }
  }
  return out;
}

void PrintTop(std::string_view title, const std::map<std::string, int>& counts) {
  if (counts.empty()) return;
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [kind, count] : counts) sorted.emplace_back(-count, kind);
  std::sort(sorted.begin(), sorted.end());
  std::cout << title << ":\n";
  for (size_t k = 0; k < sorted.size() && k < kTopKinds; ++k) {
    std::cout << "  " << -sorted[k].first << "  " << OneLine(sorted[k].second) << "\n";
  }
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--verbose" || arg == "-v") {
      flags.verbose = true;
      flags.summary = true;
    } else if (arg == "--summary") {
      flags.summary = true;
    } else if (arg == "--min-pass") {
      if (!value(&v) || !ParseCount(v, &flags.min_pass)) {
        return Usage("--min-pass needs a count");
      }
    } else if (arg == "--min-pass-file") {
      std::string text;
      if (!value(&v)) return Usage("--min-pass-file needs a file");
      if (!ReadFile(v, &text) || !ParseCount(text, &flags.min_pass)) {
        return Usage(StrCat("cannot read a count from ", v));
      }
    } else if (arg == "--only") {
      if (!value(&flags.only)) return Usage("--only needs a file name substring");
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(StrCat("unknown flag ", arg));
    } else {
      flags.paths.push_back(arg);
    }
  }
  if (flags.paths.empty()) return Usage("no test files given");

  bool malformed = false;
  int total_pass = 0, total_fail = 0, total_skip = 0, annotations = 0;
  int instant_queries = 0, range_queries = 0;
  std::map<std::string, int> kinds;
  std::map<std::string, int> skip_kinds;
  std::vector<std::string> lines;
  for (const std::string& path : ExpandPaths(flags.paths)) {
    if (!flags.only.empty() && path.find(flags.only) == std::string::npos) continue;
    const std::string name = std::filesystem::path(path).filename().string();
    std::string text;
    if (!ReadFile(path, &text)) {
      std::cout << name << ": cannot read " << path << "\n";
      malformed = true;
      continue;
    }
    auto script = ParseScript(text);
    if (!script.ok()) {
      std::cout << name << ": malformed file: " << ToStd(script.status().message()) << "\n";
      malformed = true;
      continue;
    }
    auto result = RunScript(*script);
    if (!result.ok()) {
      std::cout << name << ": harness error: " << ToStd(result.status().message()) << "\n";
      malformed = true;
      continue;
    }
    for (const std::string& note : result->notes) std::cout << name << ": note: " << note << "\n";
    for (const EvalOutcome& e : result->evals) {
      if (e.outcome == Outcome::kSkip) {
        ++skip_kinds[e.kind];
        std::cout << name << ":" << e.line << ": skip: " << e.message << "  [" << OneLine(e.expr)
                  << "]\n";
      } else if (e.outcome == Outcome::kFail) {
        ++kinds[e.kind];
        if (flags.verbose) {
          std::cout << name << ":" << e.line << ": FAIL " << OneLine(e.expr) << "\n    "
                    << OneLine(e.message) << "\n";
          for (const std::string& d : e.diff) std::cout << "      " << OneLine(d) << "\n";
        }
      }
    }
    const int pass = result->Count(Outcome::kPass);
    const int fail = result->Count(Outcome::kFail);
    const int skip = result->Count(Outcome::kSkip);
    total_pass += pass;
    total_fail += fail;
    total_skip += skip;
    annotations += result->annotation_expectations;
    instant_queries += result->instant_queries;
    range_queries += result->range_queries;
    lines.push_back(StrCat(name, ": pass ", pass, " fail ", fail, " skip ", skip));
    std::cout.flush();
  }
  for (const std::string& line : lines) std::cout << line << "\n";
  const int in_scope = total_pass + total_fail;
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.1f%%",
                in_scope == 0 ? 0.0 : 100.0 * total_pass / static_cast<double>(in_scope));
  std::cout << "total: pass " << total_pass << " fail " << total_fail << " skip " << total_skip
            << "; in-scope pass rate " << rate << " (" << total_pass << " of " << in_scope << "); "
            << annotations << " warn/info annotation expectations counted, not checked\n";
  if (flags.summary) {
    std::cout << "queries run: " << instant_queries << " instant (with @ variants), "
              << range_queries << " range (with range-mode re-runs)\n";
  }
  if (flags.summary) {
    PrintTop("most common failure kinds", kinds);
    PrintTop("skips by reason", skip_kinds);
  }
  if (malformed) {
    std::cout << "FAILED: malformed test file(s)\n";
    return 1;
  }
  if (total_pass < flags.min_pass) {
    std::cout << "FAILED: " << total_pass << " evals pass, fewer than the minimum "
              << flags.min_pass << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace plumbline::promqltest

int main(int argc, char** argv) { return plumbline::promqltest::Main(argc, argv); }
