// Chunk-level predictors of the sealed integer encoding (format.md, "Predictors"). The
// encoder tries several and writes the cheapest one's parameters; both sides then run it
// sample by sample on decoded integers, so it costs no bits per sample.
#pragma once

#include <cstdint>

#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {

enum class PredictorKind : uint8_t {
  kPrev = 0,     // previous value: random walks, step gauges
  kCounter = 1,  // previous value + running average of the deltas: counters
  kLevel = 2,    // running average of the values: noise around a level
  kConst = 3,    // a constant (the chunk median): iid values
};

struct PredictorParams {
  PredictorKind kind = PredictorKind::kPrev;
  uint8_t shift = 4;     // kCounter, kLevel: averages move by 2^-shift per sample (1..7)
  int64_t constant = 0;  // kConst
};

inline constexpr int kAvgFrac = 8;  // fixed-point fraction bits of the running averages

inline int64_t RoundAvg(int64_t avg) {
  return WrapAdd(avg, int64_t{1} << (kAvgFrac - 1)) >> kAvgFrac;
}
inline int64_t MoveAvg(int64_t avg, int64_t v, int shift) {
  return WrapAdd(avg, WrapSub(WrapShl(v, kAvgFrac), avg) >> shift);
}
// MoveAvg(avg, RoundAvg(avg) + r, shift), modulo 2^64, with `avg` only three operations from
// the result instead of six: RoundAvg(avg) << kAvgFrac is avg + 2^(kAvgFrac - 1) less its
// low kAvgFrac bits, so (v << kAvgFrac) - avg = (r << kAvgFrac) + 2^(kAvgFrac - 1) - those
// bits. A decoder knows r before the average it needs: this is its critical path.
inline int64_t MoveAvgByResidual(int64_t avg, int64_t r, int shift) {
  constexpr int64_t kHalf = int64_t{1} << (kAvgFrac - 1);
  const int64_t low_bits = WrapAdd(avg, kHalf) & ((int64_t{1} << kAvgFrac) - 1);
  return WrapAdd(avg, WrapSub(WrapAdd(WrapShl(r, kAvgFrac), kHalf), low_bits) >> shift);
}

// Each predictor: Start(first integer), Predict(), Update(integer just coded), and for
// decoders Next(r): the integer Predict() + r, after which the predictor is as Update() of
// it leaves it. Samples that are not integers (exceptions) skip them. Decoders may call
// NextStarted(r) instead of Next(r) once Started(): the same, in fewer operations; its
// kShift, when not 0, must equal AveragingShift() (a constant shift saves a register).
struct PrevPredictor {
  int64_t last = 0;
  explicit PrevPredictor(const PredictorParams&) {}
  void Start(int64_t v) { last = v; }
  int64_t Predict() const { return last; }
  void Update(int64_t v) { last = v; }
  int64_t Next(int64_t r) { return last = WrapAdd(last, r); }
  bool Started() const { return true; }
  int AveragingShift() const { return 0; }
  template <int kShift = 0>
  int64_t NextStarted(int64_t r) {
    return Next(r);
  }
};

// A negative delta is a counter reset: it moves `last` but not the average delta, so the
// increments after a reset are predicted as well as before it.
// The average starts at the first non-negative delta: moving it by 2^-0 sets it, so the
// first move takes shift 0 (no flag to test per sample).
struct CounterPredictor {
  int64_t last = 0;
  int64_t avg = 0;
  int shift;
  int next_shift = 0;  // shift once the average has started, 0 before
  explicit CounterPredictor(const PredictorParams& p) : shift(p.shift) {}
  void Start(int64_t v) { last = v; }
  int64_t Predict() const { return WrapAdd(last, RoundAvg(avg)); }
  void Update(int64_t v) {
    const int64_t d = WrapSub(v, last);
    if (d >= 0) {
      avg = MoveAvg(avg, d, next_shift);
      next_shift = shift;
    }
    last = v;
  }
  int64_t Next(int64_t r) {
    const int64_t d = WrapAdd(RoundAvg(avg), r);  // v - last
    if (d >= 0) {
      avg = MoveAvgByResidual(avg, r, next_shift);
      next_shift = shift;
    }
    return last = WrapAdd(last, d);
  }
  // Once the average has started, the shift no longer changes: a decoder's loop keeps it in
  // a register (or, as kShift, in the instructions) instead of storing next_shift per sample.
  // The average moves by MoveAvg of the delta: equal to MoveAvgByResidual, three operations
  // fewer (and one longer on the average's chain).
  bool Started() const { return next_shift == shift; }
  int AveragingShift() const { return shift; }
  template <int kShift = 0>
  int64_t NextStarted(int64_t r) {
    const int64_t d = WrapAdd(RoundAvg(avg), r);
    if (d >= 0) avg = MoveAvg(avg, d, kShift != 0 ? kShift : shift);
    return last = WrapAdd(last, d);
  }
};

struct LevelPredictor {
  int64_t avg = 0;
  int shift;
  explicit LevelPredictor(const PredictorParams& p) : shift(p.shift) {}
  void Start(int64_t v) { avg = WrapShl(v, kAvgFrac); }
  int64_t Predict() const { return RoundAvg(avg); }
  void Update(int64_t v) { avg = MoveAvg(avg, v, shift); }
  int64_t Next(int64_t r) {
    const int64_t v = WrapAdd(RoundAvg(avg), r);
    avg = MoveAvgByResidual(avg, r, shift);
    return v;
  }
  bool Started() const { return true; }
  int AveragingShift() const { return shift; }
  template <int kShift = 0>
  int64_t NextStarted(int64_t r) {
    const int64_t v = WrapAdd(RoundAvg(avg), r);
    avg = MoveAvg(avg, v, kShift != 0 ? kShift : shift);
    return v;
  }
};

struct ConstPredictor {
  int64_t c;
  explicit ConstPredictor(const PredictorParams& p) : c(p.constant) {}
  void Start(int64_t) {}
  int64_t Predict() const { return c; }
  void Update(int64_t) {}
  int64_t Next(int64_t r) const { return WrapAdd(c, r); }
  bool Started() const { return true; }
  int AveragingShift() const { return 0; }
  template <int kShift = 0>
  int64_t NextStarted(int64_t r) const {
    return Next(r);
  }
};

}  // namespace plumbline::storage::codec::internal
