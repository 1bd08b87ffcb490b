#include "collector/shard.h"

#include <algorithm>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plumbline::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// Closes the current window (as the flusher would) and returns its entries by "name|tags".
struct Closed {
  std::map<std::string, const Entry*> entries;
  std::vector<PendingEvent> events;
  int parity = 0;
  Window window(const std::string& key) const { return entries.at(key)->window(parity); }
};

Closed Close(Shard& shard, uint64_t* epoch) {
  *epoch = shard.RequestEpoch();
  shard.MaybeSwitchEpoch();  // on the "receiver" (this thread)
  EXPECT_TRUE(shard.Switched(*epoch));
  Closed closed;
  closed.parity = static_cast<int>((*epoch - 1) & 1);
  for (const Entry* e : shard.ClosedEntries(*epoch)) {
    closed.entries[std::string(e->name()) + "|" + std::string(e->tags())] = e;
  }
  closed.events = shard.ClosedEvents(*epoch);
  return closed;
}

uint64_t Bad(const Shard& shard, ParseError e) {
  return shard.counters().bad_lines[static_cast<int>(e)].load();
}

TEST(ShardTest, AggregatesEveryTypeInOneWindow) {
  Shard shard({});
  shard.HandleDatagram(
      "hits:1|c\nhits:2|c|@0.5\nhits:1|c|#env:prod\n"
      "temp:10|g\ntemp:+5|g\ntemp:-2|g\n"
      "lat:100|ms\nlat:300|ms|@0.25\n"
      "users:alice|s\nusers:bob|s\nusers:alice|s\n");
  uint64_t epoch;
  Closed c = Close(shard, &epoch);
  ASSERT_EQ(c.entries.size(), 5u);
  EXPECT_DOUBLE_EQ(c.window("hits|").a, 1 + 2 / 0.5);
  EXPECT_DOUBLE_EQ(c.window("hits|env:prod").a, 1);
  const Window& temp = c.window("temp|");
  EXPECT_TRUE(temp.has_set);
  EXPECT_DOUBLE_EQ(temp.a, 10);
  EXPECT_DOUBLE_EQ(temp.b, 3);
  const Window& lat = c.window("lat|");
  EXPECT_DOUBLE_EQ(lat.a, 1 + 4);          // count weighted by 1 / rate
  EXPECT_DOUBLE_EQ(lat.b, 100 + 300 * 4);  // weighted sum
  EXPECT_THAT(lat.samples->values, ElementsAre(100, 300));
  EXPECT_THAT(lat.samples->weights, ElementsAre(1.0f, 4.0f));
  EXPECT_THAT(c.window("users|").samples->members, UnorderedElementsAre("alice", "bob"));
  EXPECT_EQ(shard.counters().lines.load(), 11u);
  shard.FinishWindow(epoch);
}

TEST(ShardTest, WindowsAreSeparatedByEpochs) {
  Shard shard({});
  shard.HandleLine("a:1|c");
  uint64_t epoch;
  Closed first = Close(shard, &epoch);
  // Lines after the switch land in the new window, not in the one being flushed.
  shard.HandleLine("a:5|c");
  EXPECT_DOUBLE_EQ(first.window("a|").a, 1);
  shard.FinishWindow(epoch);
  Closed second = Close(shard, &epoch);
  EXPECT_DOUBLE_EQ(second.window("a|").a, 5);
  shard.FinishWindow(epoch);
  Closed third = Close(shard, &epoch);
  EXPECT_TRUE(third.entries.empty());  // nothing new: the key is not in the window
  shard.FinishWindow(epoch);
}

TEST(ShardTest, PackedValuesAndGaugeSetAfterDelta) {
  Shard shard({});
  shard.HandleDatagram("d:1:2:3|d\ng:+1|g\ng:7|g\ng:-1|g\nc:1:1|c\n");
  uint64_t epoch;
  Closed c = Close(shard, &epoch);
  EXPECT_THAT(c.window("d|").samples->values, ElementsAre(1, 2, 3));
  EXPECT_TRUE(c.window("d|").samples->weights.empty());
  EXPECT_DOUBLE_EQ(c.window("g|").a, 7);   // the set replaces what came before it
  EXPECT_DOUBLE_EQ(c.window("g|").b, -1);  // deltas after the set
  EXPECT_DOUBLE_EQ(c.window("c|").a, 2);
}

TEST(ShardTest, CountsBadLinesAndUsesTheRestOfTheDatagram) {
  Shard shard({});
  shard.HandleDatagram(std::string("ok:1|c\nbroken\nx:1|zz\n\n\nnul\0name:1|c\nok:2|c\r\n", 43));
  uint64_t epoch;
  Closed c = Close(shard, &epoch);
  EXPECT_DOUBLE_EQ(c.window("ok|").a, 3);
  EXPECT_EQ(Bad(shard, ParseError::kNoValue), 1u);
  EXPECT_EQ(Bad(shard, ParseError::kBadType), 1u);
  EXPECT_EQ(Bad(shard, ParseError::kBadName), 1u);
  EXPECT_EQ(shard.counters().lines.load(), 2u);
}

