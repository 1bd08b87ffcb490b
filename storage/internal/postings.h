// Resolving label matchers through the per-day postings (Prometheus' PostingsForMatchers):
// each matcher becomes either a set to intersect with or a set to subtract, so that matchers
// which match the empty string also select series that lack the label.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rocksdb/db.h"
#include "storage/matcher.h"

namespace plumbline::storage {

class PostingsReader {
 public:
  // `db` and `cf` must outlive the reader; `read_options` may carry a snapshot.
  PostingsReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                 const rocksdb::ReadOptions& read_options)
      : db_(db), cf_(cf), read_options_(read_options) {}

  // Sorted refs of series with data on `day` that match every matcher.
  absl::StatusOr<std::vector<uint64_t>> Select(uint32_t day,
                                               absl::Span<const LabelMatcher> matchers) const;
  // Adds the label names present on `day` to `out`.
  absl::Status LabelNames(uint32_t day, std::set<std::string>* out) const;
  // Adds the values of label `name` present on `day` to `out`.
  absl::Status LabelValues(uint32_t day, std::string_view name, std::set<std::string>* out) const;

 private:
  // Refs under one (day, name, value).
  absl::Status ReadList(const std::string& prefix, std::vector<uint64_t>* out) const;
  // Union of the lists of every value of `name` for which keep(value) is true.
  absl::StatusOr<std::vector<uint64_t>> UnionValues(uint32_t day, std::string_view name,
                                                    const LabelMatcher* filter,
                                                    bool keep_when_matching) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  rocksdb::ReadOptions read_options_;
};

}  // namespace plumbline::storage
