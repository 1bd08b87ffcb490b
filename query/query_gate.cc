#include "query/query_gate.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace plumbline::query {

absl::Status QueryGate::Enter(double deadline_seconds) {
  absl::MutexLock lock(&mu_);
  if (running_ < max_running_) {
    ++running_;
    return absl::OkStatus();
  }
  if (waiting_ >= max_waiting_) {
    return absl::UnavailableError(absl::StrCat("too many queries: ", running_, " running and ",
                                               waiting_, " waiting; try again later"));
  }
  ++waiting_;
  const double left = deadline_seconds - MonotonicSeconds();
  const bool turn =
      left > 0 &&
      mu_.AwaitWithTimeout(absl::Condition(this, &QueryGate::HasTurnLocked), absl::Seconds(left));
  --waiting_;
  if (!turn) return absl::DeadlineExceededError("query timed out in query queue");
  ++running_;
  return absl::OkStatus();
}

void QueryGate::Leave() {
  absl::MutexLock lock(&mu_);
  --running_;
}

int QueryGate::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

int QueryGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

}  // namespace plumbline::query
