#include "collector/tcp_listener.h"

#include <atomic>
#include <chrono>
#include <list>
#include <string>
#include <thread>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "common/log.h"
#include "common/strings.h"

namespace plumbline::collector {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr size_t kReadSize = 64 << 10;
constexpr size_t kMaxLine = 64 << 10;
constexpr size_t kMaxConnections = 1024;
constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr auto kEpochTick = std::chrono::milliseconds(50);

class TcpListenersImpl;

// One client connection; lives on the io thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, bool graphite, TcpListenersImpl* owner)
      : socket_(std::move(socket)),
        graphite_(graphite),
        owner_(owner),
        idle_(socket_.get_executor()) {}
  void Start();
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    idle_.cancel();
  }

 private:
  void Read();
  void Consume(size_t n);
  // One complete line: drops a trailing CR, skips empty lines.
  void Deliver(std::string_view line);

  tcp::socket socket_;
  const bool graphite_;
  TcpListenersImpl* owner_;
  asio::steady_timer idle_;
  std::string pending_;      // a partial line carried to the next read
  bool discarding_ = false;  // inside an over-long line: drop until its newline
  char buffer_[kReadSize];
};

class TcpListenersImpl final : public TcpListeners {
 public:
  explicit TcpListenersImpl(const ShardOptions& shard_options)
      : shard_(shard_options), tick_(io_) {}
  ~TcpListenersImpl() override { Stop(); }

  absl::Status Listen(const HostPort& address, bool graphite) {
    boost::system::error_code ec;
    const std::string what = graphite ? "Graphite" : "StatsD TCP";
    tcp::resolver resolver(io_);
    auto results =
        resolver.resolve(address.host, std::to_string(address.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          StrCat("cannot listen on ", address.ToString(), " (", what, "): ", ec.message()));
    }
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    const tcp::endpoint endpoint = results.begin()->endpoint();
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          StrCat("cannot listen on ", address.ToString(), " (", what, "): ", ec.message()));
    }
    const int port = acceptor->local_endpoint().port();
    (graphite ? graphite_port_ : statsd_port_) = port;
    PL_LOG(Info) << what << " on " << address.host << ":" << port;
    Accept(acceptor.get(), graphite);
    acceptors_.push_back(std::move(acceptor));
    return absl::OkStatus();
  }

  void Run() {
    Tick();
    thread_ = std::thread([this] { io_.run(); });
  }

  int statsd_port() const override { return statsd_port_; }
  int graphite_port() const override { return graphite_port_; }
  Shard* shard() override { return &shard_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      for (auto& a : acceptors_) {
        boost::system::error_code ignored;
        a->close(ignored);
      }
      for (auto& weak : connections_) {
        if (auto c = weak.lock()) c->Close();
      }
      tick_.cancel();
    });
    if (thread_.joinable()) thread_.join();
  }

  // io thread only.
  Shard& shard_ref() { return shard_; }
  void Forget(const Connection* c) {
    connections_.remove_if([c](const std::weak_ptr<Connection>& w) {
      auto p = w.lock();
      return p == nullptr || p.get() == c;
    });
  }

 private:
  void Accept(tcp::acceptor* acceptor, bool graphite) {
    acceptor->async_accept(
        [this, acceptor, graphite](boost::system::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || stopped_.load()) return;
          if (!ec) {
            if (connections_.size() >= kMaxConnections) {
              boost::system::error_code ignored;
              socket.close(ignored);
            } else {
              auto c = std::make_shared<Connection>(std::move(socket), graphite, this);
              connections_.push_back(c);
              c->Start();
            }
          }
          Accept(acceptor, graphite);
        });
  }

  // Idle connections send nothing, so epochs are also switched on a timer.
  void Tick() {
    tick_.expires_after(kEpochTick);
    tick_.async_wait([this](boost::system::error_code ec) {
      // Stop's cancel does not reach a wait that already expired and is queued: without the
      // flag, that handler would arm the timer again and io_.run() would never return.
      if (ec || stopped_.load()) return;
      shard_.MaybeSwitchEpoch();
      Tick();
    });
  }

  asio::io_context io_;
  Shard shard_;
  asio::steady_timer tick_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::list<std::weak_ptr<Connection>> connections_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};  // writer: Stop; readers: io-thread callbacks
  int statsd_port_ = 0;
  int graphite_port_ = 0;
};

void Connection::Start() { Read(); }

void Connection::Read() {
  idle_.expires_after(kIdleTimeout);
  idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->Close();
  });
  socket_.async_read_some(asio::buffer(buffer_, sizeof(buffer_)),
                          [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                            if (ec) {
                              // End of stream: a last line without '\n' still counts.
                              if (!self->pending_.empty() && !self->discarding_) {
                                const std::string last = std::move(self->pending_);
                                self->Deliver(last);
                              }
                              self->idle_.cancel();
                              self->owner_->Forget(self.get());
                              return;
                            }
                            self->Consume(n);
                            self->owner_->shard_ref().MaybeSwitchEpoch();
                            self->Read();
                          });
}

void Connection::Deliver(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF senders
  if (line.empty()) return;
  if (graphite_) {
    owner_->shard_ref().HandleGraphiteLine(line);
  } else {
    owner_->shard_ref().HandleLine(line);
  }
}

void Connection::Consume(size_t n) {
  Shard& shard = owner_->shard_ref();
  std::string_view data(buffer_, n);
  auto handle = [this](std::string_view line) { Deliver(line); };
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      if (discarding_) return;
      if (pending_.size() + data.size() > kMaxLine) {
        shard.CountBadLine(ParseError::kTooLong);
        pending_.clear();
        discarding_ = true;
        return;
      }
      pending_.append(data);
      return;
    }
    std::string_view piece = data.substr(0, nl);
    data.remove_prefix(nl + 1);
    if (discarding_) {
      discarding_ = false;
      continue;
    }
    if (!pending_.empty()) {
      if (pending_.size() + piece.size() > kMaxLine) {
        shard.CountBadLine(ParseError::kTooLong);
      } else {
        pending_.append(piece);
        handle(pending_);
      }
      pending_.clear();
    } else if (piece.size() > kMaxLine) {
      shard.CountBadLine(ParseError::kTooLong);
    } else {
      handle(piece);
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpListeners>> TcpListeners::Start(
    const TcpOptions& options, const ShardOptions& shard_options) {
  auto impl = std::make_unique<TcpListenersImpl>(shard_options);
  if (options.statsd) {
    absl::Status s = impl->Listen(*options.statsd, /*graphite=*/false);
    if (!s.ok()) return s;
  }
  if (options.graphite) {
    absl::Status s = impl->Listen(*options.graphite, /*graphite=*/true);
    if (!s.ok()) return s;
  }
  impl->Run();
  return std::unique_ptr<TcpListeners>(std::move(impl));
}

}  // namespace plumbline::collector
