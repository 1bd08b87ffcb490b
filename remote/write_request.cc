// Encoding and decoding of remote write 1.0 bodies (see write_request.h).
#include "remote/write_request.h"

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

ConvertReport ToAppendBatch(const prometheus::WriteRequest& request, storage::AppendBatch* batch,
                            std::vector<storage::MetricMetadata>* metadata) {
  ConvertReport report;
  report.series = static_cast<size_t>(request.timeseries_size());
  std::vector<storage::Label> pairs;
  for (int i = 0; i < request.timeseries_size(); ++i) {
    const prometheus::TimeSeries& ts = request.timeseries(i);
    if (ts.samples_size() == 0) continue;
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
    // Usually one sample per series (a scrape's worth): the last one takes the labels.
    const int n = ts.samples_size();
    for (int k = 0; k + 1 < n; ++k)
      batch->Add(*labels, ts.samples(k).timestamp(), ts.samples(k).value());
    batch->Add(*std::move(labels), ts.samples(n - 1).timestamp(), ts.samples(n - 1).value());
    report.samples += static_cast<size_t>(ts.samples_size());
    pairs = {};
  }
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

}  // namespace plumbline::remote
