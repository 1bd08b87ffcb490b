// StatsD over TCP (newline-delimited) and Graphite plaintext over TCP, on one Asio thread that
// owns one Shard. Reads are asynchronous, so a slow or hostile client never blocks the others;
// a line longer than 64 KiB is dropped (counted as too_long) and the rest of the stream is
// still read; idle connections close after 5 minutes; at most 1024 connections.
#pragma once

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "collector/shard.h"
#include "common/host_port.h"

namespace plumbline::collector {

struct TcpOptions {
  std::optional<HostPort> statsd;    // StatsD TCP, when set
  std::optional<HostPort> graphite;  // Graphite plaintext, when set
};

// Thread-safe: Start/Stop from the owner; everything else runs on its own thread.
class TcpListeners {
 public:
  static absl::StatusOr<std::unique_ptr<TcpListeners>> Start(const TcpOptions& options,
                                                             const ShardOptions& shard_options);
  virtual ~TcpListeners() = default;
  virtual int statsd_port() const = 0;
  virtual int graphite_port() const = 0;
  virtual Shard* shard() = 0;
  // Closes listeners and connections and joins the thread; the shard stays readable.
  virtual void Stop() = 0;
};

}  // namespace plumbline::collector
