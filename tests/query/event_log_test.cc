// The deploy log's parsing (query/event_json.h, query/graphite_events.h) and its one way in,
// EventLog, over a real engine in a temp dir.
#include "query/event_log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "query/event_json.h"
#include "query/graphite_events.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::query {
namespace {

using storage::Eq;
using storage::Point;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'651'200'000;  // 2026-11-26T00:00:00Z

const std::vector<std::string>& Types() { return DefaultEventTypes(); }

// --- event JSON -------------------------------------------------------------------------

TEST(EventJson, ParsesEveryFieldAndPrintsItBack) {
  absl::StatusOr<storage::Event> e = ParseEventJson(
      R"({"type":"deploy","service":"api","who":"alice","what":"a1b2c3 fix login",
          "url":"https://ci/1","env":"prod","time":1764130000,"end":1764130090.5,
          "tags":{"region":"eu","canary":"yes"}})",
      kNow, Types());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "deploy");
  EXPECT_EQ(e->time_ms, 1'764'130'000'000);
  EXPECT_EQ(e->end_ms, 1'764'130'090'500);
  e->id = 7;
  EXPECT_EQ(EventToJson(*e),
            R"({"id":7,"type":"deploy","service":"api","env":"prod","who":"alice",)"
            R"("what":"a1b2c3 fix login","url":"https://ci/1","time":1764130000,)"
            R"("end":1764130090.500,"tags":{"canary":"yes","region":"eu"}})");
}

TEST(EventJson, TimeDefaultsToNowAndTakesRfc3339) {
  absl::StatusOr<storage::Event> e = ParseEventJson(R"({"type":"flag","what":"x"})", kNow, Types());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->time_ms, kNow);
  EXPECT_EQ(e->end_ms, 0);
  e = ParseEventJson(R"({"type":"note","what":"x","time":"2026-11-26T00:00:01.5Z"})", kNow,
                     Types());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->time_ms, kNow + 1500);
  EXPECT_THAT(EventToJson(*e), HasSubstr(R"("time":1795651201.500,"tags":{}})"));
}

TEST(EventJson, ErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"deploy","what":)", "body: not valid JSON"},
      {R"([1,2])", "body: expected a JSON object, got an array"},
      {R"({"what":"x"})", "type: required: one of deploy, flag, config, incident, note"},
      {R"({"type":"rollout","what":"x"})",
       "type: expected one of deploy, flag, config, "
       "incident, note, got \"rollout\""},
      {R"({"type":"deploy"})", "what: required"},
      {R"({"type":"deploy","what":"x","servce":"api"})", "servce: unknown field"},
      {R"({"type":"deploy","what":"x","id":3})", "id: assigned by the server"},
      {R"({"type":"deploy","what":7})", "what: expected a string, got a number"},
      {R"({"type":"deploy","what":"x","time":"soon"})",
       "time: expected unix seconds or an RFC 3339 time, got \"soon\""},
      {R"({"type":"deploy","what":"x","time":-5})", "time: out of range"},
      {R"({"type":"deploy","what":"x","time":99999999999})", "time: out of range"},
      {R"({"type":"deploy","what":"x","time":1e300})", "time: out of range"},
      {R"({"type":"deploy","what":"x","time":4444E4443})", "body: not valid JSON: number overflow"},
      {R"({"type":"deploy","what":"x","time":100,"end":50})", "end: must be at or after time"},
      {R"js({"type":"deploy","what":"x","url":"javascript:alert(1)"})js",
       "url: expected an http:// or https:// URL"},
      {R"({"type":"deploy","what":"x","tags":{"a":1}})", "tags.a: expected a string"},
      {R"({"type":"deploy","what":"x","tags":["a"]})", "tags: expected an object of strings"},
      {std::string(R"({"type":"deploy","what":"a)") + "\xff" + R"("})", "body: not valid JSON"},
      {R"({"type":"deploy","what":")" + std::string(5000, 'x') + R"("})",
       "what: longer than 4096 bytes"},
      {std::string(kMaxEventBodyBytes + 1, ' '), "body: larger than 65536 bytes"},
  };
  for (const auto& [body, message] : cases) {
    absl::StatusOr<storage::Event> e = ParseEventJson(body, kNow, Types());
    ASSERT_FALSE(e.ok()) << body.substr(0, 80);
    EXPECT_TRUE(absl::IsInvalidArgument(e.status())) << e.status();
    EXPECT_THAT(std::string(e.status().message()), HasSubstr(message)) << body.substr(0, 80);
  }
}

TEST(EventJson, ConfiguredTypesAreAccepted) {
  std::vector<std::string> types = Types();
  types.push_back("rollout");
  EXPECT_TRUE(ParseEventJson(R"({"type":"rollout","what":"x"})", kNow, types).ok());
}

