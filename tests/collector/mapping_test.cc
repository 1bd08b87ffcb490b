#include "collector/mapping.h"

#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/labels.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::collector {
namespace {

using ::plumbline::testing::IsOk;
using ::plumbline::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<Mapper> Load(std::string_view yaml) {
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadText(yaml, "rules.yaml");
  EXPECT_THAT(mapper, IsOk());
  return mapper.ok() ? *std::move(mapper) : Mapper::Empty();
}

// "name{a=1,b=2}", "drop", "no match" or "invalid name": one line per result, for tables.
std::string Describe(const MappingResult& r) {
  switch (r.action) {
    case MappingResult::Action::kNoMatch:
      return "no match";
    case MappingResult::Action::kDrop:
      return "drop";
    case MappingResult::Action::kInvalidName:
      return "invalid name";
    case MappingResult::Action::kMap:
      break;
  }
  std::string out = r.name + "{";
  for (size_t i = 0; i < r.labels.size(); ++i) {
    StrAppend(&out, i == 0 ? "" : ",", r.labels[i].name, "=", r.labels[i].value);
  }
  return out + "}";
}

std::string MapOne(const Mapper& mapper, std::string_view name,
                   MetricType type = MetricType::kCounter) {
  MappingResult result;
  mapper.Map(name, type, &result);
  if (result.action == MappingResult::Action::kMap) {
    EXPECT_THAT(storage::ValidateMetricName(result.name), IsOk()) << name;
  }
  return Describe(result);
}

struct Case {
  std::string_view name;
  std::string_view want;
  MetricType type = MetricType::kCounter;
};

void ExpectMaps(const Mapper& mapper, std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(StrCat("\"", c.name, "\" type ", static_cast<int>(c.type)));
    EXPECT_EQ(MapOne(mapper, c.name, c.type), c.want);
  }
}

TEST(MapperTest, GlobStarMatchesOneNonEmptyComponent) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "test.dispatcher.*.*.*"
  name: "dispatcher_events_total"
  labels: {processor: "$1", action: "$2", outcome: "$3", job: "test_dispatcher"}
- match: "*.signup.*.*"
  name: "signup_events_total"
  labels: {provider: "$2", outcome: "$3", job: "${1}_server"}
- match: "a.b"
  name: "ab"
)yaml");
  ExpectMaps(*mapper,
             {{"test.dispatcher.FooProcessor.send.success",
               "dispatcher_events_total{processor=FooProcessor,action=send,outcome=success,"
               "job=test_dispatcher}"},
              {"foo_product.signup.facebook.failure",
               "signup_events_total{provider=facebook,outcome=failure,job=foo_product_server}"},
              {"test.web-server.foo.bar", "no match"},
              {"test.dispatcher.a.b", "no match"},            // too few components
              {"test.dispatcher.a.b.c.d", "no match"},        // too many
              {"test.dispatcher..send.success", "no match"},  // `*` is never empty
              {"test.dispatcher.a.b.", "no match"},
              {"a.b", "ab{}"},
              {"a.bc", "no match"},
              {"A.b", "no match"},  // literals are case-sensitive
              {"a", "no match"},
              {"", "no match"},
              {".", "no match"}});
}

TEST(MapperTest, CapturesExpandInNamesAndLabels) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "svc.*.*.timer"
  name: "${2}_$1_seconds"
  labels:
    whole: "$0"
    dollars: "$$1, $ and ${1}x"
    mix: "$2-$1"
    constant: "fixed"
- match: "^req\\.(?P<host>[^.]+)\\.(\\d+)(\\.extra)?$"
  match_type: regex
  name: "requests_${host}_total"
  labels: {code: "$2", host: "$host", optional: "[$3]"}
)yaml");
  ExpectMaps(*mapper,
             {{"svc.api.get.timer",
               "get_api_seconds{whole=svc.api.get.timer,dollars=$1, $ and apix,mix=get-api,"
               "constant=fixed}"},
              {"req.web1.200", "requests_web1_total{code=200,host=web1,optional=[]}"},
              {"req.web1.200.extra", "requests_web1_total{code=200,host=web1,optional=[.extra]}"},
              {"req.web1.abc", "no match"}});
}

