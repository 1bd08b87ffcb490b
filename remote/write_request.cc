// Encoding and decoding of remote write 1.0 bodies (see write_request.h).
#include "remote/write_request.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "snappy.h"
#include "storage/labels.h"

namespace plumbline::remote {

std::string EncodeWriteRequest(const prometheus::WriteRequest& request) {
  std::string raw;
  request.SerializeToString(&raw);
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

absl::Status DecodeWriteRequest(std::string_view body, size_t max_decoded_bytes,
                                prometheus::WriteRequest* out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length)) {
    return absl::InvalidArgumentError(
        "snappy: corrupt input: the body is not a snappy block (remote write 1.0 wants "
        "Content-Encoding: snappy, block format, not framed)");
  }
  if (length > max_decoded_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("snappy: the request decompresses to ", length,
                                                     " bytes, over the limit of ",
                                                     max_decoded_bytes));
  }
  // One buffer per thread, reused: a receiver decodes request after request of similar size.
  thread_local std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return absl::InvalidArgumentError("snappy: corrupt input");
  }
  out->Clear();
  const bool parsed = out->ParseFromString(raw);
  if (raw.capacity() > (8 << 20)) std::string().swap(raw);  // don't hold a rare huge one
  if (!parsed) {
    return absl::InvalidArgumentError(
        "protobuf: the decompressed body is not a prometheus.WriteRequest");
  }
  return absl::OkStatus();
}

std::string_view MetricTypeName(prometheus::MetricMetadata::MetricType type) {
  switch (type) {
    case prometheus::MetricMetadata::COUNTER:
      return "counter";
    case prometheus::MetricMetadata::GAUGE:
      return "gauge";
    case prometheus::MetricMetadata::HISTOGRAM:
      return "histogram";
    case prometheus::MetricMetadata::GAUGEHISTOGRAM:
      return "gaugehistogram";
    case prometheus::MetricMetadata::SUMMARY:
      return "summary";
    case prometheus::MetricMetadata::INFO:
      return "info";
    case prometheus::MetricMetadata::STATESET:
      return "stateset";
    default:
      return "unknown";
  }
}

class CacheUser {
 public:
  static absl::Mutex& mu(const SeriesRefCache& c) ABSL_LOCK_RETURNED(c.mu_) { return c.mu_; }
  // The caller holds c.mu_ (at least shared) through an std::optional lock the analysis
  // cannot follow.
  static storage::SeriesRef Find(const SeriesRefCache& c,
                                 const std::string& key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto it = c.refs_.find(key);
    return it == c.refs_.end() ? 0 : it->second;
  }
  static void Insert(SeriesRefCache& c, const std::string& key, storage::SeriesRef ref)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu_) {
    if (c.refs_.size() >= c.capacity_) c.refs_.clear();
    c.refs_.emplace(key, ref);
  }
};

size_t SeriesRefCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return refs_.size();
}

void SeriesRefCache::Clear() {
  absl::MutexLock lock(&mu_);
  refs_.clear();
}

namespace {

// The label list as sent, unambiguously: every name and value followed by a 0xff byte (never
// part of valid UTF-8, so no two lists give the same key).
void CacheKey(const prometheus::TimeSeries& ts, std::string* key) {
  key->clear();
  for (const prometheus::Label& l : ts.labels()) {
    key->append(l.name());
    key->push_back('\xff');
    key->append(l.value());
    key->push_back('\xff');
  }
}

}  // namespace

ConvertReport ToAppendBatch(const prometheus::WriteRequest& request, storage::AppendBatch* batch,
                            std::vector<storage::MetricMetadata>* metadata,
                            const SeriesRefCache* cache, CacheMisses* misses) {
  ConvertReport report;
  report.series = static_cast<size_t>(request.timeseries_size());
  std::vector<storage::Label> pairs;
  std::string key;
  std::optional<absl::ReaderMutexLock> lock;
  if (cache != nullptr) lock.emplace(&CacheUser::mu(*cache));
  for (int i = 0; i < request.timeseries_size(); ++i) {
    const prometheus::TimeSeries& ts = request.timeseries(i);
    const int n = ts.samples_size();
    if (n == 0) continue;
    if (cache != nullptr) {
      CacheKey(ts, &key);
      // The reader lock is held for the whole loop (taken above).
      const storage::SeriesRef ref = CacheUser::Find(*cache, key);
      if (ref != 0) {
        for (const prometheus::Sample& sample : ts.samples()) {
          batch->Add(ref, sample.timestamp(), sample.value());
        }
        report.samples += static_cast<size_t>(n);
        continue;
      }
    }
    pairs.clear();
    pairs.reserve(static_cast<size_t>(ts.labels_size()));
    for (const prometheus::Label& l : ts.labels()) pairs.push_back({l.name(), l.value()});
    absl::StatusOr<storage::Labels> labels = storage::Labels::FromPairs(std::move(pairs));
    absl::Status status = labels.status();
    if (status.ok() && labels->metric_name().empty()) {
      status = absl::InvalidArgumentError("no metric name (__name__)");
    }
    if (status.ok()) status = storage::ValidateMetricName(labels->metric_name());
    if (!status.ok()) {
      if (report.series_refused++ == 0) {
        report.first_error = absl::StrCat("timeseries[", i, "]: ", status.message());
      }
      pairs = {};
      continue;
    }
    if (cache != nullptr) {
      // Every entry of the series gets its ref; the last one is the likeliest to be stored.
      misses->keys.push_back(key);
      misses->by_labels_index.push_back(misses->by_labels_entries + static_cast<size_t>(n) - 1);
      misses->by_labels_entries += static_cast<size_t>(n);
    }
    // Usually one sample per series (a scrape's worth): the last one takes the labels.
    for (int k = 0; k + 1 < n; ++k) {
      batch->Add(*labels, ts.samples(k).timestamp(), ts.samples(k).value());
    }
    batch->Add(*std::move(labels), ts.samples(n - 1).timestamp(), ts.samples(n - 1).value());
    report.samples += static_cast<size_t>(n);
    pairs = {};
  }
  lock.reset();
  if (metadata != nullptr) {
    for (const prometheus::MetricMetadata& m : request.metadata()) {
      if (m.metric_family_name().empty() || !storage::IsValidUtf8(m.metric_family_name()) ||
          !storage::IsValidUtf8(m.help()) || !storage::IsValidUtf8(m.unit())) {
        continue;  // advisory only: nothing to report
      }
      metadata->push_back(storage::MetricMetadata{
          m.metric_family_name(), std::string(MetricTypeName(m.type())), m.help(), m.unit()});
    }
  }
  return report;
}

void Learn(const CacheMisses& misses, const storage::AppendResult& result, SeriesRefCache* cache) {
  if (misses.keys.empty()) return;
  absl::MutexLock lock(&CacheUser::mu(*cache));
  for (size_t i = 0; i < misses.keys.size(); ++i) {
    const size_t index = misses.by_labels_index[i];
    // 0: the sample was refused (too old) and the series maybe not created.
    if (index < result.refs.size() && result.refs[index] != 0) {
      CacheUser::Insert(*cache, misses.keys[i], result.refs[index]);
    }
  }
}

}  // namespace plumbline::remote
