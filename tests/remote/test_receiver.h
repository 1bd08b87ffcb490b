// A remote-write receiver for tests: a real HTTP/1.1 server on a loopback port (blocking
// sockets, one thread, keep-alive) that decodes every request and answers with the next
// status of a script (204 once the script is used up). It can stop listening and listen again
// on the same port, to stand for a receiver outage. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace plumbline::remote {

class TestReceiver {
 public:
  struct Point {
    int64_t t;
    double v;
  };
  struct Request {
    std::map<std::string, std::string> headers;  // lower-case names
    int samples = 0;
    int status = 0;  // what was answered
  };

  TestReceiver();  // listens on a free port
  ~TestReceiver();
  int port() const { return port_; }
  std::string url() const;

  // Statuses to answer, in order, before going back to 204.
  void Script(std::vector<int> statuses);
  // Closes the listening socket and every connection (clients see connection errors).
  void Stop();
  // Listens again on the same port.
  void Restart();

  // Samples of accepted (2xx) requests by series ("name{a=\"b\"}" in label order sent).
  std::map<std::string, std::vector<Point>> accepted() const;
  int accepted_samples() const;
  std::vector<Request> requests() const;

 private:
  void Listen();
  void Serve();
  void HandleConnection(int fd);

  int port_ = 0;
  std::atomic<int> listen_fd_{-1};  // writer: Stop/Restart; reader: the serving thread
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::deque<int> script_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<Point>> accepted_ ABSL_GUARDED_BY(mu_);
  int accepted_samples_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<int> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plumbline::remote
