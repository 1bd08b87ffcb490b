// Chat notifiers: the `notifiers:` config, the chat line of an event, and delivery in the
// background (filters, bodies, retries, a bounded queue, shutdown), first with a fake
// DeliverFn, then with the real app::HttpDeliver against a loopback web::HttpServer.
// No timing assertions: waits are bounded, order comes from latches.
#include "query/notifier.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "app/webhook.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "prometheus/registry.h"
#include "tests/testing/status_matchers.h"
#include "web/http_server.h"
#include "web/router.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::query {
namespace {

using ::plumbline::testing::IsOk;
using ::plumbline::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Upper bound of every wait: a broken notifier fails a test, never hangs it.
constexpr absl::Duration kWait = absl::Seconds(10);
constexpr int64_t kWaitMs = 10'000;

// ---- ParseNotifiers ----

absl::StatusOr<std::vector<NotifierConfig>> Parse(const std::string& yaml) {
  const YAML::Node root = YAML::Load(yaml);
  return ParseNotifiers(root["notifiers"], "plumbline.yaml");
}

TEST(ParseNotifiersTest, ReadsEverySetting) {
  absl::StatusOr<std::vector<NotifierConfig>> configs = Parse(R"(
notifiers:
  - name: team-chat
    url: http://chat.example/hooks/abc
    format: slack
    types: [deploy, flag, incident, alert]
    services: [api, web]
    envs:
      - prod
    timeout: 2s500ms
  - name: audit
    url: HTTPS://audit.example/in?token=x
    format: json
    types: []
    envs:
    timeout: 1m
  - name: defaults
    url: https://x.example
)");
  ASSERT_THAT(configs, IsOk());
  ASSERT_EQ(configs->size(), 3u);
  const NotifierConfig& chat = (*configs)[0];
  EXPECT_EQ(chat.name, "team-chat");
  EXPECT_EQ(chat.url, "http://chat.example/hooks/abc");
  EXPECT_EQ(chat.format, NotifierConfig::Format::kSlack);
  EXPECT_THAT(chat.types, ElementsAre("deploy", "flag", "incident", "alert"));
  EXPECT_THAT(chat.services, ElementsAre("api", "web"));
  EXPECT_THAT(chat.envs, ElementsAre("prod"));
  EXPECT_EQ(chat.timeout_ms, 2500);
  const NotifierConfig& audit = (*configs)[1];
  EXPECT_EQ(audit.name, "audit");
  EXPECT_EQ(audit.format, NotifierConfig::Format::kJson);
  EXPECT_TRUE(audit.types.empty());
  EXPECT_TRUE(audit.envs.empty());
  EXPECT_EQ(audit.timeout_ms, 60'000);
  const NotifierConfig& defaults = (*configs)[2];
  EXPECT_EQ(defaults.format, NotifierConfig::Format::kSlack);
  EXPECT_TRUE(defaults.types.empty() && defaults.services.empty() && defaults.envs.empty());
  EXPECT_EQ(defaults.timeout_ms, 5000);
}

TEST(ParseNotifiersTest, AbsentOrEmptyMeansNone) {
  for (const char* yaml : {"retention: 15d\n", "notifiers:\n", "notifiers: []\n"}) {
    SCOPED_TRACE(yaml);
    absl::StatusOr<std::vector<NotifierConfig>> configs = Parse(yaml);
    ASSERT_THAT(configs, IsOk());
    EXPECT_TRUE(configs->empty());
  }
}

TEST(ParseNotifiersTest, RefusesBadSettingsNamingLineAndField) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"notifiers:\n  - name: a\n    url: http://x/\n    format: xml\n",
       R"(plumbline.yaml line 4: format: expected slack or json, got "xml")"},
      {"notifiers:\n  - url: http://x/\n    format: json\n",
       "plumbline.yaml line 2: name: required"},
      {"notifiers:\n  - format: json\n    name: a\n", "plumbline.yaml line 2: url: required"},
      {"notifiers:\n  - name: a\n    url: ftp://x/secret-token\n",
       "plumbline.yaml line 3: url: expected an http:// or https:// URL"},
      {"notifiers:\n  - name: a\n    url: http:///secret-token\n",
       "plumbline.yaml line 3: url: expected a host after the scheme"},
      {"notifiers:\n  - name: a\n    url: \"http://x/secret token\"\n",
       "plumbline.yaml line 3: url: must not contain spaces or control characters"},
      {"notifiers:\n  - name: a\n    url: http://x/\n  - name: a\n    url: http://y/\n",
       R"(plumbline.yaml line 4: name: "a" is already used on line 2)"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    colour: red\n",
       "plumbline.yaml line 4: colour: unknown key (known keys: name, url, format, types, "
       "services, envs, timeout)"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    url: http://y/\n",
       "plumbline.yaml line 4: url: given twice"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    timeout: 0\n",
       R"(plumbline.yaml line 4: timeout: must be from 100ms to 1m, got "0")"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    timeout: 2m\n",
       R"(plumbline.yaml line 4: timeout: must be from 100ms to 1m, got "2m")"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    timeout: 5x\n",
       R"(plumbline.yaml line 4: timeout: not a valid duration "5x": unknown unit "x" )"
       "(expected e.g. 500ms, 10s, 1m30s, 2h, 15d)"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    types: deploy\n",
       "plumbline.yaml line 4: types: expected a list, e.g. types: [a, b]"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    envs:\n      - prod\n      - [x]\n",
       "plumbline.yaml line 6: envs: expected a list of non-empty names"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    services: [api, \"\"]\n",
       "plumbline.yaml line 4: services: expected a list of non-empty names"},
      {"notifiers:\n  - name: \"\"\n    url: http://x/\n",
       "plumbline.yaml line 2: name: must not be empty"},
      {"notifiers:\n  - name:\n    url: http://x/\n",
       "plumbline.yaml line 2: name: expected a single value"},
      {"notifiers:\n  - name: [a]\n    url: http://x/\n",
       "plumbline.yaml line 2: name: expected a single value"},
      {"notifiers:\n  - name: a\n    url: http://x/\n    format:\n",
       "plumbline.yaml line 4: format: expected a single value"},
      {"notifiers: {name: a}\n",
       "plumbline.yaml line 1: notifiers: expected a list of notifiers (- name: ..., url: ...)"},
      {"notifiers:\n  - name: a\n    url: http://x/\n  - team-chat\n",
       "plumbline.yaml line 4: notifiers: expected a notifier: a mapping with name, url and "
       "optional settings"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(Parse(c.yaml), StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

// ---- EventMessage ----

storage::Event MakeEvent(std::string type, std::string who, std::string service, std::string env,
                         std::string what, std::string url = "") {
  storage::Event e;
  e.type = std::move(type);
  e.who = std::move(who);
  e.service = std::move(service);
  e.env = std::move(env);
  e.what = std::move(what);
  e.url = std::move(url);
  e.time_ms = 1'764'130'000'000;
  return e;
}

TEST(EventMessageTest, ReadsLikeAPersonWroteIt) {
  struct Case {
    storage::Event event;
    const char* message;
  };
  const Case cases[] = {
      {MakeEvent("deploy", "alice", "api", "prod", "a1b2c3 fix login", "https://ci/1"),
       "alice deployed api a1b2c3 fix login (prod) — https://ci/1"},
      {MakeEvent("flag", "bob", "checkout", "prod", "checkout_v2 → 10 %"),
       "bob flipped flag on checkout: checkout_v2 → 10 % (prod)"},
      {MakeEvent("config", "carol", "api", "", "pool size 50"),
       "carol pushed config to api: pool size 50"},
      {MakeEvent("incident", "dave", "api", "prod", "checkout answers 500"),
       "dave opened an incident on api: checkout answers 500 (prod)"},
      {MakeEvent("note", "erin", "api", "staging", "disk cleaned"),
       "erin noted on api: disk cleaned (staging)"},
      {MakeEvent("rollback", "frank", "api", "", "to v41", "https://ci/2"),
       "frank rollback api: to v41 — https://ci/2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_EQ(EventMessage(c.event), c.message);
  }
}

TEST(EventMessageTest, LeavesOutEmptyParts) {
  struct Case {
    storage::Event event;
    const char* message;
  };
  const Case cases[] = {
      {MakeEvent("deploy", "alice", "", "", "a1b2c3"), "alice deployed a1b2c3"},
      {MakeEvent("deploy", "alice", "api", "", ""), "alice deployed api"},
      {MakeEvent("deploy", "", "", "", ""), "someone deployed"},
      {MakeEvent("deploy", "", "api", "prod", "", "https://ci/1"),
       "someone deployed api (prod) — https://ci/1"},
      {MakeEvent("flag", "bob", "", "prod", "dark_mode on"),
       "bob flipped flag: dark_mode on (prod)"},
      {MakeEvent("flag", "bob", "checkout", "", ""), "bob flipped flag on checkout"},
      {MakeEvent("config", "carol", "", "", "pool size 50"), "carol pushed config: pool size 50"},
      {MakeEvent("incident", "dave", "", "", ""), "dave opened an incident"},
      {MakeEvent("note", "", "", "", "all quiet"), "someone noted: all quiet"},
      {MakeEvent("rollback", "frank", "", "", "to v41"), "frank rollback: to v41"},
      {MakeEvent("rollback", "frank", "api", "", ""), "frank rollback api"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_EQ(EventMessage(c.event), c.message);
  }
}

TEST(EventMessageTest, KeepsOneLine) {
  EXPECT_EQ(EventMessage(MakeEvent("deploy", "alice", "api", "prod",
                                   "\n  a1b2c3 fix login  \r\nlong description\nmore")),
            "alice deployed api a1b2c3 fix login (prod)");
  EXPECT_EQ(EventMessage(MakeEvent("note", "al\nice", "a\tpi", "", "x\ty")),
            "al ice noted on a pi: x y");
  EXPECT_EQ(EventMessage(MakeEvent("note", "erin", "api", "", "\n \n")), "erin noted on api");
}

TEST(EventMessageTest, ARegionShowsItsDuration) {
  storage::Event e = MakeEvent("incident", "dave", "api", "prod", "checkout down");
  e.end_ms = e.time_ms + 90'000;
  EXPECT_EQ(EventMessage(e), "dave opened an incident on api: checkout down (prod, 1m30s)");
  e.env = "";
  EXPECT_EQ(EventMessage(e), "dave opened an incident on api: checkout down (1m30s)");
  e.end_ms = e.time_ms;  // zero length: nothing to show
  EXPECT_EQ(EventMessage(e), "dave opened an incident on api: checkout down");
}

// ---- Notifiers with a fake DeliverFn ----

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::string& notifier, const std::string& result = "") {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool notifier_matches = false;
      bool result_matches = result.empty();
      for (const auto& l : m.label) {
        if (l.name == "notifier") notifier_matches = l.value == notifier;
        if (l.name == "result") result_matches = l.value == result;
      }
      if (notifier_matches && result_matches) {
        return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      }
    }
  }
  return -1;
}

double Notifications(prometheus::Registry& registry, const std::string& notifier,
                     const std::string& result) {
  return MetricValue(registry, "plumbline_notifications_total", notifier, result);
}

// Records the calls of its DeliverFn and answers from a script. Thread-safe.
class FakeReceiver {
 public:
  struct Call {
    std::string url;
    std::string body;
    int64_t timeout_ms = 0;
  };

  // Call i gets answers[i]; the last answer repeats. No script: 200.
  void Script(std::vector<absl::StatusOr<int>> answers) {
    absl::MutexLock lock(&mu_);
    answers_ = std::move(answers);
  }
  // Calls block (up to kWait) until Release().
  void Hold() {
    absl::MutexLock lock(&mu_);
    held_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }

  DeliverFn Fn() {
    return [this](const std::string& url, const std::string& body, int64_t timeout_ms) {
      absl::MutexLock lock(&mu_);
      calls_.push_back({url, body, timeout_ms});
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](bool* held) { return !*held; }, &held_),
                           kWait);
      if (answers_.empty()) return absl::StatusOr<int>(200);
      return answers_[std::min(calls_.size(), answers_.size()) - 1];
    };
  }

