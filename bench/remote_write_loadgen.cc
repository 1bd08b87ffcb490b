// remote_write_loadgen: a Prometheus remote write 1.0 load generator for
// bench/remote_receive_compare.py (the receiver's samples/s, Plumbline against VictoriaMetrics).
//
//   remote_write_loadgen --url http://127.0.0.1:8080/api/v1/write [--series 1000]
//                        [--samples 8640] [--batch 2000] [--connections 2] [--end-ms T]
//                        [--token T] [--write-text FILE]
//
// The data: --series series (rw_bench_{a,b,c,d}{host="hNNN",series="i"}), each with --samples
// samples 10 s apart ending at --end-ms (default: now, rounded down to 10 s), values a
// deterministic random walk with two decimals. Requests are built as a scraping Prometheus
// sends them: time step after time step, every series of the connection's share at that step,
// --batch samples per request. Connection c sends series i with i % connections == c, in time
// order, one request at a time, so every series' samples arrive in order.
//
// Every request is encoded (protobuf + snappy) before the clock starts: the figure is the
// receiver's, not the generator's. With --write-text FILE, writes the same samples as
// Prometheus text with millisecond timestamps (for /api/v1/import/prometheus) and exits.
//
// Prints one line of key=value pairs: samples= requests= seconds= samples_per_s= errors=
// (requests answered other than 2xx or not answered), then first_error="..." when any.
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "remote/write_request.h"

namespace {

constexpr int64_t kStepMs = 10'000;
const char* const kFamilies[] = {"rw_bench_a", "rw_bench_b", "rw_bench_c", "rw_bench_d"};

struct Options {
  std::string url;
  int series = 1000;
  int samples = 8640;
  int batch = 2000;
  int connections = 2;
  int64_t end_ms = 0;
  std::string token;
  std::string write_text;
};

struct SeriesDef {
  std::string name, host, index;
};

SeriesDef Series(int i) {
  char host[16];
  std::snprintf(host, sizeof host, "h%03d", i / 20);
  return {kFamilies[i % 4], host, std::to_string(i)};
}

// Sample k of series i: a random walk, two decimals, the same on every call.
double Value(int i, int k) {
  uint64_t x = uint64_t(i) * 0x9E3779B97F4A7C15ULL + uint64_t(k) * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return double(int64_t(x % 100000)) / 100.0 + double(i % 50) * 10.0;
}

int64_t StartMs(const Options& o) { return o.end_ms - int64_t(o.samples - 1) * kStepMs; }

int WriteText(const Options& o) {
  std::ofstream out(o.write_text);
  const int64_t start = StartMs(o);
  char line[256];
  for (int k = 0; k < o.samples; ++k) {
    for (int i = 0; i < o.series; ++i) {
      const SeriesDef s = Series(i);
      int n = std::snprintf(line, sizeof line, "%s{host=\"%s\",series=\"%s\"} %.2f %" PRId64 "\n",
                            s.name.c_str(), s.host.c_str(), s.index.c_str(), Value(i, k),
                            start + k * kStepMs);
      out.write(line, n);
    }
  }
  return out.good() ? 0 : 1;
}

// Every request of connection c, encoded.
std::vector<std::string> BuildRequests(const Options& o, int c) {
  std::vector<std::string> out;
  prometheus::WriteRequest request;
  int in_request = 0;
  const int64_t start = StartMs(o);
  std::vector<SeriesDef> mine;
  std::vector<int> ids;
  for (int i = c; i < o.series; i += o.connections) {
    mine.push_back(Series(i));
    ids.push_back(i);
  }
  for (int k = 0; k < o.samples; ++k) {
    for (size_t j = 0; j < mine.size(); ++j) {
      prometheus::TimeSeries* ts = request.add_timeseries();
      const std::pair<const char*, const std::string*> labels[] = {
          {"__name__", &mine[j].name}, {"host", &mine[j].host}, {"series", &mine[j].index}};
      for (const auto& l : labels) {
        prometheus::Label* label = ts->add_labels();
        label->set_name(l.first);
        label->set_value(*l.second);
      }
      prometheus::Sample* sample = ts->add_samples();
      sample->set_timestamp(start + k * kStepMs);
      sample->set_value(Value(ids[j], k));
      if (++in_request == o.batch) {
        out.push_back(plumbline::remote::EncodeWriteRequest(request));
        request.Clear();
        in_request = 0;
      }
    }
  }
  if (in_request > 0) out.push_back(plumbline::remote::EncodeWriteRequest(request));
  return out;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

struct Result {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::mutex mu;
  std::string first_error;
};

void Send(const Options& o, const std::vector<std::string>& requests, Result* result) {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
  headers = curl_slist_append(headers, "Content-Encoding: snappy");
  headers = curl_slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
  headers = curl_slist_append(headers, "Expect:");
  if (!o.token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + o.token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  for (const std::string& body : requests) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, long(body.size()));
    const CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    result->requests.fetch_add(1);
    if (rc != CURLE_OK || code / 100 != 2) {
      result->errors.fetch_add(1);
      std::lock_guard<std::mutex> lock(result->mu);
      if (result->first_error.empty()) {
        result->first_error =
            rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP " + std::to_string(code);
      }
    }
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("Prometheus remote write 1.0 load generator");
  app.add_option("--url", o.url, "Receiver URL, e.g. http://127.0.0.1:8080/api/v1/write");
  app.add_option("--series", o.series, "Series")->check(CLI::Range(1, 10'000'000));
  app.add_option("--samples", o.samples, "Samples per series, 10 s apart")
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--batch", o.batch, "Samples per request")->check(CLI::Range(1, 1'000'000));
  app.add_option("--connections", o.connections, "Parallel connections")->check(CLI::Range(1, 256));
  app.add_option("--end-ms", o.end_ms, "Timestamp of the last sample (default: now)");
  app.add_option("--token", o.token, "Bearer token");
  app.add_option("--write-text", o.write_text, "Write the samples as Prometheus text and exit");
  CLI11_PARSE(app, argc, argv);
  if (o.end_ms == 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    o.end_ms = now / kStepMs * kStepMs;
  }
  if (!o.write_text.empty()) return WriteText(o);
  if (o.url.empty()) {
    std::fprintf(stderr, "--url is required (or --write-text)\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<std::vector<std::string>> work(size_t(o.connections));
  uint64_t count = 0;
  for (int c = 0; c < o.connections; ++c) {
    work[size_t(c)] = BuildRequests(o, c);
    count += work[size_t(c)].size();
  }
  Result result;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back(Send, std::cref(o), std::cref(work[size_t(c)]), &result);
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t samples = uint64_t(o.series) * uint64_t(o.samples);
  std::printf("samples=%" PRIu64 " requests=%" PRIu64
              " seconds=%.3f samples_per_s=%.0f errors=%" PRIu64,
              samples, count, seconds, double(samples) / seconds, result.errors.load());
  if (!result.first_error.empty()) std::printf(" first_error=\"%s\"", result.first_error.c_str());
  std::printf("\n");
  curl_global_cleanup();
  return result.errors.load() == 0 ? 0 : 1;
}
