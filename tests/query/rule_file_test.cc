// Rule files in Prometheus' format: the corpus in tests/query/rules (every *.good.yaml parses,
// every *.bad.yaml fails where its "# expect line N: ..." header says), then the decoding
// details promtool 2.42 shows (durations, limits, nulls, merge keys, repeated keys, several
// documents), the parsed values, and LoadRuleFiles' globs.
#include "query/rule_file.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::query {
namespace {

using ::plumbline::testing::IsOk;
using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<std::string> CorpusFiles(std::string_view suffix) {
  std::vector<std::string> out;
  DIR* dir = opendir(PLUMBLINE_RULES_DIR);
  if (dir == nullptr) return out;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(name);
  }
  closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Message(const absl::Status& s) { return std::string(ToStd(s.message())); }

absl::StatusOr<std::vector<RuleGroup>> Parse(std::string_view text) {
  return ParseRuleFile(text, "r.yaml");
}

// The single error of `text`, which must fail.
std::string ErrorOf(std::string_view text) {
  absl::StatusOr<std::vector<RuleGroup>> groups = Parse(text);
  EXPECT_FALSE(groups.ok()) << text;
  return groups.ok() ? "" : Message(groups.status());
}

std::string AlertWith(std::string_view field) {
  return StrCat("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    ", field, "\n");
}

TEST(RuleFileCorpusTest, GoodFilesParse) {
  const std::vector<std::string> files = CorpusFiles(".good.yaml");
  ASSERT_GE(files.size(), 8u);
  for (const std::string& f : files) {
    absl::StatusOr<std::vector<RuleGroup>> groups =
        ParseRuleFile(ReadAll(StrCat(PLUMBLINE_RULES_DIR, "/", f)), f);
    ASSERT_THAT(groups, IsOk()) << f;
    for (const RuleGroup& g : *groups) {
      EXPECT_FALSE(g.name.empty()) << f;
      EXPECT_EQ(g.file, f);
      for (const Rule& r : g.rules) {
        EXPECT_NE(r.expr, nullptr) << f << " " << r.name;
        EXPECT_FALSE(r.name.empty()) << f;
        EXPECT_GT(r.line, 0) << f;
      }
    }
  }
}

TEST(RuleFileCorpusTest, BadFilesFailNamingFileLineAndRule) {
  const std::vector<std::string> files = CorpusFiles(".bad.yaml");
  ASSERT_GE(files.size(), 30u);
  for (const std::string& f : files) {
    const std::string text = ReadAll(StrCat(PLUMBLINE_RULES_DIR, "/", f));
    // "# expect line N: <what the message names after the position>"; N may be "any".
    ASSERT_EQ(text.rfind("# expect line ", 0), 0u) << f;
    const size_t colon = text.find(':');
    const std::string line = text.substr(14, colon - 14);
    const std::string names = text.substr(colon + 2, text.find('\n') - colon - 2);
    absl::StatusOr<std::vector<RuleGroup>> groups = ParseRuleFile(text, f);
    if (groups.ok()) {
      ADD_FAILURE() << f << " parses";
      continue;
    }
    EXPECT_TRUE(absl::IsInvalidArgument(groups.status())) << f;
    const std::string message = Message(groups.status());
    const std::string position = line == "any" ? StrCat(f, ":") : StrCat(f, ":", line, ":");
    bool found = false;
    std::istringstream lines(message);
    for (std::string l; std::getline(lines, l);) {
      EXPECT_EQ(l.rfind(StrCat(f, ":"), 0), 0u) << l;
      if (l.rfind(position, 0) == 0 && l.find(names) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << f << ": want " << position << " ... " << names << "\ngot: " << message;
  }
}

TEST(RuleFileTest, ParsedValues) {
  const std::string f = "alerting.good.yaml";
  absl::StatusOr<std::vector<RuleGroup>> groups =
      ParseRuleFile(ReadAll(StrCat(PLUMBLINE_RULES_DIR, "/", f)), f);
  ASSERT_THAT(groups, IsOk());
  ASSERT_THAT(*groups, SizeIs(1));
  const RuleGroup& g = (*groups)[0];
  EXPECT_EQ(g.name, "availability");
  EXPECT_EQ(g.interval_ms, 30'000);
  EXPECT_EQ(g.limit, 25);
  ASSERT_THAT(g.rules, SizeIs(2));
  const Rule& down = g.rules[0];
  EXPECT_EQ(down.kind, Rule::Kind::kAlerting);
  EXPECT_EQ(down.name, "ServiceDown");
  EXPECT_EQ(down.expr_text, "up{job=\"checkout\"} == 0");
  EXPECT_EQ(down.for_ms, 120'000);
  EXPECT_EQ(down.keep_firing_for_ms, 600'000);
  EXPECT_EQ(down.line, 6);
  EXPECT_EQ(down.labels.at("severity"), "page");
  EXPECT_EQ(down.label_templates.size(), 2u);
  EXPECT_EQ(down.label_templates.at("owner").name(), "__alert_ServiceDown");
  EXPECT_EQ(down.annotation_templates.size(), 2u);
  EXPECT_EQ(down.annotations.at("description"),
            "Scrapes of {{ $labels.instance }} have failed for two minutes (value {{ $value }}).");
  EXPECT_EQ(g.rules[1].for_ms, 5'400'000);
}

TEST(RuleFileTest, RecordingRulesHaveNoTemplates) {
  absl::StatusOr<std::vector<RuleGroup>> groups = Parse(
      "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: |\n      sum(x)\n"
      "    labels: {t: \"{{ not parsed\"}\n");
  ASSERT_THAT(groups, IsOk());
  const Rule& r = (*groups)[0].rules[0];
  EXPECT_EQ(r.kind, Rule::Kind::kRecording);
  EXPECT_EQ(r.expr_text, "sum(x)\n");
  EXPECT_EQ(r.labels.at("t"), "{{ not parsed");
  EXPECT_TRUE(r.label_templates.empty());
}

TEST(RuleFileTest, MessageFormat) {
  EXPECT_EQ(ErrorOf("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(\n"),
            "r.yaml:5:11: group \"g\", rule 1, \"A\": could not parse expression: "
            "1:5: parse error: unclosed left parenthesis");
  EXPECT_EQ(ErrorOf("groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n    for: 1m\n"),
            "r.yaml:4:13: group \"g\", rule 1, \"a\": invalid field 'for' in recording rule");
  EXPECT_EQ(ErrorOf("groups:\n- name: g\n- name: g\n"),
            "r.yaml:3:3: groupname: \"g\" is repeated in the same file");
  EXPECT_EQ(ErrorOf("groups:\n- name: \"\"\n"), "r.yaml:2:3: Groupname must not be empty");
  EXPECT_EQ(ErrorOf("groups:\n- name: g\n  rules:\n  - expr: up\n"),
            "r.yaml:4:5: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set");
  EXPECT_EQ(ErrorOf("foo: 1\n"), "r.yaml:1:1: field foo not found in type rulefmt.RuleGroups");
  EXPECT_EQ(ErrorOf("hello\n"),
            "r.yaml:1:1: cannot unmarshal !!str `hello` into rulefmt.RuleGroups");
  EXPECT_EQ(ErrorOf("groups:\n- name: g\n  rules:\n  - \"just a string\"\n"),
            "r.yaml:4:5: group \"g\", rule 1, \"\": cannot unmarshal !!str `just a ...` into "
            "rulefmt.RuleNode");
}

TEST(RuleFileTest, EveryProblemIsReported) {
  const std::string message = ErrorOf(
      "groups:\n- name: g\n  rules:\n  - record: foo-bar\n    alert: X\n    expr: \"(\"\n"
      "    for: 1m\n    labels: {\"1a\": x}\n    annotations: {\"b-c\": y}\n");
  for (const char* want : {"only one of 'record' and 'alert'", "could not parse expression",
                           "invalid field 'annotations'", "invalid field 'for'",
                           "invalid recording rule name: foo-bar", "invalid label name: 1a",
                           "invalid annotation name: b-c"}) {
    EXPECT_THAT(message, HasSubstr(want));
  }
  EXPECT_THAT(message, HasSubstr("group \"g\", rule 1, \"X\""));
}

TEST(RuleFileTest, DurationsAsModelParseDuration) {
  for (const char* ok : {"for: 0", "for: 0s", "for: 1m", "for: 1h30m", "for: 1s500ms",
                         "for: 1y2w3d", "for:", "for: ~", "keep_firing_for: 90s"}) {
    EXPECT_THAT(Parse(AlertWith(ok)), IsOk()) << ok;
  }
  EXPECT_THAT(ErrorOf(AlertWith("for: 1.5m")), HasSubstr("not a valid duration string: \"1.5m\""));
  EXPECT_THAT(ErrorOf(AlertWith("for: -1m")), HasSubstr("not a valid duration string: \"-1m\""));
  EXPECT_THAT(ErrorOf(AlertWith("for: 5")), HasSubstr("not a valid duration string: \"5\""));
  EXPECT_THAT(ErrorOf(AlertWith("for: 1m1h")), HasSubstr("not a valid duration string"));
  EXPECT_THAT(ErrorOf(AlertWith("for: 1d1d")), HasSubstr("not a valid duration string"));
  EXPECT_THAT(ErrorOf(AlertWith("for: \"\"")), HasSubstr("empty duration string"));
  EXPECT_THAT(ErrorOf(AlertWith("for: 999999999999y")), HasSubstr("duration out of range"));
  EXPECT_THAT(ErrorOf(AlertWith("for: [1m]")), HasSubstr("cannot unmarshal !!seq into string"));
  absl::StatusOr<std::vector<RuleGroup>> g = Parse(AlertWith("for: 2h"));
  ASSERT_THAT(g, IsOk());
  EXPECT_EQ((*g)[0].rules[0].for_ms, 7'200'000);
}

TEST(RuleFileTest, LimitsAsYamlV3DecodesInts) {
  const auto limit = [](std::string_view v) -> absl::StatusOr<int64_t> {
    absl::StatusOr<std::vector<RuleGroup>> g =
        Parse(StrCat("groups:\n- name: g\n  limit: ", v, "\n"));
    if (!g.ok()) return g.status();
    return (*g)[0].limit;
  };
  EXPECT_EQ(*limit("10"), 10);
  EXPECT_EQ(*limit("0x10"), 16);
  EXPECT_EQ(*limit("1_000"), 1000);
  EXPECT_EQ(*limit("-3"), -3);
  EXPECT_EQ(*limit("10.5"), 10);
  EXPECT_EQ(*limit("~"), 0);
  EXPECT_THAT(limit("\"10\""), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("cannot unmarshal !!str `10` into int")));
  EXPECT_THAT(limit("true"), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("cannot unmarshal !!bool `true` into int")));
}

TEST(RuleFileTest, NullsAndScalarsAsRulefmtReadsThem) {
  // record/alert/expr are yaml.Nodes in rulefmt: their text counts, even "null".
  EXPECT_THAT(Parse("groups:\n- name: g\n  rules:\n  - record: a\n    expr: null\n"), IsOk());
  EXPECT_THAT(ErrorOf("groups:\n- name: g\n  rules:\n  - record: ~\n    expr: up\n"),
              HasSubstr("invalid recording rule name: ~"));
  EXPECT_THAT(ErrorOf("groups:\n- name: g\n  rules:\n  - record: a\n    expr: [up]\n"),
              HasSubstr("field 'expr' must be set in rule"));
  EXPECT_THAT(ErrorOf("groups:\n- name: g\n  rules:\n  - record: 0\n    expr: up\n"),
              HasSubstr("\"0\": invalid recording rule name: 0"));
  // An empty record next to an alert is no record.
  EXPECT_THAT(Parse("groups:\n- name: g\n  rules:\n  - record: \"\"\n    alert: A\n    expr: 1\n"),
              IsOk());
  // Null labels, null label values, null keys (dropped), null rules and groups (skipped).
  absl::StatusOr<std::vector<RuleGroup>> g = Parse(
      "groups:\n- ~\n- name: g\n  rules:\n  - ~\n  - alert: A\n    expr: up\n"
      "    labels: {a: 1, b: true, c: ~, ~: x}\n    annotations:\n");
  ASSERT_THAT(g, IsOk());
  ASSERT_THAT(*g, SizeIs(1));
  ASSERT_THAT((*g)[0].rules, SizeIs(1));
  const Rule& r = (*g)[0].rules[0];
  EXPECT_EQ(r.labels, (std::map<std::string, std::string>{{"a", "1"}, {"b", "true"}, {"c", ""}}));
  EXPECT_THAT(ErrorOf("groups:\n- name: g\n  rules:\n  - ~\n  - record: x\n    expr: \"(\"\n"),
              HasSubstr("rule 1, \"x\""));
  // Empty, comment-only, `{}` and `groups:` files have no rules; so has a file whose first
  // document is empty of groups (later documents are never read).
  for (const char* ok : {"", "# c\n", "{}\n", "groups:\n", "---\ngroups: []\n...\n",
                         "groups: []\n---\nfoo: bar\n"}) {
    absl::StatusOr<std::vector<RuleGroup>> empty = Parse(ok);
    ASSERT_THAT(empty, IsOk()) << ok;
    EXPECT_TRUE(empty->empty());
  }
}

TEST(RuleFileTest, MergeKeysAndRepeatedKeys) {
  absl::StatusOr<std::vector<RuleGroup>> g = Parse(
      "groups:\n- name: g\n  rules:\n  - &r {record: \"x:y\", expr: up, labels: {a: b}}\n"
      "  - <<: *r\n    record: x:z\n");
  ASSERT_THAT(g, IsOk());
  ASSERT_THAT((*g)[0].rules, SizeIs(2));
  EXPECT_EQ((*g)[0].rules[1].name, "x:z");
  EXPECT_EQ((*g)[0].rules[1].expr_text, "up");
  EXPECT_EQ((*g)[0].rules[1].labels.at("a"), "b");
  EXPECT_EQ(ErrorOf("groups:\n- name: a\n  name: b\n"),
            "r.yaml:3:3: mapping key \"name\" already defined at line 2");
  EXPECT_THAT(ErrorOf(AlertWith("labels:\n      a: b\n      a: c")),
              HasSubstr("rule 1, \"A\": mapping key \"a\" already defined at line 7"));
}

TEST(RuleFileTest, MergeLoopsAreRefused) {
  EXPECT_THAT(ErrorOf("groups:\n- &a\n  name: x\n  <<: *a\n"),
              HasSubstr("r.yaml:2:3: map merges nest too deep or contain themselves"));
}

TEST(RuleFileTest, NotYaml) {
  EXPECT_THAT(ErrorOf("this is: not: yaml\n"), HasSubstr("r.yaml:1:"));
  EXPECT_THAT(ErrorOf(","), HasSubstr("r.yaml:1:1"));
  EXPECT_THAT(ErrorOf("groups: [\n"), HasSubstr("r.yaml:"));
}

TEST(LoadRuleFilesTest, GlobsSortedEachFileOnce) {
  testing::TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.Sub(name)) << text;
  };
  write("b.yaml", "groups:\n- name: b\n  rules:\n  - record: b\n    expr: up\n");
  write("a.yaml", "groups:\n- name: a\n");
  write("c.txt", "groups:\n- name: c\n");
  absl::StatusOr<std::vector<RuleGroup>> groups =
      LoadRuleFiles({dir.Sub("*.yaml"), dir.Sub("a.yaml"), dir.Sub("none*.yaml")});
  ASSERT_THAT(groups, IsOk());
  ASSERT_THAT(*groups, SizeIs(2));
  EXPECT_EQ((*groups)[0].name, "a");
  EXPECT_EQ((*groups)[0].file, dir.Sub("a.yaml"));
  EXPECT_EQ((*groups)[1].name, "b");
  EXPECT_THAT((*groups)[1].rules, SizeIs(1));

  // The same group name in two files is fine; problems of every file are listed.
  write("x.yaml", "groups:\n- name: a\n  rules:\n  - record: x\n");
  write("y.yaml", "groups:\n- name: \"\"\n");
  EXPECT_THAT(LoadRuleFiles({dir.Sub("[xy].yaml")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr(dir.Sub("x.yaml") + ":4:5:"),
                                        HasSubstr(dir.Sub("y.yaml") + ":2:3:"))));
}

}  // namespace
}  // namespace plumbline::query
