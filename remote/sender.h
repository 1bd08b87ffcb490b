// The remote-write sender: queues samples on disk (WriteQueue) and sends them, in Prometheus
// remote write 1.0, to every configured URL.
//
// Per URL there are `shards` threads. A series always goes to the same shard (a stable hash
// of its labels), and each shard sends its stream oldest first, one request at a time, so
// samples of a series arrive in the order they were queued. Per response:
//   2xx                      -> the entry is deleted (samples_sent);
//   429, 5xx, no connection  -> the same entry is sent again after a backoff (samples_retried):
//                               min_backoff doubling to max_backoff, with jitter; never dropped;
//   any other status         -> the entry is deleted and counted (samples_dropped{reason=
//                               "rejected"}): the receiver will never take it (as Prometheus).
// The queue is bounded in bytes; when full its oldest entries are dropped (reason
// "queue_full"). Delivery is at least once: a request whose response was lost is sent again.
//
// Hot path, once per flush (from the flusher, the rules, the event log), in Enqueue: one
// stable hash per series, protobuf building, snappy, then one RocksDB write for all URLs and
// shards. Sending happens on the shard threads.
//
// Thread-safe. Stop (or the destructor) ends the shard threads within about
// stop_grace_ms + 1 s: no new request starts; one in flight may finish within the grace (so
// that a request the receiver took is not sent again by the next start), else it is
// abandoned and stays queued.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "remote/write_queue.h"
#include "storage/labels.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace plumbline::remote {

struct SenderOptions {
  std::vector<std::string> urls;  // http:// or https://, at least one
  int shards = 2;                 // per URL
  std::string queue_dir;          // e.g. <data-dir>/remote-write
  uint64_t queue_max_bytes = 1ULL << 30;
  size_t max_samples_per_request = 2000;
  int64_t min_backoff_ms = 100;
  int64_t max_backoff_ms = 30'000;
  int64_t request_timeout_ms = 30'000;
  int64_t stop_grace_ms = 2'000;
  prometheus::Registry* registry = nullptr;  // self-metrics, when set
};

// One sample of a series; `labels` must stay valid during Enqueue.
struct SeriesSample {
  const storage::Labels* labels;
  int64_t t_ms;
  double v;
};

// InvalidArgument unless `url` is an http:// or https:// URL with a host and no spaces or
// fragment (credentials as user:password@ and a query string are allowed).
absl::Status ValidateRemoteWriteUrl(std::string_view url);

// The shard of a series among `shards`: stable across processes and versions.
uint32_t ShardOf(const storage::Labels& labels, uint32_t shards);
// The queue's id of a URL: stable across processes and versions.
uint64_t UrlId(std::string_view url);

class Sender {
 public:
  // Opens the queue, forgets what it holds for URLs no longer configured (logged), and
  // starts the shard threads, which begin with what a previous run left queued.
  static absl::StatusOr<std::unique_ptr<Sender>> Start(const SenderOptions& options);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Queues `samples` (in order) for every URL, in one atomic write, together with
  // `head_seq` (when given: the store's head-log record they came from; see
  // ForwardingEngine::Recover). An error means nothing was queued.
  absl::Status Enqueue(absl::Span<const SeriesSample> samples,
                       std::optional<uint64_t> head_seq = std::nullopt);
  // The head-log record the last Enqueue with one named (before this process too).
  std::optional<uint64_t> queued_head_seq() const;
  // Counts samples that could not be queued, for every URL.
  void CountDropped(uint64_t samples, std::string_view reason);
  // Ends the shard threads (bounded); what is queued stays queued. Idempotent.
  void Stop();

  struct UrlStats {
    uint64_t sent = 0;
    uint64_t retried = 0;
    uint64_t dropped = 0;  // every reason
    WriteQueue::Totals queued;
  };
  UrlStats url_stats(size_t url_index) const;
  size_t url_count() const { return urls_.size(); }

 private:
  struct Url;
  struct Shard;

  explicit Sender(const SenderOptions& options);
  void RunShard(Shard* shard);
  void UpdateQueueGauges(const Url& url);
  // Waits until `deadline`, Stop, or another shard of `url` recovering; false when stopped.
  bool SleepUntil(absl::Time deadline, const Url& url);

  const SenderOptions options_;
  std::unique_ptr<WriteQueue> queue_;
  std::vector<std::unique_ptr<Url>> urls_;
  absl::flat_hash_map<uint64_t, Url*> urls_by_id_;  // built before the threads start
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  std::shared_ptr<prometheus::Registry> own_registry_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;

  // When transfers in flight are abandoned (steady clock ms, 0: not stopping). Writer: Stop;
  // readers: the shard threads' HTTP transfers (relaxed: only the value matters).
  std::atomic<int64_t> abort_at_ms_{0};
  absl::Mutex wake_mu_;
  absl::CondVar wake_cv_;
  bool stop_ ABSL_GUARDED_BY(wake_mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(wake_mu_) = 0;  // bumped by every Enqueue
};

}  // namespace plumbline::remote
