#include "app/import_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "app/http_client.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/strings.h"
#include "storage/engine.h"
#include "storage/importer.h"

namespace plumbline::app {
namespace {

constexpr size_t kReadBlock = 1 << 20;

// Reads a file or stdin in blocks. Owned by one thread.
class Input {
 public:
  bool Open(const std::string& path) {
    if (path == "-") {
      fd_ = STDIN_FILENO;
    } else {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        std::fprintf(stderr, "import: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
        return false;
      }
      owned_ = true;
      struct stat st {};
      if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
    }
    return true;
  }
  ~Input() {
    if (owned_) ::close(fd_);
  }
  // Bytes read into `buffer` (0 at the end), or -1 on error.
  ssize_t Read(char* buffer, size_t capacity) {
    while (true) {
      const ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0 || errno != EINTR) return n;
    }
  }
  uint64_t size() const { return size_; }  // 0 when unknown (a pipe)

 private:
  int fd_ = -1;
  bool owned_ = false;
  uint64_t size_ = 0;
};

// "\r 123.4 MB / 520.0 MB (24%)   2.10 M samples   3.45 M samples/s" on a terminal.
class Progress {
 public:
  explicit Progress(uint64_t total_bytes)
      : enabled_(::isatty(STDOUT_FILENO) == 1), total_(total_bytes), start_(MonotonicSeconds()) {}

  void Update(uint64_t bytes, uint64_t samples, bool final = false) {
    if (!enabled_) return;
    const double now = MonotonicSeconds();
    if (!final && now - last_ < 0.2) return;
    last_ = now;
    const double elapsed = std::max(now - start_, 1e-9);
    std::string line = StrCat("\r  ", absl::StrFormat("%.1f MB", bytes / 1e6));
    if (total_ > 0) {
      StrAppend(&line, absl::StrFormat(" / %.1f MB (%d%%)", total_ / 1e6,
                                       static_cast<int>(100.0 * bytes / total_)));
    }
    StrAppend(&line, absl::StrFormat("   %.2f M samples   %.2f M samples/s   ", samples / 1e6,
                                     samples / elapsed / 1e6));
    std::fputs(line.c_str(), stdout);
    if (final) std::fputs("\n", stdout);
    std::fflush(stdout);
  }

 private:
  bool enabled_;
  uint64_t total_;
  double start_;
  double last_ = 0;
};

bool ParseFormat(const std::string& format, storage::import::TimestampUnit* unit) {
  using storage::import::TimestampUnit;
  if (format == "auto") {
    *unit = TimestampUnit::kAuto;
  } else if (format == "prometheus") {
    *unit = TimestampUnit::kMilliseconds;
  } else if (format == "openmetrics") {
    *unit = TimestampUnit::kSeconds;
  } else {
    return false;
  }
  return true;
}

int ImportOffline(const ImportFlags& flags, storage::import::TimestampUnit unit,
                  int64_t retention_ms, Input& input) {
  storage::EngineOptions options;
  options.data_dir = flags.data_dir;
  options.retention_ms = retention_ms;
  options.background_maintenance = false;
  absl::StatusOr<std::unique_ptr<storage::Engine>> engine = storage::Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "import: %s\n", std::string(engine.status().message()).c_str());
    return 1;
  }
  storage::ImportOptions import_options;
  import_options.timestamp_unit = unit;
  storage::Importer importer(engine->get(), import_options);
  Progress progress(input.size());
  const double start = MonotonicSeconds();
  std::vector<char> buffer(kReadBlock);
  while (true) {
    const ssize_t n = input.Read(buffer.data(), buffer.size());
    if (n < 0) {
      std::fprintf(stderr, "\nimport: read error: %s (batches written so far are kept)\n",
                   std::strerror(errno));
      return 1;
    }
    if (n == 0) break;
    absl::Status s = importer.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!s.ok()) {
      std::fprintf(stderr, "\nimport: %s (batches written so far are kept)\n",
                   std::string(s.message()).c_str());
      return 1;
    }
    progress.Update(importer.progress().bytes, importer.progress().samples_parsed);
  }
  absl::StatusOr<storage::ImportSummary> summary = importer.Finish();
  if (!summary.ok()) {
    std::fprintf(stderr, "\nimport: %s (batches written so far are kept)\n",
                 std::string(summary.status().message()).c_str());
    return 1;
  }
  progress.Update(summary->bytes, summary->samples_parsed, /*final=*/true);
  const double seconds = MonotonicSeconds() - start;
  std::fprintf(stderr, "%s in %.2f s (%.2f M samples/s)\n", summary->ToString().c_str(), seconds,
               summary->samples_imported / std::max(seconds, 1e-9) / 1e6);
  return summary->rejected() > 0 ? 3 : 0;
}

