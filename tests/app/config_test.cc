#include "app/config.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::app {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ConfigTest, DefaultsAreTheEmbeddedDefault) {
  ServeConfig config;
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_EQ(config.http_listen.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(config.statsd_listen->ToString(), "127.0.0.1:8125");
  EXPECT_EQ(config.graphite_listen->ToString(), "127.0.0.1:2003");
  EXPECT_EQ(config.flush_interval_ms, 10'000);
  EXPECT_EQ(config.retention_ms, 15 * kDayMs);
}

TEST(ConfigTest, EveryFlagIsAlsoAConfigKey) {
  // Each setting's default text must itself be accepted, through the same path as the file.
  for (const Setting& s : ServeSettings()) {
    SCOPED_TRACE(s.name);
    ServeConfig config;
    PL_EXPECT_OK(LoadConfigText(s.name + ": \"" + s.default_value + "\"\n", "t.yaml", &config));
  }
}

TEST(ConfigTest, LoadsYamlKeys) {
  ServeConfig config;
  PL_ASSERT_OK(LoadConfigText(R"(
data-dir: /var/lib/plumbline
http-listen: "0.0.0.0:9090"
flush-interval: 1m
log-level: debug
retention: 30d
)",
                              "p.yaml", &config));
  EXPECT_EQ(config.data_dir, "/var/lib/plumbline");
  EXPECT_EQ(config.http_listen.ToString(), "0.0.0.0:9090");
  EXPECT_EQ(config.flush_interval_ms, 60'000);
  EXPECT_EQ(config.log_level, LogLevel::kDebug);
  EXPECT_EQ(config.retention_ms, 30 * kDayMs);
}

TEST(ConfigTest, RejectsBadConfigWithFileLineAndKey) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"flush-interval: 10\n", "p.yaml line 1: flush-interval: invalid value \"10\""},
           {"\n\nretention: 12h\n",
            "p.yaml line 3: retention: invalid value \"12h\": must be at least 1d"},
           {"log-level: verbose\n", "expected one of debug, info, warn, error"},
           {"http-listen: localhost\n", "not a valid address"},
           {"data-dir: ./d\nfrobnicate: 1\n", "p.yaml line 2: unknown key \"frobnicate\""},
           {"flush-interval: [1, 2]\n", "p.yaml line 1: flush-interval: expected a single value"},
           {"- a\n- b\n", "expected a mapping"},
           {"a: [unclosed\n", "p.yaml line"},
       }) {
    SCOPED_TRACE(c.yaml);
    ServeConfig config;
    EXPECT_THAT(LoadConfigText(c.yaml, "p.yaml", &config),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(ConfigTest, DeployLogSettingsAndNotifiers) {
  ServeConfig config;
  EXPECT_EQ(config.events_retention_ms, 400 * kDayMs);
  EXPECT_EQ(config.auth_file, "");
  PL_ASSERT_OK(LoadConfigText(R"(
auth-file: /etc/plumbline/auth.yaml
events-retention: 30d
event-types: rollout, maintenance
notifiers:
  - name: team-chat
    url: http://chat.example/hooks/abc
    format: slack
    types: [deploy, flag]
  - name: audit
    url: https://audit.example/in
    format: json
)",
                              "p.yaml", &config));
  EXPECT_EQ(config.auth_file, "/etc/plumbline/auth.yaml");
  EXPECT_EQ(config.events_retention_ms, 30 * kDayMs);
  EXPECT_EQ(config.extra_event_types, (std::vector<std::string>{"rollout", "maintenance"}));
  ASSERT_EQ(config.notifiers.size(), 2u);
  EXPECT_EQ(config.notifiers[0].name, "team-chat");
  EXPECT_EQ(config.notifiers[0].types, (std::vector<std::string>{"deploy", "flag"}));
  EXPECT_EQ(config.notifiers[1].format, query::NotifierConfig::Format::kJson);

  EXPECT_THAT(LoadConfigText("event-types: Deploy!\n", "p.yaml", &config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1: event-types")));
  EXPECT_THAT(LoadConfigText("events-retention: 1h\n", "p.yaml", &config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1d")));
  EXPECT_THAT(
      LoadConfigText("flush-interval: 1s\nnotifiers:\n  - name: x\n    url: http://a/\n"
                     "    format: xml\n",
                     "p.yaml", &config),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config file p.yaml line 5: format")));
}

TEST(ConfigTest, RuleSettingsTakeListsAndMaps) {
  ServeConfig config;
  EXPECT_EQ(config.evaluation_interval_ms, 60'000);
  EXPECT_EQ(config.alert_changes_window_ms, 30 * 60'000);
  EXPECT_EQ(config.alert_service_label, "service");
  PL_ASSERT_OK(LoadConfigText(R"(
rule-files:
  - /etc/plumbline/rules/*.yaml
  - /srv/team/alerts.yaml
alertmanager-url: http://127.0.0.1:9093
external-label:
  cluster: eu1
  replica: a
evaluation-interval: 30s
external-url: https://metrics.example
alert-resend-delay: 2m
alert-for-grace-period: 5m
alert-for-outage-tolerance: 2h
alert-changes-window: 1h
alert-service-label: app
)",
                              "p.yaml", &config));
  EXPECT_EQ(config.rule_files,
            (std::vector<std::string>{"/etc/plumbline/rules/*.yaml", "/srv/team/alerts.yaml"}));
  EXPECT_EQ(config.alertmanager_urls, (std::vector<std::string>{"http://127.0.0.1:9093"}));
  EXPECT_EQ(config.external_labels,
            (std::map<std::string, std::string>{{"cluster", "eu1"}, {"replica", "a"}}));
  EXPECT_EQ(config.evaluation_interval_ms, 30'000);
  EXPECT_EQ(config.external_url, "https://metrics.example");
  EXPECT_EQ(config.alert_resend_delay_ms, 120'000);
  EXPECT_EQ(config.alert_for_grace_period_ms, 300'000);
  EXPECT_EQ(config.alert_for_outage_tolerance_ms, 7'200'000);
  EXPECT_EQ(config.alert_changes_window_ms, 3'600'000);
  EXPECT_EQ(config.alert_service_label, "app");

  // A flag replaces the file's list (flags win); repeated flags add up.
  const Setting* rule_files = FindSetting("rule-files");
  ASSERT_NE(rule_files, nullptr);
  ASSERT_TRUE(rule_files->clear);
  rule_files->clear(&config);
  PL_ASSERT_OK(ApplySetting(*rule_files, "a.yaml", "flag --rule-files", &config));
  PL_ASSERT_OK(ApplySetting(*rule_files, "b/*.yaml", "flag --rule-files", &config));
  EXPECT_EQ(config.rule_files, (std::vector<std::string>{"a.yaml", "b/*.yaml"}));

  EXPECT_THAT(LoadConfigText("alertmanager-url: 127.0.0.1:9093\n", "p.yaml", &config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1: alertmanager-url: invalid value")));
  EXPECT_THAT(LoadConfigText("external-label:\n  bad-name: x\n", "p.yaml", &config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: external-label")));
  EXPECT_THAT(LoadConfigText("rule-files:\n  - [a]\n", "p.yaml", &config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: rule-files: expected a single value")));
  EXPECT_THAT(LoadConfigText("evaluation-interval: 10ms\n", "p.yaml", &config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1s")));
}

TEST(ConfigTest, FlagErrorsNameTheFlag) {
  ServeConfig config;
  const Setting* setting = FindSetting("flush-interval");
  ASSERT_NE(setting, nullptr);
  EXPECT_THAT(ApplySetting(*setting, "soon", "flag --flush-interval", &config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("flag --flush-interval: invalid value \"soon\"")));
  EXPECT_EQ(FindSetting("no-such"), nullptr);
}

TEST(ConfigTest, EmptyFileConfiguresNothingAndMissingFileIsAnError) {
  ServeConfig config;
  PL_EXPECT_OK(LoadConfigText("", "empty.yaml", &config));
  EXPECT_EQ(config.data_dir, "./data");
  plumbline::testing::TempDir dir;
  EXPECT_THAT(LoadConfigFile(dir.Sub("missing.yaml"), &config),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.yaml")));
  { std::ofstream(dir.Sub("ok.yaml")) << "data-dir: " << dir.Sub("data") << "\n"; }
  PL_EXPECT_OK(LoadConfigFile(dir.Sub("ok.yaml"), &config));
  EXPECT_EQ(config.data_dir, dir.Sub("data"));
}

}  // namespace
}  // namespace plumbline::app