// --- Graphite ---------------------------------------------------------------------------

TEST(GraphiteTime, EveryForm) {
  const int64_t h = 3'600'000;
  EXPECT_EQ(*ParseGraphiteTimeMs("now", kNow), kNow);
  EXPECT_EQ(*ParseGraphiteTimeMs("-6h", kNow), kNow - 6 * h);
  EXPECT_EQ(*ParseGraphiteTimeMs("now-6h", kNow), kNow - 6 * h);
  EXPECT_EQ(*ParseGraphiteTimeMs("-30min", kNow), kNow - 30 * 60'000);
  EXPECT_EQ(*ParseGraphiteTimeMs("-2days", kNow), kNow - 48 * h);
  EXPECT_EQ(*ParseGraphiteTimeMs("-1w", kNow), kNow - 7 * 24 * h);
  EXPECT_EQ(*ParseGraphiteTimeMs("-1mon", kNow), kNow - 30 * 24 * h);
  EXPECT_EQ(*ParseGraphiteTimeMs("-1y", kNow), kNow - 365 * 24 * h);
  EXPECT_EQ(*ParseGraphiteTimeMs("+1h", kNow), kNow + h);
  EXPECT_EQ(*ParseGraphiteTimeMs("1764130000", kNow), 1'764'130'000'000);
  EXPECT_EQ(*ParseGraphiteTimeMs("20261126", kNow), kNow);
  EXPECT_EQ(*ParseGraphiteTimeMs("13:45_20261126", kNow), kNow + 13 * h + 45 * 60'000);
  for (const char* bad :
       {"", "soon", "nowish", "-6", "-6q", "20261331", "25:00_20261126", "-99999999999h",
        "99999999999999", "-999999999y", "now+401y", "31361216"}) {
    absl::StatusOr<int64_t> t = ParseGraphiteTimeMs(bad, kNow);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_THAT(std::string(t.status().message()), HasSubstr("expected now"));
    }
  }
}

TEST(GraphiteEvents, PostedEventMapsOntoOurs) {
  absl::StatusOr<storage::Event> e = ParseGraphiteEventJson(
      R"({"what":"deploy api","tags":["deploy","service:api","env=prod","canary"],
          "when":1764130000,"data":"a1b2c3 fix login"})",
      kNow, Types());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "deploy");
  EXPECT_EQ(e->service, "api");
  EXPECT_EQ(e->env, "prod");
  EXPECT_EQ(e->what, "deploy api\na1b2c3 fix login");
  EXPECT_EQ(e->time_ms, 1'764'130'000'000);
  EXPECT_THAT(e->tags, ElementsAre(std::pair<std::string, std::string>{"canary", ""}));
  e->id = 3;
  EXPECT_EQ(GraphiteEventsJson({*e}),
            R"([{"when":1764130000,"what":"deploy api","data":"a1b2c3 fix login",)"
            R"("tags":["deploy","api","prod","canary"],"id":3}])");
  EXPECT_TRUE(HasGraphiteTags(*e, {"deploy", "api"}));
  EXPECT_FALSE(HasGraphiteTags(*e, {"deploy", "web"}));

  // Tags as one space-separated string; no type tag: a note, at now.
  e = ParseGraphiteEventJson(R"({"what":"restart","tags":"ops region:eu"})", kNow, Types());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "note");
  EXPECT_EQ(e->time_ms, kNow);
  EXPECT_EQ(GraphiteTagsOf(*e), (std::vector<std::string>{"note", "ops", "region:eu"}));
}

TEST(GraphiteEvents, BadBodies) {
  for (const char* body : {"", "{", "[]", R"({"tags":["x"]})", R"({"what":"x","tags":3})",
                           R"({"what":"x","when":"yesterday"})", R"({"what":"x","when":-1})",
                           R"({"what":"x","extra":1})"}) {
    EXPECT_FALSE(ParseGraphiteEventJson(body, kNow, Types()).ok()) << body;
  }
  EXPECT_EQ(SplitGraphiteTags({"deploy api", "prod,eu"}),
            (std::vector<std::string>{"deploy", "api", "prod", "eu"}));
}

// --- EventLog ---------------------------------------------------------------------------

class EventLogTest : public ::testing::Test {
 protected:
  EventLogTest() : clock_(kNow) {}

  void SetUp() override { Open(); }

  void Open() {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    EventLogOptions log_options;
    log_options.hold_interval_ms = 10'000;
    log_options.hold_thread = false;  // the tests call Hold() themselves
    log_ = std::make_unique<EventLog>(engine_.get(), &clock_, log_options,
                                      [this](const storage::Event& e) { recorded_.push_back(e); });
    ASSERT_TRUE(log_->Start().ok());
  }

  void Reopen() {
    log_.reset();
    engine_.reset();
    Open();
  }

