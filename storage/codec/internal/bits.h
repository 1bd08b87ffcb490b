// Bit-level I/O for the chunk codec. Bits are packed LSB-first into little-endian 64-bit
// words: the first bit written is bit 0 of byte 0. Thread-compatible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace plumbline::storage::codec::internal {

inline constexpr uint64_t LowMask(int n) { return n >= 64 ? ~0ULL : (1ULL << n) - 1; }

// Number of significant bits of `x` (0 for 0).
inline int BitLength(uint64_t x) { return x == 0 ? 0 : 64 - __builtin_clzll(x); }

inline uint64_t LoadLE64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // x86-64 and aarch64 are little-endian; format.md fixes the byte order.
}

// A growable bit string that can be truncated back to any earlier length in O(1); the
// open chunk keeps its streams in these. Invariant: bits at and above size() are zero.
// 16 bytes plus its words: up to 200 k open chunks hold two each. Holds at most 2^32 - 1
// bits, far above a chunk's (kMaxSamples samples of at most a few hundred bits).
class BitBuffer {
 public:
  BitBuffer() = default;
  ~BitBuffer() { std::free(words_); }
  BitBuffer(const BitBuffer& other) { *this = other; }
  BitBuffer& operator=(const BitBuffer& other) {
    if (this == &other) return *this;
    Clear();
    Reserve(other.used_words());
    if (other.nbits_ > 0) std::memcpy(words_, other.words_, other.used_words() * 8);
    nbits_ = other.nbits_;
    return *this;
  }
  BitBuffer(BitBuffer&& other) noexcept
      : words_(std::exchange(other.words_, nullptr)),
        cap_(std::exchange(other.cap_, 0)),
        nbits_(std::exchange(other.nbits_, 0)) {}
  BitBuffer& operator=(BitBuffer&& other) noexcept {
    if (this == &other) return *this;
    std::free(words_);
    words_ = std::exchange(other.words_, nullptr);
    cap_ = std::exchange(other.cap_, 0);
    nbits_ = std::exchange(other.nbits_, 0);
    return *this;
  }

  // Appends the low `n` bits of `v` (0 <= n <= 64); higher bits of `v` must be zero.
  void Write(uint64_t v, int n) {
    if (n == 0) return;
    const int off = static_cast<int>(nbits_ & 63);
    if (off == 0) {
      Push(v);
    } else {
      words_[used_words() - 1] |= v << off;
      if (off + n > 64) Push(v >> (64 - off));
    }
    nbits_ += static_cast<uint32_t>(n);
  }
  // Appends `q` zero bits and a one bit: the unary code of q.
  void WriteUnary(uint32_t q) {
    while (q >= 32) {
      Write(0, 32);
      q -= 32;
    }
    Write(1ULL << q, static_cast<int>(q) + 1);
  }
  void Truncate(uint64_t nbits) {
    if (nbits >= nbits_) return;
    nbits_ = static_cast<uint32_t>(nbits);
    if (nbits & 63) words_[used_words() - 1] &= LowMask(static_cast<int>(nbits & 63));
  }
  void Clear() { nbits_ = 0; }
  uint64_t size() const { return nbits_; }
  size_t size_bytes() const { return static_cast<size_t>((uint64_t{nbits_} + 7) / 8); }
  size_t MemoryBytes() const { return size_t{cap_} * sizeof(uint64_t); }
  void Reserve(size_t words) {
    if (words > cap_) Grow(words);
  }
  void ShrinkToFit() {
    if (used_words() < cap_) Grow(used_words());
  }
  // Appends size_bytes() bytes (the last one zero-padded) to `out`.
  void AppendTo(std::string* out) const {
    const size_t bytes = size_bytes();
    const size_t old = out->size();
    out->resize(old + bytes);
    if (bytes > 0) std::memcpy(out->data() + old, words_, bytes);
  }