  // Waits (bounded) until at least `n` calls were made.
  bool WaitForCalls(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }

  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<std::string> BodiesTo(const std::string& url) {
    std::vector<std::string> bodies;
    for (const Call& call : calls()) {
      if (call.url == url) bodies.push_back(call.body);
    }
    return bodies;
  }

 private:
  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::StatusOr<int>> answers_ ABSL_GUARDED_BY(mu_);
  bool held_ ABSL_GUARDED_BY(mu_) = false;
};

NotifierConfig Config(std::string name, NotifierConfig::Format format = {}) {
  NotifierConfig config;
  config.url = StrCat("http://receiver/", name);
  config.name = std::move(name);
  config.format = format;
  return config;
}

Notification Note(std::string type, std::string service, std::string env, std::string text) {
  Notification n;
  n.type = std::move(type);
  n.service = std::move(service);
  n.env = std::move(env);
  n.text = std::move(text);
  n.json = nlohmann::json({{"type", n.type}, {"service", n.service}}).dump();
  return n;
}

// Backoffs of 0 ms: retries come at once.
NotifierOptions QuickRetries() {
  NotifierOptions options;
  options.first_backoff_ms = 0;
  return options;
}

std::string SlackBody(const std::string& text) { return nlohmann::json({{"text", text}}).dump(); }

