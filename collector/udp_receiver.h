// UDP receivers: one thread per SO_REUSEPORT socket, each feeding its own Shard.
//
// Hot path, one thread per socket:
//   recvmmsg(<= kBatch, MSG_WAITFORONE) -> for each of the `received` datagrams (never the
//   batch size: stale buffers are never re-parsed) -> Shard::HandleDatagram -> switch epoch if
//   the flusher asked.
// Per datagram: no allocation, no mutex, no logging; failures bump the shard's counters.
// After a short batch the thread naps 2 ms (when the receive buffer can hold that much
// traffic), trading half a millisecond of latency for one wake-up per batch, not per datagram.
// An idle socket wakes every 100 ms (SO_RCVTIMEO) to switch epochs and notice Stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/shard.h"
#include "common/host_port.h"

namespace plumbline::collector {

struct UdpOptions {
  HostPort listen{"127.0.0.1", 8125};
  int threads = 0;                      // 0: one per core
  int receive_buffer_bytes = 32 << 20;  // SO_RCVBUF(FORCE); the kernel may cap it (rmem_max)
};

// Thread-safe: Start/Stop from the owner thread; the receiver threads own their shards' hot
// state (see shard.h).
class UdpReceivers {
 public:
  // Binds every socket (all on one port; port 0 picks one) and starts the threads.
  static absl::StatusOr<std::unique_ptr<UdpReceivers>> Start(const UdpOptions& options,
                                                             const ShardOptions& shard_options);
  ~UdpReceivers();

  int port() const { return port_; }
  int receive_buffer_bytes() const { return receive_buffer_; }
  std::vector<Shard*> shards() const;
  // Datagrams the kernel dropped on our sockets so far (from /proc/net/udp{,6}).
  uint64_t KernelDrops() const;
  // Stops and joins the threads; the shards stay readable (final flush).
  void Stop();

 private:
  UdpReceivers() = default;
  void Run(size_t index);

  std::vector<int> fds_;
  std::vector<uint64_t> inodes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  // Writer: Stop (relaxed); readers: receiver threads between batches. They wake within
  // 100 ms and the join orders everything after.
  std::atomic<bool> stop_{false};
  int port_ = 0;
  int receive_buffer_ = 0;
};

}  // namespace plumbline::collector