TEST(MapperTest, ExpandedNamesAreSanitizedAndEmptyNamesAreInvalid) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "api.*"
  name: "api_$1"
- match: "num.*"
  name: "$1"
- match: "(.*)\\.empty$"
  match_type: regex
  name: "$1"
)yaml");
  ExpectMaps(*mapper, {{"api.log-in", "api_log_in{}"},
                       {"api.caf\xc3\xa9", "api_caf_{}"},
                       {"num.5xx", "_5xx{}"},
                       {"num.a:b", "a:b{}"},
                       {"x.empty", "x{}"},
                       {"a.b.empty", "a_b{}"},
                       {".empty", "invalid name"}});
}

TEST(MapperTest, HugeExpansionsAreInvalid) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "^(.*)$"
  match_type: regex
  name: "x"
  labels: {a: "$0$0", b: "$1$1"}
)yaml");
  // The name "x" and 4 copies of the StatsD name.
  const std::string ok((kMaxMappedBytes - 1) / 4, 'n');
  const std::string too_long((kMaxMappedBytes - 1) / 4 + 1, 'n');
  EXPECT_EQ(MapOne(*mapper, ok).substr(0, 6), "x{a=nn");
  EXPECT_EQ(MapOne(*mapper, too_long), "invalid name");
}

TEST(MapperTest, GlobsComeBeforeRegexesAndFileOrderDecidesAmongGlobs) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "^(.*)$"
  match_type: regex
  name: "catch_all"
- match: "a.*.c"
  name: "first"
- match: "a.b.c"
  name: "second"
- match: "a.b.*"
  name: "third"
- match: "^a\\.b\\.(.*)$"
  match_type: regex
  name: "regex_after"
)yaml");
  ExpectMaps(*mapper, {{"a.b.c", "first{}"},
                       {"a.b.d", "third{}"},
                       {"a.x.c", "first{}"},
                       {"a.b.c.d", "catch_all{}"},  // no glob has 4 components
                       {"x", "catch_all{}"}});
}

TEST(MapperTest, GlobDisableOrderingPrefersLiteralsFromTheLeft) {
  constexpr std::string_view kRules = R"yaml(
mappings:
- match: "a.*.*"
  name: "r1"
- match: "a.*.c"
  name: "r2"
- match: "a.b.*"
  name: "r3"
- match: "*.b.c"
  name: "r4"
- match: "a.b.c"
  name: "r5"
- match: "a.b.c"
  name: "r6"
)yaml";
  const std::unique_ptr<Mapper> unordered =
      Load(StrCat("defaults:\n  glob_disable_ordering: true\n", kRules));
  ExpectMaps(*unordered, {{"a.b.c", "r5{}"},  // equal globs: the first in the file
                          {"a.b.d", "r3{}"},
                          {"a.x.c", "r2{}"},
                          {"a.x.y", "r1{}"},
                          {"z.b.c", "r4{}"},
                          {"z.b.d", "no match"}});
  const std::unique_ptr<Mapper> ordered = Load(kRules);
  ExpectMaps(*ordered, {{"a.b.c", "r1{}"}, {"a.b.d", "r1{}"}, {"z.b.c", "r4{}"}});
}

TEST(MapperTest, MatchMetricTypeFiltersByStatsdType) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "m.*"
  match_metric_type: counter
  name: "counter_$1"
- match: "m.*"
  match_metric_type: gauge
  name: "gauge_$1"
- match: "m.*"
  match_metric_type: observer
  name: "observer_$1"
- match: "t.*"
  match_metric_type: timer
  name: "timer_$1"
- match: "^r\\.(.*)"
  match_type: regex
  match_metric_type: gauge
  name: "r_$1"
- match: "t.*"
  name: "any_$1"
)yaml");
  ExpectMaps(*mapper, {{"m.x", "counter_x{}", MetricType::kCounter},
                       {"m.x", "gauge_x{}", MetricType::kGauge},
                       {"m.x", "gauge_x{}", MetricType::kSet},  // a set is written as a gauge
                       {"m.x", "observer_x{}", MetricType::kTimer},
                       {"m.x", "observer_x{}", MetricType::kHistogram},
                       {"m.x", "observer_x{}", MetricType::kDistribution},
                       {"t.x", "timer_x{}", MetricType::kTimer},
                       {"t.x", "any_x{}", MetricType::kCounter},  // filtered out: next rule
                       {"r.x", "r_x{}", MetricType::kGauge},
                       {"r.x", "no match", MetricType::kCounter}});
}

