#include "web/http_server.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "tests/web/raw_http_client.h"
#include "web/router.h"

namespace plumbline::web {
namespace {

using ::testing::HasSubstr;
using testing::MakeRequest;
using ::testing::Not;
using testing::RawHttpClient;
using testing::RawResponse;
using ::testing::StartsWith;

// Upper bound of every wait in these tests: a broken server fails a test, never hangs it.
constexpr absl::Duration kWait = absl::Seconds(30);

uint32_t Crc32(uint32_t crc, std::string_view data) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  crc = ~crc;
  for (unsigned char byte : data) crc = kTable[(crc ^ byte) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// What the streaming route saw. Thread-safe.
struct StreamStats {
  absl::Mutex mu;
  uint64_t bytes ABSL_GUARDED_BY(mu) = 0;
  size_t pieces ABSL_GUARDED_BY(mu) = 0;
  size_t max_piece ABSL_GUARDED_BY(mu) = 0;
};

// Counts and checksums a streamed body. Owned by one request (one thread at a time).
class CrcConsumer : public BodyConsumer {
 public:
  explicit CrcConsumer(StreamStats* stats) : stats_(stats) {}

  absl::Status Consume(std::string_view piece) override {
    crc_ = Crc32(crc_, piece);
    bytes_ += piece.size();
    absl::MutexLock lock(&stats_->mu);
    stats_->pieces++;
    stats_->max_piece = std::max(stats_->max_piece, piece.size());
    return absl::OkStatus();
  }

  void Finish(const absl::Status& status, HttpResponse& response) override {
    {
      absl::MutexLock lock(&stats_->mu);
      stats_->bytes = bytes_;
    }
    if (!status.ok()) {
      response.status = 400;
      response.body = std::string(status.message());
      return;
    }
    response.body = StrCat("bytes=", bytes_, " crc=", crc_);
  }

 private:
  StreamStats* const stats_;
  uint64_t bytes_ = 0;
  uint32_t crc_ = 0;
};

Route Buffered(std::string pattern, std::vector<std::string> methods, std::string name,
               HttpHandler handler) {
  Route route;
  route.pattern = std::move(pattern);
  route.methods = std::move(methods);
  route.name = std::move(name);
  route.handler = std::move(handler);
  return route;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.Add(
        Buffered("/hello", {"GET"}, "hello",
                 [](const HttpRequest&, HttpResponse& response) { response.body = "hello\n"; }));
    Route echo = Buffered(
        "/echo", {"POST", "PUT"}, "echo", [](const HttpRequest& request, HttpResponse& response) {
          response.content_type = "application/octet-stream";
          response.SetHeader("X-Method", request.method);
          response.SetHeader("X-Seen", std::string(request.Header("x-test")));
          response.SetHeader("X-Loopback", request.remote_is_loopback ? "1" : "0");
          response.body = request.body;
        });
    echo.max_body_bytes = 1000;
    router_.Add(std::move(echo));
    router_.Add(Buffered("/static/*", {"GET"}, "static",
                         [](const HttpRequest& request, HttpResponse& response) {
                           response.body = StrCat(request.path, "|", request.query);
                         }));
    router_.Add(Buffered("/slow", {"GET"}, "slow", [this](const HttpRequest&, HttpResponse& r) {
      slow_entered_.Notify();
      slow_release_.WaitForNotificationWithTimeout(kWait);
      slow_returned_ = true;
      r.body = "slow done\n";
    }));
    router_.Add(Buffered("/throw", {"GET"}, "throw", [](const HttpRequest&, HttpResponse&) {
      throw std::runtime_error("handler bug");
    }));
    router_.Add(Buffered("/quit", {"POST"}, "quit", [this](const HttpRequest&, HttpResponse& r) {
      server_->Shutdown(absl::ToInt64Milliseconds(kWait));  // on a server thread: returns
      r.body = "bye\n";
    }));
    Route import_route;
    import_route.pattern = "/import";
    import_route.methods = {"POST"};
    import_route.name = "import";
    import_route.streaming = [this](const HttpRequest& request, HttpResponse&) {
      EXPECT_TRUE(request.body.empty());
      return std::make_unique<CrcConsumer>(&stream_stats_);
    };
    router_.Add(std::move(import_route));
    Route locked;
    locked.pattern = "/locked";
    locked.methods = {"POST"};
    locked.name = "locked";
    locked.streaming = [](const HttpRequest&, HttpResponse& response) {
      response.status = 401;
      response.body = "no token\n";
      return std::unique_ptr<BodyConsumer>();
    };
    router_.Add(std::move(locked));
  }

  ~HttpServerTest() override {
    if (!slow_release_.HasBeenNotified()) slow_release_.Notify();
    server_.reset();
  }

  void StartServer(HttpServerOptions options = {}) {
    if (options.listen == HttpServerOptions().listen) options.listen = "127.0.0.1:0";
    options.threads = 4;
    auto server = HttpServer::Start(options, &router_, &registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }

  RawResponse Get(std::string_view target) {
    RawHttpClient client(port_);
    RawResponse response;
    EXPECT_TRUE(client.RoundTrip(MakeRequest("GET", target), &response)) << target;
    return response;
  }

  std::string MetricsText() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  // Connects until the server refuses (its listening socket closed); false on timeout.
  bool WaitUntilRefused() {
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      RawHttpClient probe(port_);
      if (!probe.connected() && probe.connect_errno() == ECONNREFUSED) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  Router router_;
  prometheus::Registry registry_;
  StreamStats stream_stats_;
  absl::Notification slow_entered_;
  absl::Notification slow_release_;
  std::atomic<bool> slow_returned_{false};
  std::unique_ptr<HttpServer> server_;  // last: stops before what its handlers use
  int port_ = 0;
};

TEST_F(HttpServerTest, AnswersGetPostAndHead) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  ASSERT_TRUE(client.connected());
  RawResponse r;

  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/hello"), &r));
  EXPECT_EQ(r.status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.Header("content-length"), "6");
  EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_THAT(r.Header("date"), HasSubstr(" GMT"));
  EXPECT_EQ(r.Header("connection"), "");

  ASSERT_TRUE(client.RoundTrip(MakeRequest("POST", "/echo", "abc", "X-Test: yes\r\n"), &r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.Header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.Header("x-method"), "POST");
  EXPECT_EQ(r.Header("x-seen"), "yes");
  EXPECT_EQ(r.Header("x-loopback"), "1");

  // HEAD: the GET's headers, no body. The GET after it would misparse if a body came.
  ASSERT_TRUE(client.RoundTrip(MakeRequest("HEAD", "/hello"), &r, /*head=*/true));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "6");
  EXPECT_EQ(r.body, "");
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/static/app.js?v=1"), &r));
  EXPECT_EQ(r.body, "/static/app.js|v=1");

  // absolute-form targets route by their path.
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "http://test/static/x?y"), &r));
  EXPECT_EQ(r.body, "/static/x|y");
}