TEST(NotifiersTest, FiltersByTypeServiceAndEnv) {
  FakeReceiver receiver;
  prometheus::Registry registry;
  NotifierConfig deploys = Config("deploys");
  deploys.types = {"deploy", "alert"};
  NotifierConfig api_prod = Config("api-prod");
  api_prod.services = {"api", "web"};
  api_prod.envs = {"prod"};
  Notifiers notifiers({Config("all"), deploys, api_prod}, receiver.Fn(), &registry);

  notifiers.Notify(Note("deploy", "api", "prod", "1"));
  notifiers.Notify(Note("flag", "web", "prod", "2"));
  notifiers.Notify(Note("deploy", "db", "prod", "3"));
  notifiers.Notify(Note("deploy", "api", "staging", "4"));
  notifiers.Notify(Note("alert", "", "", "5"));
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));

  EXPECT_THAT(
      receiver.BodiesTo("http://receiver/all"),
      ElementsAre(SlackBody("1"), SlackBody("2"), SlackBody("3"), SlackBody("4"), SlackBody("5")));
  EXPECT_THAT(receiver.BodiesTo("http://receiver/deploys"),
              ElementsAre(SlackBody("1"), SlackBody("3"), SlackBody("4"), SlackBody("5")));
  EXPECT_THAT(receiver.BodiesTo("http://receiver/api-prod"),
              ElementsAre(SlackBody("1"), SlackBody("2")));
  EXPECT_EQ(notifiers.GetStats("all").sent, 5u);
  EXPECT_EQ(notifiers.GetStats("deploys").sent, 4u);
  EXPECT_EQ(notifiers.GetStats("api-prod").sent, 2u);
  EXPECT_EQ(Notifications(registry, "api-prod", "sent"), 2);
  EXPECT_EQ(Notifications(registry, "api-prod", "failed"), 0);
  EXPECT_EQ(notifiers.GetStats("nobody").sent, 0u);
}

