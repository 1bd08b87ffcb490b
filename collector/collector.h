// The collector: UDP receivers, TCP listeners (StatsD and Graphite) and the flusher, wired to
// storage. Start() binds everything or fails with a message naming the address; Stop() stops
// receiving and runs a final flush. Thread-safe for Start/Stop from one owner thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "collector/flusher.h"
#include "collector/shard.h"
#include "collector/udp_receiver.h"
#include "common/clock.h"
#include "common/host_port.h"
#include "storage/engine.h"

namespace prometheus {
class Registry;
}

namespace plumbline::collector {

struct CollectorOptions {
  std::optional<HostPort> statsd_listen;    // UDP and TCP; unset: no StatsD listener
  std::optional<HostPort> graphite_listen;  // unset: no Graphite listener
  int receiver_threads = 0;                 // UDP sockets/threads; 0: one per core
  int receive_buffer_bytes = 32 << 20;
  std::string mapping_file;  // statsd_exporter-style rules; empty: none
  ShardOptions shard;
  FlusherOptions flusher;  // interval_ms is the flush interval
  Clock* clock = nullptr;  // default: the system clock
};

class Collector {
 public:
  static absl::StatusOr<std::unique_ptr<Collector>> Start(const CollectorOptions& options,
                                                          storage::Engine* engine,
                                                          prometheus::Registry* registry);
  virtual ~Collector() = default;
  virtual int statsd_udp_port() const = 0;
  virtual int statsd_tcp_port() const = 0;
  virtual int graphite_port() const = 0;
  // Lines received so far, valid or refused, on every transport (for tests and tools).
  virtual uint64_t LinesSeen() const = 0;
  // Stops the receivers, then writes what they received since the last flush. Idempotent.
  virtual void Stop() = 0;
};

// The next flush time after `now_ms` on the grid of `interval_ms` (wall-clock aligned).
inline int64_t NextGridTime(int64_t now_ms, int64_t interval_ms) {
  return (now_ms / interval_ms + 1) * interval_ms;
}

}  // namespace plumbline::collector
