// The rules engine (query/rule_manager.h, rule_group.h, alerting_rule.h) over a real engine
// in a temp dir, driven by hand: no threads, evaluation times chosen by the test.
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "query/alert_notify.h"
#include "query/rule_manager.h"
#include "query/rules_api.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::query {
namespace {

using storage::Eq;
using storage::Point;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kT0 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z

struct Sent {
  std::string rule;
  std::vector<Alert> alerts;
};
struct Announced {
  std::string rule;
  Alert alert;
  bool firing;
};

class RulesTest : public ::testing::Test {
 protected:
  RulesTest() : clock_(kT0) {}

  void SetUp() override { OpenStorage(); }

  void OpenStorage() {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    promql_ = std::make_unique<PromqlEngine>(engine_.get());
  }

  // Stops everything, as a restart does (the store keeps what was written).
  void Restart() {
    rules_.reset();
    promql_.reset();
    engine_.reset();
    OpenStorage();
  }

  void WriteRules(const std::string& text, const std::string& name = "rules.yaml") {
    std::ofstream(dir_.Sub(name)) << text;
  }

  absl::Status StartRules(int64_t for_grace_period_ms = 10 * kMinute) {
    RuleEvalEnv env;
    env.storage = engine_.get();
    env.promql = promql_.get();
    env.external_labels = {{"cluster", "eu1"}};
    env.external_url = "http://plumbline.example:8080";
    env.for_grace_period_ms = for_grace_period_ms;
    env.send = [this](const Rule& rule, std::vector<Alert> alerts) {
      sent_.push_back({rule.name, std::move(alerts)});
    };
    env.announce = [this](const Rule& rule, const AlertingRule::Transition& t) {
      announced_.push_back({rule.name, t.alert, t.firing});
    };
    env.extra_annotations = RecentChangesAnnotation(engine_->events(), {});
    RuleManagerOptions options;
    options.rule_files = {dir_.Sub("*.yaml")};
    options.run_threads = false;
    options.default_interval_ms = kMinute;
    rules_ = std::make_unique<RuleManager>(std::move(env), options);
    return rules_->Start();
  }

  void Put(const std::string& metric, std::vector<storage::Label> labels, int64_t t, double v) {
    labels.push_back({"__name__", metric});
    storage::AppendBatch batch;
    batch.Add(storage::L(labels), t, v);
    absl::StatusOr<storage::AppendResult> r = engine_->Append(batch);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->appended, 1u) << "at " << t;
  }

  // Writes errors{service="api"} = v at t, then evaluates every group at t.
  void Step(int64_t t, std::optional<double> v) {
    clock_.SetMs(t);
    if (v) Put("errors", {{"service", "api"}}, t, *v);
    rules_->EvalAllAt(t);
  }

  const RuleSnapshot& OnlyRule() {
    groups_ = rules_->Groups();
    EXPECT_THAT(groups_, SizeIs(1));
    EXPECT_THAT(groups_[0].rules, SizeIs(1));
    return groups_[0].rules[0];
  }

  std::vector<std::string> States() {
    std::vector<std::string> out;
    for (const Alert& a : OnlyRule().alerts) out.emplace_back(AlertStateName(a.state));
    return out;
  }

  Vector Instant(const std::string& expr, int64_t t) {
    absl::StatusOr<QueryResult> r = promql_->Instant(expr, t);
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status();
    if (!r.ok()) return {};
    const Vector* v = std::get_if<Vector>(&r->value);
    EXPECT_NE(v, nullptr) << expr;
    return v != nullptr ? *v : Vector{};
  }

  plumbline::testing::TempDir dir_;
  plumbline::testing::FakeClock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<PromqlEngine> promql_;
  std::unique_ptr<RuleManager> rules_;
  std::vector<GroupSnapshot> groups_;
  std::vector<Sent> sent_;
  std::vector<Announced> announced_;
};

constexpr char kHighErrors[] = R"(groups:
  - name: api
    rules:
      - alert: HighErrors
        expr: errors > 5
        for: 5m
        labels:
          severity: page
          team: "{{ $labels.service }}-team"
        annotations:
          summary: "{{ $labels.service }} has {{ $value }} errors in {{ $externalLabels.cluster }}"
)";

