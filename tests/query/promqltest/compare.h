// Comparing a query result with an eval's expectations, as Prometheus' promqltest/test.go
// does (compareResult, checkExpectedFailure, assertMatrixSorted), with its tolerance
// (util/almost.Equal, relative epsilon 1e-6; NaN equals NaN; the staleness NaN only equals
// itself).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/value.h"
#include "storage/labels.h"
#include "tests/query/promqltest/script.h"

namespace plumbline::promqltest {

inline constexpr double kDefaultEpsilon = 0.000001;

// Prometheus' almost.Equal.
bool AlmostEqual(double a, double b, double epsilon = kDefaultEpsilon);

// Prometheus' label order (names in byte order) for a stored label set.
LabelSet ToLabelSet(const storage::Labels& labels);

// Why a result does not match. `kind` groups failures for the summary ("value mismatch",
// "unexpected series", ...); `diff` is a short expected (-) / got (+) listing.
struct Mismatch {
  std::string kind;
  std::string message;
  std::vector<std::string> diff;
};

// test.go's compareResult. Beyond it: a result holding the same label set twice is refused
// (Prometheus' engine never returns one; test.go's hash map would not notice).
std::optional<Mismatch> CompareResult(const EvalCmd& cmd, const query::Value& result);

// test.go's checkExpectedFailure: the error text against expected_fail_message,
// expected_fail_regexp and the `expect fail` line.
std::optional<Mismatch> CheckExpectedFailure(const EvalCmd& cmd, std::string_view error);

// test.go's assertMatrixSorted.
std::optional<Mismatch> AssertMatrixSorted(const query::Matrix& matrix);

// A one-line rendering of a value, for messages.
std::string DescribeValue(const query::Value& value);

}  // namespace plumbline::promqltest
