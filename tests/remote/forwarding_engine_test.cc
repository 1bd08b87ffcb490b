// ForwardingEngine over the agent-mode NullEngine and over the real RocksDB engine: what is
// appended (by labels, then by ref as the flusher does) reaches a receiver with its labels;
// the inner store still gets it.
#include "remote/forwarding_engine.h"

#include <chrono>
#include <optional>
#include <thread>

#include "gtest/gtest.h"
#include "remote/null_engine.h"
#include "tests/remote/test_receiver.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::remote {
namespace {

using ::plumbline::testing::TempDir;

bool WaitForSamples(const TestReceiver& receiver, int n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && receiver.accepted_samples() < n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return receiver.accepted_samples() == n;
}

std::unique_ptr<Sender> StartSender(const std::string& dir, const std::string& url) {
  SenderOptions options;
  options.urls = {url};
  options.queue_dir = dir;
  absl::StatusOr<std::unique_ptr<Sender>> sender = Sender::Start(options);
  EXPECT_THAT(sender, ::plumbline::testing::IsOk());
  return *std::move(sender);
}

// Recent enough for the store's retention.
const int64_t kT0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() /
                    1000 * 1000;

// Appends three flushes the way the flusher does: by labels first, by the refs after.
void AppendFlushes(storage::Engine* engine) {
  const storage::Labels a = *storage::Labels::FromPairs({{"__name__", "hits"}, {"host", "a"}});
  const storage::Labels b = *storage::Labels::FromPairs({{"__name__", "temp"}});
  storage::AppendBatch first;
  first.Add(a, kT0, 1);
  first.Add(b, kT0, 20.5);
  absl::StatusOr<storage::AppendResult> result = engine->Append(first);
  PL_ASSERT_OK(result);
  ASSERT_EQ(result->refs.size(), 2u);
  for (int i = 1; i < 3; ++i) {
    storage::AppendBatch next;
    next.Add(result->refs[0], kT0 + i * 1000, 1 + i);
    next.Add(result->refs[1], kT0 + i * 1000, 20.5 + i);
    PL_ASSERT_OK(engine->Append(next));
  }
}

void ExpectForwarded(const TestReceiver& receiver) {
  ASSERT_TRUE(WaitForSamples(receiver, 6));
  const auto accepted = receiver.accepted();
  ASSERT_EQ(accepted.size(), 2u);
  const auto& hits = accepted.at("hits{host=\"a\",}");
  const auto& temp = accepted.at("temp{}");
  ASSERT_EQ(hits.size(), 3u);
  ASSERT_EQ(temp.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(hits[i].t, kT0 + i * 1000);
    EXPECT_EQ(hits[i].v, 1 + i);
    EXPECT_EQ(temp[i].t, kT0 + i * 1000);
    EXPECT_EQ(temp[i].v, 20.5 + i);
  }
}

TEST(ForwardingEngineTest, AgentModeForwardsSamplesAppendedByLabelsAndByRef) {
  TempDir dir;
  TestReceiver receiver;
  ForwardingEngine engine(NewNullEngine(), StartSender(dir.path(), receiver.url()), true);
  AppendFlushes(&engine);
  ExpectForwarded(receiver);
  absl::StatusOr<storage::LabelMatcher> any =
      storage::LabelMatcher::Create(storage::LabelMatcher::Type::kEqual, "__name__", "hits");
  PL_ASSERT_OK(any);
  absl::StatusOr<std::unique_ptr<storage::SeriesSet>> set =
      engine.Select({*any}, kT0 - 1000, kT0 + 10'000);
  PL_ASSERT_OK(set);
  EXPECT_TRUE((*set)->series().empty());  // agent mode keeps nothing
  EXPECT_FALSE(engine.events()->Add(storage::Event{}).ok());
}

TEST(ForwardingEngineTest, WithTheRocksDbEngineStoresAndForwards) {
  TempDir dir;
  TestReceiver receiver;
  storage::EngineOptions options;
  options.data_dir = dir.Sub("data");
  options.background_maintenance = false;
  absl::StatusOr<std::unique_ptr<storage::Engine>> inner = storage::Engine::Open(options);
  PL_ASSERT_OK(inner);
  ForwardingEngine engine(*std::move(inner), StartSender(dir.Sub("queue"), receiver.url()), false);
  AppendFlushes(&engine);
  ExpectForwarded(receiver);
  absl::StatusOr<storage::LabelMatcher> hits =
      storage::LabelMatcher::Create(storage::LabelMatcher::Type::kEqual, "__name__", "hits");
  PL_ASSERT_OK(hits);
  absl::StatusOr<std::unique_ptr<storage::SeriesSet>> set =
      engine.Select({*hits}, kT0 - 1000, kT0 + 10'000);
  PL_ASSERT_OK(set);
  ASSERT_EQ((*set)->series().size(), 1u);
  std::unique_ptr<storage::SeriesIterator> it = (*set)->Samples(0);
  int n = 0;
  while (it->Next()) ++n;
  EXPECT_EQ(n, 3);
}

// The process dies between storing a flush and queueing it (simulated by appending to the
// store alone, as the dead process did): the next start queues it, once, before what it
// appends itself. What was stored before remote write was configured is not sent.
TEST(ForwardingEngineTest, SamplesStoredButNotQueuedWhenTheProcessDiedAreQueuedAtTheNextStart) {
  TempDir dir;
  TestReceiver receiver;
  storage::EngineOptions options;
  options.data_dir = dir.Sub("data");
  options.background_maintenance = false;
  options.hold_head_log = true;
  const storage::Labels hits = *storage::Labels::FromPairs({{"__name__", "hits"}, {"host", "a"}});
  auto append = [&](storage::Engine* engine, int64_t t, double v) {
    storage::AppendBatch batch;
    batch.Add(hits, t, v);
    PL_ASSERT_OK(engine->Append(batch));
  };
  // One process: with remote write it recovers, then appends `forwarded` (when set) and
  // waits until the receiver holds that many samples; with `killed` set, the store alone
  // takes it, as before a kill.
  auto run = [&](bool remote_write, std::optional<int> forwarded, std::optional<int> killed) {
    absl::StatusOr<std::unique_ptr<storage::Engine>> inner = storage::Engine::Open(options);
    PL_ASSERT_OK(inner);
    if (!remote_write) {
      if (killed) append(inner->get(), kT0 + *killed * 1000, *killed + 1);
      return;
    }
    ForwardingEngine engine(*std::move(inner), StartSender(dir.Sub("queue"), receiver.url()),
                            false);
    PL_ASSERT_OK(engine.Recover());
    if (forwarded) {
      append(&engine, kT0 + *forwarded * 1000, *forwarded + 1);
      ASSERT_TRUE(WaitForSamples(receiver, *forwarded + 1));
    }
  };
  run(false, std::nullopt, -2);           // stored before remote write was configured
  run(true, std::nullopt, std::nullopt);  // the first run with it stops before any flush
  run(false, std::nullopt, 0);            // the next is killed after storing its first
  run(true, 1, std::nullopt);
  run(false, std::nullopt, 2);  // killed again
  run(true, 3, std::nullopt);
  // Anything else queued would have been sent before the last sample.
  const auto accepted = receiver.accepted();
  ASSERT_EQ(accepted.size(), 1u);
  const auto& got = accepted.begin()->second;
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(got[i].t, kT0 + i * 1000);
    EXPECT_EQ(got[i].v, 1 + i);
  }
}

// An import retried after a kill (whose client got no answer) is forwarded again in full,
// though the store already holds it: what the remote missed in the kill's gap is sent.
TEST(ForwardingEngineTest, ABulkWriterForwardsWhatItIsGivenEvenWhatTheStoreHolds) {
  TempDir dir;
  TestReceiver receiver;
  storage::EngineOptions options;
  options.data_dir = dir.Sub("data");
  options.background_maintenance = false;
  absl::StatusOr<std::unique_ptr<storage::Engine>> inner = storage::Engine::Open(options);
  PL_ASSERT_OK(inner);
  ForwardingEngine engine(*std::move(inner), StartSender(dir.Sub("queue"), receiver.url()), false);
  const storage::Labels hits = *storage::Labels::FromPairs({{"__name__", "hits"}});
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<storage::BulkWriter> writer = engine.NewBulkWriter();
    const uint32_t series = writer->Intern(hits);
    writer->Add(series, kT0, 1);
    writer->Add(series, kT0 + 1000, 2);
    absl::StatusOr<storage::AppendResult> result = writer->Flush();
    PL_ASSERT_OK(result);
    EXPECT_EQ(result->appended, attempt == 0 ? 2u : 0u);
  }
  ASSERT_TRUE(WaitForSamples(receiver, 4));
}

}  // namespace
}  // namespace plumbline::remote
