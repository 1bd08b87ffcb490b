// Prometheus remote write 1.0 bodies: a protobuf WriteRequest (remote/prompb/remote.proto),
// snappy block-compressed, POSTed with the headers below. This file encodes and decodes the
// body, and turns a decoded request into samples for the store; it does no I/O.
//
// What a receiver accepts (DecodeWriteRequest + ToAppendBatch):
//   - the body must be a valid snappy block whose uncompressed length is at most
//     `max_decoded_bytes` (the length is read from the block header before anything is
//     allocated), holding a valid WriteRequest;
//   - each series needs a valid metric name and valid label names and values (Prometheus
//     2.x rules, storage/labels.h), no duplicate label names; labels with empty values are
//     dropped as Prometheus does. An invalid series is skipped and named in the returned
//     report; the valid ones are still stored.
//   - exemplars and native histograms are ignored (histograms are not part of this subset of
//     the protocol; their field is skipped as unknown).
// Thread-safe (free functions over their arguments).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "remote/prompb/remote.pb.h"
#include "storage/engine.h"

namespace plumbline::remote {

inline constexpr std::string_view kContentType = "application/x-protobuf";
inline constexpr std::string_view kContentEncoding = "snappy";
inline constexpr std::string_view kVersionHeader = "X-Prometheus-Remote-Write-Version";
inline constexpr std::string_view kVersion = "0.1.0";

// Largest uncompressed request a receiver takes by default (Prometheus' senders stay far
// below: 2000 samples per request unless configured otherwise).
inline constexpr size_t kDefaultMaxDecodedBytes = 64 << 20;

// Serializes and snappy-compresses `request`.
std::string EncodeWriteRequest(const prometheus::WriteRequest& request);

// Decompresses and parses a body. InvalidArgument naming what is wrong ("snappy: ...",
// "protobuf: ..."); ResourceExhausted when the uncompressed body would exceed the limit.
absl::Status DecodeWriteRequest(std::string_view body, size_t max_decoded_bytes,
                                prometheus::WriteRequest* out);

struct ConvertReport {
  size_t series = 0;          // series of the request
  size_t samples = 0;         // samples added to the batch
  size_t series_refused = 0;  // invalid series, skipped
  std::string first_error;    // e.g. "timeseries[3]: label name \"1x\": ..."
};

// A receiver's memory of which store series a request's label list names, so that a series
// seen before skips validation, sorting and the store's lookup by labels (steady traffic sends
// the same series request after request). Keyed by the labels exactly as sent. Holds at most
// `capacity` series and starts over when full. Refs stay valid for the store's life (they are
// never reused); should the store not know one, Clear() and convert again without the cache.
// Thread-safe.
class SeriesRefCache {
 public:
  explicit SeriesRefCache(size_t capacity = 500'000) : capacity_(capacity) {}
  size_t size() const;
  void Clear();

 private:
  friend class CacheUser;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, storage::SeriesRef> refs_ ABSL_GUARDED_BY(mu_);
};

// Series of one conversion that the cache did not know: learnt after the Append.
struct CacheMisses {
  std::vector<std::string> keys;
  std::vector<size_t> by_labels_index;  // into AppendResult::refs
  size_t by_labels_entries = 0;         // by-labels entries added to the batch so far
};

// Adds every sample of every valid series of `request` to `batch` (by labels, or by ref when
// `cache` knows the series), and the request's metadata to `metadata` (when not null).
// Non-finite values are kept (NaN is how staleness markers travel). With a cache, `misses`
// (required then) collects what to Learn() once the batch is appended.
ConvertReport ToAppendBatch(const prometheus::WriteRequest& request, storage::AppendBatch* batch,
                            std::vector<storage::MetricMetadata>* metadata,
                            const SeriesRefCache* cache = nullptr, CacheMisses* misses = nullptr);

// Remembers the refs the store gave the series in `misses`.
void Learn(const CacheMisses& misses, const storage::AppendResult& result, SeriesRefCache* cache);

// The Prometheus type name of a MetricMetadata type ("counter", "gauge", ...).
std::string_view MetricTypeName(prometheus::MetricMetadata::MetricType type);

}  // namespace plumbline::remote