TEST(MapperTest, DropActionAndUnanchoredRegex) {
  // statsd_exporter's README drops everything unmatched with the regex ".".
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "debug.*"
  action: drop
- match: "keep.*"
  name: "kept_$1"
- match: "b\\.c"
  match_type: regex
  match_metric_type: gauge
  name: "bc"
- match: "^x$"
  match_type: regex
  name: "x_exactly"
- match: "."
  match_type: regex
  action: drop
  name: "dropped"
)yaml");
  ExpectMaps(*mapper, {{"debug.x", "drop"},
                       {"keep.y", "kept_y{}"},
                       {"a.b.c.d", "bc{}", MetricType::kGauge},  // found inside the name
                       {"x", "x_exactly{}"},
                       {"xx", "drop"},
                       {"anything.else", "drop"},
                       {"", "no match"}});
}

TEST(MapperTest, EmptyMapperHasTheDefaults) {
  const std::unique_ptr<Mapper> mapper = Mapper::Empty();
  EXPECT_EQ(mapper->num_rules(), 0u);
  EXPECT_THAT(mapper->defaults().buckets,
              ElementsAre(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10));
  EXPECT_THAT(mapper->defaults().quantiles, ElementsAre(0.5, 0.9, 0.99));
  MappingResult r;
  mapper->Map("db.query", MetricType::kTimer, &r);
  EXPECT_EQ(r.action, MappingResult::Action::kNoMatch);
  EXPECT_EQ(r.observer, &mapper->defaults());
  mapper->Map("db.query", MetricType::kCounter, &r);
  EXPECT_EQ(r.action, MappingResult::Action::kNoMatch);
  EXPECT_EQ(r.observer, nullptr);
  // Empty text, comments only, and an explicit null are all "no rules".
  for (std::string_view text : {"", "# nothing\n", "~", "mappings:\n", "defaults:\nmappings: []"}) {
    SCOPED_TRACE(text);
    const std::unique_ptr<Mapper> m = Load(text);
    EXPECT_EQ(m->num_rules(), 0u);
    EXPECT_THAT(m->defaults().buckets, ElementsAreArray(kDefaultBuckets));
  }
}

TEST(MapperTest, DefaultsSectionSetsObserverOptions) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "a.*"
  name: "a"
defaults:
  buckets: [7, 8]
  histogram_options:
    buckets: [0.1, 1, .inf]
  quantiles: [{quantile: 0.3}]
)yaml");
  // histogram_options wins over the deprecated buckets; the deprecated quantiles still apply;
  // the defaults apply to rules written before them; a trailing +Inf is implied.
  EXPECT_THAT(mapper->defaults().buckets, ElementsAre(0.1, 1));
  EXPECT_THAT(mapper->defaults().quantiles, ElementsAre(0.3));
  MappingResult r;
  mapper->Map("a.x", MetricType::kHistogram, &r);
  EXPECT_EQ(r.observer, &mapper->defaults());

  const std::unique_ptr<Mapper> empty_lists = Load(R"yaml(
defaults:
  histogram_options: {buckets: []}
  summary_options: {quantiles: []}
)yaml");
  EXPECT_THAT(empty_lists->defaults().buckets, ElementsAreArray(kDefaultBuckets));
  EXPECT_THAT(empty_lists->defaults().quantiles, ElementsAreArray(kDefaultQuantiles));
}

TEST(MapperTest, RulesMayOverrideBucketsAndQuantiles) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
defaults:
  summary_options:
    quantiles: [{quantile: 0.5, error: 0.05}, {quantile: 0.99, error: 0.001}]
mappings:
- match: "*.timer"
  match_metric_type: observer
  name: "timer_${1}"
  histogram_options: {buckets: [1, 5, 10]}
- match: "*.summary"
  name: "summary_$1"
  summary_options: {quantiles: [{quantile: 0.75}], max_age: 30s, age_buckets: 3, buf_cap: 100}
- match: "*.legacy"
  name: "legacy_$1"
  timer_type: histogram
  buckets: [0.5]
