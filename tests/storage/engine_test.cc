#include "storage/engine.h"

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <thread>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/codec/chunk.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::storage {
namespace {

using ::plumbline::testing::FakeClock;
using ::plumbline::testing::StatusIs;
using ::plumbline::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Type = LabelMatcher::Type;

constexpr int64_t kT0 = 1'764'115'200'000;  // 2025-11-26T00:00:00Z, a day boundary

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : clock_(kT0 + 3 * kDayMs) {}

  std::unique_ptr<Engine> Open(bool hold_head_log = false) {
    EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    options.hold_head_log = hold_head_log;
    options.retention_ms = 15 * kDayMs;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  AppendResult MustAppend(Engine& engine, const AppendBatch& batch) {
    absl::StatusOr<AppendResult> result = engine.Append(batch);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AppendResult();
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(EngineTest, RoundTripsAcrossChunkAndDayBoundaries) {
  auto engine = Open();
  const Labels a = L({{"__name__", "requests_total"}, {"host", "h1"}});
  const Labels b = L({{"__name__", "requests_total"}, {"host", "h2"}});
  std::vector<Point> want_a, want_b;
  // 50 hours every 10 s from 2 h before a day boundary, flushed 60 samples at a time.
  const int64_t start = kT0 + kDayMs - 2 * 3600 * 1000;
  AppendBatch batch;
  for (int i = 0; i < 18000; ++i) {
    const int64_t t = start + i * 10'000LL;
    batch.Add(a, t, i * 3.0);
    batch.Add(b, t, std::sin(i) * 1e3);
    want_a.push_back({t, i * 3.0});
    want_b.push_back({t, std::sin(i) * 1e3});
    if (batch.size() == 120) {
      EXPECT_EQ(MustAppend(*engine, batch).appended, 120u);
      batch.Clear();
    }
  }
  SeriesData got =
      ReadAll(*engine, {Eq("__name__", "requests_total")}, start, start + 50LL * 3600 * 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[a.ToString()], want_a);
  EXPECT_EQ(got[b.ToString()], want_b);

  // A window that starts and ends mid-chunk, spanning a day boundary.
  const int64_t mint = kT0 + 2 * kDayMs - 3 * 3600 * 1000 + 5'000;
  const int64_t maxt = kT0 + 2 * kDayMs + 3600 * 1000;
  std::vector<Point> want_window;
  for (const Point& p : want_a) {
    if (p.t >= mint && p.t <= maxt) want_window.push_back(p);
  }
  got = ReadAll(*engine, {Eq("host", "h1")}, mint, maxt);
  EXPECT_EQ(got[a.ToString()], want_window);

  // Still the same after a restart (sealed chunks plus the head rebuilt from its log).
  engine.reset();
  engine = Open();
  got = ReadAll(*engine, {Eq("__name__", "requests_total")}, start, start + 50LL * 3600 * 1000);
  EXPECT_EQ(got[a.ToString()], want_a);
  EXPECT_EQ(got[b.ToString()], want_b);
}

TEST_F(EngineTest, MatchersFollowPrometheusSemantics) {
  auto engine = Open();
  AppendBatch batch;
  const int64_t t = kT0 + 2 * kDayMs;
  batch.Add(L({{"__name__", "up"}, {"job", "api"}, {"env", "prod"}}), t, 1);
  batch.Add(L({{"__name__", "up"}, {"job", "api"}, {"env", "dev"}}), t, 2);
  batch.Add(L({{"__name__", "up"}, {"job", "web"}}), t, 3);
  batch.Add(L({{"__name__", "down"}, {"job", "db"}, {"env", "prod"}}), t, 4);
  MustAppend(*engine, batch);
  auto names = [&](std::vector<LabelMatcher> matchers) {
    std::vector<double> values;
    for (const auto& [labels, points] : ReadAll(*engine, matchers, t, t))
      values.push_back(points[0].v);
    std::sort(values.begin(), values.end());
    return values;
  };
  struct Case {
    const char* what;
    std::vector<LabelMatcher> matchers;
    std::vector<double> want;
  };
  std::vector<Case> cases = {
      {"equal", {Eq("job", "api")}, {1, 2}},
      {"equal empty matches missing label", {Eq("__name__", "up"), Eq("env", "")}, {3}},
      {"not equal includes missing",
       {Eq("__name__", "up"), M(Type::kNotEqual, "env", "prod")},
       {2, 3}},
      {"not equal empty means present", {M(Type::kNotEqual, "env", "")}, {1, 2, 4}},
      {"regex anchored", {M(Type::kRegexMatch, "job", "ap")}, {}},
      {"regex alternation", {M(Type::kRegexMatch, "job", "api|db")}, {1, 2, 4}},
      {"regex matching empty includes missing",
       {Eq("__name__", "up"), M(Type::kRegexMatch, "env", "prod|")},
       {1, 3}},
      {"negative regex", {Eq("__name__", "up"), M(Type::kRegexNoMatch, "env", "p.*")}, {2, 3}},
      {"negative regex not matching empty", {M(Type::kRegexNoMatch, "job", ".*")}, {}},
      {"dot matches all", {M(Type::kRegexMatch, "__name__", ".+")}, {1, 2, 3, 4}},
      {"no such value", {Eq("job", "nope")}, {}},
      {"intersection", {Eq("env", "prod"), Eq("__name__", "down")}, {4}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(names(c.matchers), c.want);
  }
  EXPECT_THAT(engine->Select({}, t, t),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("matcher")));
  EXPECT_THAT(
      LabelMatcher::Create(Type::kRegexMatch, "a", "(unclosed"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid regular expression")));
}

TEST_F(EngineTest, RefusesOutOfOrderAndTooOldAndIgnoresExactDuplicates) {
  auto engine = Open();
  const Labels s = L({{"__name__", "g"}});
  const int64_t t = kT0 + 2 * kDayMs;
  AppendBatch batch;
  batch.Add(s, t, 1);
  batch.Add(s, t + 1000, 2);
  batch.Add(s, t + 1000, 2);           // exact duplicate: ignored
  batch.Add(s, t + 1000, 3);           // same time, other value: refused
  batch.Add(s, t + 500, 9);            // older: refused
  batch.Add(s, kT0 - 20 * kDayMs, 1);  // beyond 15d retention
  AppendResult r = MustAppend(*engine, batch);
  EXPECT_EQ(r.appended, 2u);
  EXPECT_EQ(r.duplicate, 1u);
  EXPECT_EQ(r.out_of_order, 2u);
  EXPECT_EQ(r.too_old, 1u);
  ASSERT_EQ(r.refs.size(), 6u);
  EXPECT_NE(r.refs[0], 0u);
  EXPECT_EQ(r.refs[5], 0u);
  EXPECT_THAT(ReadAll(*engine, {Eq("__name__", "g")}, 0, t + 10'000)[s.ToString()],
              ElementsAre(Point{t, 1}, Point{t + 1000, 2}));
}

TEST_F(EngineTest, AppendsByRefAndReportsUnknownRefs) {
  auto engine = Open();
  const Labels s = L({{"__name__", "c"}, {"k", "v"}});
  const int64_t t = kT0 + 2 * kDayMs;
  AppendBatch batch;
  batch.Add(s, t, 1);
  const SeriesRef ref = MustAppend(*engine, batch).refs[0];
  batch.Clear();
  batch.Add(ref, t + 1, 2);
  batch.Add(ref + 1000, t + 1, 2);
  AppendResult r = MustAppend(*engine, batch);
  EXPECT_EQ(r.appended, 1u);
  EXPECT_EQ(r.unknown_ref, 1u);
  // Refs survive a restart.
  engine.reset();
  engine = Open();
  batch.Clear();
  batch.Add(ref, t + 2, 3);
  EXPECT_EQ(MustAppend(*engine, batch).appended, 1u);
  EXPECT_EQ(ReadAll(*engine, {Eq("k", "v")}, t, t + 2)[s.ToString()].size(), 3u);
}

TEST_F(EngineTest, KeepsSpecialValuesBitExact) {
  auto engine = Open();
  const Labels s = L({{"__name__", "x"}});
  const int64_t t = kT0 + 2 * kDayMs;
  const double stale = std::bit_cast<double>(codec::kStaleNaNBits);
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      1.5,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::quiet_NaN(),
                                      stale,
                                      1e308,
                                      5e-324};
  AppendBatch batch;
  std::vector<Point> want;
  for (size_t i = 0; i < values.size(); ++i) {
    batch.Add(s, t + static_cast<int64_t>(i), values[i]);
    want.push_back({t + static_cast<int64_t>(i), values[i]});
  }
  MustAppend(*engine, batch);
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "x")}, t, t + 100)[s.ToString()], want);
  clock_.AdvanceMs(3 * 3600 * 1000);
  PL_ASSERT_OK(engine->Maintain());  // seals the idle chunk
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "x")}, t, t + 100)[s.ToString()], want);
}

