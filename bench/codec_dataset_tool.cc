// codec_dataset_tool: chunk codec figures on a Prometheus text file (e.g. the standard data
// set from bench/gen_dataset.py). Groups samples by series, cuts window-aligned chunks
// (2 h by default), encodes each with EncodeChunk, checks a bit-exact round trip, and prints
// bytes/sample overall and per metric family plus encode and decode throughput.
//
//   codec_dataset_tool /tmp/std.prom [--window_ms=7200000] [--repeat=3]
#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/codec/chunk.h"

namespace {

using plumbline::storage::codec::ChunkAppender;
using plumbline::storage::codec::ChunkIterator;
using plumbline::storage::codec::EncodeChunk;

struct Series {
  std::string family;
  std::vector<int64_t> ts;
  std::vector<double> vs;
};

struct Chunk {
  size_t series;
  size_t begin, end;  // sample range in the series
  std::string bytes;
};

// CPU time of this thread: the figures stay meaningful on a machine shared with builds.
double Now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Parses `name{labels} value timestamp_ms` lines; returns false on a malformed line.
bool Load(const char* path, std::vector<Series>* out) {
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  std::unordered_map<std::string, size_t> index;
  std::string line;
  char buf[1 << 16];
  size_t lineno = 0;
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    ++lineno;
    std::string_view l(buf);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
    if (l.empty() || l[0] == '#') continue;
    const size_t sp2 = l.rfind(' ');
    const size_t sp1 = sp2 == std::string_view::npos ? sp2 : l.rfind(' ', sp2 - 1);
    if (sp1 == std::string_view::npos) {
      std::fprintf(stderr, "line %zu: malformed\n", lineno);
      std::fclose(f);
      return false;
    }
    const std::string key(l.substr(0, sp1));
    const std::string value(l.substr(sp1 + 1, sp2 - sp1 - 1));
    const int64_t t = std::strtoll(std::string(l.substr(sp2 + 1)).c_str(), nullptr, 10);
    const double v = std::strtod(value.c_str(), nullptr);
    auto [it, inserted] = index.try_emplace(key, out->size());
    if (inserted) {
      Series s;
      s.family = key.substr(0, key.find('{'));
      out->push_back(std::move(s));
    }
    Series& s = (*out)[it->second];
    s.ts.push_back(t);
    s.vs.push_back(v);
  }
  std::fclose(f);
  return true;
}

// Byte 0 of a chunk names its encodings (storage/codec/format.md).
std::string EncodingName(const std::string& chunk) {
  static const char* const kTs[] = {"regular", "stream", "sealed", "?"};
  static const char* const kValues[] = {"constant", "xor", "int stream", "sealed int"};
  const uint8_t b0 = static_cast<uint8_t>(chunk[0]);
  return std::string(kTs[(b0 >> 4) & 3]) + " / " + kValues[(b0 >> 2) & 3];
}

