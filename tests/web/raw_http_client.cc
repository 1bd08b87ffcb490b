#include "tests/web/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace plumbline::web::testing {
namespace {

// Bounds every blocking call, so that a broken server fails a test instead of hanging it.
constexpr int kSocketTimeoutSeconds = 30;

}  // namespace

std::string RawResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

RawHttpClient::RawHttpClient(int port, const std::string& host) {
  const bool v6 = host.find(':') != std::string::npos;
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    connect_errno_ = errno;
    return;
  }
  timeval timeout{kSocketTimeoutSeconds, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int rc;
  if (v6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, host.c_str(), &address.sin6_addr);
    rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  }
  if (rc != 0) {
    connect_errno_ = errno;
    ::close(fd_);
    fd_ = -1;
  }
}

RawHttpClient::~RawHttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawHttpClient::Send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_errno_ = errno;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawHttpClient::Fill() {
  char chunk[64 << 10];
  while (true) {
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_errno_ = n < 0 ? errno : 0;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

bool RawHttpClient::Read(RawResponse* response, bool head) {
  *response = RawResponse();
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return false;
  }
  const std::string_view header = std::string_view(buffer_).substr(0, header_end);
  size_t line_end = header.find("\r\n");
  response->status_line = std::string(header.substr(0, line_end));
  if (response->status_line.size() < 12 ||
      !absl::SimpleAtoi(ToAbsl(std::string_view(response->status_line).substr(9, 3)),
                        &response->status)) {
    return false;
  }
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = header.find("\r\n", start);
    const std::string_view line = header.substr(start, line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    response->headers.emplace_back(
        absl::AsciiStrToLower(ToAbsl(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(ToAbsl(line.substr(colon + 1)))));
  }
  buffer_.erase(0, header_end + 4);
  const bool no_body =
      head || response->status < 200 || response->status == 204 || response->status == 304;
  size_t length = 0;
  if (!no_body && !absl::SimpleAtoi(ToAbsl(response->Header("content-length")), &length)) {
    return false;  // this server always sends Content-Length
  }
  while (buffer_.size() < length) {
    if (!Fill()) return false;
  }
  response->body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return true;
}

bool RawHttpClient::RoundTrip(std::string_view request, RawResponse* response, bool head) {
  return Send(request) && Read(response, head);
}

bool RawHttpClient::WaitForClose() {
  buffer_.clear();
  while (Fill()) buffer_.clear();
  // EOF (0) or a reset: closed. A timeout (EAGAIN): still open.
  return last_errno_ != EAGAIN && last_errno_ != EWOULDBLOCK;
}

std::string MakeRequest(std::string_view method, std::string_view target, std::string_view body,
                        std::string_view extra_headers) {
  std::string request = StrCat(method, " ", target, " HTTP/1.1\r\nHost: test\r\n", extra_headers);
  if (!body.empty()) StrAppend(&request, "Content-Length: ", body.size(), "\r\n");
  StrAppend(&request, "\r\n", body);
  return request;
}

}  // namespace plumbline::web::testing