TEST(NotifiersTest, SlackBodyIsTheTextAsJson) {
  const std::string text = "say \"hi\" \\ to\nalice\t→ ok \x01 bad \xff end";
  Notification n = Note("deploy", "api", "prod", text);
  // Control characters escaped, UTF-8 kept, invalid UTF-8 replaced by U+FFFD.
  EXPECT_EQ(NotificationBody(NotifierConfig::Format::kSlack, n),
            "{\"text\":\"say \\\"hi\\\" \\\\ to\\nalice\\t→ ok \\u0001 bad \xEF\xBF\xBD end\"}");

  FakeReceiver receiver;
  Notifiers notifiers({Config("chat")}, receiver.Fn(), nullptr);
  notifiers.Notify(n);
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
  ASSERT_EQ(receiver.calls().size(), 1u);
  EXPECT_EQ(receiver.calls()[0].body, NotificationBody(NotifierConfig::Format::kSlack, n));
  EXPECT_EQ(receiver.calls()[0].timeout_ms, 5000);
  const nlohmann::json parsed = nlohmann::json::parse(receiver.calls()[0].body);
  EXPECT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed["text"], "say \"hi\" \\ to\nalice\t→ ok \x01 bad \xEF\xBF\xBD end");
}

TEST(NotifiersTest, JsonBodyIsTheRawObject) {
  FakeReceiver receiver;
  NotifierConfig config = Config("audit", NotifierConfig::Format::kJson);
  config.timeout_ms = 250;
  Notifiers notifiers({config}, receiver.Fn(), nullptr);
  Notification n = Note("deploy", "api", "prod", "alice deployed api");
  n.json = R"({"id":7,"type":"deploy","what":"a \"b\""})";
  notifiers.Notify(n);
  n.json.clear();  // no object: the text, as slack would send it
  notifiers.Notify(n);
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
  ASSERT_EQ(receiver.calls().size(), 2u);
  EXPECT_EQ(receiver.calls()[0].body, R"({"id":7,"type":"deploy","what":"a \"b\""})");
  EXPECT_EQ(receiver.calls()[0].timeout_ms, 250);
  EXPECT_EQ(receiver.calls()[1].body, R"({"text":"alice deployed api"})");
}

