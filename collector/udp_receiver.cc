#include "collector/udp_receiver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"

namespace plumbline::collector {
namespace {

// 64 datagram slots of 64 KiB: more slots cost TLB misses on every datagram (measured: at
// 256 slots the unthrottled cell took 0.099 CPU-s per million lines, at 64 0.086).
constexpr int kBatch = 64;
// After a short batch, a receiver naps this long before asking again, so that the next
// recvmmsg takes many datagrams instead of waking once per datagram: at 200 k datagrams/s a
// wake-up per datagram is most of the CPU. Only with a receive buffer large enough to hold a
// nap's worth of traffic at well over a million datagrams/s: a small datagram takes about
// 1 KiB of the buffer (SO_RCVBUF as the kernel reports it, doubled from what was asked).
constexpr int64_t kNapNs = 2'000'000;
constexpr int kNapMinBuffer = 8 << 20;
// At stop, how long a receiver may keep draining its socket (a full 64 MiB buffer takes
// about 0.1 s).
constexpr double kDrainSeconds = 1.0;
constexpr size_t kMaxDatagram = 65536;  // larger than any UDP payload

absl::Status Errno(std::string_view what, const HostPort& listen) {
  return absl::UnavailableError(StrCat("cannot listen on ", listen.ToString(),
                                       " (StatsD UDP): ", what, ": ", std::strerror(errno)));
}

// The socket address of `listen` (IP literal or a resolvable name).
absl::StatusOr<sockaddr_storage> Resolve(const HostPort& listen, socklen_t* len) {
  sockaddr_storage addr{};
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(listen.port);
  const int rc = getaddrinfo(listen.host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    return absl::InvalidArgumentError(
        StrCat("cannot listen on ", listen.ToString(), " (StatsD UDP): ", gai_strerror(rc)));
  }
  std::memcpy(&addr, result->ai_addr, result->ai_addrlen);
  *len = result->ai_addrlen;
  freeaddrinfo(result);
  return addr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpReceivers>> UdpReceivers::Start(
    const UdpOptions& options, const ShardOptions& shard_options) {
  socklen_t addr_len = 0;
  absl::StatusOr<sockaddr_storage> addr = Resolve(options.listen, &addr_len);
  if (!addr.ok()) return addr.status();
  std::unique_ptr<UdpReceivers> r(new UdpReceivers());
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    const int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Errno("socket", options.listen);
    r->fds_.push_back(fd);
    const int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return Errno("SO_REUSEPORT", options.listen);
    }
    // FORCE passes rmem_max when we may (root/CAP_NET_ADMIN); otherwise the capped request.
    const int want = options.receive_buffer_bytes;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
    }
    timeval timeout{0, 100'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (r->port_ != 0) {
      // Every socket on the port the first one got.
      if (addr->ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&*addr)->sin6_port = htons(static_cast<uint16_t>(r->port_));
      } else {
        reinterpret_cast<sockaddr_in*>(&*addr)->sin_port = htons(static_cast<uint16_t>(r->port_));
      }
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&*addr), addr_len) != 0) {
      return Errno("bind", options.listen);
    }
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    r->port_ =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    socklen_t optlen = sizeof(r->receive_buffer_);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r->receive_buffer_, &optlen);
    struct stat st {};
    fstat(fd, &st);
    r->inodes_.push_back(st.st_ino);
    r->shards_.push_back(std::make_unique<Shard>(shard_options));
  }
  for (int i = 0; i < threads; ++i) r->threads_.emplace_back([p = r.get(), i] { p->Run(i); });
  PL_LOG(Info) << "StatsD UDP on " << options.listen.host << ":" << r->port_ << " (" << threads
               << " receivers, SO_RCVBUF " << r->receive_buffer_ << " bytes)";
  return r;
}

UdpReceivers::~UdpReceivers() {
  Stop();
  for (int fd : fds_) close(fd);
}

std::vector<Shard*> UdpReceivers::shards() const {
  std::vector<Shard*> out;
  for (const auto& s : shards_) out.push_back(s.get());
  return out;
}

void UdpReceivers::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void UdpReceivers::Run(size_t index) {
  const int fd = fds_[index];
  Shard& shard = *shards_[index];
  std::unique_ptr<char[]> buffer(new char[kBatch * kMaxDatagram]);
  mmsghdr messages[kBatch];
  iovec iovecs[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    iovecs[i] = {buffer.get() + i * kMaxDatagram, kMaxDatagram};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &iovecs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  const bool nap = receive_buffer_ >= kNapMinBuffer;
  while (!stop_.load(std::memory_order_relaxed)) {
    const int received = recvmmsg(fd, messages, kBatch, MSG_WAITFORONE, nullptr);
    if (received < 0) {
      // Timeout (idle), signal or transient error: switch epochs if asked, then wait again.
      shard.MaybeSwitchEpoch();
      continue;
    }
    for (int i = 0; i < received; ++i) {  // only what this call filled in
      shard.CountDatagram();
      if (messages[i].msg_hdr.msg_flags & MSG_TRUNC) shard.CountTruncated();
      shard.HandleDatagram(std::string_view(buffer.get() + i * kMaxDatagram, messages[i].msg_len));
    }
    shard.MaybeSwitchEpoch();
    if (nap && received < kBatch / 2) {
      timespec t{0, kNapNs};
      nanosleep(&t, nullptr);
    }
  }
  // Stopping: take what the kernel still holds for us, without waiting for more. Bounded:
  // a sender that never pauses must not keep the process from exiting.
  const double drain_until = MonotonicSeconds() + kDrainSeconds;
  while (MonotonicSeconds() < drain_until) {
    const int received = recvmmsg(fd, messages, kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) break;
    for (int i = 0; i < received; ++i) {
      shard.CountDatagram();
      if (messages[i].msg_hdr.msg_flags & MSG_TRUNC) shard.CountTruncated();
      shard.HandleDatagram(std::string_view(buffer.get() + i * kMaxDatagram, messages[i].msg_len));
    }
  }
}

uint64_t UdpReceivers::KernelDrops() const {
  uint64_t drops = 0;
  for (const char* path : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
      std::istringstream fields(line);
      std::string f[13];
      for (std::string& x : f) fields >> x;
      const uint64_t inode = std::strtoull(f[9].c_str(), nullptr, 10);
      if (std::find(inodes_.begin(), inodes_.end(), inode) != inodes_.end()) {
        drops += std::strtoull(f[12].c_str(), nullptr, 10);
      }
    }
  }
  return drops;
}

}  // namespace plumbline::collector
