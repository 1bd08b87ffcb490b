#include "remote/sender.h"

#include <algorithm>
#include <map>
#include <random>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "common/url.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "remote/http_post.h"
#include "remote/write_request.h"

namespace plumbline::remote {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t Fnv(uint64_t h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

// Labels in the order the protocol asks for (sorted by name, byte order): the canonical
// order but with __name__ at its place among the others.
void AddLabels(const storage::Labels& labels, prometheus::TimeSeries* ts) {
  const std::vector<storage::Label>& items = labels.items();
  const storage::Label* name = nullptr;
  size_t i = 0;
  if (!items.empty() && items[0].name == storage::kMetricNameLabel) {
    name = &items[0];
    i = 1;
  }
  auto add = [ts](const storage::Label& l) {
    prometheus::Label* out = ts->add_labels();
    out->set_name(l.name);
    out->set_value(l.value);
  };
  for (; i < items.size(); ++i) {
    if (name != nullptr && items[i].name > storage::kMetricNameLabel) {
      add(*name);
      name = nullptr;
    }
    add(items[i]);
  }
  if (name != nullptr) add(*name);
}

// Builds the requests of one shard, split at max_samples.
class RequestBuilder {
 public:
  explicit RequestBuilder(size_t max_samples) : max_samples_(max_samples) {}

  void Add(const SeriesSample& s) {
    auto [it, inserted] = series_.try_emplace(s.labels, 0);
    if (inserted) {
      it->second = request_.timeseries_size();
      AddLabels(*s.labels, request_.add_timeseries());
    }
    prometheus::Sample* sample = request_.mutable_timeseries(it->second)->add_samples();
    sample->set_timestamp(s.t_ms);
    sample->set_value(s.v);
    if (++samples_ >= max_samples_) Finish();
  }

  void Finish() {
    if (samples_ == 0) return;
    bodies_.emplace_back(EncodeWriteRequest(request_), samples_);
    request_.Clear();
    series_.clear();
    samples_ = 0;
  }

  const std::vector<std::pair<std::string, uint32_t>>& bodies() const { return bodies_; }

 private:
  const size_t max_samples_;
  prometheus::WriteRequest request_;
  absl::flat_hash_map<const storage::Labels*, int> series_;
  uint32_t samples_ = 0;
  std::vector<std::pair<std::string, uint32_t>> bodies_;  // body, samples
};

}  // namespace

absl::Status ValidateRemoteWriteUrl(std::string_view url) {
  size_t host = 0;
  if (url.substr(0, 7) == "http://") {
    host = 7;
  } else if (url.substr(0, 8) == "https://") {
    host = 8;
  } else {
    return absl::InvalidArgumentError(
        "expected an http:// or https:// URL of a remote-write receiver");
  }
  const size_t end = url.find_first_of("/?", host);
  std::string_view authority =
      url.substr(host, end == std::string_view::npos ? url.npos : end - host);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty() || authority[0] == ':') {
    return absl::InvalidArgumentError("the URL has no host");
  }
  if (url.find_first_of("# \t\r\n") != std::string_view::npos) {
    return absl::InvalidArgumentError("expected a URL without fragment or spaces");
  }
  return absl::OkStatus();
}

uint32_t ShardOf(const storage::Labels& labels, uint32_t shards) {
  uint64_t h = kFnvOffset;
  for (const storage::Label& l : labels.items()) {
    h = Fnv(h, l.name);
    h = Fnv(h, std::string_view("\0", 1));
    h = Fnv(h, l.value);
    h = Fnv(h, std::string_view("\0", 1));
  }
  return static_cast<uint32_t>(h % shards);
}

uint64_t UrlId(std::string_view url) { return Fnv(kFnvOffset, url); }

struct Sender::Url {
  // Bumped when a shard of this URL succeeds after failures: its sibling shards in a backoff
  // try again at once instead of sleeping out their (up to max_backoff) wait. Writer: that
  // shard, then it signals wake_cv_ under wake_mu_; readers: the siblings, under wake_mu_
  // (relaxed: the mutex orders it).
  std::atomic<uint64_t> recoveries{0};
  std::string url;
  std::string label;  // without credentials
  uint64_t id = 0;
  prometheus::Counter* sent = nullptr;
  prometheus::Counter* retried = nullptr;
  prometheus::Family<prometheus::Counter>* dropped = nullptr;
  prometheus::Gauge* queue_bytes = nullptr;
  prometheus::Gauge* queue_entries = nullptr;
  prometheus::Gauge* queue_samples = nullptr;
};

