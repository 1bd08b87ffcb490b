// The same input split at any byte positions gives exactly the same results.
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/import/prom_text_parser.h"
#include "tests/storage/import/parse_helpers.h"

namespace plumbline::storage::import {
namespace {

// Every construct, good and bad, with CRLF, multi-byte UTF-8 and no final newline.
const std::string kCorpus =
    "# HELP http_requests_total Requests \\\\ served.\\nSecond line\n"
    "# TYPE http_requests_total counter\r\n"
    "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
    "http_requests_total{method=\"post\",code=\"200\"} 1028 1395066364000\r\n"
    "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
    "\n"
    "  \t \r\n"
    "# a comment with caf\xc3\xa9 and \xf0\x9f\x98\x80\n"
    "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
    "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
    "metric_without_timestamp_and_labels 12.47\n"
    "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
    "utf8{v=\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\"} NaN 1764130000.123\n"
    "bad{v=\"\xe2\x82\"} 1\n"
    "up 1.2.3\n"
    "up{job=\"api} 1\n"
    "1up 1\n"
    "up 1 2 3\n"
    "rpc_duration_seconds{quantile=\"0.99\",} 76656 1.5e3\n"
    "h_bucket{le=\"0.5\"} 3 # {trace_id=\"KOO5S4vxi0o\"} 0.67 1764130000.5\n"
    "# UNIT h seconds\n"
    "# TYPE h bogus\n"
    "x{a=\"" +
    std::string(60, 'v') +
    "\"} 1\n"
    "tail 5 1764130000000\n"
    "# EOF\n"
    "\n"
    "after 1\n"
    "# EOF";

std::vector<std::string> Events(const ParseResult& r) {
  std::vector<std::string> events = r.sink.events;
  events.push_back("lines=" + std::to_string(r.lines) + " bytes=" + std::to_string(r.bytes) +
                   " samples=" + std::to_string(r.samples) + " errors=" + std::to_string(r.errors) +
                   " eof=" + std::to_string(r.saw_eof));
  return events;
}

std::vector<std::string> ParsePieces(const std::vector<std::string_view>& pieces,
                                     size_t max_line_bytes) {
  ParseResult r;
  PromTextParser parser(&r.sink, TimestampUnit::kAuto, max_line_bytes);
  for (std::string_view piece : pieces) parser.Feed(piece);
  parser.Finish();
  r.lines = parser.lines();
  r.bytes = parser.bytes();
  r.samples = parser.samples();
  r.errors = parser.errors();
  r.saw_eof = parser.saw_eof();
  return Events(r);
}

TEST(PromTextParserTest, CorpusCoversSamplesMetadataAndErrors) {
  ParseResult r = Parse(kCorpus);
  EXPECT_EQ(r.samples, 11u);
  EXPECT_EQ(r.sink.metadata.size(), 3u);
  EXPECT_EQ(r.errors, 8u);
  EXPECT_TRUE(r.saw_eof);
}

TEST(PromTextParserTest, SplitAtEveryPositionGivesIdenticalResults) {
  const std::string_view input = kCorpus;
  for (size_t max_line_bytes : {size_t{1} << 20, size_t{64}}) {
    SCOPED_TRACE(max_line_bytes);
    const std::vector<std::string> expected = ParsePieces({input}, max_line_bytes);
    for (size_t i = 0; i <= input.size(); ++i) {
      SCOPED_TRACE(i);
      ASSERT_EQ(ParsePieces({input.substr(0, i), input.substr(i)}, max_line_bytes), expected);
      // And a second split after it, with an empty piece in between.
      for (size_t j = i; j <= input.size(); j += 29) {
        ASSERT_EQ(ParsePieces({input.substr(0, i), input.substr(i, j - i), "", input.substr(j)},
                              max_line_bytes),
                  expected);
      }
    }
  }
}

TEST(PromTextParserTest, ByteByByteAndRandomPiecesGiveIdenticalResults) {
  const std::string_view input = kCorpus;
  const std::vector<std::string> expected = ParsePieces({input}, 1 << 20);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  EXPECT_EQ(ParsePieces(bytes, 1 << 20), expected);

  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string_view> pieces;
    for (size_t i = 0; i < input.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(0, 90)(rng);
      pieces.push_back(input.substr(i, n));
      i += n;
    }
    ASSERT_EQ(ParsePieces(pieces, 1 << 20), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace plumbline::storage::import