TEST_F(EngineTest, MaintenanceSealsIdleChunksAndTruncatesTheHeadLog) {
  auto engine = Open();
  const Labels s = L({{"__name__", "m"}});
  const int64_t t = kT0 + 2 * kDayMs;
  for (int i = 0; i < 10; ++i) {
    AppendBatch batch;
    batch.Add(s, t + i * 10'000, i);
    MustAppend(*engine, batch);
  }
  EXPECT_EQ(engine->Stats().head_samples, 10u);
  clock_.SetMs(t + 3 * 3600 * 1000);
  PL_ASSERT_OK(engine->Maintain());
  EXPECT_EQ(engine->Stats().head_samples, 0u);
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "m")}, t, t + 100'000)[s.ToString()].size(), 10u);
  engine.reset();
  engine = Open();
  EXPECT_EQ(engine->Stats().head_samples, 0u);  // nothing replayed: the log was truncated
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "m")}, t, t + 100'000)[s.ToString()].size(), 10u);
  // Evicted series come back lazily and keep refusing old samples.
  clock_.AdvanceMs(5 * 3600 * 1000);
  PL_ASSERT_OK(engine->Maintain());
  AppendBatch batch;
  batch.Add(s, t + 5, 1);
  EXPECT_EQ(MustAppend(*engine, batch).out_of_order, 1u);
}

