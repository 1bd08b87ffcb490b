// A realistic series: a small version of the standard data set (bench/gen_dataset.py, 5 hosts,
// 4 hours; plus a jittered variant), cut into 2-hour chunks like the storage engine does.
// Every chunk must round-trip bit-exactly through EncodeChunk and through the open chunk, and
// the integer families must stay well under a byte per sample.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "tests/storage/codec/codec_test_util.h"

namespace plumbline::storage::codec {
namespace {

using testing::Samples;

struct Series {
  std::string family;
  Samples samples;
};

// `name{labels} value timestamp_ms` lines, series-major.
std::vector<Series> LoadPromText(const char* path) {
  std::vector<Series> out;
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return out;
  std::unordered_map<std::string, size_t> index;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    std::string_view line(buf);
    while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const size_t sp2 = line.rfind(' ');
    const size_t sp1 = line.rfind(' ', sp2 - 1);
    const std::string key(line.substr(0, sp1));
    auto [it, inserted] = index.try_emplace(key, out.size());
    if (inserted) out.push_back({key.substr(0, key.find('{')), {}});
    Samples& s = out[it->second].samples;
    s.vs.push_back(std::strtod(std::string(line.substr(sp1 + 1, sp2 - sp1 - 1)).c_str(), nullptr));
    s.ts.push_back(std::strtoll(std::string(line.substr(sp2 + 1)).c_str(), nullptr, 10));
  }
  std::fclose(f);
  return out;
}

// Cuts 2-hour-aligned chunks.
std::vector<Samples> Chunks(const Samples& s) {
  constexpr int64_t kWindow = 7'200'000;
  std::vector<Samples> chunks;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 0 || s.ts[i] / kWindow != s.ts[i - 1] / kWindow) chunks.emplace_back();
    chunks.back().ts.push_back(s.ts[i]);
    chunks.back().vs.push_back(s.vs[i]);
  }
  return chunks;
}

void CheckDataSet(const char* path, double max_bytes_per_sample) {
  const std::vector<Series> series = LoadPromText(path);
  ASSERT_FALSE(series.empty()) << "cannot read " << path;
  std::map<std::string, std::pair<size_t, size_t>> per_family;  // bytes, samples
  for (const Series& s : series) {
    for (const Samples& chunk : Chunks(s.samples)) {
      SCOPED_TRACE(s.family);
      std::string bytes;
      EncodeChunk(chunk.ts, chunk.vs, &bytes);
      Samples got;
      ASSERT_TRUE(testing::DecodeChunk(bytes, &got));
      ASSERT_TRUE(testing::SameSamples(chunk, got));
      ChunkAppender app;
      for (size_t i = 0; i < chunk.size(); ++i) app.Append(chunk.ts[i], chunk.vs[i]);
      std::string open;
      app.EncodeTo(&open);
      ASSERT_TRUE(testing::DecodeChunk(open, &got));
      ASSERT_TRUE(testing::SameSamples(chunk, got));
      auto& [b, n] = per_family[s.family];
      b += bytes.size();
      n += chunk.size();
    }
  }
  size_t bytes = 0, samples = 0;
  for (const auto& [family, totals] : per_family) {
    bytes += totals.first;
    samples += totals.second;
    std::printf("%-24s %8zu samples %8.4f bytes/sample\n", family.c_str(), totals.second,
                double(totals.first) / double(totals.second));
  }
  EXPECT_EQ(per_family.size(), 4u);
  EXPECT_LT(double(bytes) / double(samples), max_bytes_per_sample);
}

TEST(ChunkDataSetTest, StandardFamiliesRoundTrip) {
  // The full data set measures ~0.47 bytes/sample (bench/codec_dataset_tool); this slice has
  // a higher share of per-chunk overhead.
  CheckDataSet(PLUMBLINE_CODEC_DATASET, 0.55);
}

TEST(ChunkDataSetTest, JitteredTimestampsRoundTrip) {
  // +-25 ms jitter costs about a byte per sample for the timestamps.
  CheckDataSet(PLUMBLINE_CODEC_JITTERED_DATASET, 1.6);
}

}  // namespace
}  // namespace plumbline::storage::codec
