// Checks on the text of a PromQL query that must not depend on our parser: they decide
// skips for queries it may refuse.
#pragma once

#include <string>
#include <string_view>

namespace plumbline::promqltest {

// The experimental PromQL feature `expr` uses, which Prometheus' test engine enables and
// ours may not parse: "function \"sort_by_label\"", "aggregation \"limitk\"", "duration
// expression", "fill modifier", "\"anchored\" modifier"; "" when none.
std::string ExperimentalFeature(std::string_view expr);

// Whether `expr` names metric `name`: as a bare identifier, in a `__name__="..."`-style
// equality matcher, or matched by a `=~` regex matcher.
bool MentionsMetric(std::string_view expr, std::string_view name);

// Functions Prometheus does not re-evaluate with `@` (engine.go's AtModifierUnsafeFunctions),
// plus start(), end(), range() and step(), whose value is the query's own time range.
bool IsAtModifierUnsafeFunction(std::string_view name);

}  // namespace plumbline::promqltest