TEST_F(RulesTest, PendingThenFiringAfterForThenResolved) {
  WriteRules(kHighErrors);
  ASSERT_TRUE(StartRules().ok());
  Step(kT0, 10);
  EXPECT_THAT(States(), ElementsAre("pending"));
  const Alert& a = OnlyRule().alerts[0];
  EXPECT_EQ(a.labels.ToString(),
            R"({alertname="HighErrors", service="api", severity="page", team="api-team"})");
  EXPECT_EQ(a.annotations.at("summary"), "api has 10 errors in eu1");
  EXPECT_EQ(a.active_at_ms, kT0);
  EXPECT_EQ(OnlyRule().health, "ok");

  for (int m = 1; m <= 4; ++m) Step(kT0 + m * kMinute, 10 + m);
  EXPECT_THAT(States(), ElementsAre("pending"));
  EXPECT_THAT(sent_, IsEmpty()) << "pending alerts do not go to Alertmanager";
  EXPECT_THAT(announced_, IsEmpty());

  Step(kT0 + 5 * kMinute, 20);
  EXPECT_THAT(States(), ElementsAre("firing"));
  EXPECT_EQ(OnlyRule().alerts[0].fired_at_ms, kT0 + 5 * kMinute);
  EXPECT_EQ(OnlyRule().alerts[0].value, 20);
  ASSERT_THAT(sent_, SizeIs(1));
  EXPECT_EQ(sent_[0].alerts[0].valid_until_ms, kT0 + 5 * kMinute + 4 * kMinute);
  ASSERT_THAT(announced_, SizeIs(1));
  EXPECT_TRUE(announced_[0].firing);

  // ALERTS: pending from the second evaluation (the first one restores), then firing.
  EXPECT_THAT(Instant(R"(ALERTS{alertname="HighErrors",alertstate="firing"})", kT0 + 5 * kMinute),
              SizeIs(1));
  EXPECT_THAT(Instant(R"(ALERTS{alertstate="pending"})", kT0 + 5 * kMinute), IsEmpty())
      << "the pending series ends with a staleness marker when the alert fires";
  EXPECT_THAT(Instant(R"(ALERTS{alertstate="pending"})", kT0 + 4 * kMinute), SizeIs(1));
  Vector for_state = Instant("ALERTS_FOR_STATE", kT0 + 5 * kMinute);
  ASSERT_THAT(for_state, SizeIs(1));
  EXPECT_EQ(for_state[0].f, kT0 / 1000);

  // Re-sent every resend delay (1m) while firing, not on every evaluation in between.
  Step(kT0 + 5 * kMinute + 30'000, 20);
  EXPECT_THAT(sent_, SizeIs(1));
  Step(kT0 + 6 * kMinute + 30'000, 20);
  EXPECT_THAT(sent_, SizeIs(2));

  // The series goes below the threshold: resolved, sent with endsAt, announced.
  Step(kT0 + 7 * kMinute, 1);
  EXPECT_THAT(States(), ElementsAre("inactive"));
  EXPECT_EQ(OnlyRule().alerts[0].resolved_at_ms, kT0 + 7 * kMinute);
  ASSERT_THAT(sent_, SizeIs(3));
  EXPECT_EQ(sent_[2].alerts[0].resolved_at_ms, kT0 + 7 * kMinute);
  ASSERT_THAT(announced_, SizeIs(2));
  EXPECT_FALSE(announced_[1].firing);
  EXPECT_THAT(Instant("ALERTS", kT0 + 7 * kMinute), IsEmpty());
  nlohmann::json alerts = nlohmann::json::parse(AlertsResponse(rules_->Groups()).body);
  EXPECT_THAT(alerts["data"]["alerts"], IsEmpty()) << "a resolved alert is not active";

  // Kept 15 minutes to be re-sent as resolved, then dropped.
  Step(kT0 + 23 * kMinute, 1);
  EXPECT_THAT(OnlyRule().alerts, IsEmpty());
}

TEST_F(RulesTest, PendingAlertThatGoesAwayIsDroppedUnannounced) {
  WriteRules(kHighErrors);
  ASSERT_TRUE(StartRules().ok());
  Step(kT0, 10);
  Step(kT0 + kMinute, 1);
  EXPECT_THAT(OnlyRule().alerts, IsEmpty());
  EXPECT_THAT(sent_, IsEmpty());
  EXPECT_THAT(announced_, IsEmpty());
}

TEST_F(RulesTest, ForZeroFiresOnFirstEvaluation) {
  WriteRules(R"(groups:
  - name: g
    rules:
      - alert: Now
        expr: errors > 5
)");
  ASSERT_TRUE(StartRules().ok());
  Step(kT0, 10);
  EXPECT_THAT(States(), ElementsAre("firing"));
  ASSERT_THAT(sent_, SizeIs(1));
  EXPECT_EQ(sent_[0].alerts[0].fired_at_ms, kT0);
}

TEST_F(RulesTest, KeepFiringForHoldsAFiringAlertAfterItsSeriesWentAway) {
  WriteRules(R"(groups:
  - name: g
    rules:
      - alert: Flappy
        expr: errors > 5
        keep_firing_for: 3m
)");
  ASSERT_TRUE(StartRules().ok());
  Step(kT0, 10);
  EXPECT_THAT(States(), ElementsAre("firing"));
  Step(kT0 + kMinute, 1);  // gone: kept firing since now
  EXPECT_THAT(States(), ElementsAre("firing"));
  EXPECT_EQ(OnlyRule().alerts[0].keep_firing_since_ms, kT0 + kMinute);
  Step(kT0 + 2 * kMinute, 10);  // back: the clock resets
  EXPECT_EQ(OnlyRule().alerts[0].keep_firing_since_ms, 0);
  Step(kT0 + 3 * kMinute, 1);
  Step(kT0 + 5 * kMinute, 1);
  EXPECT_THAT(States(), ElementsAre("firing")) << "2m of 3m";
  Step(kT0 + 6 * kMinute, 1);
  EXPECT_THAT(States(), ElementsAre("inactive"));
  EXPECT_EQ(OnlyRule().alerts[0].resolved_at_ms, kT0 + 6 * kMinute);
  ASSERT_THAT(announced_, SizeIs(2));
  EXPECT_FALSE(announced_[1].firing);
}

constexpr char kSlowAlert[] = R"(groups:
  - name: api
    rules:
      - alert: SlowBurn
        expr: errors > 5
        for: 20m
)";

TEST_F(RulesTest, RestartInTheMiddleOfForContinuesTheWait) {
  WriteRules(kSlowAlert);
  ASSERT_TRUE(StartRules().ok());
  for (int m = 0; m <= 8; ++m) Step(kT0 + m * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("pending"));

  // Down from minute 8 to minute 10: 8 of 20 minutes were spent, 12 remain (more than the
  // 10-minute grace period), so the two minutes of downtime are added to the wait.
  Restart();
  ASSERT_TRUE(StartRules().ok());
  Step(kT0 + 10 * kMinute, 10);
  EXPECT_EQ(OnlyRule().alerts[0].active_at_ms, kT0 + 2 * kMinute);
  Step(kT0 + 21 * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("pending"));
  Step(kT0 + 22 * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("firing"));
}

TEST_F(RulesTest, RestartNearTheEndOfForWaitsTheGracePeriod) {
  WriteRules(kSlowAlert);
  ASSERT_TRUE(StartRules().ok());
  for (int m = 0; m <= 15; ++m) Step(kT0 + m * kMinute, 10);
  Restart();
  ASSERT_TRUE(StartRules().ok());
  Step(kT0 + 16 * kMinute, 10);
  // 5 minutes remained, less than the grace period: it fires 10 minutes after the restart.
  EXPECT_EQ(OnlyRule().alerts[0].active_at_ms, kT0 + 16 * kMinute + 10 * kMinute - 20 * kMinute);
  Step(kT0 + 25 * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("pending"));
  Step(kT0 + 26 * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("firing"));
}

TEST_F(RulesTest, RestartWithoutStoredStateStartsOver) {
  WriteRules(kSlowAlert);
  ASSERT_TRUE(StartRules().ok());
  Step(kT0, 10);  // the first evaluation only restores: no ALERTS_FOR_STATE yet
  Restart();
  ASSERT_TRUE(StartRules().ok());
  Step(kT0 + kMinute, 10);
  EXPECT_EQ(OnlyRule().alerts[0].active_at_ms, kT0 + kMinute);
}

TEST_F(RulesTest, RecordingRuleOutputEqualsTheExpression) {
  WriteRules(R"(groups:
  - name: rec
    interval: 30s
    rules:
      - record: service:errors:sum
        expr: sum by (service) (errors)
        labels:
          source: rule
      - record: service:errors:doubled
        expr: service:errors:sum * 2
)");
  ASSERT_TRUE(StartRules().ok());
  Put("errors", {{"service", "api"}, {"host", "a"}}, kT0, 3);
  Put("errors", {{"service", "api"}, {"host", "b"}}, kT0, 4);
  Put("errors", {{"service", "web"}, {"host", "a"}}, kT0, 1);
  rules_->EvalAllAt(kT0);
  Vector direct = Instant("sum by (service) (errors)", kT0);
  Vector recorded = Instant("service:errors:sum", kT0);
  ASSERT_THAT(recorded, SizeIs(2));
  ASSERT_THAT(direct, SizeIs(2));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(recorded[i].f, direct[i].f);
    EXPECT_EQ(recorded[i].metric.Get("service"), direct[i].metric.Get("service"));
    EXPECT_EQ(recorded[i].metric.Get("source"), "rule");
    EXPECT_EQ(recorded[i].t, kT0);
  }
  // The second rule reads what the first one stored at the same timestamp.
  Vector doubled = Instant("service:errors:doubled", kT0);
  ASSERT_THAT(doubled, SizeIs(2));
  EXPECT_EQ(doubled[0].f, 14);
  EXPECT_EQ(rules_->Groups()[0].interval_ms, 30'000);

  // web's series goes away: its recorded series ends with a staleness marker.
  Put("errors", {{"service", "api"}, {"host", "a"}}, kT0 + 6 * kMinute, 3);
  rules_->EvalAllAt(kT0 + 6 * kMinute);
  EXPECT_THAT(Instant("service:errors:sum", kT0 + 6 * kMinute), SizeIs(1));
  storage::SeriesData raw =
      storage::ReadAll(*engine_, {Eq("__name__", "service:errors:sum"), Eq("service", "web")}, 0,
                       kT0 + kMinute * 10);
  ASSERT_THAT(raw, SizeIs(1));
  ASSERT_THAT(raw.begin()->second, SizeIs(2));
  EXPECT_TRUE(IsStaleNaN(raw.begin()->second[1].v));
}

TEST_F(RulesTest, FailuresAreReportedPerRuleAndTheOthersRun) {
  WriteRules(R"(groups:
  - name: g
    limit: 1
    rules:
      - record: too_many
        expr: errors
      - alert: Dup
        expr: errors
        labels:
          host: same
      - record: fine
        expr: count(errors)
)");
  ASSERT_TRUE(StartRules().ok());
  Put("errors", {{"service", "api"}, {"host", "a"}}, kT0, 3);
  Put("errors", {{"service", "api"}, {"host", "b"}}, kT0, 4);
  rules_->EvalAllAt(kT0);
  std::vector<GroupSnapshot> groups = rules_->Groups();
  ASSERT_THAT(groups[0].rules, SizeIs(3));
  EXPECT_EQ(groups[0].rules[0].health, "err");
  EXPECT_EQ(groups[0].rules[0].last_error, "exceeded limit of 1 with 2 series");
  EXPECT_EQ(groups[0].rules[1].health, "err");
  EXPECT_EQ(groups[0].rules[1].last_error,
            "vector contains metrics with the same labelset after applying alert labels");
  EXPECT_EQ(groups[0].rules[2].health, "ok");
  EXPECT_THAT(Instant("fine", kT0), SizeIs(1));
  EXPECT_THAT(Instant("too_many", kT0), IsEmpty());
}

TEST_F(RulesTest, ReloadKeepsAlertsAndABadReloadKeepsTheOldRules) {
  WriteRules(kHighErrors);
  ASSERT_TRUE(StartRules().ok());
  for (int m = 0; m <= 5; ++m) Step(kT0 + m * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("firing"));
  const size_t announced = announced_.size();

  WriteRules(
      "groups:\n  - name: api\n    rules:\n      - alert: HighErrors\n        expr: errors >\n");
  absl::Status bad = rules_->Reload();
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.message(), HasSubstr("rules.yaml:5"));
  EXPECT_THAT(bad.message(), HasSubstr("HighErrors"));
  EXPECT_THAT(States(), ElementsAre("firing")) << "the old rules keep running";

  std::string changed = kHighErrors;
  changed.replace(changed.find("for: 5m"), 7, "for: 10m");
  WriteRules(changed);
  ASSERT_TRUE(rules_->Reload().ok());
  EXPECT_THAT(States(), ElementsAre("firing")) << "same group, same alert: state kept";
  EXPECT_EQ(OnlyRule().rule.for_ms, 10 * kMinute);
  Step(kT0 + 6 * kMinute, 10);
  EXPECT_THAT(States(), ElementsAre("firing"));
  EXPECT_EQ(announced_.size(), announced) << "a reload does not re-announce";
}