// What ReadHeadLog reports, one string per sample: "seq labels t v".
std::vector<std::string> HeadLog(Engine& engine, uint64_t after_seq) {
  std::vector<std::string> out;
  absl::Status s =
      engine.ReadHeadLog(after_seq, [&](uint64_t seq, const Labels& labels, int64_t t, double v) {
        out.push_back(StrCat(seq, " ", labels.ToString(), " ", t, " ", v));
      });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST_F(EngineTest, HeadLogRecordsAreHeldForTheirReaderAndNumberedUpwardsAcrossRestarts) {
  auto engine = Open(/*hold_head_log=*/true);
  const Labels s = L({{"__name__", "m"}, {"host", "a"}});
  const int64_t t = kT0 + 2 * kDayMs;
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    AppendBatch batch;
    batch.Add(s, t + i * 10'000, i);
    seqs.push_back(MustAppend(*engine, batch).head_seq);
  }
  ASSERT_GT(seqs[0], 0u);
  EXPECT_EQ(seqs[1], seqs[0] + 1);
  EXPECT_EQ(seqs[2], seqs[0] + 2);
  EXPECT_EQ(engine->Stats().next_head_seq, seqs[2] + 1);
  // A reader that has queued the first record holds the others through maintenance, which
  // seals the chunk they belong to.
  engine->HoldHeadLog(seqs[1]);
  clock_.SetMs(t + 3 * 3600 * 1000);
  PL_ASSERT_OK(engine->Maintain());
  EXPECT_EQ(engine->Stats().head_samples, 0u);
  EXPECT_THAT(HeadLog(*engine, seqs[0]),
              ElementsAre(StrCat(seqs[1], " ", s.ToString(), " ", t + 10'000, " 1"),
                          StrCat(seqs[2], " ", s.ToString(), " ", t + 20'000, " 2")));
  // Released, they are truncated; numbering goes on above them after a restart that finds
  // the log empty.
  engine->HoldHeadLog(seqs[2] + 1);
  PL_ASSERT_OK(engine->Maintain());
  EXPECT_THAT(HeadLog(*engine, 0), ElementsAre());
  engine.reset();
  engine = Open(/*hold_head_log=*/true);
  EXPECT_EQ(engine->Stats().next_head_seq, seqs[2] + 1);
  AppendBatch batch;
  batch.Add(s, t + 4 * 3600 * 1000, 7);
  EXPECT_EQ(MustAppend(*engine, batch).head_seq, seqs[2] + 1);
  // A refused sample writes no record.
  AppendBatch old;
  old.Add(s, t, 1);
  EXPECT_EQ(MustAppend(*engine, old).head_seq, 0u);
}

// Keys of the chunks column family, read with RocksDB itself once the engine is closed.
std::vector<std::string> ChunkKeys(const std::string& data_dir) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, &names).ok());
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), data_dir, families, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> keys;
  if (!s.ok()) return keys;
  std::unique_ptr<rocksdb::DB> db(raw);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "chunks") continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  return keys;
}

