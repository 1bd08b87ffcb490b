#include "collector/collector.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "collector/collector_metrics.h"
#include "collector/tcp_listener.h"
#include "common/log.h"

namespace plumbline::collector {
namespace {

class CollectorImpl final : public Collector {
 public:
  CollectorImpl(const CollectorOptions& options, Clock* clock) : options_(options), clock_(clock) {}
  ~CollectorImpl() override { Stop(); }

  absl::Status Init(storage::Engine* engine, prometheus::Registry* registry) {
    if (options_.mapping_file.empty()) {
      mapper_ = Mapper::Empty();
    } else {
      absl::StatusOr<std::unique_ptr<Mapper>> mapper = Mapper::LoadFile(options_.mapping_file);
      if (!mapper.ok()) return mapper.status();
      mapper_ = std::move(*mapper);
    }
    metrics_ = std::make_unique<CollectorMetrics>(registry);
    if (options_.statsd_listen) {
      UdpOptions udp;
      udp.listen = *options_.statsd_listen;
      udp.threads = options_.receiver_threads;
      udp.receive_buffer_bytes = options_.receive_buffer_bytes;
      absl::StatusOr<std::unique_ptr<UdpReceivers>> r = UdpReceivers::Start(udp, options_.shard);
      if (!r.ok()) return r.status();
      udp_ = std::move(*r);
    }
    TcpOptions tcp;
    if (options_.statsd_listen) {
      tcp.statsd = *options_.statsd_listen;
      // Same port as UDP (when UDP picked a free port, TCP takes the same number).
      if (udp_) tcp.statsd->port = static_cast<uint16_t>(udp_->port());
    }
    tcp.graphite = options_.graphite_listen;
    if (tcp.statsd || tcp.graphite) {
      absl::StatusOr<std::unique_ptr<TcpListeners>> t = TcpListeners::Start(tcp, options_.shard);
      if (!t.ok()) return t.status();
      tcp_ = std::move(*t);
    }
    std::vector<Shard*> shards;
    if (udp_) {
      for (Shard* s : udp_->shards()) {
        shards.push_back(s);
        transports_.push_back("udp");
      }
    }
    if (tcp_) {
      shards.push_back(tcp_->shard());
      transports_.push_back("tcp");
    }
    shards_ = shards;
    flusher_ =
        std::make_unique<Flusher>(options_.flusher, shards, engine, mapper_.get(), metrics_.get());
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  int statsd_udp_port() const override { return udp_ ? udp_->port() : 0; }
  int statsd_tcp_port() const override { return tcp_ ? tcp_->statsd_port() : 0; }
  int graphite_port() const override { return tcp_ ? tcp_->graphite_port() : 0; }
  uint64_t LinesSeen() const override {
    uint64_t total = 0;
    for (const Shard* s : shards_) {
      const ShardCounters& c = s->counters();
      total += c.lines.load(std::memory_order_relaxed);
      for (const auto& bad : c.bad_lines) total += bad.load(std::memory_order_relaxed);
    }
    return total;
  }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    // The flush thread first (it may be waiting for receivers to close a window), then the
    // receivers, then one last flush of what they got since.
    if (thread_.joinable()) thread_.join();
    if (udp_) udp_->Stop();
    if (tcp_) tcp_->Stop();
    if (flusher_) {
      // Everything received since the last tick, stamped now (after the last grid time).
      const int64_t t = std::max(clock_->NowMs(), last_flush_ms_ + 1);
      const FlushStats stats = flusher_->Flush(t, /*receivers_stopped=*/true);
      Publish();
      PL_LOG(Info) << "final StatsD flush: " << stats.samples_written << " samples of "
                   << stats.series_written << " series";
    }
  }

 private:
  void Publish() {
    metrics_->Publish(shards_, transports_);
    if (udp_) metrics_->SetKernelDrops(udp_->KernelDrops());
  }

  void Loop() {
    const int64_t interval = options_.flusher.interval_ms;
    while (true) {
      const int64_t next = NextGridTime(clock_->NowMs(), interval);
      {
        absl::MutexLock lock(&mu_);
        // Sleeps to the grid time in short steps so a changed (fake) clock is followed too.
        while (!stopping_ && clock_->NowMs() < next) {
          mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               absl::Milliseconds(std::min<int64_t>(100, next - clock_->NowMs())));
        }
        if (stopping_) return;
      }
      flusher_->Flush(next, /*receivers_stopped=*/false);
      last_flush_ms_ = next;
      Publish();
    }
  }

  const CollectorOptions options_;
  Clock* clock_;
  std::unique_ptr<Mapper> mapper_;
  std::unique_ptr<CollectorMetrics> metrics_;
  std::unique_ptr<UdpReceivers> udp_;
  std::unique_ptr<TcpListeners> tcp_;
  std::vector<Shard*> shards_;
  std::vector<std::string> transports_;
  std::unique_ptr<Flusher> flusher_;
  std::thread thread_;
  // Written by the flush thread, read by Stop after joining it.
  int64_t last_flush_ms_ = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Collector>> Collector::Start(const CollectorOptions& options,
                                                            storage::Engine* engine,
                                                            prometheus::Registry* registry) {
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Get();
  auto collector = std::make_unique<CollectorImpl>(options, clock);
  absl::Status s = collector->Init(engine, registry);
  if (!s.ok()) return s;
  return std::unique_ptr<Collector>(std::move(collector));
}

}  // namespace plumbline::collector
