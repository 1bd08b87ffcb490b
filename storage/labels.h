// Label sets: the identity of a series.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plumbline::storage {

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};

// Validation as Prometheus 2.x does it. Each returns InvalidArgument naming the problem.
//   metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
//   label values valid UTF-8 without NUL bytes (NUL is refused: it is our key separator).
absl::Status ValidateMetricName(std::string_view name);
absl::Status ValidateLabelName(std::string_view name);
absl::Status ValidateLabelValue(std::string_view value);
bool IsValidUtf8(std::string_view text);

// A canonical label set: `__name__` first, then the other labels sorted by name; no
// duplicate names; labels with empty values are dropped (an empty value means "absent"
// in Prometheus). Immutable value type; thread-compatible.
class Labels {
 public:
  Labels() = default;

  // Validates, drops empty values, sorts. Duplicate names are an error.
  static absl::StatusOr<Labels> FromPairs(std::vector<Label> labels);
  // For data already canonical (e.g. decoded from the index). No validation.
  static Labels FromCanonicalUnchecked(std::vector<Label> labels);
  // Inverse of Encode(). DataLoss when malformed.
  static absl::StatusOr<Labels> Decode(std::string_view encoded);

  const std::vector<Label>& items() const { return labels_; }
  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  std::string_view metric_name() const { return Get(kMetricNameLabel); }

  // Canonical binary form, "name\0value\0name\0value\0...": equal sets give equal bytes.
  std::string Encode() const;
  void EncodeTo(std::string* out) const;
  // Prometheus' text form: name{a="b", c="d"} with escaped values.
  std::string ToString() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  explicit Labels(std::vector<Label> labels) : labels_(std::move(labels)) {}
  std::vector<Label> labels_;
};

// Orders names as the canonical form does: __name__ before everything else.
bool CanonicalNameLess(std::string_view a, std::string_view b);

}  // namespace plumbline::storage
