#include "tests/remote/test_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "remote/write_request.h"

namespace plumbline::remote {
namespace {

bool ReadSome(int fd, std::string* buffer) {
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;
  buffer->append(chunk, static_cast<size_t>(n));
  return true;
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string SeriesName(const prometheus::TimeSeries& ts) {
  std::string out;
  for (const prometheus::Label& l : ts.labels()) {
    if (l.name() == "__name__") out = l.value() + out;
  }
  out += "{";
  for (const prometheus::Label& l : ts.labels()) {
    if (l.name() == "__name__") continue;
    out += l.name() + "=\"" + l.value() + "\",";
  }
  out += "}";
  return out;
}

}  // namespace

TestReceiver::TestReceiver() {
  Listen();
  thread_ = std::thread([this] { Serve(); });
}

TestReceiver::~TestReceiver() {
  stopping_.store(true);
  Stop();
  thread_.join();
}

std::string TestReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write";
}

void TestReceiver::Listen() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0) {
    std::abort();
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_.store(fd);
}

void TestReceiver::Script(std::vector<int> statuses) {
  absl::MutexLock lock(&mu_);
  script_.assign(statuses.begin(), statuses.end());
}

void TestReceiver::Stop() {
  const int fd = listen_fd_.exchange(-1);
  if (fd >= 0) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  absl::MutexLock lock(&mu_);
  for (int c : connections_) ::shutdown(c, SHUT_RDWR);
}

void TestReceiver::Restart() { Listen(); }

void TestReceiver::Serve() {
  while (!stopping_.load()) {
    const int fd = listen_fd_.load();
    if (fd < 0) {
      ::usleep(10'000);
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int conn = ::accept(fd, nullptr, nullptr);
    if (conn < 0) continue;
    {
      absl::MutexLock lock(&mu_);
      connections_.push_back(conn);
    }
    HandleConnection(conn);
    {
      absl::MutexLock lock(&mu_);
      connections_.erase(std::find(connections_.begin(), connections_.end(), conn));
    }
    ::close(conn);
  }
}

// One connection at a time (each sender shard keeps one alive; the others wait in the
// backlog until it closes, which the sender's timeout or a test's Stop causes).
void TestReceiver::HandleConnection(int fd) {
  std::string buffer;
  for (;;) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      // Give the other shards' connections a turn when this one is idle.
      if (::poll(&p, 1, 200) <= 0 || !ReadSome(fd, &buffer)) return;
    }
    Request request;
    size_t content_length = 0;
    size_t line_start = buffer.find("\r\n") + 2;
    while (line_start < header_end) {
      const size_t line_end = buffer.find("\r\n", line_start);
      const std::string line = buffer.substr(line_start, line_end - line_start);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "content-length") content_length = std::stoul(value);
      request.headers[name] = value;
      line_start = line_end + 2;
    }
    while (buffer.size() < header_end + 4 + content_length) {
      if (!ReadSome(fd, &buffer)) return;
    }
    const std::string body = buffer.substr(header_end + 4, content_length);
    buffer.erase(0, header_end + 4 + content_length);

    prometheus::WriteRequest decoded;
    int status = 204;
    if (!DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &decoded).ok()) status = 400;
    {
      absl::MutexLock lock(&mu_);
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      for (const prometheus::TimeSeries& ts : decoded.timeseries()) {
        request.samples += ts.samples_size();
        if (status / 100 != 2) continue;
        std::vector<Point>& points = accepted_[SeriesName(ts)];
        for (const prometheus::Sample& s : ts.samples()) {
          points.push_back(Point{s.timestamp(), s.value()});
          ++accepted_samples_;
        }
      }
      request.status = status;
      requests_.push_back(request);
    }
    WriteAll(fd, "HTTP/1.1 " + std::to_string(status) +
                     " X\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  }
}

std::map<std::string, std::vector<TestReceiver::Point>> TestReceiver::accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

int TestReceiver::accepted_samples() const {
  absl::MutexLock lock(&mu_);
  return accepted_samples_;
}

std::vector<TestReceiver::Request> TestReceiver::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

}  // namespace plumbline::remote
