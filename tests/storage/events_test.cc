#include "storage/events.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/engine.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::storage {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z
constexpr int64_t kMin = 60'000;

EventQuery Q(int64_t start, int64_t end, std::string type = "", std::string service = "",
             std::string env = "", size_t limit = 1000) {
  EventQuery q;
  q.start_ms = start;
  q.end_ms = end;
  q.type = std::move(type);
  q.service = std::move(service);
  q.env = std::move(env);
  q.limit = limit;
  return q;
}

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest() : clock_(kT0) {}
  void SetUp() override { Open(); }
  void Open() {
    engine_.reset();
    EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }
  Event Deploy(std::string service, int64_t t, std::string what = "a1b2c3") {
    Event e;
    e.type = "deploy";
    e.service = std::move(service);
    e.env = "prod";
    e.who = "alice";
    e.what = std::move(what);
    e.time_ms = t;
    return e;
  }
  uint64_t MustAdd(Event e) {
    absl::StatusOr<Event> added = engine_->events()->Add(std::move(e));
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }
  std::vector<uint64_t> Ids(const EventQuery& q) {
    absl::StatusOr<std::vector<Event>> found = engine_->events()->Find(q);
    EXPECT_TRUE(found.ok()) << found.status();
    std::vector<uint64_t> ids;
    for (const Event& e : *found) ids.push_back(e.id);
    return ids;
  }

  plumbline::testing::TempDir dir_;
  plumbline::testing::FakeClock clock_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EventStoreTest, RangeReadsNewestFirstWithFilters) {
  const uint64_t a = MustAdd(Deploy("api", kT0 + 10 * kMin));
  const uint64_t b = MustAdd(Deploy("web", kT0 + 20 * kMin));
  Event flag = Deploy("api", kT0 + 30 * kMin, "checkout_v2 -> 10 %");
  flag.type = "flag";
  const uint64_t c = MustAdd(flag);
  Event staging = Deploy("api", kT0 + 40 * kMin);
  staging.env = "staging";
  const uint64_t d = MustAdd(staging);
  EXPECT_THAT(Ids(Q(kT0, kT0 + 60 * kMin)), ElementsAre(d, c, b, a));
  EXPECT_THAT(Ids(Q(kT0 + 15 * kMin, kT0 + 30 * kMin)), ElementsAre(c, b));  // both ends included
  EXPECT_THAT(Ids(Q(kT0, kT0 + 60 * kMin, "deploy")), ElementsAre(d, b, a));
  EXPECT_THAT(Ids(Q(kT0, kT0 + 60 * kMin, "", "api")), ElementsAre(d, c, a));
  EXPECT_THAT(Ids(Q(kT0, kT0 + 60 * kMin, "deploy", "api", "prod")), ElementsAre(a));
  EXPECT_THAT(Ids(Q(kT0, kT0 + 60 * kMin, "", "", "", 2)), ElementsAre(d, c));
  EXPECT_TRUE(Ids(Q(kT0 + 50 * kMin, kT0 + 60 * kMin)).empty());
  EXPECT_TRUE(Ids(Q(kT0 + 60 * kMin, kT0)).empty());
}

TEST_F(EventStoreTest, RegionsOverlappingTheRangeAreFound) {
  Event rollout = Deploy("api", kT0 + 10 * kMin);
  rollout.end_ms = kT0 + 50 * kMin;  // a slow rollout
  const uint64_t id = MustAdd(rollout);
  EXPECT_THAT(Ids(Q(kT0 + 20 * kMin, kT0 + 30 * kMin)), ElementsAre(id));
  EXPECT_TRUE(Ids(Q(kT0 + 51 * kMin, kT0 + 60 * kMin)).empty());
}

TEST_F(EventStoreTest, GetByIdAndSurviveRestart) {
  Event e = Deploy("api", kT0 + kMin);
  e.url = "https://ci.example/builds/42";
  e.tags = {{"region", "eu"}, {"canary", "true"}};
  const uint64_t id = MustAdd(e);
  const uint64_t id2 = MustAdd(Deploy("api", kT0 + 2 * kMin));
  EXPECT_EQ(id2, id + 1);
  Open();
  absl::StatusOr<std::optional<Event>> got = engine_->events()->Get(id);
  PL_ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  e.id = id;
  std::sort(e.tags.begin(), e.tags.end());
  EXPECT_EQ(**got, e);
  EXPECT_FALSE(engine_->events()->Get(999)->has_value());
  EXPECT_EQ(MustAdd(Deploy("api", kT0 + 3 * kMin)), id2 + 1);  // ids keep counting
}

TEST_F(EventStoreTest, RefusesBadFieldsNamingThem) {
  struct Case {
    std::function<void(Event&)> mutate;
    const char* message;
  };
  const std::vector<Case> cases = {
      {[](Event& e) { e.type = ""; }, "type:"},
      {[](Event& e) { e.type = "Deploy!"; }, "type:"},
      {[](Event& e) { e.what = std::string(5000, 'x'); }, "what: longer than 4096"},
      {[](Event& e) { e.who = "bad \xff"; }, "who: not valid UTF-8"},
      {[](Event& e) { e.time_ms = -1; }, "time: out of range"},
      {[](Event& e) { e.end_ms = e.time_ms - 1; }, "end:"},
      {[](Event& e) { e.end_ms = e.time_ms + 8 * 24 * 3600 * 1000LL; }, "end:"},
      {[](Event& e) {
         e.tags = {{"a", "1"}, {"a", "2"}};
       },
       "duplicate tag"},
  };
  for (const Case& c : cases) {
    Event e = Deploy("api", kT0);
    c.mutate(e);
    SCOPED_TRACE(c.message);
    EXPECT_THAT(engine_->events()->Add(e),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
  EXPECT_TRUE(Ids(Q(0, kT0 + kDayMs)).empty());  // nothing stored
}

TEST_F(EventStoreTest, RetentionDropsOnlyEventsOlderThan400Days) {
  const uint64_t old_id = MustAdd(Deploy("api", kT0));
  const uint64_t newer = MustAdd(Deploy("api", kT0 + 10 * kDayMs));
  clock_.SetMs(kT0 + 405 * kDayMs);
  PL_ASSERT_OK(engine_->events()->EnforceRetention());
  EXPECT_THAT(Ids(Q(0, kT0 + 500 * kDayMs)), ElementsAre(newer));
  EXPECT_FALSE(engine_->events()->Get(old_id)->has_value());
}

}  // namespace
}  // namespace plumbline::storage
