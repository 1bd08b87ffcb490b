// Bounds how many queries evaluate at once and how many may wait for a turn, as Prometheus'
// --query.max-concurrency does. Queries run on the HTTP server's threads, so the bound on
// waiting queries also keeps threads free for everything else (/-/healthy, /metrics, the
// UI): beyond it a query is refused at once instead of taking another thread.
//
// Thread-safe.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace plumbline::query {

class QueryGate {
 public:
  QueryGate(int max_running, int max_waiting)
      : max_running_(max_running), max_waiting_(max_waiting) {}

  // Waits for a turn until `deadline_seconds` (MonotonicSeconds()). OK: the caller runs and
  // must call Leave(). Unavailable when max_waiting queries already wait;
  // DeadlineExceeded ("query timed out in query queue") when no turn came in time.
  absl::Status Enter(double deadline_seconds);
  void Leave();

  int running() const;
  int waiting() const;

 private:
  bool HasTurnLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ < max_running_; }

  const int max_running_;
  const int max_waiting_;
  mutable absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

// Enter() on construction, Leave() on destruction when entered.
class QueryTurn {
 public:
  QueryTurn(QueryGate* gate, double deadline_seconds)
      : gate_(gate), status_(gate->Enter(deadline_seconds)) {}
  ~QueryTurn() {
    if (status_.ok()) gate_->Leave();
  }
  QueryTurn(const QueryTurn&) = delete;
  QueryTurn& operator=(const QueryTurn&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  QueryGate* gate_;
  absl::Status status_;
};

}  // namespace plumbline::query
