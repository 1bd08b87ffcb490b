// QueryGate: a bounded number of queries run, a bounded number wait, the rest are refused at
// once; a wait ends at the query's deadline.
#include "query/query_gate.h"

#include <atomic>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "query/api_error.h"

namespace plumbline::query {
namespace {

double In(double seconds) { return MonotonicSeconds() + seconds; }

// Spins (bounded) until `pred` holds; false after 10 s.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 10000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST(QueryGateTest, AWaitingQueryRunsWhenARunningOneLeaves) {
  QueryGate gate(/*max_running=*/2, /*max_waiting=*/4);
  ASSERT_TRUE(gate.Enter(In(5)).ok());
  ASSERT_TRUE(gate.Enter(In(5)).ok());
  std::atomic<bool> entered{false};
  std::thread waiter([&] {
    QueryTurn turn(&gate, In(30));
    EXPECT_TRUE(turn.status().ok()) << turn.status();
    entered = true;
  });
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 1; }));
  EXPECT_FALSE(entered.load());
  gate.Leave();
  waiter.join();
  EXPECT_TRUE(entered.load());
  EXPECT_EQ(gate.waiting(), 0);
  EXPECT_EQ(gate.running(), 1);  // the waiter's turn ended with it
  gate.Leave();
  EXPECT_EQ(gate.running(), 0);
}

TEST(QueryGateTest, BeyondTheWaitingBoundAQueryIsRefusedAtOnce) {
  QueryGate gate(/*max_running=*/1, /*max_waiting=*/1);
  ASSERT_TRUE(gate.Enter(In(5)).ok());
  std::thread waiter([&] { EXPECT_TRUE(QueryTurn(&gate, In(30)).status().ok()); });
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 1; }));
  const double before = MonotonicSeconds();
  absl::Status refused = gate.Enter(In(30));
  EXPECT_LT(MonotonicSeconds() - before, 5.0);  // not after waiting: at once
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_EQ(ApiErrorHttpStatus(ApiErrorTypeForStatus(refused)), 503);
  EXPECT_EQ(ApiErrorTypeName(ApiErrorTypeForStatus(refused)), "unavailable");
  gate.Leave();
  waiter.join();
}

TEST(QueryGateTest, AWaitEndsAtTheQueryDeadline) {
  QueryGate gate(/*max_running=*/1, /*max_waiting=*/1);
  ASSERT_TRUE(gate.Enter(In(5)).ok());
  absl::Status late = gate.Enter(In(0.05));
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(late.message(), "query timed out in query queue");
  EXPECT_EQ(ApiErrorTypeName(ApiErrorTypeForStatus(late)), "timeout");
  EXPECT_EQ(gate.waiting(), 0);
  // An already passed deadline does not wait at all.
  EXPECT_EQ(gate.Enter(In(-1)).code(), absl::StatusCode::kDeadlineExceeded);
  gate.Leave();
  EXPECT_TRUE(gate.Enter(In(5)).ok());
  gate.Leave();
}

}  // namespace
}  // namespace plumbline::query
