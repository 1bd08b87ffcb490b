// The HTTP/1.1 server on Boost.Beast. The only translation unit that includes Beast.
//
// Threads: `io_threads` run the sockets (accept, read, parse, write); handlers and streaming
// body consumers, which may block (a query waits for its turn, an import for the disk), run
// on `threads` threads of their own, each request handed over and its answer handed back.
// With every thread able to do everything, each step of a request woke another of dozens of
// idle threads: 22 context switches and 0.88 ms of CPU for a one-series query on 2 cores,
// against 7 and 0.40 ms with one socket thread and the handlers handed over.
//
// One Session per TCP connection, all of its work serialized on its own strand (the work
// handed to a handler thread touches only the request, the route and the body consumer,
// which nothing on the strand touches meanwhile):
//
//   WaitForRequest --first byte (idle timeout)--> ReadHeader --(read timeout)--> route
//     buffered:  [100 Continue] ReadBody* into HttpRequest::body -> handler -> Respond
//     streaming: [100 Continue] ReadBody* into a 256 KiB buffer -> BodyConsumer -> Respond
//   Respond -> keep-alive: WaitForRequest (pipelined bytes are parsed at once)
//           -> close:      shut down the write side, Linger (read and discard), close
//
// Errors that leave request bytes unread (400, 413, 431, an unread body) answer with
// `Connection: close` and then linger, so that a client still uploading reads the answer
// instead of a TCP reset.

#include "web/http_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/host_port.h"
#include "common/log.h"
#include "common/strings.h"
#include "web/internal/http_date.h"
#include "web/internal/http_metrics.h"

namespace plumbline::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using internal::HandlerMetrics;
using internal::HttpMetrics;

// A streaming route's body arrives in pieces of at most this size.
constexpr size_t kBodyBufferBytes = 256 << 10;
// The first read of a request, made while the connection is idle.
constexpr size_t kFirstReadBytes = 16 << 10;
// A buffered body grows its string by doubling from this size when its length is unknown.
constexpr size_t kInitialBodyBytes = 64 << 10;
// Lingering close: after an error answer, read and discard what the client still sends for
// at most this long and this many bytes, then close (nginx's lingering_time is 30 s).
constexpr auto kLingerTime = std::chrono::seconds(30);
constexpr auto kRejectedLingerTime = std::chrono::seconds(2);
constexpr auto kStoppingLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = 64 << 20;
constexpr size_t kLingerReadBytes = 64 << 10;
// Beyond max_connections, up to this many more connections are answered 503; the rest are
// closed at once.
constexpr size_t kMaxRejecting = 64;
// After a failed accept (e.g. out of file descriptors), wait this long before the next.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// The destructor's shutdown deadline when Shutdown was not called.
constexpr int64_t kDestructorDeadlineMs = 5'000;
// Force-closed connections get this long to go before the threads are stopped.
constexpr absl::Duration kForceCloseGrace = absl::Seconds(1);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

beast::string_view ToBeast(std::string_view s) { return beast::string_view(s.data(), s.size()); }
std::string_view ToStd(beast::string_view s) { return std::string_view(s.data(), s.size()); }

// Sets a tcp_stream's deadline; `ms` <= 0 means none.
void ExpireAfterMs(beast::tcp_stream& stream, int64_t ms) {
  if (ms <= 0) {
    stream.expires_never();
  } else {
    stream.expires_after(std::chrono::milliseconds(ms));
  }
}

// A malformed message (as opposed to a connection that ended or timed out).
bool IsParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// Headers a handler may not set: the server owns the message framing and the connection.
bool IsReservedHeader(std::string_view name) {
  for (std::string_view reserved :
       {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "upgrade"}) {
    if (absl::EqualsIgnoreCase(ToAbsl(name), ToAbsl(reserved))) return true;
  }
  return false;
}