struct Totals {
  size_t samples = 0;
  size_t chunks = 0;
  size_t bytes = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.prom [--window_ms=N] [--repeat=N]\n", argv[0]);
    return 2;
  }
  int64_t window_ms = 7'200'000;
  int repeat = 3;
  for (int i = 2; i < argc; ++i) {
    if (std::strncmp(argv[i], "--window_ms=", 12) == 0) window_ms = std::atoll(argv[i] + 12);
    if (std::strncmp(argv[i], "--repeat=", 9) == 0) repeat = std::max(1, std::atoi(argv[i] + 9));
  }
  std::vector<Series> series;
  const double t_load = Now();
  if (!Load(argv[1], &series)) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  // Sort each series by time (the data set is already ordered) and drop duplicate times.
  for (Series& s : series) {
    std::vector<size_t> order(s.ts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return s.ts[a] < s.ts[b]; });
    std::vector<int64_t> ts;
    std::vector<double> vs;
    for (size_t i : order) {
      if (!ts.empty() && ts.back() == s.ts[i]) continue;
      ts.push_back(s.ts[i]);
      vs.push_back(s.vs[i]);
    }
    s.ts.swap(ts);
    s.vs.swap(vs);
  }
  std::vector<Chunk> chunks;
  for (size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    size_t begin = 0;
    while (begin < s.ts.size()) {
      const int64_t w = FloorDiv(s.ts[begin], window_ms);
      size_t end = begin;
      while (end < s.ts.size() && FloorDiv(s.ts[end], window_ms) == w &&
             end - begin < plumbline::storage::codec::kMaxSamples) {
        ++end;
      }
      chunks.push_back({si, begin, end, {}});
      begin = end;
    }
  }
  std::printf("loaded %zu series, %zu chunks from %s in %.1f s\n", series.size(), chunks.size(),
              argv[1], Now() - t_load);

  // Encode (best of `repeat` runs).
  double encode_s = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const double t0 = Now();
    for (Chunk& c : chunks) {
      const Series& s = series[c.series];
      EncodeChunk(absl::MakeConstSpan(s.ts.data() + c.begin, c.end - c.begin),
                  absl::MakeConstSpan(s.vs.data() + c.begin, c.end - c.begin), &c.bytes);
    }
    encode_s = std::min(encode_s, Now() - t0);
  }

  // Verify, then time decoding with NextBatch and with Next.
  std::vector<int64_t> tbuf(plumbline::storage::codec::kMaxSamples);
  std::vector<double> vbuf(plumbline::storage::codec::kMaxSamples);
  size_t mismatches = 0;
  for (const Chunk& c : chunks) {
    const Series& s = series[c.series];
    ChunkIterator it;
    const size_t n = c.end - c.begin;
    bool ok = it.Init(c.bytes).ok() && it.NextBatch(tbuf.data(), vbuf.data(), n) == n &&
              it.NextBatch(tbuf.data(), vbuf.data(), 1) == 0 && it.status().ok();
    for (size_t i = 0; ok && i < n; ++i) {
      ok = tbuf[i] == s.ts[c.begin + i] &&
           std::bit_cast<uint64_t>(vbuf[i]) == std::bit_cast<uint64_t>(s.vs[c.begin + i]);
    }
    if (!ok && ++mismatches <= 5) {
      std::fprintf(stderr, "ROUND TRIP MISMATCH: series %zu (%s) samples [%zu, %zu)\n", c.series,
                   s.family.c_str(), c.begin, c.end);
    }
  }
  double decode_s = 1e300, next_s = 1e300;
  double sink = 0;
  for (int r = 0; r < repeat; ++r) {
    double t0 = Now();
    for (const Chunk& c : chunks) {
      ChunkIterator it;
      if (!it.Init(c.bytes).ok()) continue;
      const size_t got = it.NextBatch(tbuf.data(), vbuf.data(), tbuf.size());
      if (got > 0) sink += vbuf[got - 1] + static_cast<double>(tbuf[0]);
    }
    decode_s = std::min(decode_s, Now() - t0);
    t0 = Now();
    for (const Chunk& c : chunks) {
      ChunkIterator it;
      if (!it.Init(c.bytes).ok()) continue;
      while (it.Next()) sink += it.v();
    }
    next_s = std::min(next_s, Now() - t0);
  }

  // The open-chunk path: Append sample by sample, then SealTo.
  size_t open_bytes = 0, sealed_bytes = 0, memory_bytes = 0;
  const double t_app = Now();
  std::string bytes;
  for (const Chunk& c : chunks) {
    const Series& s = series[c.series];
    ChunkAppender app;
    for (size_t i = c.begin; i < c.end; ++i) app.Append(s.ts[i], s.vs[i]);
    app.EncodeTo(&bytes);
    open_bytes += bytes.size();
    memory_bytes += app.MemoryBytes();
  }
  const double append_s = Now() - t_app;
  const double t_seal = Now();
  for (const Chunk& c : chunks) {
    const Series& s = series[c.series];
    ChunkAppender app;
    for (size_t i = c.begin; i < c.end; ++i) app.Append(s.ts[i], s.vs[i]);
    app.SealTo(&bytes);
    sealed_bytes += bytes.size();
  }
  const double append_seal_s = Now() - t_seal;

  std::map<std::string, Totals> families;
  std::map<std::string, Totals> encodings;
  Totals all;
  for (const Chunk& c : chunks) {
    const size_t n = c.end - c.begin;
    for (Totals* t :
         {&families[series[c.series].family], &encodings[EncodingName(c.bytes)], &all}) {
      t->samples += n;
      t->chunks += 1;
      t->bytes += c.bytes.size();
    }
  }
  const double ms = static_cast<double>(all.samples) / 1e6;
  std::printf("\n%-28s %12s %8s %12s %10s\n", "family", "samples", "chunks", "bytes", "B/sample");
  for (const auto& [name, t] : families) {
    std::printf("%-28s %12zu %8zu %12zu %10.4f\n", name.c_str(), t.samples, t.chunks, t.bytes,
                double(t.bytes) / double(t.samples));
  }
  std::printf("%-28s %12zu %8zu %12zu %10.4f\n", "ALL", all.samples, all.chunks, all.bytes,
              double(all.bytes) / double(all.samples));
  std::printf("\n%-38s %8s %12s %10s\n", "encoding (timestamps / values)", "chunks", "samples",
              "B/sample");
  for (const auto& [name, t] : encodings) {
    std::printf("%-38s %8zu %12zu %10.4f\n", name.c_str(), t.chunks, t.samples,
                double(t.bytes) / double(t.samples));
  }
  std::printf("\nround trip: %s (%zu mismatching chunks)\n", mismatches ? "FAILED" : "bit-exact",
              mismatches);
  std::printf("EncodeChunk:          %8.1f M samples/s\n", ms / encode_s);
  std::printf("decode NextBatch:     %8.1f M samples/s\n", ms / decode_s);
  std::printf("decode Next:          %8.1f M samples/s\n", ms / next_s);
  std::printf("Append + EncodeTo:    %8.1f M samples/s, open chunks %.4f B/sample\n", ms / append_s,
              double(open_bytes) / double(all.samples));
  std::printf("Append + SealTo:      %8.1f M samples/s, sealed %.4f B/sample\n", ms / append_seal_s,
              double(sealed_bytes) / double(all.samples));
  std::printf("open chunk memory:    %8.1f bytes per chunk (MemoryBytes, %.3f B/sample)\n",
              double(memory_bytes) / double(chunks.size()),
              double(memory_bytes) / double(all.samples));
  if (sink == 0.123) std::printf(" ");
  return mismatches == 0 ? 0 : 1;
}