TEST(NotifiersTest, RetriesServerErrorsThenCountsSentOnce) {
  FakeReceiver receiver;
  receiver.Script({500, 200});
  prometheus::Registry registry;
  Notifiers notifiers({Config("chat")}, receiver.Fn(), &registry, QuickRetries());
  notifiers.Notify(Note("deploy", "api", "prod", "x"));
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
  EXPECT_EQ(receiver.calls().size(), 2u);
  EXPECT_EQ(Notifications(registry, "chat", "sent"), 1);
  EXPECT_EQ(Notifications(registry, "chat", "failed"), 0);
  EXPECT_EQ(Notifications(registry, "chat", "dropped"), 0);
}

TEST(NotifiersTest, RetriesConnectionErrorsAnd429) {
  FakeReceiver receiver;
  receiver.Script({absl::UnavailableError("cannot reach the receiver"), 429, 204});
  Notifiers notifiers({Config("chat")}, receiver.Fn(), nullptr, QuickRetries());
  notifiers.Notify(Note("deploy", "api", "prod", "x"));
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
  EXPECT_EQ(receiver.calls().size(), 3u);
  EXPECT_EQ(notifiers.GetStats("chat").sent, 1u);
  EXPECT_EQ(notifiers.GetStats("chat").failed, 0u);
}

TEST(NotifiersTest, GivesUpAfterMaxAttempts) {
  FakeReceiver receiver;
  receiver.Script({503});
  prometheus::Registry registry;
  Notifiers notifiers({Config("chat")}, receiver.Fn(), &registry, QuickRetries());
  notifiers.Notify(Note("deploy", "api", "prod", "x"));
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
  EXPECT_EQ(receiver.calls().size(), 3u);
  EXPECT_EQ(Notifications(registry, "chat", "sent"), 0);
  EXPECT_EQ(Notifications(registry, "chat", "failed"), 1);
}

TEST(NotifiersTest, DoesNotRetryOtherClientErrors) {
  for (int status : {400, 404, 301}) {
    SCOPED_TRACE(status);
    FakeReceiver receiver;
    receiver.Script({status, 200});
    prometheus::Registry registry;
    Notifiers notifiers({Config("chat")}, receiver.Fn(), &registry, QuickRetries());
    notifiers.Notify(Note("deploy", "api", "prod", "x"));
    ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
    EXPECT_EQ(receiver.calls().size(), 1u);
    EXPECT_EQ(Notifications(registry, "chat", "sent"), 0);
    EXPECT_EQ(Notifications(registry, "chat", "failed"), 1);
  }
}

