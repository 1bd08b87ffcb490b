// Fuzzes the remote write receiver's decoding: the input as a body (snappy block), and the
// input snappy-compressed (so the protobuf parser and the label validation see it whole).
// Neither may crash, hang or allocate beyond the decoded-size limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "remote/write_request.h"
#include "snappy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr size_t kLimit = 4 << 20;
  prometheus::WriteRequest request;
  (void)plumbline::remote::DecodeWriteRequest(input, kLimit, &request);

  std::string body;
  snappy::Compress(input.data(), input.size(), &body);
  if (plumbline::remote::DecodeWriteRequest(body, kLimit, &request).ok()) {
    plumbline::storage::AppendBatch batch;
    std::vector<plumbline::storage::MetricMetadata> metadata;
    const plumbline::remote::ConvertReport report =
        plumbline::remote::ToAppendBatch(request, &batch, &metadata);
    if (report.samples != batch.size()) __builtin_trap();
    if (report.series_refused > report.series) __builtin_trap();
  }
  return 0;
}
