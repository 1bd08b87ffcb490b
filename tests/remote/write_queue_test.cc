// The durable queue against a real RocksDB in a temp dir: order, independence of streams,
// restart, the byte bound (oldest dropped first, counted), forgetting removed URLs and the
// source position.
#include "remote/write_queue.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::remote {
namespace {

using ::plumbline::testing::TempDir;

std::unique_ptr<WriteQueue> OpenQueue(
    const std::string& dir, uint64_t max_bytes = 1 << 30,
    std::vector<std::pair<uint64_t, uint64_t>>* dropped = nullptr) {
  WriteQueueOptions options;
  options.dir = dir;
  options.max_bytes = max_bytes;
  if (dropped != nullptr) {
    options.on_dropped = [dropped](uint64_t url, uint64_t, uint64_t samples) {
      dropped->emplace_back(url, samples);
    };
  }
  absl::StatusOr<std::unique_ptr<WriteQueue>> queue = WriteQueue::Open(options);
  EXPECT_THAT(queue, ::plumbline::testing::IsOk());
  return queue.ok() ? *std::move(queue) : nullptr;
}

// Pops everything of `stream`, returning the bodies in the order they came out.
std::vector<std::string> Drain(WriteQueue* queue, StreamId stream) {
  std::vector<std::string> out;
  for (;;) {
    absl::StatusOr<std::optional<QueueEntry>> front = queue->Front(stream);
    EXPECT_THAT(front, ::plumbline::testing::IsOk());
    if (!front.ok() || !front->has_value()) return out;
    out.push_back((*front)->body);
    EXPECT_THAT(queue->Pop(stream, (*front)->seq), ::plumbline::testing::IsOk());
  }
}

TEST(WriteQueueTest, EachStreamIsFirstInFirstOut) {
  TempDir dir;
  auto queue = OpenQueue(dir.path());
  const StreamId a{7, 0}, b{7, 1};
  PL_ASSERT_OK(queue->Push({{a, 1, "a1"}, {b, 1, "b1"}, {a, 2, "a2"}}));
  PL_ASSERT_OK(queue->Push({{a, 3, "a3"}}));
  EXPECT_EQ(queue->totals().entries, 4u);
  EXPECT_EQ(queue->totals().samples, 7u);
  EXPECT_EQ(Drain(queue.get(), a), (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(Drain(queue.get(), b), (std::vector<std::string>{"b1"}));
  EXPECT_EQ(queue->totals().entries, 0u);
  EXPECT_EQ(queue->totals().bytes, 0u);
}

TEST(WriteQueueTest, FrontReportsSamplesAndPopOfAnOlderSeqDoesNothing) {
  TempDir dir;
  auto queue = OpenQueue(dir.path());
  const StreamId a{1, 0};
  PL_ASSERT_OK(queue->Push({{a, 5, "x"}, {a, 6, "y"}}));
  absl::StatusOr<std::optional<QueueEntry>> front = queue->Front(a);
  PL_ASSERT_OK(front);
  ASSERT_TRUE(front->has_value());
  EXPECT_EQ((*front)->samples, 5u);
  PL_ASSERT_OK(queue->Pop(a, (*front)->seq + 1));  // not the oldest: ignored
  EXPECT_EQ(queue->totals().entries, 2u);
}

TEST(WriteQueueTest, EntriesAndTheirOrderSurviveReopening) {
  TempDir dir;
  const StreamId a{3, 0}, b{3, 5};
  {
    auto queue = OpenQueue(dir.path());
    PL_ASSERT_OK(queue->Push({{a, 1, "a1"}, {a, 1, "a2"}, {b, 2, "b1"}}));
    absl::StatusOr<std::optional<QueueEntry>> front = queue->Front(a);
    PL_ASSERT_OK(front);
    PL_ASSERT_OK(queue->Pop(a, (*front)->seq));  // a1 was sent
  }
  auto queue = OpenQueue(dir.path());
  EXPECT_EQ(queue->Streams(), (std::vector<StreamId>{a, b}));
  EXPECT_EQ(queue->totals().entries, 2u);
  EXPECT_EQ(queue->totals().samples, 3u);
  PL_ASSERT_OK(queue->Push({{a, 1, "a3"}}));  // after what the last run left
  EXPECT_EQ(Drain(queue.get(), a), (std::vector<std::string>{"a2", "a3"}));
  EXPECT_EQ(Drain(queue.get(), b), (std::vector<std::string>{"b1"}));
}

TEST(WriteQueueTest, WhenFullTheOldestEntriesOfTheLargestStreamAreDroppedAndCounted) {
  TempDir dir;
  std::vector<std::pair<uint64_t, uint64_t>> dropped;
  const std::string body(1000, 'x');
  // Room for 5 entries of ~1024 bytes.
  auto queue = OpenQueue(dir.path(), 5 * 1030, &dropped);
  const StreamId a{1, 0}, b{2, 0};
  PL_ASSERT_OK(queue->Push({{b, 9, body + "b0"}}));
  for (int i = 0; i < 6; ++i) {
    PL_ASSERT_OK(queue->Push({{a, 10, body + std::to_string(i)}}));
  }
  EXPECT_LE(queue->totals().bytes, 5u * 1030);
  EXPECT_EQ(queue->totals().entries, 5u);
  // a held 6 (the largest stream): its two oldest went; b's only entry stayed.
  uint64_t dropped_samples = 0;
  for (const auto& [url, samples] : dropped) {
    EXPECT_EQ(url, 1u);
    dropped_samples += samples;
  }
  EXPECT_EQ(dropped_samples, 20u);
  EXPECT_EQ(Drain(queue.get(), a),
            (std::vector<std::string>{body + "2", body + "3", body + "4", body + "5"}));
  EXPECT_EQ(Drain(queue.get(), b), (std::vector<std::string>{body + "b0"}));
  queue.reset();
  // What was dropped stays dropped after a restart.
  queue = OpenQueue(dir.path(), 5 * 1030);
  EXPECT_EQ(queue->totals().entries, 0u);
}

TEST(WriteQueueTest, RemovesTheStreamsOfUrlsNoLongerConfigured) {
  TempDir dir;
  {
    auto queue = OpenQueue(dir.path());
    PL_ASSERT_OK(queue->Push({{{1, 0}, 1, "keep"}, {{2, 0}, 4, "gone"}, {{2, 1}, 5, "gone"}}));
  }
  auto queue = OpenQueue(dir.path());
  absl::StatusOr<WriteQueue::Totals> removed = queue->RemoveOtherUrls({1});
  PL_ASSERT_OK(removed);
  EXPECT_EQ(removed->entries, 2u);
  EXPECT_EQ(removed->samples, 9u);
  EXPECT_EQ(queue->Streams(), (std::vector<StreamId>{{1, 0}}));
  queue.reset();
  queue = OpenQueue(dir.path());
  EXPECT_EQ(queue->Streams(), (std::vector<StreamId>{{1, 0}}));
  EXPECT_EQ(queue->url_totals(1).samples, 1u);
}

TEST(WriteQueueTest, TheSourcePositionIsWrittenWithItsEntriesAndSurvivesReopening) {
  TempDir dir;
  auto queue = OpenQueue(dir.path());
  EXPECT_EQ(queue->source_seq(), std::nullopt);
  const StreamId a{UINT64_MAX, 0}, b{0, 0};  // the first and last URL ranges
  PL_ASSERT_OK(queue->Push({}, 5));          // a position alone
  EXPECT_EQ(queue->source_seq(), 5u);
  PL_ASSERT_OK(queue->Push({{a, 1, "a1"}, {b, 1, "b1"}}, 6));
  PL_ASSERT_OK(queue->Push({{a, 1, "a2"}}));  // without: unchanged
  EXPECT_EQ(queue->totals().entries, 3u);
  // Forgetting every URL keeps the position.
  PL_ASSERT_OK(queue->RemoveOtherUrls({}));
  EXPECT_EQ(queue->totals().entries, 0u);
  queue.reset();
  queue = OpenQueue(dir.path());
  EXPECT_EQ(queue->source_seq(), 6u);
  EXPECT_EQ(queue->totals().entries, 0u);
  EXPECT_EQ(queue->Streams(), std::vector<StreamId>{});
}

TEST(WriteQueueTest, ASecondProcessCannotOpenTheSameQueue) {
  TempDir dir;
  auto queue = OpenQueue(dir.path());
  WriteQueueOptions options;
  options.dir = dir.path();
  EXPECT_FALSE(WriteQueue::Open(options).ok());
}

}  // namespace
}  // namespace plumbline::remote
