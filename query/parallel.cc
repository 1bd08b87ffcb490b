// The worker pool behind ParallelBlocks (query/internal/parallel.h).
#include "query/internal/parallel.h"

#include <pthread.h>

#include <deque>
#include <utility>

namespace plumbline::query::internal {

void ParallelCall::Help(unsigned worker) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    ++active_;
  }
  run_(worker);  // catches its own exceptions
  absl::MutexLock lock(&mu_);
  --active_;
}

void ParallelCall::CloseAndWait() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  mu_.Await(absl::Condition(
      +[](int* active) { return *active == 0; }, &active_));
}

namespace {

// Threads that take helper slots off a queue, one per core but one (the caller is the
// other), at most 7; started on first use and kept for the life of the process.
class Pool {
 public:
  Pool() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned n = std::min(cores, 8u) - 1;
    for (unsigned i = 0; i < n; ++i) std::thread([this] { Loop(); }).detach();
  }

  void Offer(const std::shared_ptr<ParallelCall>& call, unsigned helpers) {
    absl::MutexLock lock(&mu_);
    for (unsigned w = 1; w <= helpers; ++w) queue_.emplace_back(call, w);
  }

 private:
  void Loop() {
    pthread_setname_np(pthread_self(), "query-worker");  // for top -H and profiles
    while (true) {
      std::pair<std::shared_ptr<ParallelCall>, unsigned> slot;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](std::deque<std::pair<std::shared_ptr<ParallelCall>, unsigned>>* q) {
              return !q->empty();
            },
            &queue_));
        slot = std::move(queue_.front());
        queue_.pop_front();
      }
      slot.first->Help(slot.second);
    }
  }

  absl::Mutex mu_;
  std::deque<std::pair<std::shared_ptr<ParallelCall>, unsigned>> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void OfferToPool(const std::shared_ptr<ParallelCall>& call, unsigned helpers) {
  static Pool* const pool = new Pool();  // never destroyed: its threads run until exit
  pool->Offer(call, helpers);
}

}  // namespace plumbline::query::internal