- match: "*.plain"
  name: "plain_$1"
)yaml");
  MappingResult r;
  mapper->Map("db.timer", MetricType::kTimer, &r);
  EXPECT_EQ(Describe(r), "timer_db{}");
  ASSERT_NE(r.observer, nullptr);
  EXPECT_THAT(r.observer->buckets, ElementsAre(1, 5, 10));
  EXPECT_THAT(r.observer->quantiles, ElementsAre(0.5, 0.99));  // from the defaults

  mapper->Map("db.summary", MetricType::kDistribution, &r);
  ASSERT_NE(r.observer, nullptr);
  EXPECT_THAT(r.observer->buckets, ElementsAreArray(kDefaultBuckets));
  EXPECT_THAT(r.observer->quantiles, ElementsAre(0.75));

  mapper->Map("db.legacy", MetricType::kTimer, &r);
  ASSERT_NE(r.observer, nullptr);
  EXPECT_THAT(r.observer->buckets, ElementsAre(0.5));

  mapper->Map("db.plain", MetricType::kTimer, &r);
  EXPECT_EQ(r.observer, &mapper->defaults());
  mapper->Map("db.plain", MetricType::kCounter, &r);
  EXPECT_EQ(r.observer, nullptr);  // only observers have observer options
  mapper->Map("db.summary", MetricType::kGauge, &r);
  EXPECT_EQ(r.observer, nullptr);
}

TEST(MapperTest, HonorLabelsAndScaleAreCarriedToTheCaller) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "kb.*"
  name: "bytes_$1"
  scale: 1024
  honor_labels: true
  labels: {env: "default"}
  help: "ignored"
  ttl: 1m20s
- match: "plain.*"
  name: "plain"
)yaml");
  MappingResult r;
  mapper->Map("kb.read", MetricType::kCounter, &r);
  EXPECT_EQ(Describe(r), "bytes_read{env=default}");
  EXPECT_TRUE(r.honor_labels);
  EXPECT_EQ(r.scale, 1024);
  mapper->Map("plain.x", MetricType::kCounter, &r);  // the same result object, reset
  EXPECT_EQ(Describe(r), "plain{}");
  EXPECT_FALSE(r.honor_labels);
  EXPECT_EQ(r.scale, 1);
  mapper->Map("other", MetricType::kCounter, &r);
  EXPECT_EQ(Describe(r), "no match");
  EXPECT_TRUE(r.name.empty());
  EXPECT_TRUE(r.labels.empty());
}