TEST_F(RulesTest, AlertsNameTheRecentChangesOfTheirService) {
  WriteRules(kHighErrors);
  ASSERT_TRUE(StartRules().ok());
  auto add = [&](std::string type, std::string service, std::string who, std::string what,
                 int64_t t) {
    storage::Event e;
    e.type = std::move(type);
    e.service = std::move(service);
    e.who = std::move(who);
    e.what = std::move(what);
    e.url = "https://ci.example/1";
    e.time_ms = t;
    ASSERT_TRUE(engine_->events()->Add(e).ok());
  };
  add("deploy", "api", "alice", "a1b2c3 fix login", kT0 - 14 * kMinute);
  add("deploy", "web", "carol", "other service", kT0 - 10 * kMinute);
  add("flag", "api", "bob", "checkout_v2 → 10 %", kT0 - 6 * kMinute);
  add("deploy", "api", "dave", "too old", kT0 - 31 * kMinute);
  Step(kT0, 10);
  EXPECT_EQ(OnlyRule().alerts[0].annotations.at("recent_changes"),
            "alice deployed api a1b2c3 fix login 14 min ago; bob flipped flag on api: "
            "checkout_v2 → 10 % 6 min ago");
  for (int m = 1; m <= 5; ++m) Step(kT0 + m * kMinute, 10);
  ASSERT_THAT(announced_, SizeIs(1));
  const std::string message = AlertMessage(announced_[0].alert, true, "service");
  EXPECT_EQ(message,
            "[FIRING] HighErrors on api: value 10. api has 10 errors in eu1\n"
            "Recent changes: alice deployed api a1b2c3 fix login 19 min ago; bob flipped flag "
            "on api: checkout_v2 → 10 % 11 min ago");
}