TEST_F(HttpServerTest, KeepsConnectionAliveAcrossRequests) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    RawResponse r;
    ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/hello"), &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("connection"), "");
  }
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  ASSERT_TRUE(client.Send(MakeRequest("GET", "/hello") + MakeRequest("POST", "/echo", "one") +
                          MakeRequest("GET", "/missing") + MakeRequest("HEAD", "/hello") +
                          MakeRequest("PUT", "/echo", "two")));
  const std::vector<std::pair<int, std::string>> want = {
      {200, "hello\n"}, {200, "one"}, {404, "Not Found\n"}, {200, ""}, {200, "two"}};
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    RawResponse r;
    ASSERT_TRUE(client.Read(&r, /*head=*/i == 3));
    EXPECT_EQ(r.status, want[i].first);
    EXPECT_EQ(r.body, want[i].second);
  }
}

TEST_F(HttpServerTest, AnswersNotFoundAndMethodNotAllowed) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  RawResponse r;
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/missing"), &r));
  EXPECT_EQ(r.status_line, "HTTP/1.1 404 Not Found");
  ASSERT_TRUE(client.RoundTrip(MakeRequest("DELETE", "/hello"), &r));
  EXPECT_EQ(r.status_line, "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/echo"), &r));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "POST, PUT");
  // Neither error closes the connection: no body was left unread.
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/hello"), &r));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, HandlerExceptionAnswers500) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  RawResponse r;
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/throw"), &r));
  EXPECT_EQ(r.status, 500);
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/hello"), &r));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndClose) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  struct Case {
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", 400},
      {" /hello HTTP/1.1\r\n\r\n", 400},
      {"GET /hello HTTX/1.1\r\n\r\n", 400},
      {"GET /hel lo HTTP/1.1\r\n\r\n", 400},
      {"GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", 400},
      {"GET /hello HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"GET /hello HTTP/2.0\r\n\r\n", 400},
      // Request smuggling: conflicting framing.
      {"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       400},
      {"GET /hello HTTP/1.2\r\n\r\n", 400},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request);
    RawHttpClient client(port_);
    RawResponse r;
    ASSERT_TRUE(client.RoundTrip(c.request, &r));
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_TRUE(client.WaitForClose());
  }
  EXPECT_EQ(Get("/hello").status, 200);
}