// A header a handler set that would corrupt the response: a name that is not an RFC 9110
// token, or a value with CR, LF or NUL (response splitting).
bool IsInvalidHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return true;
  for (unsigned char c : name) {
    if (!absl::ascii_isalnum(c) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return true;
    }
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

HttpResponse ErrorResponse(int status) {
  HttpResponse response;
  response.status = status;
  response.body = StrCat(StatusReason(status), "\n");
  return response;
}

class Session;

// What the acceptor, the sessions and Shutdown share. Thread-safe.
class ServerState {
 public:
  ServerState(const HttpServerOptions& options, const Router* router,
              std::unique_ptr<HttpMetrics> metrics)
      : options_(options), router_(*router), metrics_(std::move(metrics)) {}

  const HttpServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  // Where handlers and body consumers run (HttpServerImpl runs it on `threads` threads).
  asio::io_context& handlers() { return handlers_; }
  const HttpMetrics& metrics() const { return *metrics_; }
  bool stopping() const { return stopping_flag_.load(std::memory_order_acquire); }

  enum class Admission { kServe, kReject, kDrop };
  // Decides what to do with a new connection and, unless kDrop, registers it (its id is
  // written to `*id`) so that Shutdown can reach it.
  Admission Register(const std::shared_ptr<Session>& session, uint64_t* id) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return Admission::kDrop;
    const size_t open = sessions_.size();
    if (open >= options_.max_connections + kMaxRejecting) return Admission::kDrop;
    *id = ++last_id_;
    sessions_.emplace(*id, session);
    return open >= options_.max_connections ? Admission::kReject : Admission::kServe;
  }

  void Unregister(uint64_t id) {
    absl::MutexLock lock(&mu_);
    sessions_.erase(id);
  }

  // Marks the server as stopping. Returns true on the first call only, with every session.
  bool BeginStop(std::vector<std::shared_ptr<Session>>* sessions) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    stopping_ = true;
    stopping_flag_.store(true, std::memory_order_release);
    *sessions = SnapshotLocked();
    return true;
  }

  std::vector<std::shared_ptr<Session>> Snapshot() {
    absl::MutexLock lock(&mu_);
    return SnapshotLocked();
  }

  // Waits until every session has ended; false when `timeout` passed first.
  bool AwaitNoSessions(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(this, &ServerState::NoSessionsLocked), timeout);
  }

 private:
  bool NoSessionsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); }

  std::vector<std::shared_ptr<Session>> SnapshotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::shared_ptr<Session>> sessions;
    sessions.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
    return sessions;
  }

  const HttpServerOptions options_;
  const Router& router_;
  const std::unique_ptr<HttpMetrics> metrics_;
  asio::io_context handlers_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  // Mirror of stopping_ for the per-response check, without the mutex. Writer: BeginStop
  // (under mu_, before any session is told to stop). Readers: sessions on their strands.
  // Release/acquire.
  std::atomic<bool> stopping_flag_{false};
};