TEST_F(RulesTest, RulesAndAlertsApiHavePrometheusShapes) {
  WriteRules(std::string(kHighErrors) + R"(      - record: api:errors
        expr: errors{service="api"}
)");
  ASSERT_TRUE(StartRules().ok());
  Step(kT0, 10);
  Step(kT0 + kMinute, 10);
  nlohmann::json rules = nlohmann::json::parse(RulesResponse(rules_->Groups(), {}).body);
  EXPECT_EQ(rules["status"], "success");
  const nlohmann::json& g = rules["data"]["groups"][0];
  EXPECT_EQ(g["name"], "api");
  EXPECT_EQ(g["file"], dir_.Sub("rules.yaml"));
  EXPECT_EQ(g["interval"], 60);
  EXPECT_EQ(g["lastEvaluation"], "2026-11-26T00:01:00Z");
  const nlohmann::json& alerting = g["rules"][0];
  EXPECT_EQ(alerting["type"], "alerting");
  EXPECT_EQ(alerting["state"], "pending");
  EXPECT_EQ(alerting["name"], "HighErrors");
  EXPECT_EQ(alerting["query"], "errors > 5");
  EXPECT_EQ(alerting["duration"], 300);
  EXPECT_EQ(alerting["health"], "ok");
  EXPECT_EQ(alerting["labels"]["severity"], "page");
  ASSERT_EQ(alerting["alerts"].size(), 1u);
  EXPECT_EQ(alerting["alerts"][0]["state"], "pending");
  EXPECT_EQ(alerting["alerts"][0]["activeAt"], "2026-11-26T00:00:00Z");
  EXPECT_EQ(alerting["alerts"][0]["value"], "1e+01");
  EXPECT_EQ(g["rules"][1]["type"], "recording");
  EXPECT_EQ(g["rules"][1]["query"], "errors{service=\"api\"}");

  nlohmann::json only_records =
      nlohmann::json::parse(RulesResponse(rules_->Groups(), {{"type", "record"}}).body);
  EXPECT_EQ(only_records["data"]["groups"][0]["rules"].size(), 1u);
  EXPECT_EQ(RulesResponse(rules_->Groups(), {{"type", "bogus"}}).status, 400);

  nlohmann::json alerts = nlohmann::json::parse(AlertsResponse(rules_->Groups()).body);
  ASSERT_EQ(alerts["data"]["alerts"].size(), 1u);
  EXPECT_EQ(alerts["data"]["alerts"][0]["labels"]["alertname"], "HighErrors");
}

