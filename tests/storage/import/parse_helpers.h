// Runs a PromTextParser over a whole input, for tests.
#pragma once

#include <cstddef>
#include <string_view>

#include "storage/import/prom_text_parser.h"
#include "tests/storage/import/recording_sink.h"

namespace plumbline::storage::import {

struct ParseResult {
  RecordingSink sink;
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t samples = 0;
  uint64_t errors = 0;
  bool saw_eof = false;
};

// Feeds `input` in pieces of `chunk` bytes (0: all at once), then Finish().
inline ParseResult Parse(std::string_view input, TimestampUnit unit = TimestampUnit::kAuto,
                         size_t max_line_bytes = size_t{1} << 20, size_t chunk = 0) {
  ParseResult r;
  PromTextParser parser(&r.sink, unit, max_line_bytes);
  if (chunk == 0) chunk = input.size() + 1;
  for (size_t i = 0; i < input.size(); i += chunk) parser.Feed(input.substr(i, chunk));
  parser.Finish();
  r.lines = parser.lines();
  r.bytes = parser.bytes();
  r.samples = parser.samples();
  r.errors = parser.errors();
  r.saw_eof = parser.saw_eof();
  return r;
}

}  // namespace plumbline::storage::import