TEST_F(EngineTest, OpenChunksAreCutInPartsAndMergedBackWhenTheirWindowCloses) {
  const Labels s = L({{"__name__", "float_gauge"}});
  const Labels c = L({{"__name__", "counter"}});
  const int64_t t = kT0 + 2 * kDayMs;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 1);
  std::vector<Point> want_s, want_c;
  double total = 0;
  {
    auto engine = Open();
    // A whole 2-hour window at 10 s, then one sample in the next window, which closes it.
    for (int i = 0; i <= 720; ++i) {
      // A restart mid-window: the parts sealed before it still get merged with the rest.
      if (i == 400) {
        engine.reset();
        engine = Open();
      }
      AppendBatch batch;
      const double v = 100 + noise(rng);  // ~6 bytes a sample: a part every ~20 samples
      total += std::floor(5 + 5 * noise(rng) * noise(rng));
      batch.Add(s, t + i * 10'000, v);
      batch.Add(c, t + i * 10'000, total);
      want_s.push_back({t + i * 10'000, v});
      want_c.push_back({t + i * 10'000, total});
      MustAppend(*engine, batch);
      // The open chunks stay small all along.
      EXPECT_LE(engine->Stats().head_bytes, 2 * (1000 + 2 * kHeadCutBytes));
    }
    // Everything reads back exactly, parts and open chunk alike, before and after the merge.
    SeriesData got = ReadAll(*engine, {M(Type::kRegexMatch, "__name__", ".+")}, t, t + kDayMs);
    EXPECT_EQ(got[s.ToString()], want_s);
    EXPECT_EQ(got[c.ToString()], want_c);
    PL_ASSERT_OK(engine->Maintain());
    got = ReadAll(*engine, {M(Type::kRegexMatch, "__name__", ".+")}, t, t + kDayMs);
    EXPECT_EQ(got[s.ToString()], want_s);
    EXPECT_EQ(got[c.ToString()], want_c);
  }
  // One chunk per series and window: the first window's parts (the gauge's ~36, the
  // counter's few) merged into one; the next window's one sample, sealed by maintenance
  // (its window ended long before the clock's now).
  EXPECT_EQ(ChunkKeys(dir_.Sub("data")).size(), 4u);
  auto engine = Open();
  SeriesData got = ReadAll(*engine, {M(Type::kRegexMatch, "__name__", ".+")}, t, t + kDayMs);
  EXPECT_EQ(got[s.ToString()], want_s);
  EXPECT_EQ(got[c.ToString()], want_c);
}

TEST_F(EngineTest, PartsLeftUnmergedByAStopAreMergedAfterTheRestart) {
  const Labels s = L({{"__name__", "float_gauge"}});
  const int64_t t = kT0 + 2 * kDayMs;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0, 1);
  std::vector<Point> want;
  {
    auto engine = Open();
    for (int i = 0; i <= 720; ++i) {  // the last sample closes the window; no maintenance
      AppendBatch batch;
      want.push_back({t + i * 10'000, 100 + noise(rng)});
      batch.Add(s, want.back().t, want.back().v);
      MustAppend(*engine, batch);
    }
  }
  EXPECT_GT(ChunkKeys(dir_.Sub("data")).size(), 10u);  // the first window, in parts
  auto engine = Open();
  PL_ASSERT_OK(engine->Maintain());
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "float_gauge")}, t, t + kDayMs)[s.ToString()], want);
  engine.reset();
  EXPECT_EQ(ChunkKeys(dir_.Sub("data")).size(), 2u);  // one per window
}

TEST_F(EngineTest, RetentionDropsWholeDaysAndExpiredSeries) {
  auto engine = Open();
  const Labels old_series = L({{"__name__", "old"}});
  const Labels live = L({{"__name__", "live"}});
  AppendBatch batch;
  for (int day = 0; day < 3; ++day) batch.Add(old_series, kT0 + day * kDayMs + 1000, day);
  for (int day = 0; day < 4; ++day) batch.Add(live, kT0 + day * kDayMs + 1000, day);
  MustAppend(*engine, batch);
  clock_.SetMs(kT0 + 4 * kDayMs);
  PL_ASSERT_OK(engine->Maintain());  // seal everything
  // 15d retention: nothing expires yet.
  PL_ASSERT_OK(engine->EnforceRetention());
  EXPECT_EQ(
      ReadAll(*engine, {M(Type::kRegexMatch, "__name__", ".+")}, kT0, kT0 + 5 * kDayMs).size(), 2u);
  // 17 days later, days 0..2 are past 15 days; day 3 is not.
  clock_.SetMs(kT0 + 18 * kDayMs + 1);
  PL_ASSERT_OK(engine->EnforceRetention());
  SeriesData got =
      ReadAll(*engine, {M(Type::kRegexMatch, "__name__", ".+")}, kT0, kT0 + 5 * kDayMs);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got[live.ToString()], ElementsAre(Point{kT0 + 3 * kDayMs + 1000, 3}));
  absl::StatusOr<std::vector<std::string>> names =
      engine->LabelValues("__name__", {}, 0, kT0 + 30 * kDayMs);
  PL_ASSERT_OK(names);
  EXPECT_THAT(*names, ElementsAre("live"));
  // The expired series was removed from the index: its labels make a new series.
  batch.Clear();
  batch.Add(old_series, kT0 + 18 * kDayMs, 1);
  EXPECT_EQ(MustAppend(*engine, batch).series_created, 1u);
}

TEST_F(EngineTest, RetentionRunsInTheBackgroundRightAtStart) {
  auto engine = Open();
  AppendBatch batch;
  batch.Add(L({{"__name__", "expiring"}}), kT0 + 1000, 1);
  MustAppend(*engine, batch);
  clock_.SetMs(kT0 + 4 * 3600 * 1000);
  PL_ASSERT_OK(engine->Maintain());  // sealed into a chunk
  engine.reset();
  clock_.SetMs(kT0 + 17 * kDayMs);  // the store was stopped while the day expired
  EngineOptions options;
  options.data_dir = dir_.Sub("data");
  options.clock = &clock_;
  options.background_maintenance = true;
  auto reopened = Engine::Open(options);
  PL_ASSERT_OK(reopened);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {  // bounded wait for the background thread
    gone = ReadAll(**reopened, {Eq("__name__", "expiring")}, 0, kT0 + kDayMs).empty();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

TEST_F(EngineTest, LabelNamesAndValues) {
  auto engine = Open();
  AppendBatch batch;
  batch.Add(L({{"__name__", "a"}, {"job", "x"}, {"zone", "1"}}), kT0 + kDayMs, 1);
  batch.Add(L({{"__name__", "b"}, {"job", "y"}}), kT0 + 2 * kDayMs, 1);
  MustAppend(*engine, batch);
  EXPECT_THAT(*engine->LabelNames({}, 0, kT0 + 3 * kDayMs), ElementsAre("__name__", "job", "zone"));
  EXPECT_THAT(*engine->LabelNames({}, kT0 + 2 * kDayMs, kT0 + 3 * kDayMs),
              ElementsAre("__name__", "job"));
  EXPECT_THAT(*engine->LabelValues("job", {}, 0, kT0 + 3 * kDayMs), ElementsAre("x", "y"));
  EXPECT_THAT(*engine->LabelValues("job", {Eq("__name__", "b")}, 0, kT0 + 3 * kDayMs),
              ElementsAre("y"));
  EXPECT_THAT(*engine->LabelNames({Eq("__name__", "b")}, 0, kT0 + 3 * kDayMs),
              ElementsAre("__name__", "job"));
  EXPECT_TRUE(engine->LabelValues("nope", {}, 0, kT0 + 3 * kDayMs)->empty());
}

TEST_F(EngineTest, MetadataRoundTrips) {
  auto engine = Open();
  PL_ASSERT_OK(engine->PutMetadata({"http_requests_total", "counter", "Requests served.", ""}));
  PL_ASSERT_OK(engine->PutMetadata({"http_requests", "gauge", "In flight.", "requests"}));
  auto all = engine->Metadata("");
  PL_ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  auto one = engine->Metadata("http_requests");
  PL_ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].type, "gauge");
  EXPECT_EQ((*one)[0].unit, "requests");
}

TEST_F(EngineTest, BulkWriterWritesSealedChunksAfterTheHead) {
  auto engine = Open();
  const Labels s = L({{"__name__", "imported"}});
  const int64_t t = kT0 + 2 * kDayMs;
  AppendBatch batch;
  batch.Add(s, t, 1);  // in the head
  MustAppend(*engine, batch);
  auto writer = engine->NewBulkWriter();
  const uint32_t h = writer->Intern(s);
  std::vector<Point> want = {{t, 1}};
  for (int i = 1; i < 3000; ++i) {
    writer->Add(h, t + i * 10'000LL, i);
    want.push_back({t + i * 10'000LL, static_cast<double>(i)});
  }
  writer->Add(h, t + 5, 7);  // out of order within the import
  absl::StatusOr<AppendResult> r = writer->Flush();
  PL_ASSERT_OK(r);
  EXPECT_EQ(r->appended, 2999u);
  EXPECT_EQ(r->out_of_order, 1u);
  batch.Clear();
  batch.Add(s, t + 3000 * 10'000LL, 3000);  // live data continues after the import
  want.push_back({t + 3000 * 10'000LL, 3000});
  MustAppend(*engine, batch);
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "imported")}, t, t + kDayMs)[s.ToString()], want);
  engine.reset();
  engine = Open();
  EXPECT_EQ(ReadAll(*engine, {Eq("__name__", "imported")}, t, t + kDayMs)[s.ToString()], want);
}

// KnownEvenPrefix() tells a reader which leading samples it need not check for even spacing:
// it must never claim a sample that is not on the grid (every claimed prefix is checked
// against the timestamps returned), and it should claim every sample of sealed regular
// chunks that continue one another.
TEST_F(EngineTest, KnownEvenPrefixCoversRegularChunksThatContinueOneAnother) {
  auto engine = Open();
  const int64_t t0 = kT0 + kDayMs;  // a window boundary; 8 hours, across four windows
  const int64_t end = t0 + 8 * 3600 * 1000;
  const int64_t window = kChunkWindowMs;
  struct Case {
    std::string name;
    std::function<bool(int64_t)> keep;                // which samples of the 10 s grid exist
    std::function<int64_t(int64_t)> shift = nullptr;  // moves a sample off the grid
    size_t want;                                      // the prefix over the whole range, in samples
  };
  const size_t per_window = static_cast<size_t>(window / 10'000);
  const std::vector<Case> cases = {
      {"regular", [](int64_t) { return true; }, nullptr, 4 * per_window},
      // A window with no samples: its neighbours are regular but do not continue each other.
      {"missing window", [&](int64_t t) { return t < t0 + 2 * window || t >= t0 + 3 * window; },
       nullptr, 2 * per_window},
      // One sample missing in the third window: that chunk is not regular.
      {"gap", [&](int64_t t) { return t != t0 + 2 * window + 50'000; }, nullptr, 2 * per_window},
      // The fourth window's samples 3 s late: regular, but not on the same grid.
      {"shifted", [](int64_t) { return true; },
       [&](int64_t t) { return t >= t0 + 3 * window ? t + 3'000 : t; }, 3 * per_window},
  };
  auto writer = engine->NewBulkWriter();
  for (const Case& c : cases) {
    const uint32_t h = writer->Intern(L({{"__name__", "even"}, {"case", c.name}}));
    for (int64_t t = t0; t < end; t += 10'000) {
      if (c.keep(t)) writer->Add(h, c.shift ? c.shift(t) : t, static_cast<double>(t / 1000));
    }
  }
  PL_ASSERT_OK(writer->Flush());
  // Live data after the import: whatever the open chunk's encoding, the claim stays true.
  AppendBatch batch;
  batch.Add(L({{"__name__", "even"}, {"case", "regular"}}), end, 1);
  batch.Add(L({{"__name__", "even"}, {"case", "regular"}}), end + 7'000, 2);
  MustAppend(*engine, batch);

  // Ranges: everything, and one that starts and ends mid-chunk.
  for (const auto& [mint, maxt] : std::vector<std::pair<int64_t, int64_t>>{
           {t0, end + kDayMs}, {t0 + window / 2 + 5'000, end - window / 2}}) {
    absl::StatusOr<std::unique_ptr<SeriesSet>> set =
        engine->Select({Eq("__name__", "even")}, mint, maxt);
    PL_ASSERT_OK(set);
    ASSERT_EQ((*set)->series().size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      const std::string name((*set)->series()[i].labels.Get("case"));
      SCOPED_TRACE(name + " from " + std::to_string(mint - t0));
      auto it = (*set)->Samples(i);
      std::vector<int64_t> ts(20'000);
      std::vector<double> vs(20'000);
      size_t n = 0;
      // Small batches: a batch ends inside a chunk as often as at its end.
      while (size_t got = it->NextBatch(ts.data() + n, vs.data() + n, 333)) n += got;
      PL_ASSERT_OK(it->status());
      const size_t prefix = it->KnownEvenPrefix();
      ASSERT_LE(prefix, n);
      for (size_t k = 2; k < prefix; ++k) {
        ASSERT_EQ(ts[k] - ts[k - 1], ts[1] - ts[0]) << "sample " << k << " of " << prefix;
      }
      if (mint == t0) {
        const Case& c = *std::find_if(cases.begin(), cases.end(),
                                      [&](const Case& x) { return x.name == name; });
        EXPECT_EQ(prefix, c.want);
      } else if (name == "regular") {
        // Trimmed at both ends, still one grid: all of it (the live samples are past maxt).
        EXPECT_EQ(prefix, n);
      }
    }
  }
  // Samples read with Next() are not counted.
  absl::StatusOr<std::unique_ptr<SeriesSet>> set = engine->Select({Eq("case", "regular")}, t0, end);
  PL_ASSERT_OK(set);
  auto it = (*set)->Samples(0);
  ASSERT_TRUE(it->Next());
  int64_t ts[100];
  double vs[100];
  EXPECT_EQ(it->NextBatch(ts, vs, 100), 100u);
  EXPECT_EQ(it->KnownEvenPrefix(), 0u);
}

// Select remembers which series a day's postings gave its matchers (the postings cache); a
// series that gets postings later on that day, by an append or an import, must show up.
TEST_F(EngineTest, SelectSeesSeriesThatJoinADayAfterAnEarlierSelect) {
  auto engine = Open();
  const int64_t t = kT0 + 2 * kDayMs;
  auto hosts = [&](std::vector<LabelMatcher> matchers) {
    std::vector<std::string> out;
    for (const auto& [labels, points] : ReadAll(*engine, matchers, t, t + 2 * kDayMs)) {
      out.push_back(labels);
    }
    return out;
  };
  const std::vector<LabelMatcher> up = {Eq("__name__", "up"), M(Type::kNotEqual, "job", "db")};
  AppendBatch batch;
  batch.Add(L({{"__name__", "up"}, {"host", "a"}}), t, 1);
  MustAppend(*engine, batch);
  EXPECT_EQ(hosts(up).size(), 1u);
  EXPECT_EQ(hosts(up).size(), 1u);  // answered from the cache

  batch.Clear();
  batch.Add(L({{"__name__", "up"}, {"host", "b"}}), t + 1000, 1);  // a new series, same day
  MustAppend(*engine, batch);
  EXPECT_EQ(hosts(up).size(), 2u);

  // An existing series' first sample on the next day writes that day's postings.
  batch.Clear();
  batch.Add(L({{"__name__", "up"}, {"host", "c"}}), t + kDayMs, 1);
  MustAppend(*engine, batch);
  EXPECT_EQ(hosts(up).size(), 3u);
  EXPECT_EQ(hosts({Eq("host", "a")}).size(), 1u);
  batch.Clear();
  batch.Add(L({{"__name__", "up"}, {"host", "a"}}), t + kDayMs + 1000, 2);
  MustAppend(*engine, batch);
  SeriesData next_day = ReadAll(*engine, {Eq("host", "a")}, t + kDayMs, t + 2 * kDayMs);
  ASSERT_EQ(next_day.size(), 1u);
  EXPECT_EQ(next_day.begin()->second, std::vector<Point>({{t + kDayMs + 1000, 2}}));

  // A series imported in bulk.
  auto writer = engine->NewBulkWriter();
  writer->Add(writer->Intern(L({{"__name__", "up"}, {"host", "d"}})), t + 2000, 1);
  PL_ASSERT_OK(writer->Flush());
  EXPECT_EQ(hosts(up).size(), 4u);

  // After a restart (an empty cache) the same.
  engine.reset();
  engine = Open();
  EXPECT_EQ(hosts(up).size(), 4u);
}

TEST_F(EngineTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto engine = Open();
  EngineOptions options;
  options.data_dir = dir_.Sub("data");
  options.background_maintenance = false;
  EXPECT_THAT(Engine::Open(options), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("in use by another process")));
}

TEST_F(EngineTest, RefusesUnknownFormat) {
  Open().reset();
  {
    rocksdb::DBOptions db_options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(db_options, dir_.Sub("data"), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(db_options, dir_.Sub("data"), cfs, &handles, &db).ok());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], "format_version", "99").ok());
      }
    }
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  EngineOptions options;
  options.data_dir = dir_.Sub("data");
  options.background_maintenance = false;
  EXPECT_THAT(Engine::Open(options), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("holds storage format 99")));
}

// Readers racing a writer that seals chunks: every read sees a gap-free prefix.
TEST_F(EngineTest, ConcurrentReadsSeeConsistentPrefixes) {
  auto engine = Open();
  const Labels s = L({{"__name__", "race"}});
  const int64_t t = kT0 + 2 * kDayMs;
  constexpr int kSamples = 20000;  // 1 s apart: crosses several 2 h windows and chunk limits
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kSamples; i += 50) {
      AppendBatch batch;
      for (int j = i; j < i + 50; ++j) batch.Add(s, t + j * 1000LL, j);
      MustAppend(*engine, batch);
    }
    done.store(true);
  });
  int reads = 0;
  while (!done.load() || reads < 3) {
    SeriesData got = ReadAll(*engine, {Eq("__name__", "race")}, t, t + kSamples * 1000LL);
    const std::vector<Point>& points = got[s.ToString()];
    for (size_t i = 0; i < points.size(); ++i) {
      ASSERT_EQ(points[i].t, t + static_cast<int64_t>(i) * 1000) << "gap or duplicate at " << i;
      ASSERT_EQ(points[i].v, static_cast<double>(i));
    }
    ++reads;
  }
  writer.join();
  EXPECT_EQ(
      ReadAll(*engine, {Eq("__name__", "race")}, t, t + kSamples * 1000LL)[s.ToString()].size(),
      static_cast<size_t>(kSamples));
}

// The query engine decodes one selection's series on several threads at once.
TEST_F(EngineTest, SamplesOfOneSetReadFromSeveralThreadsAtOnce) {
  auto engine = Open();
  const int64_t t = kT0 + 2 * kDayMs;
  AppendBatch batch;
  for (int s = 0; s < 64; ++s) {
    const Labels labels = L({{"__name__", "par"}, {"i", std::to_string(s)}});
    for (int j = 0; j < 2000; ++j) batch.Add(labels, t + j * 10'000LL, s * 1e6 + j);
  }
  MustAppend(*engine, batch);
  ASSERT_TRUE(engine->Maintain().ok());  // seal some chunks; the rest stays in the head
  auto set = engine->Select({Eq("__name__", "par")}, t, t + 2000 * 10'000LL);
  ASSERT_TRUE(set.ok()) << set.status();
  const SeriesSet& series = **set;
  ASSERT_EQ(series.series().size(), 64u);
  std::vector<std::vector<Point>> got(64);
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      for (size_t i = r; i < 64; i += 4) {
        auto it = series.Samples(i);
        while (it->Next()) got[i].push_back({it->t(), it->v()});
        EXPECT_TRUE(it->status().ok());
      }
    });
  }
  for (std::thread& th : readers) th.join();
  for (size_t i = 0; i < 64; ++i) {
    const double base = std::stod(std::string(series.series()[i].labels.Get("i"))) * 1e6;
    ASSERT_EQ(got[i].size(), 2000u) << i;
    for (int j = 0; j < 2000; ++j) {
      ASSERT_EQ(got[i][j], (Point{t + j * 10'000LL, base + j})) << i << " " << j;
    }
  }
}

TEST(EngineKeysTest, ExtremeTimesSelectEverythingInsteadOfWrapping) {
  TempDir dir;
  FakeClock clock(kT0 + kDayMs);
  EngineOptions options;
  options.data_dir = dir.Sub("data");
  options.clock = &clock;
  options.background_maintenance = false;
  auto engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  AppendBatch batch;
  batch.Add(L({{"__name__", "up"}}), kT0, 1);
  ASSERT_TRUE((*engine)->Append(batch).ok());
  // Prometheus' MinTime/MaxTime (±2^63/1000 and more) as open range ends.
  SeriesData got = ReadAll(**engine, {Eq("__name__", "up")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->second, (std::vector<Point>{{kT0, 1}}));
}

}  // namespace
}  // namespace plumbline::storage
