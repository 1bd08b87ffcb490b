// A ParserSink that keeps everything it hears, for tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/import/prom_text_parser.h"

namespace plumbline::storage::import {

struct RecordedSample {
  std::string series;
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
  uint64_t line_number = 0;
};

struct RecordedError {
  uint64_t line_number = 0;
  std::string message;
};

class RecordingSink : public ParserSink {
 public:
  void OnSample(const SampleLine& s) override {
    samples.push_back(RecordedSample{std::string(s.series), s.value, s.has_timestamp,
                                     s.timestamp_ms, s.line_number});
    uint64_t bits = 0;
    std::memcpy(&bits, &s.value, sizeof bits);
    events.push_back(absl::StrCat("S ", s.line_number, " ", std::string(s.series), " ", bits, " ",
                                  s.has_timestamp ? absl::StrCat(s.timestamp_ms) : "-"));
  }
  void OnMetadata(const MetadataLine& m) override {
    metadata.push_back(m);
    metadata.back().metric = {};  // the view dies with the callback
    metric_names.emplace_back(m.metric);
    events.push_back(absl::StrCat("M ", m.line_number, " ", static_cast<int>(m.kind), " ",
                                  std::string(m.metric), " ", m.text));
  }
  void OnError(uint64_t line_number, std::string_view message) override {
    errors.push_back(RecordedError{line_number, std::string(message)});
    events.push_back(absl::StrCat("E ", line_number, " ", std::string(message)));
  }

  std::vector<RecordedSample> samples;
  std::vector<MetadataLine> metadata;  // metric cleared; see metric_names
  std::vector<std::string> metric_names;
  std::vector<RecordedError> errors;
  std::vector<std::string> events;  // everything, in order, as text
};

}  // namespace plumbline::storage::import