TEST(NotifiersTest, DropsAndCountsWhenTheQueueIsFull) {
  FakeReceiver receiver;
  receiver.Hold();
  prometheus::Registry registry;
  NotifierOptions options;
  options.queue_capacity = 2;
  Notifiers notifiers({Config("chat")}, receiver.Fn(), &registry, options);

  notifiers.Notify(Note("deploy", "api", "prod", "1"));
  ASSERT_TRUE(receiver.WaitForCalls(1));  // "1" is in flight, held by the receiver
  for (const char* text : {"2", "3", "4", "5"}) notifiers.Notify(Note("deploy", "", "", text));
  Notifiers::Stats stats = notifiers.GetStats("chat");
  EXPECT_EQ(stats.queued, 2u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(Notifications(registry, "chat", "dropped"), 2);
  EXPECT_EQ(MetricValue(registry, "plumbline_notifier_queue_length", "chat"), 2);

  receiver.Release();
  ASSERT_TRUE(notifiers.WaitIdle(kWaitMs));
  EXPECT_THAT(receiver.BodiesTo("http://receiver/chat"),
              ElementsAre(SlackBody("1"), SlackBody("2"), SlackBody("3")));
  EXPECT_EQ(Notifications(registry, "chat", "sent"), 3);
  EXPECT_EQ(Notifications(registry, "chat", "dropped"), 2);
  EXPECT_EQ(MetricValue(registry, "plumbline_notifier_queue_length", "chat"), 0);
}

// Destroys `notifiers` on another thread; false when that did not end within kWait.
bool DestroyWithin(std::unique_ptr<Notifiers>& notifiers) {
  absl::Notification done;
  std::thread destroyer([&notifiers, &done] {
    notifiers.reset();
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(kWait)) {
    destroyer.detach();  // the test fails; the process ends soon
    return false;
  }
  destroyer.join();
  return true;
}

TEST(NotifiersTest, ShutdownWakesABackoffAndDropsWhatIsQueued) {
  FakeReceiver receiver;
  receiver.Script({503});
  prometheus::Registry registry;
  NotifierOptions options;
  options.first_backoff_ms = 3'600'000;  // an hour: only shutdown ends it
  options.shutdown_drain_ms = 0;
  auto notifiers =
      std::make_unique<Notifiers>(std::vector{Config("chat")}, receiver.Fn(), &registry, options);
  for (const char* text : {"1", "2", "3"}) notifiers->Notify(Note("deploy", "", "", text));
  ASSERT_TRUE(receiver.WaitForCalls(1));

  ASSERT_TRUE(DestroyWithin(notifiers));
  EXPECT_EQ(receiver.calls().size(), 1u);  // no retry once stopping, nothing drained
  EXPECT_EQ(Notifications(registry, "chat", "failed"), 1);
  EXPECT_EQ(Notifications(registry, "chat", "dropped"), 2);
}

TEST(NotifiersTest, ShutdownDeliversWhatIsQueuedWithinTheDrainTime) {
  FakeReceiver receiver;
  receiver.Hold();
  prometheus::Registry registry;
  NotifierOptions options;
  options.shutdown_drain_ms = kWaitMs;
  auto notifiers =
      std::make_unique<Notifiers>(std::vector{Config("chat")}, receiver.Fn(), &registry, options);
  for (const char* text : {"1", "2", "3"}) notifiers->Notify(Note("deploy", "", "", text));
  ASSERT_TRUE(receiver.WaitForCalls(1));

  receiver.Release();
  ASSERT_TRUE(DestroyWithin(notifiers));
  EXPECT_THAT(receiver.BodiesTo("http://receiver/chat"),
              ElementsAre(SlackBody("1"), SlackBody("2"), SlackBody("3")));
  EXPECT_EQ(Notifications(registry, "chat", "sent"), 3);
  EXPECT_EQ(Notifications(registry, "chat", "dropped"), 0);
}

// ---- The real app::HttpDeliver against a loopback receiver ----

// A chat server on 127.0.0.1: /hook/* records what it is sent; /hang blocks until released;
// /fail answers 500 (its first request only after being released).
class HttpDeliveryTest : public ::testing::Test {
 protected:
  struct Received {
    std::string path;
    std::string content_type;
    std::string body;
  };

  HttpDeliveryTest() {
    router_.Add(Post(
        "/hook/*", "hook", [this](const web::HttpRequest& request, web::HttpResponse& response) {
          absl::MutexLock lock(&mu_);
          received_.push_back(
              {request.path, std::string(request.Header("content-type")), request.body});
          response.body = "ok";
        }));
    router_.Add(Post("/hang", "hang", [this](const web::HttpRequest&, web::HttpResponse&) {
      {
        absl::MutexLock lock(&mu_);
        ++hang_requests_;
      }
      if (!hang_entered_.HasBeenNotified()) hang_entered_.Notify();
      hang_release_.WaitForNotificationWithTimeout(absl::Seconds(30));
    }));
    router_.Add(Post("/fail", "fail", [this](const web::HttpRequest&, web::HttpResponse& response) {
      int n = 0;
      {
        absl::MutexLock lock(&mu_);
        n = ++fail_requests_;
      }
      if (n == 1) {
        fail_entered_.Notify();
        fail_release_.WaitForNotificationWithTimeout(absl::Seconds(30));
      }
      response.status = 500;
    }));
    web::HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = web::HttpServer::Start(options, &router_, &server_registry_);
    EXPECT_THAT(server, IsOk());
    if (server.ok()) server_ = *std::move(server);
  }

  ~HttpDeliveryTest() override {
    // Handlers first, so the notifiers' requests end; then the notifiers, then the server.
    if (!hang_release_.HasBeenNotified()) hang_release_.Notify();
    if (!fail_release_.HasBeenNotified()) fail_release_.Notify();
    notifiers_.reset();
    server_.reset();
  }

  static web::Route Post(std::string pattern, std::string name, web::HttpHandler handler) {
    web::Route route;
    route.pattern = std::move(pattern);
    route.methods = {"POST"};
    route.name = std::move(name);
    route.handler = std::move(handler);
    return route;
  }

  std::string Url(std::string_view path) const {
    return StrCat("http://127.0.0.1:", server_->port(), path);
  }

  NotifierConfig Config(std::string name, std::string_view path,
                        NotifierConfig::Format format = {}) const {
    NotifierConfig config;
    config.name = std::move(name);
    config.url = Url(path);
    config.format = format;
    config.timeout_ms = 60'000;  // the test releases a hanging receiver long before
    return config;
  }

  void StartNotifiers(std::vector<NotifierConfig> configs, NotifierOptions options = {}) {
    notifiers_ =
        std::make_unique<Notifiers>(std::move(configs), app::HttpDeliver(), &registry_, options);
  }

  bool WaitForReceived(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return received_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }

  std::vector<Received> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }

  web::Router router_;
  prometheus::Registry server_registry_;
  prometheus::Registry registry_;
  absl::Mutex mu_;
  std::vector<Received> received_ ABSL_GUARDED_BY(mu_);
  int hang_requests_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_requests_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Notification hang_entered_;
  absl::Notification hang_release_;
  absl::Notification fail_entered_;
  absl::Notification fail_release_;
  std::unique_ptr<web::HttpServer> server_;
  std::unique_ptr<Notifiers> notifiers_;
};

TEST_F(HttpDeliveryTest, DeliversSlackAndJsonBodies) {
  ASSERT_NE(server_, nullptr);
  StartNotifiers({Config("chat", "/hook/slack"),
                  Config("audit", "/hook/json", NotifierConfig::Format::kJson)});
  Notification n = Note("deploy", "api", "prod", "alice deployed api \"a1b2c3\" — https://ci/1");
  n.json = nlohmann::json({{"type", "deploy"}, {"what", std::string(2000, 'x')}}).dump();
  notifiers_->Notify(n);
  ASSERT_TRUE(WaitForReceived(2));
  ASSERT_TRUE(notifiers_->WaitIdle(kWaitMs));

  std::vector<Received> got = received();
  ASSERT_EQ(got.size(), 2u);
  if (got[0].path != "/hook/slack") std::swap(got[0], got[1]);
  EXPECT_EQ(got[0].path, "/hook/slack");
  EXPECT_EQ(got[0].body, R"({"text":"alice deployed api \"a1b2c3\" — https://ci/1"})");
  EXPECT_EQ(got[1].path, "/hook/json");
  EXPECT_EQ(got[1].body, n.json);
  for (const Received& r : got) EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Notifications(registry_, "chat", "sent"), 1);
  EXPECT_EQ(Notifications(registry_, "audit", "sent"), 1);
}

