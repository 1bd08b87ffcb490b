// Fuzzes PromTextParser and ParseSeries. Checks, beyond "no crash, no UB, no leak":
//   * split invariance: the input fed whole and fed in pieces gives the same events;
//   * every sample's series text parses with ParseSeries (the parser validated it);
//   * error messages are valid UTF-8 without control bytes, and bounded.
// The first input byte picks the timestamp unit, a small or large line limit and the split.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "storage/import/prom_text_parser.h"
#include "storage/labels.h"

namespace plumbline::storage::import {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "prom_text_fuzzer: %s\n", what);
    std::abort();
  }
}

bool Printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return IsValidUtf8(s);
}

class EventSink : public ParserSink {
 public:
  void OnSample(const SampleLine& s) override {
    Check(!s.series.empty(), "empty series");
    Check(ParseSeries(s.series).ok(), "ParseSeries refuses a series the parser accepted");
    uint64_t bits;
    std::memcpy(&bits, &s.value, sizeof bits);
    events.append("S").append(std::to_string(s.line_number)).append(s.series);
    events.append(std::to_string(bits)).append(s.has_timestamp ? "t" : "-");
    events.append(std::to_string(s.timestamp_ms)).push_back('\n');
  }
  void OnMetadata(const MetadataLine& m) override {
    Check(IsValidUtf8(m.text), "metadata text is not UTF-8");
    Check(ValidateMetricName(m.metric).ok(), "metadata metric name is invalid");
    events.append("M").append(std::to_string(m.line_number));
    events.append(std::to_string(static_cast<int>(m.kind))).append(m.metric).append(m.text);
    events.push_back('\n');
  }
  void OnError(uint64_t line_number, std::string_view message) override {
    Check(Printable(message), "error message is not printable UTF-8");
    Check(message.size() < 1200, "error message too long");
    events.append("E").append(std::to_string(line_number)).append(message).push_back('\n');
  }
  std::string events;
};

std::string Run(std::string_view input, TimestampUnit unit, size_t max_line_bytes,
                uint32_t split_seed) {
  EventSink sink;
  PromTextParser parser(&sink, unit, max_line_bytes);
  if (split_seed == 0) {
    parser.Feed(input);
  } else {
    uint32_t state = split_seed;
    for (size_t i = 0; i < input.size();) {
      state = state * 1664525u + 1013904223u;  // LCG: piece sizes 0..63
      const size_t n = (state >> 24) & 63;
      parser.Feed(input.substr(i, n));
      i += n;
    }
  }
  parser.Finish();
  Check(parser.bytes() == input.size(), "bytes() differs from the input size");
  sink.events.append(std::to_string(parser.lines())).append(" ");
  sink.events.append(std::to_string(parser.samples())).append(" ");
  sink.events.append(std::to_string(parser.errors())).append(parser.saw_eof() ? " eof" : "");
  return sink.events;
}

}  // namespace
}  // namespace plumbline::storage::import

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using plumbline::storage::import::TimestampUnit;
  if (size == 0) return 0;
  const uint8_t config = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const TimestampUnit unit = config % 3 == 0   ? TimestampUnit::kAuto
                             : config % 3 == 1 ? TimestampUnit::kMilliseconds
                                               : TimestampUnit::kSeconds;
  const size_t max_line_bytes = (config & 4) != 0 ? 24 : size_t{1} << 20;
  const std::string whole = plumbline::storage::import::Run(input, unit, max_line_bytes, 0);
  const std::string split =
      plumbline::storage::import::Run(input, unit, max_line_bytes, 1u + (config >> 3));
  plumbline::storage::import::Check(whole == split, "results depend on the split");
  (void)plumbline::storage::import::ParseSeries(input);  // any bytes: no crash
  return 0;
}
