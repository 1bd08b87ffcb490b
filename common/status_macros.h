// Status helpers missing from Debian's Abseil 20220623 (no RETURN_IF_ERROR there).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the current function when `expr` (an absl::Status) is not OK.
#define PL_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    ::absl::Status pl_status_macro_value = (expr); \
    if (!pl_status_macro_value.ok()) {             \
      return pl_status_macro_value;                \
    }                                              \
  } while (0)

#define PL_STATUS_MACROS_CONCAT_INNER(x, y) x##y
#define PL_STATUS_MACROS_CONCAT(x, y) PL_STATUS_MACROS_CONCAT_INNER(x, y)

// `PL_ASSIGN_OR_RETURN(auto x, F());` declares/assigns x from an absl::StatusOr,
// returning the error from the current function when there is one.
#define PL_ASSIGN_OR_RETURN(lhs, rexpr) \
  PL_ASSIGN_OR_RETURN_IMPL(PL_STATUS_MACROS_CONCAT(pl_statusor_, __LINE__), lhs, rexpr)

#define PL_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                             \
  if (!statusor.ok()) {                                \
    return std::move(statusor).status();               \
  }                                                    \
  lhs = std::move(statusor).value()
