// statsd_loadgen: a StatsD/DogStatsD UDP load generator for the ingest matrix
// (bench/ingest_matrix.py, /work/shared/bench/README.md "Ingest: the StatsD matrix").
//
//   statsd_loadgen --target 127.0.0.1:8125 --lines-per-datagram 10 --rate 1000000
//                  --seconds 10 --keys 1000 [--mix c=4,ms=2,g=1,s=1] [--tags 3]
//
// One sender thread, one connected UDP socket, sendmmsg() batches. Line i goes to key
// i % keys, named blast.kNNNNNN; each key has one type for the whole run (the mix is laid over
// the key numbers: with c=4,ms=2,g=1,s=1 keys 0-3 of every 8 are counters, 4-5 timers, ...), so
// no server sees a name change type. Counters send 1, timers 0..999 ms, gauges 0..99, sets one
// of 50 members. --tags T appends T DogStatsD tags that depend on the key only (the series count
// stays --keys). --rate is in lines per second (0: as fast as the socket takes them); the sender
// paces itself against the monotonic clock, batch by batch.
//
// Prints one line of key=value pairs on stdout:
//   lines_sent= datagrams_sent= seconds= lines_per_s= datagrams_per_s= lines_c= lines_ms= lines_g=
//   lines_s= lines_h= lines_d= send_errors=
// Lines are counted from what sendmmsg() accepted, so a refused datagram is never counted.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"

namespace {

constexpr int kBatch = 64;              // datagrams per sendmmsg()
constexpr size_t kMaxDatagram = 65507;  // largest UDP payload over IPv4
constexpr std::string_view kTypes[] = {"c", "ms", "g", "s", "h", "d"};
constexpr int kNumTypes = 6;

struct Options {
  std::string target = "127.0.0.1:8125";
  int lines_per_datagram = 1;
  double rate = 0;  // lines/s; 0: unthrottled
  double seconds = 10;
  int64_t keys = 1000;
  std::string mix = "c=1";
  int tags = 0;
};

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void SleepUntilNs(int64_t t_ns) {
  timespec ts{};
  ts.tv_sec = t_ns / 1'000'000'000;
  ts.tv_nsec = t_ns % 1'000'000'000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// "c=4,ms=2,g=1" -> the type of each slot of a cycle over key numbers ({0,0,0,0,1,1,2}).
bool ParseMix(std::string_view text, std::vector<int>* cycle, std::string* error) {
  cycle->clear();
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = item.find('=');
    std::string_view type = item.substr(0, eq);
    int weight = 1;
    if (eq != std::string_view::npos) {
      std::string_view w = item.substr(eq + 1);
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
      if (ec != std::errc() || end != w.data() + w.size() || weight < 0 || weight > 1000) {
        *error = "bad weight in --mix: " + std::string(item);
        return false;
      }
    }
    const auto* it = std::find(std::begin(kTypes), std::end(kTypes), type);
    if (it == std::end(kTypes)) {
      *error = "unknown type in --mix (c, ms, g, s, h, d): " + std::string(type);
      return false;
    }
    cycle->insert(cycle->end(), weight, static_cast<int>(it - std::begin(kTypes)));
  }
  if (cycle->empty()) {
    *error = "--mix selects no type";
    return false;
  }
  return true;
}

int Connect(const std::string& target, std::string* error) {
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos) {
    *error = "--target must be host:port";
    return -1;
  }
  std::string host = target.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = target.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* result = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &result); rc != 0) {
    *error = "cannot resolve " + target + ": " + gai_strerror(rc);
    return -1;
  }
  const int fd = socket(result->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, result->ai_addr, result->ai_addrlen) != 0) {
    *error = "cannot connect a UDP socket to " + target + ": " + std::strerror(errno);
    freeaddrinfo(result);
    if (fd >= 0) close(fd);
    return -1;
  }
  freeaddrinfo(result);
  const int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  return fd;
}

