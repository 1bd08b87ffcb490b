// A realistic input: a small standard data set from bench/gen_dataset.py, in both formats.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/import/prom_text_parser.h"
#include "tests/storage/import/recording_sink.h"
#include "tests/testing/temp_dir.h"

#ifndef PLUMBLINE_SOURCE_DIR
#error "PLUMBLINE_SOURCE_DIR must name the source tree (for bench/gen_dataset.py)"
#endif

namespace plumbline::storage::import {
namespace {

using ::testing::IsEmpty;

struct Generated {
  int64_t start = 0, end = 0, series = 0, samples = 0;
};

// Runs the generator; false when it did not run or printed no counts.
bool Generate(const std::string& args, Generated* out) {
  const std::string command =
      std::string("python3 ") + PLUMBLINE_SOURCE_DIR + "/bench/gen_dataset.py " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  char buffer[256] = {};
  const bool read = fgets(buffer, sizeof buffer, pipe) != nullptr;
  const int status = pclose(pipe);
  if (!read || status != 0) return false;
  long long start, end, series, samples;
  if (sscanf(buffer, "START=%lld END=%lld SERIES=%lld SAMPLES=%lld", &start, &end, &series,
             &samples) != 4) {
    return false;
  }
  *out = Generated{start, end, series, samples};
  return true;
}

struct FileResult {
  RecordingSink sink;
  bool saw_eof = false;
  uint64_t lines = 0;
};

// Reads the file through the parser in 4 KiB pieces, as `plumbline import` does.
FileResult ParseFile(const std::string& path) {
  FileResult r;
  PromTextParser parser(&r.sink);
  std::ifstream in(path, std::ios::binary);
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    parser.Feed(std::string_view(buffer, static_cast<size_t>(in.gcount())));
  }
  parser.Finish();
  r.saw_eof = parser.saw_eof();
  r.lines = parser.lines();
  return r;
}

TEST(PromTextParserTest, GeneratedDataSetGivesTheSameSamplesInBothFormats) {
  if (std::system("command -v python3 > /dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  plumbline::testing::TempDir dir;
  const std::string prom = dir.Sub("d.prom"), om = dir.Sub("d.om");
  Generated g;
  ASSERT_TRUE(
      Generate("--hosts 2 --services api,web --hours 0.5 --end 1764129600 "
               "--jitter-ms 499 --prom " +
                   prom + " --om " + om + " 2>/dev/null",
               &g));
  ASSERT_EQ(g.series, 16);
  ASSERT_EQ(g.samples, 2880);

  FileResult p = ParseFile(prom);
  FileResult o = ParseFile(om);
  EXPECT_THAT(p.sink.errors, IsEmpty());
  EXPECT_THAT(o.sink.errors, IsEmpty());
  EXPECT_FALSE(p.saw_eof);
  EXPECT_TRUE(o.saw_eof);
  EXPECT_EQ(p.sink.metadata.size(), 4u);  // one # TYPE per family
  EXPECT_EQ(o.sink.metadata.size(), 4u);
  EXPECT_EQ(p.lines, static_cast<uint64_t>(g.samples + 4));
  EXPECT_EQ(o.lines, static_cast<uint64_t>(g.samples + 5));

  ASSERT_EQ(p.sink.samples.size(), static_cast<size_t>(g.samples));
  ASSERT_EQ(o.sink.samples.size(), static_cast<size_t>(g.samples));
  std::set<std::string> series;
  for (size_t i = 0; i < p.sink.samples.size(); ++i) {
    const RecordedSample& a = p.sink.samples[i];
    const RecordedSample& b = o.sink.samples[i];
    SCOPED_TRACE(a.line_number);
    ASSERT_EQ(std::tie(a.series, a.value, a.has_timestamp, a.timestamp_ms),
              std::tie(b.series, b.value, b.has_timestamp, b.timestamp_ms));
    ASSERT_TRUE(a.has_timestamp);
    ASSERT_GE(a.timestamp_ms, g.start * 1000 - 499);
    ASSERT_LT(a.timestamp_ms, g.end * 1000 + 499);
    if (series.insert(a.series).second) {
      absl::StatusOr<Labels> labels = ParseSeries(a.series);
      ASSERT_TRUE(labels.ok()) << labels.status();
      EXPECT_EQ(labels->size(), 3u);
    }
  }
  EXPECT_EQ(series.size(), static_cast<size_t>(g.series));
}

}  // namespace
}  // namespace plumbline::storage::import