  storage::Event Deploy(std::string service, int64_t time_ms) {
    storage::Event e;
    e.type = "deploy";
    e.service = std::move(service);
    e.env = "prod";
    e.who = "alice";
    e.what = "a1b2c3";
    e.time_ms = time_ms;
    return e;
  }

  std::vector<Point> Read(std::string metric, std::string service) {
    storage::SeriesData data = storage::ReadAll(
        *engine_, {Eq("__name__", metric), Eq("service", service), Eq("type", "deploy")}, 0,
        kNow + 3'600'000);
    if (data.size() != 1) {
      ADD_FAILURE() << data.size() << " series of " << metric;
      return {};
    }
    return data.begin()->second;
  }

  plumbline::testing::TempDir dir_;
  plumbline::testing::FakeClock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<EventLog> log_;
  std::vector<storage::Event> recorded_;
};

TEST_F(EventLogTest, RecordStoresCountsAndAnnounces) {
  absl::StatusOr<storage::Event> first = log_->Record(Deploy("api", kNow - 60'000));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->id, 1u);
  absl::StatusOr<storage::Event> second = log_->Record(Deploy("api", kNow - 30'000));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->id, 2u);
  ASSERT_EQ(recorded_.size(), 2u);
  EXPECT_EQ(recorded_[1], *second);

  absl::StatusOr<std::optional<storage::Event>> stored = engine_->events()->Get(2);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(**stored, *second);

  // A 0 a millisecond before the first event, then one bump per event, at its time.
  EXPECT_THAT(
      Read("plumbline_events_total", "api"),
      ElementsAre(Point{kNow - 60'001, 0}, Point{kNow - 60'000, 1}, Point{kNow - 30'000, 2}));
  EXPECT_THAT(Read("plumbline_event_last_timestamp_seconds", "api"),
              ElementsAre(Point{kNow - 60'001, 0}, Point{kNow - 60'000, (kNow - 60'000) / 1e3},
                          Point{kNow - 30'000, (kNow - 30'000) / 1e3}));
}

TEST_F(EventLogTest, BumpsNeverGoBackNorIntoTheFuture) {
  ASSERT_TRUE(log_->Record(Deploy("api", kNow - 1000)).ok());
  // Backfilled: before the series' last sample, so just after it.
  ASSERT_TRUE(log_->Record(Deploy("api", kNow - 50'000)).ok());
  // Scheduled for tomorrow: bumped now.
  ASSERT_TRUE(log_->Record(Deploy("api", kNow + 86'400'000)).ok());
  EXPECT_THAT(Read("plumbline_events_total", "api"),
              ElementsAre(Point{kNow - 1001, 0}, Point{kNow - 1000, 1}, Point{kNow - 999, 2},
                          Point{kNow, 3}));
}

TEST_F(EventLogTest, HoldRewritesOnTheGridAndCountsSurviveARestart) {
  ASSERT_TRUE(log_->Record(Deploy("api", kNow - 15'000)).ok());
  log_->Hold(kNow - 5'000);  // grid kNow - 10 s
  log_->Hold(kNow - 5'000);  // the same grid time: nothing more
  log_->Hold(kNow + 1);      // grid kNow
  EXPECT_THAT(Read("plumbline_events_total", "api"),
              ElementsAre(Point{kNow - 15'001, 0}, Point{kNow - 15'000, 1}, Point{kNow - 10'000, 1},
                          Point{kNow, 1}));
  Reopen();
  clock_.SetMs(kNow + 20'000);
  ASSERT_TRUE(log_->Record(Deploy("api", kNow + 15'000)).ok());
  ASSERT_TRUE(log_->Record(Deploy("web", kNow + 15'000)).ok());
  EXPECT_THAT(Read("plumbline_events_total", "api"),
              ElementsAre(Point{kNow - 15'001, 0}, Point{kNow - 15'000, 1}, Point{kNow - 10'000, 1},
                          Point{kNow, 1}, Point{kNow + 15'000, 2}));
  EXPECT_THAT(Read("plumbline_events_total", "web"),
              ElementsAre(Point{kNow + 14'999, 0}, Point{kNow + 15'000, 1}));
}

TEST_F(EventLogTest, RefusesWhatItCannotKeep) {
  storage::Event old = Deploy("api", kNow - 401LL * 86'400'000);
  absl::StatusOr<storage::Event> e = log_->Record(old);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("older than the events retention"));
  storage::Event bad = Deploy("api", kNow);
  bad.what = "\xff";
  e = log_->Record(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("what: not valid UTF-8"));
  EXPECT_TRUE(recorded_.empty());
  absl::StatusOr<std::vector<storage::Event>> all =
      engine_->events()->Find({0, kNow + 86'400'000, "", "", "", 100});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace plumbline::query
