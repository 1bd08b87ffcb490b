// ChunkIterator: decodes the timestamp and value sections independently, in batches.
#include <algorithm>
#include <string>

#include "storage/codec/chunk.h"
#include "storage/codec/internal/ans_timestamps.h"
#include "storage/codec/internal/ans_values.h"
#include "storage/codec/internal/const_value.h"
#include "storage/codec/internal/format.h"
#include "storage/codec/internal/int_stream.h"
#include "storage/codec/internal/ts_stream.h"
#include "storage/codec/internal/xor_stream.h"

namespace plumbline::storage::codec {

using internal::TsMode;
using internal::ValueKind;

namespace {
constexpr size_t kBuffer = 64;  // Next() decodes this many samples at a time
}  // namespace

struct ChunkIterator::State {
  // Members without initialisers (the buffers, the decoders' tables) are written before they
  // are read: a user-provided constructor keeps make_unique from clearing the ~40 KiB of
  // them, once per series a query reads.
  State() {}  // NOLINT(modernize-use-equals-default): `= default` would clear them

  internal::Header h;
  ChunkInfo info;
  absl::Status status;
  uint32_t decoded = 0;  // samples decoded from the sections so far

  internal::TsStreamDecoder ts_stream;
  internal::AnsTimestampDecoder ts_ans;
  double const_value = 0;
  internal::XorDecoder xors;
  internal::IntStreamDecoder ints;
  internal::AnsValueDecoder ans;

  // Next(): samples decoded ahead.
  int64_t tbuf[kBuffer];
  double vbuf[kBuffer];
  uint32_t buf_pos = 0;
  uint32_t buf_len = 0;
  int64_t t = 0;
  double v = 0;

  absl::Status Init(std::string_view chunk);
  // Decodes `count` samples (count <= remaining) from the sections.
  bool Decode(int64_t* ts, double* vs, size_t count);
  bool Finished() const;
  void Fail() {
    if (status.ok()) status = absl::DataLossError("chunk is corrupt");
    decoded = h.n;
    buf_pos = buf_len = 0;
  }
};

absl::Status ChunkIterator::State::Init(std::string_view chunk) {
  // The decoders keep their table memory across chunks; everything else starts over.
  status = absl::OkStatus();
  decoded = 0;
  buf_pos = buf_len = 0;
  t = 0;
  v = 0;
  h = internal::Header();
  info = ChunkInfo();
  absl::Status s = internal::ParseHeader(chunk, &h);
  if (!s.ok()) return s;
  info = {h.n, h.min_t, h.max_t, internal::RegularInterval(h)};
  std::string_view rest = h.rest;
  switch (h.ts_mode) {
    case TsMode::kRegular:
      break;
    case TsMode::kStream:
      s = ts_stream.Init(&rest, h.n, h.min_t, h.max_t);
      break;
    case TsMode::kAns:
      s = ts_ans.Init(&rest, h.n, h.min_t, h.max_t, h.version);
      break;
  }
  if (!s.ok()) return s;
  if (h.n == 0) return absl::OkStatus();
  switch (h.kind) {
    case ValueKind::kConst:
      if (!internal::ReadConstValue(rest, &const_value)) {
        return absl::DataLossError("constant value: malformed");
      }
      break;
    case ValueKind::kXor:
      xors.Init(rest);
      break;
    case ValueKind::kIntStream:
      ints.Init(rest);
      break;
    case ValueKind::kIntAns:
      s = ans.Init(rest, h.n, h.version);
      break;
  }
  return s;
}

bool ChunkIterator::State::Decode(int64_t* ts, double* vs, size_t count) {
  bool ok = true;
  switch (h.ts_mode) {
    case TsMode::kRegular: {
      // An induction rather than a product per sample: SSE2 has no 64-bit multiply. Unsigned:
      // the step past the last sample may leave int64 (ParseHeader checks the samples fit).
      uint64_t t = static_cast<uint64_t>(h.min_t + static_cast<int64_t>(decoded) * h.interval);
      for (size_t j = 0; j < count; ++j) {
        ts[j] = static_cast<int64_t>(t);
        t += static_cast<uint64_t>(h.interval);
      }
      break;
    }
    case TsMode::kStream:
      ok = ts_stream.Decode(ts, count);
      break;
    case TsMode::kAns:
      ok = ts_ans.Decode(ts, count);
      break;
  }
  switch (h.kind) {
    case ValueKind::kConst:
      std::fill(vs, vs + count, const_value);
      break;
    case ValueKind::kXor:
      ok &= xors.Decode(vs, count);
      break;
    case ValueKind::kIntStream:
      ok &= ints.Decode(vs, count);
      break;
    case ValueKind::kIntAns:
      ok &= ans.Decode(vs, count);
      break;
  }
  decoded += static_cast<uint32_t>(count);
  if (ok && decoded == h.n) ok = Finished();
  return ok;
}

bool ChunkIterator::State::Finished() const {
  bool ok = true;
  switch (h.ts_mode) {
    case TsMode::kRegular:
      break;
    case TsMode::kStream:
      ok = ts_stream.Finished();
      break;
    case TsMode::kAns:
      ok = ts_ans.Finished();
      break;
  }
  switch (h.kind) {
    case ValueKind::kConst:
      break;
    case ValueKind::kXor:
      ok &= xors.Finished();
      break;
    case ValueKind::kIntStream:
      ok &= ints.Finished();
      break;
    case ValueKind::kIntAns:
      ok &= ans.Finished();
      break;
  }
  return ok;
}

ChunkIterator::ChunkIterator() : state_(std::make_unique<State>()) {}
ChunkIterator::~ChunkIterator() = default;

absl::Status ChunkIterator::Init(std::string_view chunk) {
  absl::Status s = state_->Init(chunk);
  if (!s.ok()) {
    state_->status = s;
    state_->decoded = state_->h.n;
  }
  return s;
}

const ChunkInfo& ChunkIterator::info() const { return state_->info; }

bool ChunkIterator::Next() {
  State& s = *state_;
  if (s.buf_pos == s.buf_len) {
    const size_t count = std::min<size_t>(kBuffer, s.h.n - s.decoded);
    if (count == 0 || !s.status.ok()) return false;
    if (!s.Decode(s.tbuf, s.vbuf, count)) {
      s.Fail();
      return false;
    }
    s.buf_pos = 0;
    s.buf_len = static_cast<uint32_t>(count);
  }
  s.t = s.tbuf[s.buf_pos];
  s.v = s.vbuf[s.buf_pos];
  ++s.buf_pos;
  return true;
}

int64_t ChunkIterator::t() const { return state_->t; }
double ChunkIterator::v() const { return state_->v; }

size_t ChunkIterator::NextBatch(int64_t* ts, double* vs, size_t capacity) {
  State& s = *state_;
  size_t done = 0;
  while (s.buf_pos < s.buf_len && done < capacity) {
    ts[done] = s.tbuf[s.buf_pos];
    vs[done] = s.vbuf[s.buf_pos];
    ++s.buf_pos;
    ++done;
  }
  const size_t count = s.status.ok() ? std::min<size_t>(capacity - done, s.h.n - s.decoded) : 0;
  if (count > 0 && !s.Decode(ts + done, vs + done, count)) {
    s.Fail();
    return done;
  }
  done += count;
  if (done > 0) {  // t() and v() are the last sample returned
    s.t = ts[done - 1];
    s.v = vs[done - 1];
  }
  return done;
}

absl::Status ChunkIterator::status() const { return state_->status; }

}  // namespace plumbline::storage::codec