// One sending thread: the streams it owns, oldest configuration first.
struct Sender::Shard {
  Url* url = nullptr;
  uint32_t index = 0;
  std::vector<StreamId> streams;
  std::unique_ptr<HttpPoster> poster;
};

Sender::Sender(const SenderOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<Sender>> Sender::Start(const SenderOptions& options) {
  if (options.urls.empty()) return absl::InvalidArgumentError("remote write: no URL");
  if (options.shards < 1) {
    return absl::InvalidArgumentError("remote-write-shards: must be at least 1");
  }
  auto sender = std::unique_ptr<Sender>(new Sender(options));
  prometheus::Registry* registry = options.registry;
  if (registry == nullptr) {
    sender->own_registry_ = std::make_shared<prometheus::Registry>();
    registry = sender->own_registry_.get();
  }
  auto& sent = prometheus::BuildCounter()
                   .Name("plumbline_remote_write_samples_sent_total")
                   .Help("Samples the remote-write receiver accepted (2xx).")
                   .Register(*registry);
  auto& retried = prometheus::BuildCounter()
                      .Name("plumbline_remote_write_samples_retried_total")
                      .Help("Samples sent again after a 429, a 5xx or a connection error.")
                      .Register(*registry);
  auto& dropped = prometheus::BuildCounter()
                      .Name("plumbline_remote_write_samples_dropped_total")
                      .Help(
                          "Samples given up, by reason: rejected (another 4xx), queue_full "
                          "(oldest dropped to honour remote-write-queue-max-bytes), "
                          "queue_error (the queue could not be written), unknown_ref (a series "
                          "appended by a ref the sender never saw).")
                      .Register(*registry);
  sender->requests_ = &prometheus::BuildCounter()
                           .Name("plumbline_remote_write_requests_total")
                           .Help("Remote-write requests by HTTP status (\"error\": no response).")
                           .Register(*registry);
  auto& bytes = prometheus::BuildGauge()
                    .Name("plumbline_remote_write_queue_bytes")
                    .Help("Bytes waiting in the remote-write queue on disk.")
                    .Register(*registry);
  auto& entries = prometheus::BuildGauge()
                      .Name("plumbline_remote_write_queue_entries")
                      .Help("Requests waiting in the remote-write queue on disk.")
                      .Register(*registry);
  auto& samples = prometheus::BuildGauge()
                      .Name("plumbline_remote_write_queue_samples")
                      .Help("Samples waiting in the remote-write queue on disk.")
                      .Register(*registry);
  std::vector<uint64_t> ids;
  for (const std::string& u : options.urls) {
    auto url = std::make_unique<Url>();
    url->url = u;
    url->label = WithoutUserInfo(u);
    url->id = UrlId(u);
    if (sender->urls_by_id_.contains(url->id)) continue;  // listed twice
    url->sent = &sent.Add({{"url", url->label}});
    url->retried = &retried.Add({{"url", url->label}});
    url->dropped = &dropped;
    for (const char* reason : {"rejected", "queue_full", "queue_error", "unknown_ref"}) {
      dropped.Add({{"url", url->label}, {"reason", reason}});
    }
    url->queue_bytes = &bytes.Add({{"url", url->label}});
    url->queue_entries = &entries.Add({{"url", url->label}});
    url->queue_samples = &samples.Add({{"url", url->label}});
    sender->urls_by_id_[url->id] = url.get();
    ids.push_back(url->id);
    sender->urls_.push_back(std::move(url));
  }

  WriteQueueOptions queue_options;
  queue_options.dir = options.queue_dir;
  queue_options.max_bytes = options.queue_max_bytes;
  Sender* self = sender.get();
  queue_options.on_dropped = [self](uint64_t url_id, uint64_t, uint64_t dropped_samples) {
    auto it = self->urls_by_id_.find(url_id);
    if (it == self->urls_by_id_.end()) return;
    it->second->dropped->Add({{"url", it->second->label}, {"reason", "queue_full"}})
        .Increment(static_cast<double>(dropped_samples));
  };
  absl::StatusOr<std::unique_ptr<WriteQueue>> queue = WriteQueue::Open(queue_options);
  if (!queue.ok()) return queue.status();
  sender->queue_ = *std::move(queue);
  absl::StatusOr<WriteQueue::Totals> removed = sender->queue_->RemoveOtherUrls(ids);
  if (!removed.ok()) return removed.status();
  if (removed->entries > 0) {
    PL_LOG(Warn) << "remote write: dropped " << removed->samples
                 << " queued samples for URLs no longer configured";
  }
  const WriteQueue::Totals left = sender->queue_->totals();
  if (left.entries > 0) {
    PL_LOG(Info) << "remote write: " << left.samples << " samples (" << left.bytes
                 << " bytes) queued by a previous run will be sent first";
  }

  // Streams left by a run with more shards go to shard k % shards, before its own stream.
  const std::vector<StreamId> existing = sender->queue_->Streams();
  const auto shard_count = static_cast<uint32_t>(options.shards);
  for (const auto& url : sender->urls_) {
    for (uint32_t s = 0; s < shard_count; ++s) {
      auto shard = std::make_unique<Shard>();
      shard->url = url.get();
      shard->index = s;
      for (const StreamId& id : existing) {
        if (id.url_id == url->id && id.shard >= shard_count && id.shard % shard_count == s) {
          shard->streams.push_back(id);
        }
      }
      shard->streams.push_back(StreamId{url->id, s});
      shard->poster =
          std::make_unique<HttpPoster>(options.request_timeout_ms, &sender->abort_at_ms_);
      sender->shards_.push_back(std::move(shard));
    }
    sender->UpdateQueueGauges(*url);
  }
  for (const auto& shard : sender->shards_) {
    sender->threads_.emplace_back([self, s = shard.get()] { self->RunShard(s); });
  }
  return sender;
}

Sender::~Sender() { Stop(); }

void Sender::Stop() {
  {
    absl::MutexLock lock(&wake_mu_);
    stop_ = true;
    if (abort_at_ms_.load(std::memory_order_relaxed) == 0) {
      abort_at_ms_.store(SteadyNowMs() + options_.stop_grace_ms, std::memory_order_relaxed);
    }
    wake_cv_.SignalAll();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

absl::Status Sender::Enqueue(absl::Span<const SeriesSample> samples,
                             std::optional<uint64_t> head_seq) {
  if (samples.empty() && !head_seq.has_value()) return absl::OkStatus();
  const auto shard_count = static_cast<uint32_t>(options_.shards);
  std::vector<RequestBuilder> builders(shard_count,
                                       RequestBuilder(options_.max_samples_per_request));
  absl::flat_hash_map<const storage::Labels*, uint32_t> shard_of;
  for (const SeriesSample& s : samples) {
    auto [it, inserted] = shard_of.try_emplace(s.labels, 0);
    if (inserted) it->second = ShardOf(*s.labels, shard_count);
    builders[it->second].Add(s);
  }
  std::vector<WriteQueue::Item> items;
  for (uint32_t shard = 0; shard < shard_count; ++shard) {
    builders[shard].Finish();
    for (const auto& [body, count] : builders[shard].bodies()) {
      for (const auto& url : urls_) {
        items.push_back(WriteQueue::Item{StreamId{url->id, shard}, count, body});
      }
    }
  }
  const absl::Status pushed = queue_->Push(items, head_seq);
  for (const auto& url : urls_) UpdateQueueGauges(*url);
  if (!pushed.ok()) return pushed;
  absl::MutexLock lock(&wake_mu_);
  ++generation_;
  wake_cv_.SignalAll();
  return absl::OkStatus();
}

std::optional<uint64_t> Sender::queued_head_seq() const { return queue_->source_seq(); }

void Sender::CountDropped(uint64_t samples, std::string_view reason) {
  for (const auto& url : urls_) {
    url->dropped->Add({{"url", url->label}, {"reason", std::string(reason)}})
        .Increment(static_cast<double>(samples));
  }
}

void Sender::UpdateQueueGauges(const Url& url) {
  const WriteQueue::Totals t = queue_->url_totals(url.id);
  url.queue_bytes->Set(static_cast<double>(t.bytes));
  url.queue_entries->Set(static_cast<double>(t.entries));
  url.queue_samples->Set(static_cast<double>(t.samples));
}

bool Sender::SleepUntil(absl::Time deadline, const Url& url) {
  absl::MutexLock lock(&wake_mu_);
  const uint64_t recoveries = url.recoveries.load(std::memory_order_relaxed);
  while (!stop_ && absl::Now() < deadline &&
         url.recoveries.load(std::memory_order_relaxed) == recoveries) {
    wake_cv_.WaitWithDeadline(&wake_mu_, deadline);
  }
  return !stop_;
}

// Runs on the shard's thread until Stop:
//   oldest entry of its streams -> POST -> delete / back off and send it again / drop
// One request at a time, so the order of a stream is the order of arrival.
void Sender::RunShard(Shard* shard) {
  Url& url = *shard->url;
  std::minstd_rand random(static_cast<uint32_t>(url.id) ^ (shard->index * 2654435761U));
  int64_t backoff_ms = 0;
  bool failing = false;
  int last_rejected_status = 0;
  auto back_off = [&]() {
    backoff_ms = backoff_ms == 0 ? options_.min_backoff_ms
                                 : std::min(2 * backoff_ms, options_.max_backoff_ms);
    // Jitter: between half and all of the backoff, so shards do not retry in step.
    const int64_t wait_ms =
        backoff_ms / 2 + static_cast<int64_t>(random() % static_cast<uint64_t>(backoff_ms / 2 + 1));
    return SleepUntil(absl::Now() + absl::Milliseconds(wait_ms), url);
  };
  for (;;) {
    uint64_t generation = 0;
    {
      absl::MutexLock lock(&wake_mu_);
      if (stop_) return;
      generation = generation_;
    }
    std::optional<QueueEntry> entry;
    StreamId stream;
    absl::Status read_status;
    for (const StreamId& id : shard->streams) {
      absl::StatusOr<std::optional<QueueEntry>> front = queue_->Front(id);
      if (!front.ok()) {
        read_status = front.status();
        break;
      }
      if (front->has_value()) {
        entry = std::move(**front);
        stream = id;
        break;
      }
    }
    if (!read_status.ok()) {
      PL_LOG(Error) << "remote write to " << url.label << ": " << read_status.message();
      if (!back_off()) return;
      continue;
    }
    if (!entry) {
      absl::MutexLock lock(&wake_mu_);
      while (!stop_ && generation_ == generation) {
        wake_cv_.WaitWithTimeout(&wake_mu_, absl::Seconds(1));
      }
      continue;
    }

    absl::StatusOr<HttpPoster::Response> response = shard->poster->Post(url.url, entry->body);
    const std::string code = response.ok() ? StrCat(response->status) : "error";
    requests_->Add({{"url", url.label}, {"code", code}}).Increment();
    const bool retry = !response.ok() || response->status == 429 || response->status >= 500;
    if (retry) {
      {
        absl::MutexLock lock(&wake_mu_);
        if (stop_) return;  // abandoned by Stop: stays queued, not a retry
      }
      url.retried->Increment(entry->samples);
      if (!failing) {
        failing = true;
        PL_LOG(Warn) << "remote write to " << url.label << " failed, retrying with backoff: "
                     << (response.ok() ? StrCat("HTTP ", response->status, " ", response->body)
                                       : std::string(response.status().message()));
      }
      if (!back_off()) return;
      continue;
    }
    backoff_ms = 0;
    if (failing) {
      failing = false;
      PL_LOG(Info) << "remote write to " << url.label << " recovered";
      absl::MutexLock lock(&wake_mu_);
      url.recoveries.fetch_add(1, std::memory_order_relaxed);
      wake_cv_.SignalAll();
    }
    if (response->status >= 200 && response->status < 300) {
      url.sent->Increment(entry->samples);
    } else {
      url.dropped->Add({{"url", url.label}, {"reason", "rejected"}}).Increment(entry->samples);
      if (response->status != last_rejected_status) {
        last_rejected_status = response->status;
        PL_LOG(Warn) << "remote write to " << url.label << ": HTTP " << response->status
                     << ", request of " << entry->samples
                     << " samples dropped (counted; not logged again while the status stays "
                        "the same): "
                     << response->body;
      }
    }
    if (absl::Status s = queue_->Pop(stream, entry->seq); !s.ok()) {
      PL_LOG(Error) << "remote write to " << url.label << ": " << s.message();
    }
    UpdateQueueGauges(url);
  }
}

Sender::UrlStats Sender::url_stats(size_t url_index) const {
  const Url& url = *urls_[url_index];
  UrlStats stats;
  stats.sent = static_cast<uint64_t>(url.sent->Value());
  stats.retried = static_cast<uint64_t>(url.retried->Value());
  for (const char* reason : {"rejected", "queue_full", "queue_error", "unknown_ref"}) {
    stats.dropped +=
        static_cast<uint64_t>(url.dropped->Add({{"url", url.label}, {"reason", reason}}).Value());
  }
  stats.queued = queue_->url_totals(url.id);
  return stats;
}

}  // namespace plumbline::remote