// One TCP connection: reads requests one after the other (keep-alive and pipelining), runs
// their handlers and writes the answers. Owned by its strand: the members below are touched
// only by handlers running on the connection's strand; the public methods post there.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)), options_(state_->options()) {
    beast::error_code ec;
    asio::ip::address address = stream_.socket().remote_endpoint(ec).address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    request_.remote_address = address.to_string();
    request_.remote_is_loopback = address.is_loopback();
  }
  ~Session() {
    if (id_ != 0) state_->Unregister(id_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called once, before Serve or Reject, by the acceptor.
  void set_id(uint64_t id) { id_ = id; }

  // Starts serving requests.
  void Serve() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }
  // Answers 503 (too many connections) and closes.
  void Reject() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->rejected_ = true;
      self->started_ = Clock::now();
      self->metrics_ = &self->state_->metrics().For(nullptr);
      self->Respond(ErrorResponse(503), After::kLinger);
    });
  }
  // Graceful stop: an idle connection closes now, a busy one after its current response.
  void Stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->OnStop(); });
  }
  // Closes the connection whatever it is doing.
  void ForceClose() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kLingering, kClosed };
  // What happens to the connection after a response.
  enum class After {
    kKeepAlive,  // read the next request, unless the client or a shutdown says close
    kClose,      // close; linger only if the client already sent more
    kLinger,     // close after reading and discarding what the client still sends
  };

  template <typename Method>
  auto Bind(Method method) {
    return beast::bind_front_handler(method, shared_from_this());
  }

  void WaitForRequest() {
    phase_ = Phase::kIdle;
    if (state_->stopping()) return CloseGracefully(After::kClose);
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    if (buffer_.capacity() > kFirstReadBytes) buffer_.shrink_to_fit();  // after a large header
    ExpireAfterMs(stream_, options_.idle_timeout_ms);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes), Bind(&Session::OnFirstBytes));
  }

  void OnFirstBytes(beast::error_code ec, size_t bytes) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return Close();  // the client left, the idle timeout fired, or a shutdown
    buffer_.commit(bytes);
    ReadHeader();
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    started_ = Clock::now();
    metrics_ = &state_->metrics().For(nullptr);
    route_ = nullptr;
    version_ = 11;
    is_head_ = false;
    ExpireAfterMs(stream_, options_.read_timeout_ms);
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(options_.max_header_bytes, std::numeric_limits<uint32_t>::max())));
    // Body limits are enforced here, per route. Not boost::none: Boost 1.74 compares
    // Content-Length against the empty optional and reports every body as too large.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    http::async_read_header(stream_, buffer_, *parser_, Bind(&Session::OnHeader));
  }

  void OnHeader(beast::error_code ec, size_t /*bytes*/) {
    if (phase_ == Phase::kClosed) return;
    if (ec == http::error::header_limit) return Respond(ErrorResponse(431), After::kLinger);
    if (IsParseError(ec)) return Respond(ErrorResponse(400), After::kLinger);
    if (ec) return Close();  // closed mid-request, timed out, reset

    const auto& header = parser_->get();
    version_ = header.version();  // 10 or 11: Beast rejects other versions as malformed
    keep_alive_ = header.keep_alive();
    FillRequest(header);
    is_head_ = request_.method == "HEAD";
    const bool has_body = !parser_->is_done();

    Router::Result found = state_->router().Find(request_.method, request_.path);
    route_ = found.route;
    metrics_ = &state_->metrics().For(route_);
    const After unread_body = has_body ? After::kLinger : After::kKeepAlive;
    switch (found.match) {
      case Router::Match::kNotFound:
        return Respond(ErrorResponse(404), unread_body);
      case Router::Match::kMethodNotAllowed: {
        HttpResponse response = ErrorResponse(405);
        response.SetHeader("Allow", std::move(found.allow));
        return Respond(std::move(response), unread_body);
      }
      case Router::Match::kFound:
        break;
    }

    if (route_->streaming) {
      HttpResponse response;
      if (!Guarded([&] { consumer_ = route_->streaming(request_, response); })) {
        return Respond(ErrorResponse(500), unread_body);
      }
      if (consumer_ == nullptr) return Respond(std::move(response), unread_body);
      if (!has_body) return FinishStreaming(absl::OkStatus());
      if (body_buffer_ == nullptr) body_buffer_ = std::make_unique<char[]>(kBodyBufferBytes);
    } else {
      const auto length = parser_->content_length();
      if (length && *length > route_->max_body_bytes) {
        return Respond(ErrorResponse(413), After::kLinger);
      }
      if (!has_body) return RunHandler();
    }
    body_filled_ = 0;
    const bool expects_continue =
        version_ == 11 &&
        absl::EqualsIgnoreCase(ToAbsl(ToStd(header[http::field::expect])), "100-continue");
    if (!expects_continue) return ReadBody();
    asio::async_write(stream_, asio::const_buffer(kContinue.data(), kContinue.size()),
                      Bind(&Session::OnContinueWritten));
  }

  void FillRequest(const http::request<http::buffer_body>& header) {
    request_.method = std::string(ToStd(header.method_string()));
    request_.target = std::string(ToStd(header.target()));
    std::string_view path = request_.target;
    // absolute-form ("http://host/path?q"), which HTTP/1.1 servers must accept.
    for (std::string_view scheme : {"http://", "https://"}) {
      if (absl::StartsWithIgnoreCase(ToAbsl(path), ToAbsl(scheme))) {
        const size_t slash = path.find('/', scheme.size());
        path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
        break;
      }
    }
    const size_t question = path.find('?');
    request_.path = std::string(path.substr(0, question));
    request_.query =
        question == std::string_view::npos ? std::string() : std::string(path.substr(question + 1));
    request_.headers.clear();
    for (const auto& field : header) {
      request_.headers.emplace_back(absl::AsciiStrToLower(ToAbsl(ToStd(field.name_string()))),
                                    std::string(ToStd(field.value())));
    }
    if (request_.body.capacity() > kInitialBodyBytes) {
      std::string().swap(request_.body);  // do not keep a large body's memory while idle
    }
    request_.body.clear();
  }

  void OnContinueWritten(beast::error_code ec, size_t /*bytes*/) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return Close();
    ReadBody();
  }

  void ReadBody() {
    auto& body = parser_->get().body();
    if (consumer_ != nullptr) {
      body.data = body_buffer_.get() + body_filled_;
      body.size = kBodyBufferBytes - body_filled_;
      // A streaming body has no overall deadline, only one per read (a multi-GB import).
      ExpireAfterMs(stream_, options_.read_timeout_ms);
    } else {
      if (body_filled_ == request_.body.size()) GrowBody();
      body.data = request_.body.data() + body_filled_;
      body.size = request_.body.size() - body_filled_;
    }
    body_offered_ = body.size;
    http::async_read_some(stream_, buffer_, *parser_, Bind(&Session::OnBody));
  }

  // Makes room in a buffered body by doubling, so that memory follows the bytes received
  // rather than a Content-Length the client may never send. The ceiling is the length when
  // known, else one byte past the route's limit (that byte reveals an oversized chunked body).
  void GrowBody() {
    const size_t max = route_->max_body_bytes;
    size_t ceiling = max == std::numeric_limits<size_t>::max() ? max : max + 1;
    if (const auto length = parser_->content_length()) ceiling = static_cast<size_t>(*length);
    const size_t want = std::min(ceiling, std::max(kInitialBodyBytes, body_filled_ * 2));
    request_.body.resize(std::max(want, body_filled_ + 1));
  }

  void OnBody(beast::error_code ec, size_t /*bytes*/) {
    if (phase_ == Phase::kClosed) return;
    body_filled_ += body_offered_ - parser_->get().body().size;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (consumer_ != nullptr) {
        HttpResponse unused;
        const absl::Status status =
            absl::CancelledError(StrCat("request body incomplete: ", ec.message()));
        Guarded([&] { consumer_->Finish(status, unused); });
        consumer_.reset();
      }
      if (IsParseError(ec)) return Respond(ErrorResponse(400), After::kLinger);
      return Close();
    }
    const bool done = parser_->is_done();
    if (consumer_ != nullptr) {
      if (body_filled_ == kBodyBufferBytes || (done && body_filled_ > 0)) {
        const std::string_view piece(body_buffer_.get(), body_filled_);
        body_filled_ = 0;
        phase_ = Phase::kHandling;
        return OnHandlerThread(
            [piece](Session& self) {
              absl::Status status;
              if (!Guarded([&] { status = self.consumer_->Consume(piece); })) {
                status = absl::InternalError("body consumer threw an exception");
              }
              return status;
            },
            [done](Session& self, absl::Status status) {
              self.phase_ = Phase::kReading;
              if (!status.ok()) return self.FinishStreaming(status);
              if (done) return self.FinishStreaming(absl::OkStatus());
              self.ReadBody();
            });
      }
      if (done) return FinishStreaming(absl::OkStatus());
      return ReadBody();
    }
    if (body_filled_ > route_->max_body_bytes) return Respond(ErrorResponse(413), After::kLinger);
    if (!done) return ReadBody();
    request_.body.resize(body_filled_);
    RunHandler();
  }

  void FinishStreaming(absl::Status status) {
    phase_ = Phase::kHandling;
    OnHandlerThread(
        [status = std::move(status)](Session& self) {
          HttpResponse response;
          if (!Guarded([&] { self.consumer_->Finish(status, response); })) {
            response = ErrorResponse(500);
          }
          self.consumer_.reset();  // finished: not abandoned if the connection closes now
          return response;
        },
        [](Session& self, HttpResponse response) {
          self.Respond(std::move(response),
                       self.parser_->is_done() ? After::kKeepAlive : After::kLinger);
        });
  }

  void RunHandler() {
    phase_ = Phase::kHandling;
    OnHandlerThread(
        [](Session& self) {
          HttpResponse response;
          if (!self.route_->handler ||
              !Guarded([&] { self.route_->handler(self.request_, response); })) {
            response = ErrorResponse(500);
          }
          return response;
        },
        [](Session& self, HttpResponse response) {
          self.Respond(std::move(response), After::kKeepAlive);
        });
  }

  // Runs work(*this) on a handler thread, then then(*this, its result) back on the strand,
  // unless the connection was closed meanwhile (then a body consumer still held is told the
  // body is incomplete).
  template <typename Work, typename Then>
  void OnHandlerThread(Work work, Then then) {
    // The io_context must not run out of work while the request is away: its threads would
    // return (during a shutdown) before the answer comes back.
    asio::post(state_->handlers(),
               [self = shared_from_this(), work = std::move(work), then = std::move(then),
                io_work = asio::make_work_guard(stream_.get_executor())]() mutable {
                 auto result = work(*self);
                 Session& session = *self;
                 asio::dispatch(session.stream_.get_executor(),
                                [self = std::move(self), then = std::move(then),
                                 result = std::move(result)]() mutable {
                                  if (self->phase_ == Phase::kClosed)
                                    return self->AbandonConsumer();
                                  then(*self, std::move(result));
                                });
               });
  }

  // A closed connection's body consumer, if any, learns that the body ended early.
  void AbandonConsumer() {
    if (consumer_ == nullptr) return;
    HttpResponse unused;
    const absl::Status status = absl::CancelledError("request body incomplete: connection closed");
    Guarded([&] { consumer_->Finish(status, unused); });
    consumer_.reset();
  }

  // Runs user code; false when it threw (answered 500: no exception crosses a server thread).
  template <typename Fn>
  static bool Guarded(Fn&& fn) {
    try {
      fn();
      return true;
    } catch (...) {
      return false;
    }
  }

  void Respond(HttpResponse response, After after) {
    phase_ = Phase::kWriting;
    if (after == After::kKeepAlive && (!keep_alive_ || state_->stopping())) after = After::kClose;
    after_ = after;
    status_ = response.status >= 100 && response.status <= 599 ? response.status : 500;

    response_ = http::response<http::string_body>();
    response_.version(version_);
    response_.result(static_cast<unsigned>(status_));
    response_.reason(ToBeast(StatusReason(status_)));
    response_.set(http::field::date, ToBeast(internal::CurrentHttpDate()));
    response_.set(http::field::server, "plumbline");
    const bool body_allowed = status_ >= 200 && status_ != 204 && status_ != 304;
    if (body_allowed && !response.content_type.empty()) {
      response_.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
      if (IsReservedHeader(name) || IsInvalidHeader(name, value)) continue;
      if (absl::EqualsIgnoreCase(ToAbsl(name), "content-type") ||
          absl::EqualsIgnoreCase(ToAbsl(name), "server")) {
        response_.set(name, value);  // replaces the default
      } else {
        response_.insert(name, value);
      }
    }
    if (body_allowed) {
      response_.content_length(response.body.size());
      if (!is_head_) response_.body() = std::move(response.body);
    }
    response_.keep_alive(after == After::kKeepAlive);
    // Recorded before the write, so a client that read its answer sees it counted.
    metrics_->Record(status_, std::chrono::duration<double>(Clock::now() - started_).count());
    ExpireAfterMs(stream_, options_.read_timeout_ms);  // a client that does not read
    http::async_write(stream_, response_, Bind(&Session::OnWritten));
  }

  void OnWritten(beast::error_code ec, size_t /*bytes*/) {
    response_ = http::response<http::string_body>();
    if (phase_ == Phase::kClosed) return;
    if (ec) return Close();
    if (after_ == After::kKeepAlive) return WaitForRequest();
    CloseGracefully(after_);
  }

  // Shuts down the write side, then lingers (reads and discards) unless there is nothing to
  // read, so that closing does not reset the connection under the answer just sent.
  void CloseGracefully(After after) {
    phase_ = Phase::kLingering;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (after != After::kLinger && buffer_.size() == 0 && stream_.socket().available(ec) == 0) {
      return Close();
    }
    buffer_.clear();
    linger_bytes_ = 0;
    stream_.expires_after(rejected_            ? kRejectedLingerTime
                          : state_->stopping() ? kStoppingLingerTime
                                               : kLingerTime);
    Linger();
  }

  void Linger() {
    if (linger_cut_short_ && !linger_shortened_) {
      linger_shortened_ = true;
      stream_.expires_after(kStoppingLingerTime);
    }
    stream_.async_read_some(buffer_.prepare(kLingerReadBytes), Bind(&Session::OnLinger));
  }

  void OnLinger(beast::error_code ec, size_t bytes) {
    if (phase_ == Phase::kClosed) return;
    linger_bytes_ += bytes;
    if (ec == asio::error::operation_aborted && linger_cut_short_) return Linger();  // OnStop
    if (ec || linger_bytes_ >= kLingerMaxBytes) return Close();
    Linger();
  }

  void OnStop() {
    switch (phase_) {
      case Phase::kIdle:
        return Close();
      case Phase::kLingering: {
        // Restart the pending read with the shorter stopping deadline (a tcp_stream keeps
        // the deadline of an operation already pending).
        if (linger_cut_short_) return;
        linger_cut_short_ = true;
        beast::error_code ec;
        stream_.socket().cancel(ec);
        return;
      }
      case Phase::kReading:
      case Phase::kHandling:
      case Phase::kWriting:
      case Phase::kClosed:
        return;  // the response goes out with Connection: close, then the session ends
    }
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    stream_.close();  // cancels what is pending; those handlers see kClosed and return
  }

  beast::tcp_stream stream_;
  const std::shared_ptr<ServerState> state_;
  const HttpServerOptions& options_;  // owned by state_
  uint64_t id_ = 0;                   // 0: not registered

  Phase phase_ = Phase::kIdle;
  bool rejected_ = false;
  beast::flat_buffer buffer_;  // bytes read but not parsed yet (or discarded when lingering)
  std::optional<http::request_parser<http::buffer_body>> parser_;
  HttpRequest request_;
  int version_ = 11;  // of the current request: 10 or 11
  bool keep_alive_ = false;
  bool is_head_ = false;
  const Route* route_ = nullptr;
  HandlerMetrics* metrics_ = nullptr;
  Clock::time_point started_;
  std::unique_ptr<BodyConsumer> consumer_;
  std::unique_ptr<char[]> body_buffer_;  // streaming routes only
  size_t body_filled_ = 0;               // bytes of the body buffer (or body string) in use
  size_t body_offered_ = 0;              // room offered to the parser by the last read
  http::response<http::string_body> response_;
  int status_ = 0;
  After after_ = After::kClose;
  size_t linger_bytes_ = 0;
  bool linger_cut_short_ = false;  // a shutdown asked for a shorter linger
  bool linger_shortened_ = false;  // ... and the deadline was shortened
};