TEST(MapperTest, LoadErrorsNameTheFileLineAndColumn) {
  struct ErrorCase {
    std::string_view yaml;
    std::string_view want;  // prefix "rules.yaml:" is checked, then this substring
  };
  const ErrorCase cases[] = {
      {"mapping:\n- match: a\n", ":1:1: unknown key \"mapping\" in the top level"},
      {"mappings:\n- match: a.b\n  name: x\n  nmae: y\n", ":4:3: unknown key \"nmae\""},
      {"defaults:\n  bucket: [1]\n", ":2:3: unknown key \"bucket\" in defaults"},
      {"defaults:\n  histogram_options: {bukets: [1]}\n", ":2:23: unknown key \"bukets\""},
      {"defaults:\n  summary_options:\n    quantiles: [{q: 0.5}]\n",
       ":3:18: unknown key \"q\" in a quantile"},
      {"mappings:\n- name: x\n", ":2:3: a mapping rule without `match`"},
      {"mappings:\n- match: \"\"\n  name: x\n", ":2:10: `match` is empty"},
      {"mappings:\n- match: a.b\n", ":2:3: a mapping rule without `name`"},
      {"mappings:\n- match: a.b\n  name:\n", ":2:3: a mapping rule without `name`"},
      {"mappings:\n- match: \"a(b\"\n  match_type: regex\n  name: x\n",
       ":2:10: invalid regex \"a(b\": missing )"},
      {"mappings:\n- match: a*.b\n  name: x\n", ":2:10: glob \"a*.b\": `*` must be a whole"},
      {"mappings:\n- match: a..b\n  name: x\n", ":2:10: glob \"a..b\" has an empty component"},
      {"mappings:\n- match: a.\n  name: x\n", "has an empty component"},
      {"mappings:\n- match: a.*\n  name: x\n  labels:\n    1bad: $1\n",
       ":5:5: invalid label name \"1bad\""},
      {"mappings:\n- match: a.*\n  name: x\n  labels:\n    __x: $1\n", ":5:5: label name \"__x\""},
      {"mappings:\n- match: a.*\n  name: x\n  labels: {le: $1}\n", ":4:12: label name \"le\""},
      {"mappings:\n- match: a.*\n  name: x\n  labels: {a: $1, a: $1}\n",
       ":4:19: duplicate key \"a\" in labels"},
      {"mappings:\n- match: a.*\n  name: x\n  labels: [a]\n", ":4:11: labels must be a map"},
      {"mappings:\n- match: a.*\n  name: x\n  labels: {a: {b: c}}\n",
       ":4:15: label a must be a string"},
      {"mappings:\n- match: a.*\n  name: x_$2\n",
       ":3:9: name: reference $2 but the match has 1 capture"},
      {"mappings:\n- match: a.*\n  name: x\n  labels: {a: \"${x}\"}\n",
       ":4:15: label a: reference $\"x\": a glob has only numbered captures"},
      {"mappings:\n- match: \"a(.*)\"\n  match_type: regex\n  name: x_$y\n",
       "reference \"$y\": the regex has no group of that name"},
      {"mappings:\n- match: a.*\n  name: \"x_${1\"\n", ":3:9: name: unterminated \"${\""},
      {"mappings:\n- match: a.*\n  name: \"x_${1a}\"\n", "invalid reference \"${1a}\""},
      {"mappings:\n- match: a.*\n  name: foo.bar\n",
       ":3:9: name \"foo.bar\": only letters, digits"},
      {"mappings:\n- match: a.*\n  name: 5x\n", ":3:9: name \"5x\" must not start with a digit"},
      {"mappings:\n- match: a.*\n  name: x\n  name: y\n", ":4:3: duplicate key \"name\""},
      {"mappings:\n- match: a.*\n  name: x\n  histogram_options: {buckets: [1, 0.5]}\n",
       ":4:36: buckets must be strictly increasing: 0.5 after 1"},
      {"defaults:\n  buckets: [1, 1]\n", ":2:16: buckets must be strictly increasing: 1 after 1"},
      {"defaults:\n  buckets: [1, .nan]\n", ":2:16: bucket bounds must be finite"},
      {"defaults:\n  buckets: [-.inf, 1]\n", ":2:13: bucket bounds must be finite"},
      {"defaults:\n  buckets: [.inf, 1]\n", ":2:13: bucket bounds must be finite"},
      {"defaults:\n  buckets: [1, x]\n", ":2:16: a bucket bound must be a number, not \"x\""},
      {"defaults:\n  buckets: 1\n", ":2:12: buckets must be a list"},
      {"defaults:\n  quantiles: [{quantile: 1}]\n", ":2:26: quantile 1 is outside (0, 1)"},
      {"defaults:\n  quantiles: [{quantile: 0}]\n", "quantile 0 is outside (0, 1)"},
      {"defaults:\n  quantiles: [{quantile: -0.5}]\n", "quantile -0.5 is outside (0, 1)"},
      {"defaults:\n  quantiles: [{quantile: 0.5}, {quantile: 0.5}]\n",
       ":2:43: duplicate quantile 0.5"},
      {"defaults:\n  quantiles: [0.5]\n", ":2:15: a quantile must be a map"},
      {"defaults:\n  quantiles: [{error: 0.1}]\n", ":2:15: a quantile without `quantile`"},
      {"defaults:\n  match_type: fuzzy\n", ":2:15: match_type must be glob or regex"},
      {"defaults:\n  observer_type: gauge\n", ":2:18: observer_type must be histogram or summary"},
      {"defaults:\n  glob_disable_ordering: maybe\n", ":2:26: glob_disable_ordering must be"},
      {"mappings:\n- match: a.*\n  action: keep\n", ":3:11: action must be map or drop"},
      {"mappings:\n- match: a.*\n  name: x\n  match_metric_type: set\n",
       ":4:22: match_metric_type must be counter, gauge or observer"},
      {"mappings:\n- match: a.*\n  name: x\n  buckets: [1]\n  histogram_options: {buckets: [2]}\n",
       ":4:3: both `buckets` and `histogram_options.buckets`"},
      {"mappings:\n- match: a.*\n  name: x\n  scale: big\n", ":4:10: scale must be a number"},
      {"mappings:\n- match: a.*\n  name: x\n  honor_labels: 2\n", ":4:17: honor_labels must be"},
      {"mappings:\n- match: a.*\n  name: x\n  help: [a]\n", ":4:9: help must be a scalar"},
      {"mappings: {match: a}\n", ":1:11: mappings must be a list"},
      {"mappings:\n- a.b\n", ":2:3: a mapping rule must be a map"},
      {"- match: a\n", ":1:1: the top level must be a map"},
      {"mappings: []\n---\nmappings: []\n", ":2:1: more than one YAML document"},  // at the ---
      {"mappings: [\n", "rules.yaml:2:1: "},           // yaml-cpp's own syntax errors
      {"mappings:\n\t- match: a\n", "rules.yaml:2:"},  // tabs
      {"a: b: c\n", "rules.yaml:1:"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadText(c.yaml, "rules.yaml");
    EXPECT_THAT(mapper, StatusIs(absl::StatusCode::kInvalidArgument,
                                 ::testing::AllOf(StartsWith("rules.yaml:"), HasSubstr(c.want))));
  }
}

TEST(MapperTest, HostileYamlIsAnErrorNotACrash) {
  const std::string deep(10'000, '[');
  for (std::string_view text :
       {std::string_view(deep), std::string_view("{{{{"), std::string_view("\xff\xfe\x00m", 4),
        std::string_view("&a [*a]"), std::string_view("*undefined"),
        std::string_view("mappings: !!binary AAAA"), std::string_view("? [a]\n: b\n"),
        // Each of these made yaml-cpp's LoadAll loop forever (found by the fuzzer).
        std::string_view(","), std::string_view("[a] ,"), std::string_view("- a\n,"),
        std::string_view("!\x1a\n?\n"), std::string_view("\"\"\\\n?\n"),
        std::string_view("mappings: []\n\"\" ? x\n")}) {
    absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadText(text, "x.yaml");
    EXPECT_THAT(mapper, StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("x.yaml")));
  }
}

TEST(MapperTest, RegexesAreSharedAndTheirTotalSizeIsBounded) {
  // Each of these regexes compiles to about 60000 RE2 instructions; a file may hold about
  // a million in all. 30 aliases of one rule compile it once.
  std::string aliases =
      "mappings:\n- &r {match: \"^\\\\pL{50}(.*)$\", match_type: regex, name: x_$1}\n";
  for (int i = 0; i < 30; ++i) aliases += "- *r\n";
  const std::unique_ptr<Mapper> mapper = Load(aliases);
  EXPECT_EQ(mapper->num_rules(), 31u);
  EXPECT_EQ(MapOne(*mapper, std::string(50, 'q') + ".tail"), "x__tail{}");

  std::string distinct = "mappings:\n";
  for (int i = 0; i < 30; ++i) {
    StrAppend(&distinct, "- {match: \"^r", i, "\\\\pL{50}$\", match_type: regex, name: r}\n");
  }
  EXPECT_THAT(Mapper::LoadText(distinct, "rules.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the regexes of this file are too large together")));
}

// The examples of statsd_exporter's README ("Metric Mapping and Configuration", Apache-2.0),
// gathered into one file as a user migrating from it would have them, with the translations
// the README documents.
constexpr std::string_view kStatsdExporterReadmeConfig = R"yaml(
defaults:
  observer_type: histogram
  histogram_options:
    buckets: [.005, .01, .025, .05, .1, .25, .5, 1, 2.5 ]
  summary_options:
    quantiles:
      - quantile: 0.99
        error: 0.001
      - quantile: 0.95
        error: 0.01
      - quantile: 0.9
        error: 0.05
      - quantile: 0.5
        error: 0.005
    max_age: 5m
    age_buckets: 2
    buf_cap: 1000
  match_type: glob
  glob_disable_ordering: false
  ttl: 0 # metrics do not expire
mappings:
- match: "test.dispatcher.*.*.*"
  name: "dispatcher_events_total"
  labels:
    processor: "$1"
    action: "$2"
    outcome: "$3"
    job: "test_dispatcher"
- match: "*.signup.*.*"
  name: "signup_events_total"
  labels:
    provider: "$2"
    outcome: "$3"
    job: "${1}_server"
- match: "test.*.*.counter"
  name: "${2}_total"
  labels:
    provider: "$1"
- match: "http.request.*"
  help: "Total number of http requests"
  name: "http_requests_total"
  labels:
    code: "$1"
- match: "test.timing.*.*.*"
  observer_type: summary
  name: "my_timer"
  labels:
    provider: "$2"
    outcome: "$3"
    job: "${1}_server"
  summary_options:
    quantiles:
      - quantile: 0.99
        error: 0.001
      - quantile: 0.95
        error: 0.01
      - quantile: 0.9
        error: 0.05
      - quantile: 0.5
        error: 0.005
    max_summary_age: 30s
    summary_age_buckets: 3
    stream_buffer_size: 1000
- match: "other.timing.*.*.*"
  timer_type: histogram
  histogram_options:
    buckets: [ 0.01, 0.025, 0.05, 0.1 ]
  name: "other_timer"
  labels:
    provider: "$2"
    outcome: "$3"
    job: "${1}_server_other"
- match: "test.foo.*"
  name: "test_foo"
  match_metric_type: counter
  labels:
    provider: "$1"
- match: "(.*)\\.(.*)--(.*)\\.status\\.(.*)\\.count"
  match_type: regex
  name: "request_total"
  labels:
    hostname: "$1"
    exec: "$2"
    protocol: "$3"
    code: "$4"
- match: "test\\.(\\w+)\\.(\\w+)\\.gauge"
  match_type: regex
  name: "${2}_gauge"
  labels:
    provider: "$1"
- match: "statsd\\..+"
  match_type: regex
  name: "$0"
  labels:
    statsd_metric_name: "$0"
- match: "."
  match_type: regex
  action: drop
  name: "dropped"
)yaml";

