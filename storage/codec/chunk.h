// The chunk codec: compressed runs of (timestamp ms, float64 value) samples of one series.
// A library of its own: no RocksDB, no I/O, no allocation per sample in steady state.
// The bit format is documented in format.md beside this file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace plumbline::storage::codec {

// Prometheus' staleness marker; stored and returned bit-exactly like every other value.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

// Header fields readable without decoding the samples.
struct ChunkInfo {
  uint32_t num_samples = 0;
  int64_t min_t = 0;
  int64_t max_t = 0;
  // d > 0 when the header says t_i = min_t + i * d (timestamp mode Regular, 2 samples or
  // more); 0 otherwise.
  int64_t interval = 0;
};

// Reads a chunk's header. DataLoss when the bytes are not a chunk.
[[nodiscard]] absl::StatusOr<ChunkInfo> ReadChunkInfo(std::string_view chunk);

// One-shot encoding of samples with strictly increasing timestamps (1 <= n <= kMaxSamples,
// max_t - min_t < 2^63), choosing the smallest encoding the codec knows. Values are kept
// bit-exactly.
void EncodeChunk(absl::Span<const int64_t> ts, absl::Span<const double> vs, std::string* out);

inline constexpr uint32_t kMaxSamples = 1u << 16;

// The open chunk of one series (the "head"): samples appended one at a time.
// Thread-compatible (the storage engine guards it).
class ChunkAppender {
 public:
  ChunkAppender();
  ~ChunkAppender();
  ChunkAppender(ChunkAppender&&) noexcept;
  ChunkAppender& operator=(ChunkAppender&&) noexcept;

  // Requires t > max_t() once num_samples() > 0, and num_samples() < kMaxSamples.
  void Append(int64_t t, double v);

  uint32_t num_samples() const;
  int64_t min_t() const;
  int64_t max_t() const;
  double last_value() const;
  // Heap bytes held, for memory accounting.
  size_t MemoryBytes() const;
  // Bytes of encoded samples held (both streams, without the header): what grows per sample.
  size_t EncodedBytes() const;

  // A self-contained chunk of everything appended so far, readable by ChunkIterator.
  // Cost is linear in the chunk; used to snapshot the head for a query.
  void EncodeTo(std::string* out) const;
  // The smallest encoding of everything appended so far; used when the chunk is sealed.
  void SealTo(std::string* out) const;

  // Rollback support for the engine: Restore(Save()) undoes every Append since Save().
  // A Checkpoint is 4 bytes (the engine keeps one per series touched by a write); Save is
  // O(1), Restore is O(chunk) and meant for the rare failed write.
  struct Checkpoint {
    uint32_t num_samples = 0;
  };
  Checkpoint Save() const;
  void Restore(const Checkpoint& checkpoint);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Decodes one chunk. Thread-compatible. Never reads outside `chunk` and never crashes on
// corrupt input: it stops and reports DataLoss through status().
class ChunkIterator {
 public:
  ChunkIterator();
  ~ChunkIterator();
  ChunkIterator(const ChunkIterator&) = delete;
  ChunkIterator& operator=(const ChunkIterator&) = delete;

  // `chunk` must outlive the iteration. DataLoss when the header is malformed.
  [[nodiscard]] absl::Status Init(std::string_view chunk);
  const ChunkInfo& info() const;

  // Advances to the next sample; false at the end or on corruption (see status()).
  bool Next();
  int64_t t() const;
  double v() const;

  // Decodes up to `capacity` following samples into the arrays; returns how many (0 at the
  // end or on corruption). Faster than Next() for whole-chunk reads.
  size_t NextBatch(int64_t* ts, double* vs, size_t capacity);

  absl::Status status() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace plumbline::storage::codec