TEST_F(HttpDeliveryTest, AHangingReceiverBlocksNeitherNotifyNorOtherNotifiers) {
  ASSERT_NE(server_, nullptr);
  StartNotifiers({Config("stuck", "/hang"), Config("chat", "/hook/chat")});
  notifiers_->Notify(Note("deploy", "api", "prod", "1"));
  ASSERT_TRUE(hang_entered_.WaitForNotificationWithTimeout(kWait));

  // The receiver of "stuck" holds its first request until the test releases it.
  notifiers_->Notify(Note("deploy", "api", "prod", "2"));
  notifiers_->Notify(Note("deploy", "api", "prod", "3"));
  ASSERT_FALSE(hang_release_.HasBeenNotified());  // Notify() returned while it is blocked
  ASSERT_TRUE(WaitForReceived(3));                // and "chat" delivered meanwhile
  EXPECT_EQ(notifiers_->GetStats("stuck").queued, 2u);
  EXPECT_EQ(notifiers_->GetStats("stuck").sent, 0u);
  std::vector<std::string> bodies;
  for (const Received& r : received()) bodies.push_back(r.body);
  EXPECT_THAT(bodies, ElementsAre(SlackBody("1"), SlackBody("2"), SlackBody("3")));

  hang_release_.Notify();
  ASSERT_TRUE(notifiers_->WaitIdle(kWaitMs));
  EXPECT_EQ(notifiers_->GetStats("stuck").sent, 3u);
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(hang_requests_, 3);
}