TEST(MapperTest, LoadsTheStatsdExporterReadmeExamples) {
  const std::unique_ptr<Mapper> mapper = Load(kStatsdExporterReadmeConfig);
  EXPECT_EQ(mapper->num_rules(), 11u);
  EXPECT_THAT(mapper->defaults().buckets,
              ElementsAre(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5));
  EXPECT_THAT(mapper->defaults().quantiles, ElementsAre(0.99, 0.95, 0.9, 0.5));
  ExpectMaps(
      *mapper,
      {{"test.dispatcher.FooProcessor.send.success",
        "dispatcher_events_total{processor=FooProcessor,action=send,outcome=success,"
        "job=test_dispatcher}"},
       {"foo_product.signup.facebook.failure",
        "signup_events_total{provider=facebook,outcome=failure,job=foo_product_server}"},
       {"test.web-server.foo.bar", "drop"},  // unmatched by the globs: the final "." drops it
       {"test.aws.requests.counter", "requests_total{provider=aws}"},
       {"http.request.404", "http_requests_total{code=404}"},
       {"test.timing.api.aws.ok", "my_timer{provider=aws,outcome=ok,job=api_server}",
        MetricType::kTimer},
       {"test.foo.bar", "test_foo{provider=bar}"},
       {"test.foo.bar", "drop", MetricType::kGauge},
       {"web1.api--http.status.200.count",
        "request_total{hostname=web1,exec=api,protocol=http,code=200}"},
       {"test.aws.queue.gauge", "queue_gauge{provider=aws}", MetricType::kGauge},
       {"statsd.my_counter", "statsd_my_counter{statsd_metric_name=statsd.my_counter}"}});
  MappingResult r;
  mapper->Map("other.timing.api.aws.ok", MetricType::kTimer, &r);
  EXPECT_EQ(Describe(r), "other_timer{provider=aws,outcome=ok,job=api_server_other}");
  ASSERT_NE(r.observer, nullptr);
  EXPECT_THAT(r.observer->buckets, ElementsAre(0.01, 0.025, 0.05, 0.1));
  EXPECT_THAT(r.observer->quantiles, ElementsAre(0.99, 0.95, 0.9, 0.5));
}