// The running server. Thread-safe: Shutdown may be called from any thread.
class HttpServerImpl final : public HttpServer {
 public:
  explicit HttpServerImpl(std::shared_ptr<ServerState> state)
      : state_(std::move(state)),
        accept_strand_(asio::make_strand(ioc_)),
        acceptor_(accept_strand_),
        accept_retry_(accept_strand_) {}

  ~HttpServerImpl() override { Shutdown(kDestructorDeadlineMs); }

  absl::Status Listen(const tcp::endpoint& endpoint, std::string_view listen) {
    beast::error_code ec;
    const auto fail = [&] {
      return absl::UnavailableError(StrCat("cannot listen on ", listen, ": ", ec.message()));
    };
    if (acceptor_.open(endpoint.protocol(), ec); ec) return fail();
    if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail();
    if (acceptor_.bind(endpoint, ec); ec) return fail();
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) return fail();
    const tcp::endpoint local = acceptor_.local_endpoint(ec);
    if (ec) return fail();
    port_ = local.port();
    return absl::OkStatus();
  }

  void Run(int io_threads, int handler_threads) {
    asio::dispatch(accept_strand_, [this] { Accept(); });
    absl::MutexLock lock(&join_mu_);
    for (int i = 0; i < io_threads; ++i) {
      threads_.emplace_back([this] {
        current_server = this;
        ioc_.run();
        current_server = nullptr;
      });
    }
    for (int i = 0; i < handler_threads; ++i) {
      handler_threads_.emplace_back([this] {
        current_server = this;
        state_->handlers().run();
        current_server = nullptr;
      });
    }
  }

  int port() const override { return port_; }

  void Shutdown(int64_t deadline_ms) override {
    BeginShutdown();
    // A server thread cannot wait for the server to stop: it would wait for itself. The
    // threads are joined by a later Shutdown from another thread, or the destructor.
    if (current_server == this) return;
    absl::MutexLock lock(&join_mu_);
    if (joined_) return;
    if (!state_->AwaitNoSessions(absl::Milliseconds(std::max<int64_t>(deadline_ms, 0)))) {
      auto work = asio::make_work_guard(ioc_);  // as in BeginShutdown
      const std::vector<std::shared_ptr<Session>> busy = state_->Snapshot();
      PL_LOG(Warn) << "HTTP shutdown deadline passed: closing " << busy.size()
                   << " busy connections";
      for (const auto& session : busy) session->ForceClose();
      work.reset();
      // A handler still running keeps its thread; join waits for it to return.
      if (!state_->AwaitNoSessions(kForceCloseGrace)) ioc_.stop();
    }
    for (std::thread& thread : threads_) thread.join();
    // Handlers still running return to a stopped io_context: their sessions end with it.
    handler_work_.reset();
    for (std::thread& thread : handler_threads_) thread.join();
    joined_ = true;
    PL_LOG(Info) << "HTTP server stopped";
  }

 private:
  void BeginShutdown() {
    // Until everything below is posted, the io_context must not run out of work: once the
    // acceptor is closed and the sessions are between operations, its threads would return
    // and the posted Stops (each holding a session) would never run.
    auto work = asio::make_work_guard(ioc_);
    std::vector<std::shared_ptr<Session>> sessions;
    if (!state_->BeginStop(&sessions)) return;
    asio::post(accept_strand_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
    });
    for (const auto& session : sessions) session->Stop();
  }

  // On accept_strand_.
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           beast::bind_front_handler(&HttpServerImpl::OnAccept, this));
  }

  // On accept_strand_.
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or memory: do not spin. Logged once per run of failures.
      if (!accept_failing_) {
        PL_LOG(Warn) << "HTTP accept failed: " << ec.message();
      }
      accept_failing_ = true;
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    accept_failing_ = false;
    auto session = std::make_shared<Session>(std::move(socket), state_);
    uint64_t id = 0;
    switch (state_->Register(session, &id)) {
      case ServerState::Admission::kServe:
        session->set_id(id);
        session->Serve();
        break;
      case ServerState::Admission::kReject:
        session->set_id(id);
        session->Reject();
        break;
      case ServerState::Admission::kDrop:
        break;  // the socket closes with the session
    }
    Accept();
  }

  // The server whose thread this is, so that Shutdown knows not to join itself.
  static thread_local const HttpServerImpl* current_server;

  const std::shared_ptr<ServerState> state_;
  asio::io_context ioc_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  // Used on accept_strand_ only once Run started.
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  bool accept_failing_ = false;  // on accept_strand_
  int port_ = 0;                 // set by Listen, before the threads start

  // Keeps the handler threads running while nothing is handed to them.
  asio::executor_work_guard<asio::io_context::executor_type> handler_work_ =
      asio::make_work_guard(state_->handlers());

  absl::Mutex join_mu_;  // held for the whole of a Shutdown that waits and joins
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(join_mu_);
  std::vector<std::thread> handler_threads_ ABSL_GUARDED_BY(join_mu_);
  bool joined_ ABSL_GUARDED_BY(join_mu_) = false;
};