TEST_F(HttpServerTest, HugeHeaderGets431WithoutReset) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  const std::string request =
      StrCat("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: ", std::string(10 << 20, 'a'), "\r\n\r\n");
  EXPECT_TRUE(client.Send(request)) << "errno " << client.last_errno();
  RawResponse r;
  ASSERT_TRUE(client.Read(&r)) << "errno " << client.last_errno();
  EXPECT_EQ(r.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(Get("/hello").status, 200);
}

TEST_F(HttpServerTest, HugeBodyGets413WithoutReset) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  EXPECT_TRUE(client.Send(MakeRequest("POST", "/echo", std::string(10 << 20, 'b'))))
      << "errno " << client.last_errno();
  RawResponse r;
  ASSERT_TRUE(client.Read(&r)) << "errno " << client.last_errno();
  EXPECT_EQ(r.status_line, "HTTP/1.1 413 Content Too Large");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(Get("/hello").status, 200);
}

TEST_F(HttpServerTest, BodyLimitIsExact) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  RawResponse r;
  ASSERT_TRUE(client.RoundTrip(MakeRequest("POST", "/echo", std::string(1000, 'c')), &r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 1000u);
  ASSERT_TRUE(client.RoundTrip(MakeRequest("POST", "/echo", std::string(1001, 'c')), &r));
  EXPECT_EQ(r.status, 413);
}

std::string Chunked(const std::vector<std::string>& chunks) {
  std::string body;
  for (const std::string& chunk : chunks) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
    StrAppend(&body, size, chunk, "\r\n");
  }
  return body + "0\r\n\r\n";
}