TEST(AlertNotify, AlertmanagerBodyIsApiV2) {
  Alert a;
  a.labels = storage::L({{"alertname", "X"}, {"service", "api"}});
  a.annotations = {{"summary", "s"}};
  a.state = AlertState::kFiring;
  a.active_at_ms = kT0;
  a.fired_at_ms = kT0 + 1500;
  a.valid_until_ms = kT0 + 4 * kMinute;
  nlohmann::json body = nlohmann::json::parse(AlertmanagerBody(
      {a}, "http://p:8080/#/explore?expr=up", {{"cluster", "eu1"}, {"service", "no"}}));
  ASSERT_TRUE(body.is_array());
  EXPECT_EQ(body[0]["labels"],
            nlohmann::json({{"alertname", "X"}, {"service", "api"}, {"cluster", "eu1"}}));
  EXPECT_EQ(body[0]["startsAt"], "2026-11-26T00:00:01.5Z");
  EXPECT_EQ(body[0]["endsAt"], "2026-11-26T00:04:00Z");
  EXPECT_EQ(body[0]["generatorURL"], "http://p:8080/#/explore?expr=up");
  a.resolved_at_ms = kT0 + 2 * kMinute;
  body = nlohmann::json::parse(AlertmanagerBody({a}, "", {}));
  EXPECT_EQ(body[0]["endsAt"], "2026-11-26T00:02:00Z");
  EXPECT_EQ(GeneratorUrl("http://p:8080/", "rate(x[5m]) > 1"),
            "http://p:8080/#/explore?expr=rate%28x%5B5m%5D%29%20%3E%201");
}