 private:
  size_t used_words() const { return (size_t{nbits_} + 63) / 64; }
  // Words at and past used_words() may hold stale bits (Truncate does not clear them); a
  // word becomes used only through Push, which overwrites it.
  void Push(uint64_t w) {
    const size_t n = used_words();
    // Grows by a quarter rather than doubling: up to 200k open chunks hold one buffer each.
    if (n == cap_) Grow(n + n / 4 + 2);
    words_[n] = w;
  }
  void Grow(size_t words) {
    void* grown = std::realloc(words_, std::max<size_t>(words, 1) * sizeof(uint64_t));
    if (grown == nullptr) throw std::bad_alloc();
    words_ = static_cast<uint64_t*>(grown);
    cap_ = static_cast<uint32_t>(words);
  }

  uint64_t* words_ = nullptr;
  uint32_t cap_ = 0;    // words allocated
  uint32_t nbits_ = 0;  // bits written
};

// Reads a bit string written by BitBuffer. Never reads outside [data, data + size): bits past
// the end read as zero and set overrun(), which callers turn into DataLoss.
class BitReader {
 public:
  BitReader() = default;
  explicit BitReader(std::string_view bytes)
      : data_(bytes.data()), size_(bytes.size()), limit_(uint64_t{bytes.size()} * 8) {}

  // Reads a copy of `bytes` kept in *buffer followed by 8 zero bytes, so that Peek() never
  // takes its slow path: short streams (a mostly-zero series' chunk holds a few dozen bytes)
  // would otherwise spend most of their peeks there. Bits past the end still read as zero.
  static BitReader Padded(std::string_view bytes, std::string* buffer) {
    buffer->assign(bytes.data(), bytes.size());
    buffer->append(8, '\0');
    BitReader r(std::string_view(buffer->data(), bytes.size()));
    r.size_ += 8;
    return r;
  }

  // The next 57 or more bits, LSB-first, without consuming them.
  uint64_t Peek() const {
    const uint64_t byte = pos_ >> 3;
    if (byte + 8 <= size_) return LoadLE64(data_ + byte) >> (pos_ & 7);
    return PeekSlow();
  }
  void Skip(int n) { pos_ += static_cast<uint64_t>(n); }
  // Reads n <= 56 bits.
  uint64_t Read(int n) {
    const uint64_t v = Peek() & LowMask(n);
    pos_ += static_cast<uint64_t>(n);
    return v;
  }
  // Reads n <= 64 bits.
  uint64_t ReadLong(int n) {
    if (n <= 56) return Read(n);
    const uint64_t lo = Read(32);
    return lo | (Read(n - 32) << 32);
  }
  bool ReadBit() { return Read(1) != 0; }
  // Reads a unary code (zeros then a one) of at most `max_q` zeros; returns max_q when the
  // limit is reached (the one bit is then not consumed). max_q <= 56.
  uint32_t ReadUnary(uint32_t max_q) {
    const uint64_t w = Peek() | (1ULL << max_q);
    const uint32_t q = static_cast<uint32_t>(__builtin_ctzll(w));
    pos_ += q + (q < max_q ? 1 : 0);
    return q;
  }

  uint64_t position() const { return pos_; }
  // For loops that keep the position in a register: the bytes and a position to resume at.
  const char* data() const { return data_; }
  uint64_t size() const { return size_; }
  void Seek(uint64_t pos) { pos_ = pos; }
  uint64_t limit() const { return limit_; }
  bool overrun() const { return pos_ > limit_; }
  // True when everything up to the end, except zero padding in the last byte, was read.
  bool AtPaddedEnd() const {
    if (pos_ > limit_) return false;
    if (limit_ - pos_ >= 8) return false;
    return (Peek() & LowMask(static_cast<int>(limit_ - pos_))) == 0;
  }

 private:
  uint64_t PeekSlow() const {
    const uint64_t byte = pos_ >> 3;
    if (byte >= size_) return 0;
    uint64_t v = 0;
    std::memcpy(&v, data_ + byte, size_ - byte);
    return v >> (pos_ & 7);
  }

  const char* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
  uint64_t limit_ = 0;
};

}  // namespace plumbline::storage::codec::internal
