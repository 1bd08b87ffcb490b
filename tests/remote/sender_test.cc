// The sender against a real HTTP receiver on loopback (tests/remote/test_receiver.h): every
// sample once and in order per series, the protocol's headers, retries on 5xx/429 and on
// connection errors, 4xx dropped and counted, splitting, and the queue surviving a restart.
// Waits are bounded polls for an outcome, never timings.
#include "remote/sender.h"

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/remote/test_receiver.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::remote {
namespace {

using ::plumbline::testing::TempDir;

// Polls `done` until it holds or 60 s pass (a bound for a stuck test, not a measurement).
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

storage::Labels L(std::vector<storage::Label> labels) {
  return *storage::Labels::FromPairs(std::move(labels));
}

SenderOptions Options(const std::string& dir, const std::string& url) {
  SenderOptions options;
  options.urls = {url};
  options.queue_dir = dir;
  options.min_backoff_ms = 1;
  options.max_backoff_ms = 20;
  options.request_timeout_ms = 10'000;
  return options;
}

std::unique_ptr<Sender> StartSender(const SenderOptions& options) {
  absl::StatusOr<std::unique_ptr<Sender>> sender = Sender::Start(options);
  EXPECT_THAT(sender, ::plumbline::testing::IsOk());
  return sender.ok() ? *std::move(sender) : nullptr;
}

// `count` flushes of `series` series; sample i of series s is (1000 + i, s * 1000 + i).
std::vector<storage::Labels> MakeSeries(int series) {
  std::vector<storage::Labels> out;
  for (int s = 0; s < series; ++s) {
    out.push_back(L(
        {{"__name__", "requests_total"}, {"instance", "host" + std::to_string(s)}, {"Zone", "a"}}));
  }
  return out;
}

void EnqueueFlushes(Sender* sender, const std::vector<storage::Labels>& series, int from, int to) {
  for (int i = from; i < to; ++i) {
    std::vector<SeriesSample> samples;
    for (size_t s = 0; s < series.size(); ++s) {
      samples.push_back(SeriesSample{&series[s], 1000 + i, static_cast<double>(s * 1000 + i)});
    }
    PL_ASSERT_OK(sender->Enqueue(samples));
  }
}

// Every series got exactly samples from..to-1, in order, with their exact values.
void ExpectExactlyOnceInOrder(const TestReceiver& receiver, int series, int count) {
  const auto accepted = receiver.accepted();
  ASSERT_EQ(accepted.size(), static_cast<size_t>(series));
  for (int s = 0; s < series; ++s) {
    const std::string name =
        "requests_total{Zone=\"a\",instance=\"host" + std::to_string(s) + "\",}";
    SCOPED_TRACE(name);
    auto it = accepted.find(name);
    ASSERT_NE(it, accepted.end());
    ASSERT_EQ(it->second.size(), static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(it->second[i].t, 1000 + i);
      EXPECT_EQ(it->second[i].v, static_cast<double>(s * 1000 + i));
    }
  }
}

TEST(SenderTest, DeliversEverySampleOnceInOrderPerSeriesWithTheProtocolHeaders) {
  TempDir dir;
  TestReceiver receiver;
  auto sender = StartSender(Options(dir.path(), receiver.url()));
  const auto series = MakeSeries(20);
  EnqueueFlushes(sender.get(), series, 0, 50);
  ASSERT_TRUE(WaitFor([&] { return sender->url_stats(0).sent == 20 * 50; }));
  ExpectExactlyOnceInOrder(receiver, 20, 50);
  EXPECT_EQ(sender->url_stats(0).queued.entries, 0u);
  for (const TestReceiver::Request& r : receiver.requests()) {
    EXPECT_EQ(r.headers.at("content-encoding"), "snappy");
    EXPECT_EQ(r.headers.at("content-type"), "application/x-protobuf");
    EXPECT_EQ(r.headers.at("x-prometheus-remote-write-version"), "0.1.0");
  }
}

TEST(SenderTest, SplitsRequestsAtTheSampleLimit) {
  TempDir dir;
  TestReceiver receiver;
  SenderOptions options = Options(dir.path(), receiver.url());
  options.shards = 1;
  options.max_samples_per_request = 10;
  auto sender = StartSender(options);
  const auto series = MakeSeries(1);
  std::vector<SeriesSample> samples;
  for (int i = 0; i < 35; ++i) samples.push_back(SeriesSample{&series[0], 1000 + i, double(i)});
  PL_ASSERT_OK(sender->Enqueue(samples));
  ASSERT_TRUE(WaitFor([&] { return sender->url_stats(0).sent == 35; }));
  std::vector<int> sizes;
  for (const TestReceiver::Request& r : receiver.requests()) sizes.push_back(r.samples);
  EXPECT_EQ(sizes, (std::vector<int>{10, 10, 10, 5}));
  ExpectExactlyOnceInOrder(receiver, 1, 35);
}

TEST(SenderTest, RetriesOn5xxAnd429WithoutLosingOrDuplicating) {
  TempDir dir;
  TestReceiver receiver;
  receiver.Script({503, 429, 500, 503});
  SenderOptions options = Options(dir.path(), receiver.url());
  options.shards = 1;
  auto sender = StartSender(options);
  const auto series = MakeSeries(3);
  EnqueueFlushes(sender.get(), series, 0, 10);
  ASSERT_TRUE(WaitFor([&] { return sender->url_stats(0).sent == 30; }));
  ExpectExactlyOnceInOrder(receiver, 3, 10);
  EXPECT_GT(sender->url_stats(0).retried, 0u);
  EXPECT_EQ(sender->url_stats(0).dropped, 0u);
}

TEST(SenderTest, DropsAndCountsARequestRefusedWith4xxAndGoesOn) {
  TempDir dir;
  TestReceiver receiver;
  receiver.Script({400});
  SenderOptions options = Options(dir.path(), receiver.url());
  options.shards = 1;
  auto sender = StartSender(options);
  const auto series = MakeSeries(2);
  EnqueueFlushes(sender.get(), series, 0, 5);  // 5 requests of 2 samples
  ASSERT_TRUE(WaitFor([&] {
    const Sender::UrlStats s = sender->url_stats(0);
    return s.sent + s.dropped == 10;
  }));
  EXPECT_EQ(sender->url_stats(0).dropped, 2u);
  EXPECT_EQ(sender->url_stats(0).sent, 8u);
  EXPECT_EQ(receiver.accepted_samples(), 8);
}

TEST(SenderTest, KeepsEverythingThroughAnOutageAndARestartOfTheSender) {
  TempDir dir;
  TestReceiver receiver;
  const auto series = MakeSeries(10);
  receiver.Stop();  // outage: connections refused
  {
    auto sender = StartSender(Options(dir.path(), receiver.url()));
    EnqueueFlushes(sender.get(), series, 0, 20);
    ASSERT_TRUE(WaitFor([&] { return sender->url_stats(0).retried > 0; }));
    EXPECT_EQ(sender->url_stats(0).sent, 0u);
  }  // stopped during the outage: everything stays queued
  auto sender = StartSender(Options(dir.path(), receiver.url()));
  EXPECT_EQ(sender->url_stats(0).queued.samples, 200u);
  EnqueueFlushes(sender.get(), series, 20, 30);
  receiver.Restart();
  ASSERT_TRUE(WaitFor([&] { return receiver.accepted_samples() == 300; }));
  ASSERT_TRUE(WaitFor([&] { return sender->url_stats(0).queued.entries == 0; }));
  ExpectExactlyOnceInOrder(receiver, 10, 30);
}

TEST(SenderTest, SendsToEveryUrl) {
  TempDir dir;
  TestReceiver a, b;
  SenderOptions options = Options(dir.path(), a.url());
  options.urls.push_back(b.url());
  auto sender = StartSender(options);
  const auto series = MakeSeries(4);
  EnqueueFlushes(sender.get(), series, 0, 8);
  ASSERT_TRUE(WaitFor([&] { return a.accepted_samples() == 32 && b.accepted_samples() == 32; }));
  ExpectExactlyOnceInOrder(a, 4, 8);
  ExpectExactlyOnceInOrder(b, 4, 8);
}

TEST(SenderTest, ASeriesAlwaysMapsToTheSameShardAndSeriesSpreadOverShards) {
  const auto series = MakeSeries(64);
  std::vector<int> per_shard(4);
  for (const storage::Labels& s : series) {
    const uint32_t shard = ShardOf(s, 4);
    ASSERT_LT(shard, 4u);
    EXPECT_EQ(ShardOf(L(s.items()), 4), shard);
    ++per_shard[shard];
  }
  for (int n : per_shard) EXPECT_GT(n, 0);
}

TEST(SenderTest, ValidatesUrls) {
  for (const char* good :
       {"http://127.0.0.1:8428/api/v1/write", "https://u:p@mimir.example/api/v1/push",
        "http://vm/insert/0/prometheus/?extra_label=a=b"}) {
    EXPECT_THAT(ValidateRemoteWriteUrl(good), ::plumbline::testing::IsOk()) << good;
  }
  for (const char* bad : {"", "127.0.0.1:8428", "ftp://x/", "http:///api", "http://:80/x",
                          "http://a b/", "http://x/#frag"}) {
    EXPECT_FALSE(ValidateRemoteWriteUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace plumbline::remote