TEST(AlertNotify, MessagesReadAsSentences) {
  Alert a;
  a.labels = storage::L({{"alertname", "HighErrorRate"}, {"service", "api"}, {"env", "prod"}});
  a.annotations = {{"summary", "api fails 12% of requests\nmore detail"}};
  a.value = 0.12;
  a.active_at_ms = kT0;
  EXPECT_EQ(AlertMessage(a, true, "service"),
            "[FIRING] HighErrorRate on api (prod): value 0.12. api fails 12% of requests");
  a.resolved_at_ms = kT0 + 12 * kMinute + 30'000;
  EXPECT_EQ(AlertMessage(a, false, "service"),
            "[RESOLVED] HighErrorRate on api (prod) after 12m30s. api fails 12% of requests");
  Alert drill = FireDrillAlert("api", "service", kT0);
  EXPECT_THAT(AlertMessage(drill, true, "service"),
              HasSubstr("[FIRE DRILL] [FIRING] PlumblineFireDrill on api: value 1. This is a "
                        "fire drill"));
}

TEST(AlertNotify, RecentChangesTextIsOldestFirstAndCapped) {
  std::vector<storage::Event> newest_first;
  for (int i = 0; i < 7; ++i) {
    storage::Event e;
    e.type = "deploy";
    e.service = "api";
    e.who = "u" + std::to_string(i);
    e.what = "v" + std::to_string(i);
    e.time_ms = kT0 - i * 90 * kMinute;
    newest_first.push_back(e);
  }
  EXPECT_EQ(RecentChangesText(newest_first, kT0, 3),
            "u2 deployed api v2 3 h ago; u1 deployed api v1 1 h 30 min ago; u0 deployed api v0 "
            "just now; and 4 earlier");
  EXPECT_EQ(RecentChangesText({}, kT0), "");
}

}  // namespace
}  // namespace plumbline::query