thread_local const HttpServerImpl* HttpServerImpl::current_server = nullptr;

absl::StatusOr<tcp::endpoint> Resolve(const HostPort& address, std::string_view listen) {
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address.host, ec);
  if (!ec) return tcp::endpoint(ip, address.port);
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        StrCat("cannot listen on ", listen, ": cannot resolve host: ", ec.message()));
  }
  return results.begin()->endpoint();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              const Router* router,
                                                              prometheus::Registry* registry) {
  if (router == nullptr || registry == nullptr) {
    return absl::InvalidArgumentError("HttpServer needs a router and a registry");
  }
  if (options.threads < 1 || options.max_connections < 1 || options.max_header_bytes < 1) {
    return absl::InvalidArgumentError(
        "HttpServer needs threads, max_connections and max_header_bytes of at least 1");
  }
  auto address = ParseHostPort(options.listen);
  if (!address.ok()) return address.status();
  auto endpoint = Resolve(*address, options.listen);
  if (!endpoint.ok()) return endpoint.status();
  auto metrics = internal::HttpMetrics::Create(*registry, router->routes());
  if (!metrics.ok()) return metrics.status();

  auto state = std::make_shared<ServerState>(options, router, *std::move(metrics));
  auto server = std::make_unique<HttpServerImpl>(std::move(state));
  if (absl::Status status = server->Listen(*endpoint, options.listen); !status.ok()) {
    return status;
  }
  const int io_threads =
      options.io_threads > 0
          ? options.io_threads
          : std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 2, 1, 4);
  server->Run(io_threads, options.threads);
  PL_LOG(Info) << "HTTP server listening on " << options.listen << " (port " << server->port()
               << ")";
  return server;
}

}  // namespace plumbline::web