TEST_F(HttpDeliveryTest, AFailingReceiverDoesNotBlockNotifyAndIsRetried) {
  ASSERT_NE(server_, nullptr);
  NotifierOptions options;
  options.first_backoff_ms = 1;
  StartNotifiers({Config("broken", "/fail")}, options);
  notifiers_->Notify(Note("alert", "", "", "HighErrorRate firing"));
  ASSERT_TRUE(fail_entered_.WaitForNotificationWithTimeout(kWait));
  notifiers_->Notify(Note("alert", "", "", "HighErrorRate resolved"));
  ASSERT_FALSE(fail_release_.HasBeenNotified());  // Notify() returned while it is blocked
  EXPECT_EQ(notifiers_->GetStats("broken").queued, 1u);

  fail_release_.Notify();
  ASSERT_TRUE(notifiers_->WaitIdle(kWaitMs));
  EXPECT_EQ(notifiers_->GetStats("broken").failed, 2u);
  EXPECT_EQ(notifiers_->GetStats("broken").sent, 0u);
  EXPECT_EQ(Notifications(registry_, "broken", "failed"), 2);
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(fail_requests_, 6);  // 3 attempts each
}

TEST_F(HttpDeliveryTest, HttpDeliverReturnsTheStatus) {
  ASSERT_NE(server_, nullptr);
  const DeliverFn deliver = app::HttpDeliver();
  absl::StatusOr<int> status = deliver(Url("/hook/direct"), "{}", kWaitMs);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(*status, 200);
  status = deliver(Url("/missing"), "{}", kWaitMs);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(*status, 404);
}

TEST_F(HttpDeliveryTest, AnUnreachableReceiverIsAnErrorWithoutTheUrl) {
  ASSERT_NE(server_, nullptr);
  const std::string url = Url("/hook/secret-token");
  server_.reset();  // nothing listens on the port any more
  absl::StatusOr<int> result = app::HttpDeliver()(url, "{}", kWaitMs);
  EXPECT_THAT(result,
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("cannot reach the receiver: ")));
  EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr("secret-token")));
}

}  // namespace
}  // namespace plumbline::query