// Appends the decimal form of v.
char* PutInt(char* p, int64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// Appends key as 6 digits (more when the key needs them).
char* PutKey(char* p, int64_t key) {
  char digits[20];
  char* end = std::to_chars(digits, digits + sizeof(digits), key).ptr;
  for (ptrdiff_t pad = 6 - (end - digits); pad > 0; --pad) *p++ = '0';
  std::memcpy(p, digits, static_cast<size_t>(end - digits));
  return p + (end - digits);
}

char* PutText(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// One line for line number `n` (without '\n'); returns its type.
int WriteLine(int64_t n, const Options& o, const std::vector<int>& cycle, char** out) {
  char* p = *out;
  const int64_t key = n % o.keys;
  const int type = cycle[static_cast<size_t>(key % static_cast<int64_t>(cycle.size()))];
  p = PutText(p, "blast.k");
  p = PutKey(p, key);
  *p++ = ':';
  switch (type) {
    case 0:  // c
      *p++ = '1';
      break;
    case 1:  // ms
    case 4:  // h
    case 5:  // d
      p = PutInt(p, (n * 7919) % 1000);
      break;
    case 2:  // g
      p = PutInt(p, n % 100);
      break;
    case 3:  // s
      p = PutText(p, "m");
      p = PutInt(p, (n / o.keys) % 50);
      break;
  }
  *p++ = '|';
  p = PutText(p, kTypes[type]);
  static constexpr std::string_view kTagNames[] = {"env",  "region", "host", "route",
                                                   "zone", "team",   "tier", "az"};
  for (int t = 0; t < o.tags; ++t) {
    p = PutText(p, t == 0 ? "|#" : ",");
    p = PutText(p, kTagNames[t % 8]);
    *p++ = ':';
    p = PutText(p, "v");
    p = PutInt(p, (key >> t) % (4 + t));  // a function of the key: no extra series
  }
  *out = p;
  return type;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"StatsD/DogStatsD UDP load generator (sendmmsg, one sender thread)"};
  app.add_option("--target", o.target, "host:port of the StatsD server")->capture_default_str();
  app.add_option("--lines-per-datagram,-k", o.lines_per_datagram, "lines per datagram (K)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "target lines per second; 0: unthrottled")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "how long to send")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--keys", o.keys, "distinct keys M (blast.kNNNNNN)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--mix", o.mix,
                 "type weights over the keys: c, ms, g, s, h, d (e.g. c=4,ms=2,g=1,s=1)")
      ->capture_default_str();
  app.add_option("--tags", o.tags, "DogStatsD tags per line (|#k:v,...); 0: plain StatsD")
      ->check(CLI::Range(0, 8))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string error;
  std::vector<int> cycle;
  if (!ParseMix(o.mix, &cycle, &error)) {
    std::fprintf(stderr, "statsd_loadgen: %s\n", error.c_str());
    return 2;
  }
  const int fd = Connect(o.target, &error);
  if (fd < 0) {
    std::fprintf(stderr, "statsd_loadgen: %s\n", error.c_str());
    return 1;
  }
  // Longest line: "blast.k" + key + ':' + value + "|ms" + tags; 200 bytes is ample.
  const size_t slot = std::min(kMaxDatagram, static_cast<size_t>(o.lines_per_datagram) * 200);
  std::vector<char> buffer(slot * kBatch);
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iovecs{};
  std::array<std::array<int, kNumTypes>, kBatch> batch_types{};

  int64_t lines_by_type[kNumTypes] = {};
  int64_t lines_sent = 0, datagrams_sent = 0, send_errors = 0;
  int64_t next_line = 0;  // line numbers are never reused, sent or not
  const int64_t start = NowNs();
  const int64_t end = start + static_cast<int64_t>(o.seconds * 1e9);
  const int64_t max_line = o.lines_per_datagram;

  for (int64_t now = start; now < end; now = NowNs()) {
    if (o.rate > 0) {
      // Pace: the next batch is due when the lines already handed out are due.
      const int64_t due =
          start + static_cast<int64_t>(static_cast<double>(next_line) / o.rate * 1e9);
      if (due > now) {
        SleepUntilNs(std::min(due, end));
        if (NowNs() >= end) break;
      }
    }
    // Datagrams in this batch: at most kBatch; when throttled, about 1 ms worth.
    int n = kBatch;
    if (o.rate > 0) {
      const double per_ms = o.rate / 1000.0 / static_cast<double>(o.lines_per_datagram);
      n = static_cast<int>(std::clamp(per_ms, 1.0, static_cast<double>(kBatch)));
    }
    for (int d = 0; d < n; ++d) {
      char* begin = buffer.data() + static_cast<size_t>(d) * slot;
      char* p = begin;
      batch_types[d].fill(0);
      for (int64_t l = 0; l < max_line; ++l) {
        if (l > 0) *p++ = '\n';
        ++batch_types[d][WriteLine(next_line++, o, cycle, &p)];
      }
      iovecs[d] = {begin, static_cast<size_t>(p - begin)};
      messages[d] = {};
      messages[d].msg_hdr.msg_iov = &iovecs[d];
      messages[d].msg_hdr.msg_iovlen = 1;
    }
    int done = 0;
    while (done < n) {
      const int sent = sendmmsg(fd, messages.data() + done, static_cast<unsigned>(n - done), 0);
      if (sent < 0) {
        if (errno == EINTR) continue;
        // ENOBUFS/ECONNREFUSED (nobody listening yet) and the like: count, skip the datagram.
        ++send_errors;
        ++done;
        continue;
      }
      for (int d = done; d < done + sent; ++d) {
        for (int t = 0; t < kNumTypes; ++t) lines_by_type[t] += batch_types[d][t];
        lines_sent += max_line;
      }
      datagrams_sent += sent;
      done += sent;
    }
  }
  const double elapsed = static_cast<double>(NowNs() - start) / 1e9;
  close(fd);
  std::printf(
      "lines_sent=%lld datagrams_sent=%lld seconds=%.3f lines_per_s=%.0f datagrams_per_s=%.0f "
      "lines_c=%lld lines_ms=%lld lines_g=%lld lines_s=%lld lines_h=%lld lines_d=%lld "
      "send_errors=%lld\n",
      static_cast<long long>(lines_sent), static_cast<long long>(datagrams_sent), elapsed,
      static_cast<double>(lines_sent) / elapsed, static_cast<double>(datagrams_sent) / elapsed,
      static_cast<long long>(lines_by_type[0]), static_cast<long long>(lines_by_type[1]),
      static_cast<long long>(lines_by_type[2]), static_cast<long long>(lines_by_type[3]),
      static_cast<long long>(lines_by_type[4]), static_cast<long long>(lines_by_type[5]),
      static_cast<long long>(send_errors));
  return 0;
}
