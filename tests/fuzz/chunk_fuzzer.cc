// Fuzzes the chunk codec. Checks, beyond "no crash, no UB, no leak":
//   * decoding: arbitrary bytes give samples or DataLoss, never more samples than the header
//     says; Next and NextBatch agree; ReadChunkInfo agrees with ChunkIterator::Init when
//     Init accepts the chunk; decoded timestamps increase;
//   * encoding: samples derived from the input round-trip bit-exactly through EncodeChunk,
//     the appender's EncodeTo and SealTo, with Save/Restore rollbacks mixed in.
// The first input byte picks the mode; the rest is the chunk or the sample recipe.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "storage/codec/chunk.h"
#include "tests/fuzz/fuzz_check.h"

namespace plumbline::storage::codec {
namespace {

using fuzz::Check;

struct Samples {
  std::vector<int64_t> ts;
  std::vector<double> vs;
};

// Decodes with NextBatch in batches of `batch`; returns false on DataLoss.
bool DecodeBatches(std::string_view chunk, size_t batch, Samples* out) {
  ChunkIterator it;
  if (!it.Init(chunk).ok()) return false;
  std::vector<int64_t> ts(batch);
  std::vector<double> vs(batch);
  while (size_t got = it.NextBatch(ts.data(), vs.data(), batch)) {
    Check(got <= batch, "batch overflow");
    out->ts.insert(out->ts.end(), ts.begin(), ts.begin() + static_cast<ptrdiff_t>(got));
    out->vs.insert(out->vs.end(), vs.begin(), vs.begin() + static_cast<ptrdiff_t>(got));
  }
  Check(out->ts.size() <= it.info().num_samples, "more samples than the header says");
  if (!it.status().ok()) {
    Check(it.status().code() == absl::StatusCode::kDataLoss, "error other than DataLoss");
    return false;
  }
  Check(out->ts.size() == it.info().num_samples, "clean end before the last sample");
  return true;
}

bool Same(const Samples& a, const Samples& b, size_t n) {
  if (a.ts.size() < n || b.ts.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (a.ts[i] != b.ts[i] ||
        std::bit_cast<uint64_t>(a.vs[i]) != std::bit_cast<uint64_t>(b.vs[i])) {
      return false;
    }
  }
  return true;
}

void FuzzDecode(std::string_view chunk) {
  absl::StatusOr<ChunkInfo> info = ReadChunkInfo(chunk);
  ChunkIterator it;
  const absl::Status init = it.Init(chunk);
  // ReadChunkInfo reads only the header: it may accept a chunk whose body Init rejects.
  Check(info.ok() || !init.ok(), "Init accepts what ReadChunkInfo rejects");
  if (!init.ok()) {
    Check(init.code() == absl::StatusCode::kDataLoss, "Init error other than DataLoss");
    Check(!it.Next(), "Next after a failed Init");
    return;
  }
  Check(info->num_samples == it.info().num_samples && info->min_t == it.info().min_t &&
            info->max_t == it.info().max_t,
        "ReadChunkInfo and Init disagree on the header");
  Samples by_next;
  while (it.Next()) {
    by_next.ts.push_back(it.t());
    by_next.vs.push_back(it.v());
  }
  Samples by_batch;
  const bool ok = DecodeBatches(chunk, 1 + chunk.size() % 97, &by_batch);
  Check(ok == it.status().ok(), "Next and NextBatch disagree on the status");
  if (ok) {
    Check(by_next.ts.size() == by_batch.ts.size(), "Next and NextBatch disagree on the count");
    Check(Same(by_next, by_batch, by_next.ts.size()), "Next and NextBatch disagree");
    for (size_t i = 1; i < by_batch.ts.size(); ++i) {
      Check(by_batch.ts[i] > by_batch.ts[i - 1], "timestamps not increasing");
    }
  }
}

// Reads the input as a recipe for samples.
class Recipe {
 public:
  explicit Recipe(std::string_view data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  uint64_t Bytes(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      v |= uint64_t{pos_ < data_.size() ? static_cast<uint8_t>(data_[pos_]) : 0u} << (8 * i);
      ++pos_;
    }
    return v;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

void FuzzRoundTrip(std::string_view data) {
  Recipe r(data);
  const uint8_t shape = static_cast<uint8_t>(r.Bytes(1));
  int64_t t = static_cast<int64_t>(r.Bytes(6)) - (int64_t{1} << 47);
  if (shape & 1) t *= 1000;
  const int64_t step = 1 + static_cast<int64_t>(r.Bytes(2));
  Samples s;
  double last = 0;
  while (!r.empty() && s.ts.size() < kMaxSamples) {
    const uint8_t op = static_cast<uint8_t>(r.Bytes(1));
    // Timestamp: mostly regular, sometimes jittered or jumping.
    switch (op & 3) {
      case 0:
      case 1:
        t += step;
        break;
      case 2:
        t += step + static_cast<int64_t>(r.Bytes(1)) - 128;
        break;
      case 3:
        t += 1 + static_cast<int64_t>(r.Bytes(5));
        break;
    }
    if (!s.ts.empty() && t <= s.ts.back()) t = s.ts.back() + 1;
    // Value: repeat, small integer step, decimal, raw bits.
    switch ((op >> 2) & 7) {
      case 0:
      case 1:
        break;
      case 2:
      case 3:
        last = std::round(last) + static_cast<double>(static_cast<int8_t>(r.Bytes(1)));
        break;
      case 4:
        last = static_cast<double>(static_cast<int64_t>(r.Bytes(3)) - (1 << 23)) / 100;
        break;
      case 5:
        last = static_cast<double>(static_cast<int64_t>(r.Bytes(8)));
        break;
      default:
        last = std::bit_cast<double>(r.Bytes(8));
        break;
    }
    s.ts.push_back(t);
    s.vs.push_back(last);
  }
  if (s.ts.empty()) return;

  std::string encoded;
  EncodeChunk(s.ts, s.vs, &encoded);
  Samples got;
  Check(DecodeBatches(encoded, 64, &got), "EncodeChunk output does not decode");
  Check(got.ts.size() == s.ts.size() && Same(s, got, s.ts.size()), "EncodeChunk round trip");

  // The appender, with a checkpoint restored part-way (appending a detour first).
  ChunkAppender app;
  const size_t cut = s.ts.size() / 2;
  ChunkAppender::Checkpoint cp;
  for (size_t i = 0; i < s.ts.size(); ++i) {
    if (i == cut) {
      cp = app.Save();
      for (size_t j = 0; j < 5 && i + j < s.ts.size(); ++j) {
        app.Append(s.ts[i + j], std::bit_cast<double>(r.Bytes(8) ^ (j * 0x9e3779b97f4a7c15ULL)));
      }
      app.Restore(cp);
      Check(app.num_samples() == cut, "Restore");
    }
    app.Append(s.ts[i], s.vs[i]);
  }
  std::string open, sealed;
  app.EncodeTo(&open);
  got = Samples();
  Check(DecodeBatches(open, 1000, &got), "EncodeTo output does not decode");
  Check(got.ts.size() == s.ts.size() && Same(s, got, s.ts.size()), "EncodeTo round trip");
  app.SealTo(&sealed);
  Check(sealed == encoded, "SealTo differs from EncodeChunk");
}

}  // namespace
}  // namespace plumbline::storage::codec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    plumbline::storage::codec::FuzzRoundTrip(input);
  } else {
    plumbline::storage::codec::FuzzDecode(input);
    // Also the chunk of a prefix of the input turned into samples, then damaged.
    if (data[0] & 2) {
      std::string chunk;
      plumbline::storage::codec::ChunkAppender app;
      for (size_t i = 0; i + 1 < input.size() && i < 4000; i += 2) {
        app.Append(static_cast<int64_t>(i) * 1000, static_cast<double>(input[i] & 0x0f));
      }
      app.SealTo(&chunk);
      if (!chunk.empty())
        chunk[static_cast<size_t>(data[0]) % chunk.size()] ^= input.empty() ? 1 : input[0];
      plumbline::storage::codec::FuzzDecode(chunk);
    }
  }
  return 0;
}