TEST(MapperTest, LoadFileReadsAndNamesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.Sub("statsd_mapping.yml");
  {
    std::ofstream out(path);
    out << "mappings:\n- match: \"a.*\"\n  name: \"a_$1\"\n";
  }
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadFile(path);
  PL_ASSERT_OK(mapper);
  EXPECT_EQ(MapOne(**mapper, "a.b"), "a_b{}");
  {
    std::ofstream out(path);
    out << "mappings:\n- match: \"a.*\"\n  nam: \"a_$1\"\n";
  }
  EXPECT_THAT(Mapper::LoadFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(path + ":3:3: unknown key")));
  EXPECT_THAT(Mapper::LoadFile(dir.Sub("missing.yml")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.yml")));
}

TEST(MappingCacheTest, RemembersResultsByNameAndTypeClass) {
  const std::unique_ptr<Mapper> mapper = Load(R"yaml(
mappings:
- match: "a.*"
  match_metric_type: observer
  name: "obs_$1"
- match: "a.*"
  name: "other_$1"
)yaml");
  MappingCache cache(mapper.get());
  EXPECT_EQ(Describe(cache.Lookup("a.x", MetricType::kTimer)), "obs_x{}");
  EXPECT_EQ(Describe(cache.Lookup("a.x", MetricType::kTimer)), "obs_x{}");
  EXPECT_EQ(Describe(cache.Lookup("a.x", MetricType::kHistogram)), "obs_x{}");  // same class
  EXPECT_EQ(Describe(cache.Lookup("a.x", MetricType::kCounter)), "other_x{}");
  EXPECT_EQ(Describe(cache.Lookup("a.x", MetricType::kGauge)), "other_x{}");
  EXPECT_EQ(Describe(cache.Lookup("a.x", MetricType::kSet)), "other_x{}");  // set is a gauge
  EXPECT_EQ(Describe(cache.Lookup("b", MetricType::kCounter)), "no match");
  EXPECT_EQ(cache.misses(), 4u);
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.Lookup("a.x", MetricType::kDistribution).observer, &mapper->defaults());
  EXPECT_EQ(&cache.mapper(), mapper.get());
}

