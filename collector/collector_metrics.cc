#include "collector/collector_metrics.h"

namespace plumbline::collector {
namespace {

prometheus::Counter* Counter(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

uint64_t Load(const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); }

}  // namespace

CollectorMetrics::CollectorMetrics(prometheus::Registry* registry) {
  if (registry == nullptr) {
    own_registry_ = std::make_shared<prometheus::Registry>();
    registry = own_registry_.get();
  }
  prometheus::Registry& r = *registry;
  datagrams_ = &prometheus::BuildCounter()
                    .Name("plumbline_statsd_datagrams_total")
                    .Help("UDP datagrams received.")
                    .Register(r);
  lines_ = &prometheus::BuildCounter()
                .Name("plumbline_statsd_lines_total")
                .Help("Valid lines received, by transport.")
                .Register(r);
  bad_lines_ = &prometheus::BuildCounter()
                    .Name("plumbline_statsd_bad_lines_total")
                    .Help("Lines refused, by reason; the rest of their datagram is still used.")
                    .Register(r);
  for (int i = 1; i < kNumParseErrors; ++i) {
    bad_lines_->Add({{"reason", ParseErrorName(static_cast<ParseError>(i))}});
  }
  series_rejected_ = Counter(r, "plumbline_statsd_series_rejected_total",
                             "Lines refused because the distinct-series cap was reached.");
  truncated_ = Counter(r, "plumbline_statsd_truncated_datagrams_total",
                       "Datagrams longer than the receive buffer (their tail was lost).");
  events_dropped_ = Counter(r, "plumbline_statsd_events_dropped_total",
                            "DogStatsD events dropped because too many arrived in one flush.");
  kernel_drops_ = Counter(r, "plumbline_statsd_kernel_drops_total",
                          "Datagrams the kernel dropped on our UDP sockets (receive buffer full).");
  flush_seconds =
      &prometheus::BuildHistogram()
           .Name("plumbline_statsd_flush_duration_seconds")
           .Help("Time to merge the shards and write one flush.")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  flush_series = &prometheus::BuildGauge()
                      .Name("plumbline_statsd_flush_series")
                      .Help("Series written by the last flush.")
                      .Register(r)
                      .Add({});
  keys = &prometheus::BuildGauge()
              .Name("plumbline_statsd_keys")
              .Help("Distinct (type, name, tags) keys held by the receivers.")
              .Register(r)
              .Add({});
  samples_written =
      Counter(r, "plumbline_statsd_samples_written_total", "Samples the flusher wrote to storage.");
  samples_refused = Counter(r, "plumbline_statsd_samples_refused_total",
                            "Samples the flusher wrote that storage refused.");
  store_failures = Counter(r, "plumbline_statsd_store_failures_total",
                           "Flushes whose write to storage failed (their samples were lost).");
  type_conflicts = Counter(r, "plumbline_statsd_type_conflicts_total",
                           "Keys refused because their series already exists with another type.");
  invalid_series = Counter(r, "plumbline_statsd_invalid_series_total",
                           "Keys refused because they map to an invalid series name or labels.");
  dropped_by_mapping = Counter(r, "plumbline_statsd_mapping_dropped_total",
                               "Keys dropped by a mapping rule (action: drop).");
  events_written = Counter(r, "plumbline_statsd_events_written_total",
                           "DogStatsD events written to the deploy log.");
  events_failed = Counter(r, "plumbline_statsd_events_failed_total",
                          "DogStatsD events the deploy log refused (invalid or store error).");
}

void CollectorMetrics::Publish(const std::vector<Shard*>& shards,
                               const std::vector<std::string>& transports) {
  if (published_.size() < shards.size()) published_.resize(shards.size());
  double keys_total = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const ShardCounters& c = shards[i]->counters();
    Published& p = published_[i];
    const prometheus::Labels transport = {{"transport", transports[i]}};
    auto add = [](prometheus::Counter& counter, uint64_t now, uint64_t* last) {
      if (now > *last) counter.Increment(static_cast<double>(now - *last));
      *last = now;
    };
    add(datagrams_->Add(transport), Load(c.datagrams), &p.datagrams);
    add(lines_->Add(transport), Load(c.lines), &p.lines);
    add(*series_rejected_, Load(c.series_rejected), &p.rejected);
    add(*truncated_, Load(c.truncated), &p.truncated);
    add(*events_dropped_, Load(c.events_dropped), &p.events_dropped);
    for (int e = 1; e < kNumParseErrors; ++e) {
      add(bad_lines_->Add({{"reason", ParseErrorName(static_cast<ParseError>(e))}}),
          Load(c.bad_lines[e]), &p.bad[e]);
    }
    keys_total += static_cast<double>(shards[i]->size());
  }
  keys->Set(keys_total);
}

void CollectorMetrics::SetKernelDrops(uint64_t total) {
  if (total > kernel_drops_published_) {
    kernel_drops_->Increment(static_cast<double>(total - kernel_drops_published_));
  }
  kernel_drops_published_ = total;
}

}  // namespace plumbline::collector
