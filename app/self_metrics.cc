#include "app/self_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "common/build_info.h"
#include "common/clock.h"
#include "common/log.h"
#include "prometheus/text_serializer.h"
#include "storage/importer.h"

namespace plumbline::app {
namespace {

prometheus::MetricFamily Gauge(std::string name, std::string help, double value) {
  prometheus::MetricFamily family{
      std::move(name), std::move(help), prometheus::MetricType::Gauge, {}};
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
  return family;
}

prometheus::MetricFamily Counter(std::string name, std::string help, double value) {
  prometheus::MetricFamily family{
      std::move(name), std::move(help), prometheus::MetricType::Counter, {}};
  prometheus::ClientMetric metric;
  metric.counter.value = value;
  family.metric.push_back(std::move(metric));
  return family;
}

int CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory stream's own descriptor
}

}  // namespace

ProcessCollector::ProcessCollector()
    : start_time_seconds_(static_cast<double>(SystemClock::Get()->NowMs()) / 1000.0),
      start_monotonic_(MonotonicSeconds()) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;

  prometheus::MetricFamily build{"plumbline_build_info",
                                 "A metric with a constant '1' value labeled by version, revision "
                                 "and compiler from which plumbline was built.",
                                 prometheus::MetricType::Gauge,
                                 {}};
  prometheus::ClientMetric info;
  info.label = {{"compiler", kCompiler}, {"revision", kRevision}, {"version", kVersion}};
  info.gauge.value = 1;
  build.metric.push_back(info);
  out.push_back(std::move(build));
  out.push_back(Gauge("plumbline_uptime_seconds", "Seconds since the server started.",
                      MonotonicSeconds() - start_monotonic_));
  out.push_back(Gauge("process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.",
                      start_time_seconds_));

  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    out.push_back(Counter("process_cpu_seconds_total",
                          "Total user and system CPU time spent in seconds.", cpu));
  }
  // /proc/self/statm: size resident ... in pages.
  std::ifstream statm("/proc/self/statm");
  long pages_virtual = 0, pages_resident = 0;
  if (statm >> pages_virtual >> pages_resident) {
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    out.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        static_cast<double>(pages_virtual) * page));
    out.push_back(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                        static_cast<double>(pages_resident) * page));
  }
  const int fds = CountOpenFds();
  if (fds >= 0) {
    out.push_back(Gauge("process_open_fds", "Number of open file descriptors.", fds));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Gauge("process_max_fds", "Maximum number of open file descriptors.",
                        static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

void MetricsExposition::Add(std::shared_ptr<prometheus::Collectable> source) {
  sources_.push_back(std::move(source));
}

std::string MetricsExposition::Render() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& source : sources_) {
    std::vector<prometheus::MetricFamily> part = source->Collect();
    families.insert(families.end(), std::make_move_iterator(part.begin()),
                    std::make_move_iterator(part.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

SelfScraper::SelfScraper(const MetricsExposition* exposition, storage::Engine* engine,
                         int64_t interval_ms)
    : exposition_(exposition), engine_(engine), interval_ms_(interval_ms) {
  if (interval_ms_ > 0) thread_ = std::thread([this] { Loop(); });
}

SelfScraper::~SelfScraper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SelfScraper::ScrapeOnce() {
  storage::Importer importer(engine_);
  absl::Status fed = importer.Feed(exposition_->Render());
  absl::StatusOr<storage::ImportSummary> summary = importer.Finish();
  if (!fed.ok() || !summary.ok()) {
    PL_LOG(Warn) << "storing the server's own metrics failed: "
                 << (fed.ok() ? summary.status() : fed).message();
    return false;
  }
  return true;
}

void SelfScraper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    ScrapeOnce();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
  }
}

}  // namespace plumbline::app