int ImportOnline(const ImportFlags& flags, Input& input) {
  HttpClient client;
  std::string url = ServerUrl(flags.server, "/api/v1/import/prometheus");
  if (flags.format != "auto") url += "?format=" + flags.format;
  Progress progress(input.size());
  uint64_t sent = 0;
  HttpClient::Request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "text/plain"}};
  if (!flags.token.empty()) request.headers.push_back({"Authorization", "Bearer " + flags.token});
  request.body_source = [&](char* buffer, size_t capacity) -> ssize_t {
    const ssize_t n = input.Read(buffer, capacity);
    if (n > 0) {
      sent += static_cast<uint64_t>(n);
      progress.Update(sent, 0);
    }
    return n;
  };
  request.timeout_ms = 0;  // as long as the upload takes
  absl::StatusOr<HttpClient::Response> response = client.Send(request);
  progress.Update(sent, 0, /*final=*/true);
  if (!response.ok()) {
    std::fprintf(stderr, "import: %s\n", std::string(response.status().message()).c_str());
    return 1;
  }
  if (response->status == 204 || response->status == 200) {
    std::fprintf(stderr, "import: %s accepted %llu bytes\n", flags.server.c_str(),
                 static_cast<unsigned long long>(sent));
    return 0;
  }
  std::fprintf(stderr, "import: server answered %d: %s\n", response->status,
               ErrorMessageOf(response->body).c_str());
  // 400 with the rest imported is a partial import; anything else stored nothing more.
  return response->status == 400 ? 3 : 1;
}

}  // namespace

int RunImport(const ImportFlags& flags) {
  storage::import::TimestampUnit unit;
  if (!ParseFormat(flags.format, &unit)) {
    std::fprintf(stderr, "import: --format must be auto, prometheus or openmetrics, got \"%s\"\n",
                 flags.format.c_str());
    return 2;
  }
  absl::StatusOr<int64_t> retention_ms = ParseDurationMs(flags.retention);
  if (!retention_ms.ok()) {
    std::fprintf(stderr, "import: --retention: %s\n",
                 std::string(retention_ms.status().message()).c_str());
    return 2;
  }
  Input input;
  if (!input.Open(flags.file)) return 1;
  if (!flags.server.empty()) return ImportOnline(flags, input);
  return ImportOffline(flags, unit, *retention_ms, input);
}

int RunCompact(const std::string& data_dir) {
  if (!std::filesystem::exists(data_dir)) {
    std::fprintf(stderr, "compact: data dir %s does not exist\n", data_dir.c_str());
    return 1;
  }
  storage::EngineOptions options;
  options.data_dir = data_dir;
  options.background_maintenance = false;
  options.retention_ms = INT64_MAX / 2;  // compaction never drops data by itself
  absl::StatusOr<std::unique_ptr<storage::Engine>> engine = storage::Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "compact: %s\n", std::string(engine.status().message()).c_str());
    return 1;
  }
  const double start = MonotonicSeconds();
  absl::Status s = (*engine)->CompactAll();
  if (!s.ok()) {
    std::fprintf(stderr, "compact: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "compacted %s in %.2f s\n", data_dir.c_str(), MonotonicSeconds() - start);
  return 0;
}

}  // namespace plumbline::app
