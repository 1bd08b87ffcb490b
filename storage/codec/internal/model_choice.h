// The encoder's choice of a model for a set of residuals (format.md, "Choosing an
// encoding"): residuals are histogrammed in the fine token config; histogram models over
// coarser configs and parametric models are sized from that histogram. Encoder only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "storage/codec/internal/token_model.h"

namespace plumbline::storage::codec::internal {

// A histogram of fine tokens and the model search over it. Thread-compatible.
class FineHistogram {
 public:
  void Clear();
  void Add(int64_t r) {
    ++counts_[Tokenize(r, kFineConfig).token];
    ++total_;
  }
  void AddAll(const int64_t* r, size_t n) {
    for (size_t i = 0; i < n; ++i) ++counts_[Tokenize(r[i], kFineConfig).token];
    total_ += static_cast<uint32_t>(n);
  }
  void AddExceptions(uint32_t count) { exceptions_ += count; }
  uint32_t total() const { return total_; }

  // Chooses the model (kind, config, alphabet, levels or parameters) that minimises the coded
  // size of the residuals: tokens + extra bits + escapes + model description. Returns that
  // size in bits. `exception_bits`: payload bits per exception (they always take the escape);
  // `escape_extra_bits`: payload bits of an escaped residual beyond its Len64 code.
  double Choose(ModelDesc* model, int exception_bits, int escape_extra_bits) const;

 private:
  double ChooseHistogram(ModelDesc* model, int exception_bits, int escape_extra_bits) const;
  double ChooseParametric(ModelDesc* model, int exception_bits, int escape_extra_bits) const;

  std::array<uint32_t, kFineTokens> counts_{};
  uint32_t total_ = 0;
  uint32_t exceptions_ = 0;
};

}  // namespace plumbline::storage::codec::internal