TEST(MappingCacheTest, IsBoundedAndEvictsTheLeastRecentlyUsed) {
  const std::unique_ptr<Mapper> mapper = Load("mappings:\n- match: \"*.*\"\n  name: \"$1_$2\"\n");
  MappingCache cache(mapper.get(), 2);
  cache.Lookup("a.1", MetricType::kCounter);
  cache.Lookup("b.1", MetricType::kCounter);
  cache.Lookup("a.1", MetricType::kCounter);  // hit: b.1 is now the least recently used
  cache.Lookup("c.1", MetricType::kCounter);  // evicts b.1
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.evictions(), 1u);
  const uint64_t hits = cache.hits();
  EXPECT_EQ(Describe(cache.Lookup("a.1", MetricType::kCounter)), "a_1{}");
  EXPECT_EQ(cache.hits(), hits + 1);
  EXPECT_EQ(Describe(cache.Lookup("b.1", MetricType::kCounter)), "b_1{}");  // a miss again
  EXPECT_EQ(cache.hits(), hits + 1);
  EXPECT_EQ(cache.evictions(), 2u);

  MappingCache big(mapper.get(), 100);
  for (int i = 0; i < 10'000; ++i) {
    const std::string name = StrCat("n", i % 5'000, ".", i);
    SCOPED_TRACE(name);
    EXPECT_EQ(Describe(big.Lookup(name, MetricType::kGauge)), MapOne(*mapper, name));
    ASSERT_LE(big.size(), 100u);
  }
  EXPECT_EQ(big.misses(), 10'000u);
  EXPECT_EQ(big.evictions(), 10'000u - 100u);

  MappingCache tiny(mapper.get(), 0);  // taken as 1
  EXPECT_EQ(tiny.capacity(), 1u);
  EXPECT_EQ(Describe(tiny.Lookup("x.y", MetricType::kCounter)), "x_y{}");
  EXPECT_EQ(Describe(tiny.Lookup("x.z", MetricType::kCounter)), "x_z{}");
  EXPECT_EQ(Describe(tiny.Lookup("x.z", MetricType::kCounter)), "x_z{}");
  EXPECT_EQ(tiny.hits(), 1u);
}

}  // namespace
}  // namespace plumbline::collector
