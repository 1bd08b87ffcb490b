// The collector on real loopback sockets: UDP (several receivers), StatsD over TCP and
// Graphite, into a real store; values are read back exactly after the final flush.
#include "collector/collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::collector {
namespace {

using storage::Eq;

double CounterSum(prometheus::Registry& registry, const std::string& name,
                  const std::string& label_value = "") {
  double total = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = label_value.empty();
      for (const auto& l : m.label) match |= l.value == label_value;
      if (match) total += m.counter.value;
    }
  }
  return total;
}

class Sender {
 public:
  explicit Sender(int port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr_.sin_addr);
  }
  ~Sender() { close(fd_); }
  void Send(std::string_view datagram) {
    ASSERT_EQ(sendto(fd_, datagram.data(), datagram.size(), 0,
                     reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_)),
              static_cast<ssize_t>(datagram.size()));
  }

 private:
  int fd_;
  sockaddr_in addr_{};
};

int ConnectTcp(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.background_maintenance = false;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    CollectorOptions c;
    c.statsd_listen = HostPort{"127.0.0.1", 0};
    c.graphite_listen = HostPort{"127.0.0.1", 0};
    c.receiver_threads = 2;
    c.flusher.interval_ms = 3'600'000;  // only the final flush writes, at Stop
    // Port 0: UDP takes a free port, then TCP must bind the same number, which a client
    // socket of a test running in parallel may hold (it is in the ephemeral range): retry.
    auto collector = Collector::Start(c, engine_.get(), &registry_);
    for (int attempt = 0; attempt < 5 && !collector.ok() &&
                          absl::StrContains(collector.status().message(), "already in use");
         ++attempt) {
      collector = Collector::Start(c, engine_.get(), &registry_);
    }
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = std::move(*collector);
  }

  // Waits (bounded) until the receivers have seen `lines` lines, valid or not.
  void WaitForLines(uint64_t lines) {
    for (int i = 0; i < 1000 && collector_->LinesSeen() < lines; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(collector_->LinesSeen(), lines);
  }

  double Last(std::vector<storage::LabelMatcher> matchers) {
    storage::SeriesData data = storage::ReadAll(*engine_, matchers, 0, INT64_MAX / 2);
    if (data.size() != 1) {
      ADD_FAILURE() << data.size() << " series match";
      return NAN;
    }
    return data.begin()->second.back().v;
  }

  plumbline::testing::TempDir dir_;
  std::unique_ptr<storage::Engine> engine_;
  prometheus::Registry registry_;
  std::unique_ptr<Collector> collector_;
};

TEST_F(CollectorTest, UdpTcpAndGraphiteLinesAreCountedExactly) {
  const int udp = collector_->statsd_udp_port();
  ASSERT_GT(udp, 0);
  EXPECT_EQ(collector_->statsd_tcp_port(), udp);
  {
    Sender sender(udp);
    // Several lines per datagram; bad lines in the middle; empty lines; a NUL byte; invalid UTF-8.
    for (int i = 0; i < 100; ++i) sender.Send("hits:1|c\n\nhits:2|c|@0.5\nbroken|c\n");
    sender.Send(std::string("n\0ul:1|c\nbad\xff:1|c\nhits:1|c\n", 27));
    // A datagram split mid-line: each half is judged on its own.
    sender.Send("temp:4");
    sender.Send("2|g\n");
    // One 64 KiB datagram of short lines.
    std::string big;
    while (big.size() + 9 < 65000) big += "bulk:1|c\n";
    sender.Send(big);
  }
  const double bulk_lines = static_cast<double>(65000 / 9);
  const int tcp = ConnectTcp(collector_->statsd_tcp_port());
  // A line split across writes is put back together on TCP.
  SendAll(tcp, "tcp.hits:5|c\ntcp.hi");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  SendAll(tcp, "ts:7|c\n");
  const int graphite = ConnectTcp(collector_->graphite_port());
  SendAll(graphite, "servers.web1.load 1.5 -1\nnot a graphite line at all\n");
  const double want_lines = 100 * 2 + 1 + bulk_lines + 2 + 1;
  const double bad_lines = 100 + 2 + 2 + 1;
  WaitForLines(static_cast<uint64_t>(want_lines + bad_lines));
  close(tcp);
  close(graphite);
  collector_->Stop();
  EXPECT_DOUBLE_EQ(CounterSum(registry_, "plumbline_statsd_lines_total"), want_lines);
  EXPECT_DOUBLE_EQ(Last({Eq("__name__", "hits")}), 100 * (1 + 2 / 0.5) + 1);
  EXPECT_DOUBLE_EQ(Last({Eq("__name__", "bulk")}), bulk_lines);
  EXPECT_DOUBLE_EQ(Last({Eq("__name__", "tcp_hits")}), 12);
  EXPECT_DOUBLE_EQ(Last({Eq("__name__", "servers_web1_load")}), 1.5);
  EXPECT_DOUBLE_EQ(CounterSum(registry_, "plumbline_statsd_bad_lines_total", "no_value"),
                   100 /* broken|c */ + 1 /* "2|g" */);
  EXPECT_DOUBLE_EQ(CounterSum(registry_, "plumbline_statsd_bad_lines_total", "no_type"),
                   1 /* "temp:4" */);
  EXPECT_DOUBLE_EQ(CounterSum(registry_, "plumbline_statsd_bad_lines_total", "bad_name"), 2);
  EXPECT_DOUBLE_EQ(CounterSum(registry_, "plumbline_statsd_bad_lines_total", "bad_graphite"), 1);
  EXPECT_DOUBLE_EQ(CounterSum(registry_, "plumbline_statsd_datagrams_total"), 100 + 1 + 2 + 1);
}

// A client that stalls mid-line, one that never sends and one that floods a line without end:
// none of them holds up a well-behaved client, whose lines are counted while the others are
// still connected.
TEST_F(CollectorTest, SlowAndHostileTcpClientsDoNotBlockOthers) {
  const int port = collector_->statsd_tcp_port();
  const int stalled = ConnectTcp(port);
  SendAll(stalled, "half.a.line:1");  // and then nothing
  const int silent = ConnectTcp(port);
  const int flood = ConnectTcp(port);
  const std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 4; ++i) SendAll(flood, chunk);  // 4 MiB without a newline
  const int good = ConnectTcp(port);
  for (int i = 0; i < 100; ++i) SendAll(good, "good.c:1|c\n");
  // 100 good lines and the flood, refused once as too long; the stalled half line is not a
  // line yet.
  WaitForLines(101);
  // The stalled client finishes its line; the flood ends its line: both are handled.
  SendAll(stalled, "|c\n");
  SendAll(flood, "\nflood.after:1|c\n");
  WaitForLines(103);
  for (int fd : {stalled, silent, flood, good}) close(fd);
  collector_->Stop();
  EXPECT_EQ(Last({Eq("__name__", "good_c")}), 100);
  EXPECT_EQ(Last({Eq("__name__", "half_a_line")}), 1);
  EXPECT_EQ(Last({Eq("__name__", "flood_after")}), 1);
  EXPECT_EQ(CounterSum(registry_, "plumbline_statsd_bad_lines_total", "too_long"), 1);
}

}  // namespace
}  // namespace plumbline::collector
