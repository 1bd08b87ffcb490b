#include "remote/http_post.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>

#include "common/build_info.h"
#include "common/strings.h"
#include "common/url.h"
#include "remote/write_request.h"

namespace plumbline::remote {
namespace {

constexpr size_t kMaxErrorBody = 1024;

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t n = size * count;
  if (out->size() < kMaxErrorBody) out->append(data, std::min(n, kMaxErrorBody - out->size()));
  return n;
}

// Non-zero aborts the transfer (curl polls it about once a second, and on progress).
int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort_at_ms = static_cast<const std::atomic<int64_t>*>(user);
  if (abort_at_ms == nullptr) return 0;
  // Writer: Sender::Stop; relaxed: only the value itself matters.
  const int64_t at = abort_at_ms->load(std::memory_order_relaxed);
  return at != 0 && SteadyNowMs() >= at ? 1 : 0;
}

}  // namespace

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

HttpPoster::HttpPoster(int64_t timeout_ms, const std::atomic<int64_t>* abort_at_ms)
    : timeout_ms_(timeout_ms), abort_at_ms_(abort_at_ms) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

HttpPoster::~HttpPoster() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::StatusOr<HttpPoster::Response> HttpPoster::Post(const std::string& url,
                                                      std::string_view body) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return absl::InternalError("libcurl: cannot create a handle");
  Response response;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, StrCat("Content-Type: ", kContentType).c_str());
  headers = curl_slist_append(headers, StrCat("Content-Encoding: ", kContentEncoding).c_str());
  headers = curl_slist_append(headers, StrCat(kVersionHeader, ": ", kVersion).c_str());
  headers = curl_slist_append(headers, "Expect:");
  const std::string agent = StrCat("Plumbline/", ::plumbline::kVersion);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, abort_at_ms_);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        StrCat("cannot reach ", WithoutUserInfo(url), ": ", curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace plumbline::remote
