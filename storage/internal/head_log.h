// Head log records: the samples of one Append, kept in the "head" column family (key: a
// sequence number) until every chunk they belong to is sealed. On open, the records are
// replayed in order to rebuild the open chunks.
//
// Record: varint count, then per sample: varint ref, varint zigzag(t - previous t in the
// record, starting from 0), fixed64 little-endian value bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace plumbline::storage {

// Builds one record. Owned by one thread.
class HeadLogWriter {
 public:
  void Add(uint64_t ref, int64_t t, double v);
  size_t count() const { return count_; }
  // The finished record; resets the writer.
  std::string Finish();

 private:
  std::string body_;
  size_t count_ = 0;
  int64_t prev_t_ = 0;
};

// Reads one record. DataLoss on malformed bytes.
class HeadLogReader {
 public:
  explicit HeadLogReader(std::string_view record) : in_(record) {}
  absl::Status Init();  // reads the count
  // False at the end; check status().
  bool Next(uint64_t* ref, int64_t* t, double* v);
  absl::Status status() const { return status_; }

 private:
  std::string_view in_;
  uint64_t remaining_ = 0;
  int64_t prev_t_ = 0;
  absl::Status status_;
};

void PutVarint64(std::string* out, uint64_t v);
// Advances `in` past the varint; false when truncated or longer than 10 bytes.
bool GetVarint64(std::string_view* in, uint64_t* v);

}  // namespace plumbline::storage