TEST_F(HttpServerTest, ChunkedBodies) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string head = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  {
    RawHttpClient client(port_);
    RawResponse r;
    ASSERT_TRUE(client.RoundTrip(head + Chunked({"hello ", "chunked ", "world"}), &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello chunked world");
    ASSERT_TRUE(
        client.RoundTrip(head + Chunked({std::string(600, 'x'), std::string(400, 'y')}), &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), 1000u);
  }
  {
    RawHttpClient client(port_);
    RawResponse r;
    ASSERT_TRUE(
        client.RoundTrip(head + Chunked(std::vector<std::string>(5, std::string(500, 'z'))), &r));
    EXPECT_EQ(r.status, 413);
    EXPECT_TRUE(client.WaitForClose());
  }
  {  // Far over the limit: the client still reads the answer.
    RawHttpClient client(port_);
    EXPECT_TRUE(
        client.Send(head + Chunked(std::vector<std::string>(40, std::string(256 << 10, 'z')))));
    RawResponse r;
    ASSERT_TRUE(client.Read(&r));
    EXPECT_EQ(r.status, 413);
  }
}

TEST_F(HttpServerTest, ExpectContinue) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  {
    RawHttpClient client(port_);
    ASSERT_TRUE(client.Send(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    RawResponse r;
    ASSERT_TRUE(client.Read(&r));
    EXPECT_EQ(r.status_line, "HTTP/1.1 100 Continue");
    ASSERT_TRUE(client.RoundTrip("12345", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "12345");
  }
  {  // Over the limit: the final answer comes at once, without 100 Continue.
    RawHttpClient client(port_);
    RawResponse r;
    ASSERT_TRUE(client.RoundTrip(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
        &r));
    EXPECT_EQ(r.status, 413);
  }
}

TEST_F(HttpServerTest, StreamingRouteGetsLargeBodyInBoundedPieces) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr size_t kBodyBytes = 50 << 20;
  constexpr size_t kBlock = 1 << 20;
  RawHttpClient client(port_);
  ASSERT_TRUE(client.Send(
      StrCat("POST /import HTTP/1.1\r\nHost: t\r\nContent-Length: ", kBodyBytes, "\r\n\r\n")));
  std::mt19937 random(42);
  std::string block(kBlock, '\0');
  uint32_t crc = 0;
  for (size_t sent = 0; sent < kBodyBytes; sent += kBlock) {
    for (char& c : block) c = static_cast<char>(random());
    crc = Crc32(crc, block);
    ASSERT_TRUE(client.Send(block)) << "errno " << client.last_errno();
  }
  RawResponse r;
  ASSERT_TRUE(client.Read(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, StrCat("bytes=", kBodyBytes, " crc=", crc));
  absl::MutexLock lock(&stream_stats_.mu);
  EXPECT_EQ(stream_stats_.bytes, kBodyBytes);
  EXPECT_LE(stream_stats_.max_piece, 256u << 10);  // memory per request stays bounded
  EXPECT_GE(stream_stats_.pieces, kBodyBytes / (256 << 10));
}

TEST_F(HttpServerTest, StreamingRouteWithChunkedBodyAndContinue) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  ASSERT_TRUE(
      client.Send("POST /import HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                  "Expect: 100-continue\r\n\r\n"));
  RawResponse r;
  ASSERT_TRUE(client.Read(&r));
  EXPECT_EQ(r.status, 100);
  const std::vector<std::string> chunks = {"a", std::string(300 << 10, 'b'), "c"};
  uint32_t crc = 0;
  for (const std::string& chunk : chunks) crc = Crc32(crc, chunk);
  ASSERT_TRUE(client.RoundTrip(Chunked(chunks), &r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, StrCat("bytes=", 2 + (300 << 10), " crc=", crc));
  // The connection stays usable.
  ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", "/hello"), &r));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, StreamingRouteMayAnswerBeforeTheBody) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  EXPECT_TRUE(client.Send(MakeRequest("POST", "/locked", std::string(4 << 20, 'x'))));
  RawResponse r;
  ASSERT_TRUE(client.Read(&r));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "no token\n");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, HonoursConnectionCloseAndHttp10) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  struct Case {
    std::string request;
    std::string status_line;
    std::string connection;  // the response's Connection header
    bool stays_open;
  };
  const std::vector<Case> cases = {
      {"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK", "close",
       false},
      {"GET /hello HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK", "", false},
      {"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.0 200 OK", "keep-alive",
       true},
      {"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK", "", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request);
    RawHttpClient client(port_);
    RawResponse r;
    ASSERT_TRUE(client.RoundTrip(c.request, &r));
    EXPECT_EQ(r.status_line, c.status_line);
    EXPECT_EQ(r.Header("connection"), c.connection);
    EXPECT_EQ(r.body, "hello\n");
    if (c.stays_open) {
      ASSERT_TRUE(client.RoundTrip(c.request, &r));
      EXPECT_EQ(r.status, 200);
    } else {
      EXPECT_TRUE(client.WaitForClose());
    }
  }
}

TEST_F(HttpServerTest, CountsRequestsByHandlerAndCode) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  RawResponse r;
  for (const char* target : {"/hello", "/hello", "/missing/secret-token", "/static/a"}) {
    ASSERT_TRUE(client.RoundTrip(MakeRequest("GET", target), &r));
  }
  ASSERT_TRUE(client.RoundTrip(MakeRequest("DELETE", "/hello"), &r));
  const std::string text = MetricsText();
  EXPECT_THAT(text, HasSubstr("plumbline_http_requests_total{code=\"200\",handler=\"hello\"} 2"));
  EXPECT_THAT(text, HasSubstr("plumbline_http_requests_total{code=\"405\",handler=\"hello\"} 1"));
  EXPECT_THAT(text, HasSubstr("plumbline_http_requests_total{code=\"200\",handler=\"static\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("plumbline_http_requests_total{code=\"404\",handler=\"notfound\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("plumbline_http_request_duration_seconds_count{handler=\"hello\"} 3"));
  EXPECT_THAT(text, HasSubstr("plumbline_http_request_duration_seconds_bucket{handler=\"hello\","
                              "le=\"0.001\"}"));
  EXPECT_THAT(text, HasSubstr("plumbline_http_request_duration_seconds_bucket{handler=\"hello\","
                              "le=\"60\"}"));
  EXPECT_THAT(text, Not(HasSubstr("secret-token")));
  EXPECT_THAT(text, Not(HasSubstr("code=\"500\"")));
}

// Handlers run on threads of their own: with a single socket thread, a handler that blocks
// (a query waiting for its turn) holds up neither other connections nor its own answer.
TEST_F(HttpServerTest, ABlockedHandlerHoldsUpNoOtherConnectionWithOneSocketThread) {
  HttpServerOptions options;
  options.io_threads = 1;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  RawHttpClient slow(port_);
  ASSERT_TRUE(slow.Send(MakeRequest("GET", "/slow")));
  ASSERT_TRUE(slow_entered_.WaitForNotificationWithTimeout(kWait));
  for (int i = 0; i < 3; ++i) {
    const RawResponse r = Get("/hello");
    EXPECT_EQ(r.status, 200);
  }
  EXPECT_FALSE(slow_returned_) << "the other requests waited for the blocked handler";
  slow_release_.Notify();
  RawResponse r;
  ASSERT_TRUE(slow.Read(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow done\n");
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequestAndRefusesNewConnections) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  ASSERT_TRUE(client.Send(MakeRequest("GET", "/slow")));
  ASSERT_TRUE(slow_entered_.WaitForNotificationWithTimeout(kWait));

  std::thread stopper([this] { server_->Shutdown(absl::ToInt64Milliseconds(kWait)); });
  EXPECT_TRUE(WaitUntilRefused());
  slow_release_.Notify();

  RawResponse r;
  ASSERT_TRUE(client.Read(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow done\n");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose());
  stopper.join();

  RawHttpClient late(port_);
  EXPECT_FALSE(late.connected());
  server_->Shutdown(0);  // idempotent
}

TEST_F(HttpServerTest, ShutdownClosesIdleConnections) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient used(port_);
  RawResponse r;
  ASSERT_TRUE(used.RoundTrip(MakeRequest("GET", "/hello"), &r));
  RawHttpClient fresh(port_);  // connected, never sent a byte
  ASSERT_TRUE(fresh.connected());

  // A deadline far beyond the clients' waits: they must be closed as idle, not at the deadline.
  std::thread stopper([this] { server_->Shutdown(absl::ToInt64Milliseconds(kWait * 10)); });
  EXPECT_TRUE(used.WaitForClose());
  EXPECT_TRUE(fresh.WaitForClose());
  stopper.join();
}

TEST_F(HttpServerTest, ShutdownFromTwoThreadsAndDestructorAreSafe) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(Get("/hello").status, 200);
  std::thread a([this] { server_->Shutdown(1000); });
  std::thread b([this] { server_->Shutdown(1000); });
  a.join();
  b.join();
  server_.reset();
}

TEST_F(HttpServerTest, ShutdownFromAHandlerDoesNotDeadlock) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawHttpClient client(port_);
  RawResponse r;
  ASSERT_TRUE(client.RoundTrip(MakeRequest("POST", "/quit", "now"), &r));
  EXPECT_EQ(r.body, "bye\n");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_TRUE(WaitUntilRefused());
  server_.reset();  // joins the threads
}

TEST_F(HttpServerTest, ServesManyConcurrentConnections) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr int kThreads = 50;
  constexpr int kRequests = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &ok] {
      RawHttpClient client(port_);
      for (int i = 0; i < kRequests; ++i) {
        RawResponse r;
        const std::string body = StrCat("t", t, "r", i);
        const bool post = i % 4 == 0;
        if (!client.RoundTrip(
                post ? MakeRequest("POST", "/echo", body) : MakeRequest("GET", "/hello"), &r)) {
          return;
        }
        if (r.status == 200 && r.body == (post ? body : "hello\n")) ok.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
}

TEST_F(HttpServerTest, RejectsConnectionsBeyondTheLimitWith503) {
  HttpServerOptions options;
  options.max_connections = 2;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  auto a = std::make_unique<RawHttpClient>(port_);
  RawHttpClient b(port_);
  RawResponse r;
  ASSERT_TRUE(a->RoundTrip(MakeRequest("GET", "/hello"), &r));
  ASSERT_TRUE(b.RoundTrip(MakeRequest("GET", "/hello"), &r));
  {
    RawHttpClient c(port_);
    ASSERT_TRUE(c.RoundTrip(MakeRequest("GET", "/hello"), &r));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.Header("connection"), "close");
  }
  // A slot frees once a connection ends.
  a.reset();
  const absl::Time deadline = absl::Now() + kWait;
  int status = 0;
  while (absl::Now() < deadline && status != 200) {
    RawHttpClient d(port_);
    if (d.RoundTrip(MakeRequest("GET", "/hello"), &r)) status = r.status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpServerTest, ClosesIdleAndSlowConnections) {
  HttpServerOptions options;
  options.idle_timeout_ms = 100;
  options.read_timeout_ms = 100;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  RawHttpClient idle(port_);
  RawHttpClient after_request(port_);
  RawResponse r;
  ASSERT_TRUE(after_request.RoundTrip(MakeRequest("GET", "/hello"), &r));
  RawHttpClient slow_header(port_);
  ASSERT_TRUE(slow_header.Send("GET /hello HTTP/1.1\r\nHost: t\r\n"));
  RawHttpClient slow_body(port_);
  ASSERT_TRUE(slow_body.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12"));
  EXPECT_TRUE(idle.WaitForClose());
  EXPECT_TRUE(after_request.WaitForClose());
  EXPECT_TRUE(slow_header.WaitForClose());
  EXPECT_TRUE(slow_body.WaitForClose());
}

TEST_F(HttpServerTest, BindFailureNamesTheAddress) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  HttpServerOptions options;
  options.listen = StrCat("127.0.0.1:", port_);
  const auto second = HttpServer::Start(options, &router_, &registry_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(),
            StrCat("cannot listen on 127.0.0.1:", port_, ": Address already in use"));

  options.listen = "127.0.0.1";
  EXPECT_EQ(HttpServer::Start(options, &router_, &registry_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(HttpServerTest, ListensOnIpv6Loopback) {
  HttpServerOptions options;
  options.listen = "[::1]:0";
  auto server = HttpServer::Start(options, &router_, &registry_);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  RawHttpClient client((*server)->port(), "::1");
  ASSERT_TRUE(client.connected());
  RawResponse r;
  ASSERT_TRUE(client.RoundTrip(MakeRequest("POST", "/echo", "v6"), &r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "v6");
  EXPECT_EQ(r.Header("x-loopback"), "1");
}

TEST(Crc32Test, MatchesTheCheckValue) { EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u); }

}  // namespace
}  // namespace plumbline::web