TEST(ShardTest, TinySampleRatesAreClamped) {
  ShardOptions options;
  options.min_sample_rate = 0.001;
  Shard shard(options);
  shard.HandleLine("c:1|c|@0.0000001");
  uint64_t epoch;
  EXPECT_DOUBLE_EQ(Close(shard, &epoch).window("c|").a, 1000);
}

TEST(ShardTest, CapsDistinctKeysAndCountsRefusals) {
  ShardOptions options;
  options.max_series = 3;
  Shard shard(options);
  for (int i = 0; i < 10; ++i) shard.HandleLine("k" + std::to_string(i) + ":1|c");
  shard.HandleLine("k0:1|c");  // a known key still counts
  uint64_t epoch;
  Closed c = Close(shard, &epoch);
  EXPECT_EQ(c.entries.size(), 3u);
  EXPECT_DOUBLE_EQ(c.window("k0|").a, 2);
  EXPECT_EQ(shard.counters().series_rejected.load(), 7u);
  EXPECT_EQ(shard.size(), 3u);
}

TEST(ShardTest, IdleKeysLeaveAndComeBack) {
  ShardOptions options;
  options.idle_epochs = 2;
  Shard shard(options);
  shard.HandleLine("old:1|c");
  uint64_t epoch;
  for (int i = 0; i < 20; ++i) {
    Close(shard, &epoch);
    shard.FinishWindow(epoch);
  }
  EXPECT_EQ(shard.size(), 0u);
  shard.HandleLine("old:4|c");
  EXPECT_DOUBLE_EQ(Close(shard, &epoch).window("old|").a, 4);
}

TEST(ShardTest, EventsServiceChecksAndGraphite) {
  Shard shard({});
  shard.HandleLine("_e{6,9}:Deploy|v2 to all|t:info|#service:api,type:deploy");
  shard.HandleLine("_sc|db.up|2|#env:prod");
  shard.HandleGraphiteLine("servers.web1.load 1.5 1764130005");
  shard.HandleGraphiteLine("servers.web1.load 2.5 1764130004");      // every point is kept
  shard.HandleGraphiteLine("servers.web1.load 3.5 -1");              // -1: at arrival
  shard.HandleGraphiteLine("servers.web1.load 4 9223372036854776");  // no such time in ms
  EXPECT_EQ(shard.counters().bad_lines[static_cast<int>(ParseError::kBadTimestamp)].load(), 1u);
  uint64_t epoch;
  Closed c = Close(shard, &epoch);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].title, "Deploy");
  EXPECT_EQ(c.events[0].text, "v2 to all");
  EXPECT_EQ(c.events[0].tags, "service:api,type:deploy");
  EXPECT_EQ(c.entries.at("db.up|env:prod")->kind, Entry::Kind::kServiceCheck);
  EXPECT_DOUBLE_EQ(c.window("db.up|env:prod").a, 2);
  const WindowSamples& graphite = *c.window("servers.web1.load|").samples;
  EXPECT_THAT(graphite.values, testing::ElementsAre(1.5, 2.5, 3.5));
  EXPECT_THAT(graphite.times, testing::ElementsAre(1764130005, 1764130004, -1));
}

// A receiver thread and a flusher thread, as in production: every line is counted exactly
// once across windows, whatever the interleaving.
TEST(ShardTest, ConcurrentHandOffLosesNothing) {
  Shard shard({});
  std::atomic<bool> done{false};
  std::atomic<bool> stop{false};
  constexpr int kLines = 200'000;
  std::thread receiver([&] {
    for (int i = 0; i < kLines; ++i) {
      shard.HandleLine(i % 2 == 0 ? "a:1|c" : "b:2|c");
      if (i % 64 == 0) shard.MaybeSwitchEpoch();
    }
    done.store(true);
    while (!stop.load()) {  // idle receiver: still switches when asked
      shard.MaybeSwitchEpoch();
      std::this_thread::yield();
    }
  });
  double a = 0, b = 0;
  auto drain = [&] {
    const uint64_t epoch = shard.RequestEpoch();
    while (!shard.Switched(epoch)) std::this_thread::yield();
    const int parity = static_cast<int>((epoch - 1) & 1);
    for (const Entry* e : shard.ClosedEntries(epoch)) {
      (e->name() == "a" ? a : b) += e->window(parity).a;
    }
    shard.FinishWindow(epoch);
  };
  while (!done.load()) drain();
  drain();  // the window open when the receiver finished
  stop.store(true);
  receiver.join();
  EXPECT_DOUBLE_EQ(a, kLines / 2 * 1.0);
  EXPECT_DOUBLE_EQ(b, kLines / 2 * 2.0);
}

}  // namespace
}  // namespace plumbline::collector
