#include "storage/codec/internal/ans_values.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <memory>
#include <utility>

#include "storage/codec/internal/model_choice.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/token_stream.h"

namespace plumbline::storage::codec::internal {
namespace {

constexpr int kExceptionBits = 1 + 64;   // escape payload of a raw value
constexpr int kEscapedResidualBits = 1;  // type bit in front of Len64

// Predictor parameters: 3 bits of kind (4..7 reserved), then a 3-bit shift (kCounter,
// kLevel) or Len64(ZigZag(constant)) (kConst).
int ParamBits(const PredictorParams& p) {
  switch (p.kind) {
    case PredictorKind::kPrev:
      return 3;
    case PredictorKind::kCounter:
    case PredictorKind::kLevel:
      return 6;
    case PredictorKind::kConst:
      return 3 + Len64Length(ZigZag(p.constant));
  }
  return 0;
}

void WriteParams(const PredictorParams& p, BitBuffer* out) {
  out->Write(static_cast<uint64_t>(p.kind), 3);
  if (p.kind == PredictorKind::kCounter || p.kind == PredictorKind::kLevel) {
    out->Write(p.shift, 3);
  } else if (p.kind == PredictorKind::kConst) {
    WriteLen64(out, ZigZag(p.constant));
  }
}

bool ReadParams(BitReader* in, PredictorParams* p) {
  const uint64_t kind = in->Read(3);
  if (kind > 3) return false;
  p->kind = static_cast<PredictorKind>(kind);
  if (p->kind == PredictorKind::kCounter || p->kind == PredictorKind::kLevel) {
    p->shift = static_cast<uint8_t>(in->Read(3));
    if (p->shift == 0) return false;
  } else if (p->kind == PredictorKind::kConst) {
    p->constant = UnZigZag(ReadLen64(in));
  }
  return !in->overrun();
}

void WriteRawDouble(BitBuffer* out, double v) {
  const uint64_t b = std::bit_cast<uint64_t>(v);
  out->Write(b & 0xffffffffu, 32);
  out->Write(b >> 32, 32);
}

}  // namespace

size_t ScaleValues(absl::Span<const double> vs, int digits, ScaledValues* out) {
  out->digits = digits;
  out->ints.assign(vs.size(), 0);
  out->exception.assign(vs.size(), 0);
  size_t exceptions = 0;
  for (size_t i = 0; i < vs.size(); ++i) {
    if (!ToScaledInt(vs[i], digits, &out->ints[i])) {
      out->exception[i] = 1;
      ++exceptions;
    }
  }
  out->num_exceptions = exceptions;
  return exceptions;
}

void EncodeAnsValues(absl::Span<const double> vs, const ScaledValues& sv, std::string* out) {
  const size_t n = vs.size();
  // Candidate predictors. (Trying several averaging speeds gained < 0.1% on the standard data
  // set, so the encoder uses one; the format keeps the field.) The constant is the median of
  // up to 64 evenly spaced integers.
  std::array<PredictorParams, 4> candidates = {
      PredictorParams{PredictorKind::kPrev, 0, 0}, PredictorParams{PredictorKind::kCounter, 4, 0},
      PredictorParams{PredictorKind::kLevel, 4, 0}, PredictorParams{PredictorKind::kConst, 0, 0}};
  {
    std::array<int64_t, 64> sample;
    size_t k = 0;
    const size_t stride = n / 64 + 1;
    for (size_t i = 0; i < n && k < sample.size(); i += stride) {
      if (!sv.exception[i]) sample[k++] = sv.ints[i];
    }
    if (k > 0) {
      std::nth_element(sample.begin(), sample.begin() + static_cast<ptrdiff_t>(k / 2),
                       sample.begin() + static_cast<ptrdiff_t>(k));
      candidates[3].constant = sample[k / 2];
    }
  }
  // One pass computes every candidate's residuals (integers 1..n-1 only) and a cheap proxy of
  // its cost: the sum of residual bit lengths.
  std::unique_ptr<int64_t[]> residuals(new int64_t[4 * n]);  // not zero-filled
  std::vector<uint32_t> positions;                           // sample index of each residual
  positions.reserve(n);
  std::array<uint64_t, 4> proxy{};
  {
    PrevPredictor p0(candidates[0]);
    CounterPredictor p1(candidates[1]);
    LevelPredictor p2(candidates[2]);
    const int64_t c = candidates[3].constant;
    if (!sv.exception[0]) {
      p0.Start(sv.ints[0]);
      p1.Start(sv.ints[0]);
      p2.Start(sv.ints[0]);
    }
    int64_t* r = residuals.get();
    for (size_t i = 1; i < n; ++i) {
      if (sv.exception[i]) continue;
      const int64_t v = sv.ints[i];
      const size_t k = positions.size();
      positions.push_back(static_cast<uint32_t>(i));
      r[k] = WrapSub(v, p0.Predict());
      r[n + k] = WrapSub(v, p1.Predict());
      r[2 * n + k] = WrapSub(v, p2.Predict());
      r[3 * n + k] = WrapSub(v, c);
      for (int j = 0; j < 4; ++j) {
        proxy[static_cast<size_t>(j)] +=
            static_cast<uint64_t>(BitLength(ZigZag(r[static_cast<size_t>(j) * n + k])));
      }
      p0.Update(v);
      p1.Update(v);
      p2.Update(v);
    }
  }
  const size_t num_residuals = positions.size();
  std::array<size_t, 4> order = {0, 1, 2, 3};
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return proxy[a] * 16 + static_cast<uint64_t>(ParamBits(candidates[a])) <
           proxy[b] * 16 + static_cast<uint64_t>(ParamBits(candidates[b]));
  });

  size_t best = order[0];
  ModelDesc best_model;
  double best_bits = 1e300;
  FineHistogram hist;
  for (size_t rank = 0; rank < 2; ++rank) {
    const size_t c = order[rank];
    // The runner-up only when its proxy is close.
    if (rank > 0 && proxy[c] * 64 > proxy[order[0]] * 65 + 64) break;
    hist.Clear();
    hist.AddExceptions(static_cast<uint32_t>(n - 1 - num_residuals));
    hist.AddAll(residuals.get() + c * n, num_residuals);
    ModelDesc model;
    const double bits =
        hist.Choose(&model, kExceptionBits, kEscapedResidualBits) + ParamBits(candidates[c]);
    if (bits < best_bits) {
      best_bits = bits;
      best = c;
      best_model = model;
    }
  }
  const PredictorParams& best_params = candidates[best];

  BitBuffer bits;
  bits.Write(sv.digits != 0 ? 1 : 0, 1);
  if (sv.digits != 0) bits.Write(static_cast<uint64_t>(sv.digits), 4);
  WriteParams(best_params, &bits);
  if (sv.exception[0]) {
    bits.Write(1, 1);
    WriteRawDouble(&bits, vs[0]);
  } else {
    bits.Write(0, 1);
    WriteLen64(&bits, ZigZag(sv.ints[0]));
  }
  if (n >= 2) {
    WriteModel(best_model, &bits);
    TokenEncoder enc;
    enc.Init(best_model);
    // What each sample writes, in decoding order: a token and its raw bits.
    std::vector<TokenItem> items(n - 1);
    const uint8_t escape = static_cast<uint8_t>(best_model.escape());
    for (size_t i = 1; i < n; ++i) {
      if (sv.exception[i]) {
        items[i - 1] = {1, std::bit_cast<uint64_t>(vs[i]), 1, 64, escape};
      }
    }
    const int64_t* r = residuals.get() + best * n;
    for (size_t k = 0; k < num_residuals; ++k) {
      const Token t = Tokenize(r[k], best_model.config);
      TokenItem& item = items[positions[k] - 1];
      if (enc.Fits(t)) {
        item = {t.bits, 0, static_cast<uint8_t>(t.nbits), 0, static_cast<uint8_t>(t.token)};
      } else {
        // Escaped residual: type bit 0, then Len64(ZigZag(r)).
        const uint64_t u = ZigZag(r[k]);
        const int len = u == 0 ? 1 : BitLength(u);
        item = {static_cast<uint64_t>(len - 1) << 1, u, 7, static_cast<uint8_t>(len), escape};
      }
    }
    WriteTokenStream(enc, items, &bits);
  }
  bits.AppendTo(out);
}

absl::Status AnsValueDecoder::Init(std::string_view section, uint32_t n, int version) {
  auto corrupt = [](const char* what) {
    return absl::DataLossError(std::string("integer values: ") + what);
  };
  n_ = n;
  i_ = 0;
  in_ = BitReader::Padded(section, &padded_);
  digits_ = in_.ReadBit() ? static_cast<int>(in_.Read(4)) : 0;
  if (digits_ > kMaxDecimalDigits || !ReadParams(&in_, &params_)) return corrupt("bad parameters");
  first_is_raw_ = in_.ReadBit();
  if (first_is_raw_) {
    first_raw_ = std::bit_cast<double>(in_.ReadLong(64));
  } else {
    first_int_ = UnZigZag(ReadLen64(&in_));
  }
  prev_ = PrevPredictor(params_);
  counter_ = CounterPredictor(params_);
  level_ = LevelPredictor(params_);
  const_ = ConstPredictor(params_);
  if (n >= 2) {
    ModelDesc model;
    if (!ReadModel(&in_, &model) || !tokens_.Init(model)) return corrupt("bad model");
    rawsign_ = model.config.rawsign;
    if (!StartTokenStream(tokens_, version, &in_, &st_)) return corrupt("bad rANS state");
  } else {
    st_ = TokenStreamState();
  }
  if (in_.overrun()) return corrupt("truncated");
  return absl::OkStatus();
}

// The hot loop: all state in locals, the bit position apart from the reader (the rare slow
// path moves it there and back), one peek per sample for the rANS word and the extra bits
// together. It tests no bound per sample: it runs in blocks of samples that cannot reach the
// end of the padded section (a fast-path sample reads at most kMaxFastBytes), a counter
// predictor runs apart until its average has started (CounterPredictor::NextStarted), and
// two lanes go a pair of samples at a time. What bounds it now is latency more than
// instructions (cutting them by a sixth made it 2-3 % faster): a refill reads its word at
// the bit position, which waits for the other lane's symbol, so the lanes' chains meet.
template <class P, int kLanes, bool kScaled, bool kRawSign, int kShift>
bool AnsValueDecoder::Loop(P* pred, double* out, size_t count) {
  // A fast-path sample: a 16-bit word and at most 40 extra bits (TokenDecoder: more is slow).
  constexpr uint64_t kMaxFastBytes = (16 + 40 + 7) / 8;
  BitReader in = in_;
  const char* const data = in.data();
  // Byte offsets below this load 8 bytes in bounds (the section is zero-padded).
  const uint64_t fast_bytes = in.size() >= 8 ? in.size() - 7 : 0;
  uint64_t pos = in.position();
  uint32_t x = st_.x[0];      // the next token's state
  uint32_t other = st_.x[1];  // the other lane's (kLanes == 2)
  P p = *pred;
  const uint32_t* const table = tokens_.table();
  const TokenDecoder::Symbol* const symbols = tokens_.symbols();
  const uint32_t single = tokens_.single_symbol();
  const double scale = kPow10[digits_];
  double* o = out;
  double* const end = out + count;
  if (i_ == 0 && count > 0) {
    // The first value precedes the model; Init parsed it.
    if (first_is_raw_) {
      *o = first_raw_;
    } else {
      p.Start(first_int_);
      *o = kScaled ? static_cast<double>(first_int_) / scale : static_cast<double>(first_int_);
    }
    ++o;
  }
  // Decodes the sample at *o. kChecked: whether its word may lie past fast_bytes. kLane: with
  // two lanes, -1 decodes with x and swaps the lanes (x is the next token's state), 0 and 1
  // decode with x or other and leave them (an unrolled pair). Returns false after a
  // slow-path sample, which may have read any number of bytes.
  auto sample = [&]<bool kChecked, bool kStarted, int kLane = -1>() __attribute__((always_inline)) {
    uint32_t& xs = kLane == 1 ? other : x;
    uint64_t w;
    if (!kChecked || __builtin_expect((pos >> 3) < fast_bytes, 1)) {
      w = LoadLE64(data + (pos >> 3)) >> (pos & 7);
    } else {
      in.Seek(pos);
      w = in.Peek();
    }
    uint32_t s;
    int used = 0;
    if constexpr (kLanes == 0) {
      s = single;
    } else {
      const uint32_t e = table[xs & (kAnsTotal - 1)];
      xs = ((e >> 12) & 0xfff) * (xs >> kAnsBits) + (e & 0xfff);
      // GCC 12 makes this a branch, and that measured faster than forcing masks: predicted,
      // it lets the next table lookup start before this step's multiply is done.
      if (xs < kAnsLow) {
        xs = (xs << 16) | static_cast<uint32_t>(w & 0xffff);
        used = 16;
        w >>= 16;
      }
      s = e >> 24;
      if constexpr (kLanes == 2 && kLane < 0) std::swap(x, other);
    }
    const TokenDecoder::Symbol& sym = symbols[s];
    int64_t v;
    if (__builtin_expect(sym.slow != 0, 0)) {
      in.Seek(pos + static_cast<uint64_t>(used));
      if (sym.escape) {
        if (in.ReadBit()) {
          *o = std::bit_cast<double>(in.ReadLong(64));
          pos = in.position();
          return false;
        }
        v = p.Next(UnZigZag(ReadLen64(&in)));
      } else {
        v = p.Next(ReadResidual(sym, &in));
      }
      pos = in.position();
      *o = kScaled ? static_cast<double>(v) / scale : static_cast<double>(v);
      return false;
    }
    pos += static_cast<uint64_t>(used) + sym.nbits;
    const int64_t r = Residual<kRawSign>(sym, w & sym.mask);
    if constexpr (kStarted) {
      v = p.template NextStarted<kShift>(r);
    } else {
      v = p.Next(r);
    }
    *o = kScaled ? static_cast<double>(v) / scale : static_cast<double>(v);
    return true;
  };
  // Until the predictor's average has started, sample by sample.
  for (; o < end && !p.Started(); ++o) sample.template operator()<true, false>();
  while (o < end) {
    const uint64_t byte = pos >> 3;
    const uint64_t room = byte < fast_bytes ? (fast_bytes - byte) / kMaxFastBytes : 0;
    if (room == 0) {  // near the end of the section
      sample.template operator()<true, true>();
      ++o;
      continue;
    }
    double* const block_end = o + std::min<uint64_t>(room, static_cast<uint64_t>(end - o));
    bool fast = true;  // false: the block's room is spent
    if constexpr (kLanes == 2) {
      // A pair at a time, one sample per lane: no swap, half the loop tests.
      while (fast && block_end - o >= 2) {
        fast = sample.template operator()<false, true, 0>();
        ++o;
        if (!fast) {
          std::swap(x, other);  // the next token is the other lane's
          break;
        }
        fast = sample.template operator()<false, true, 1>();
        ++o;
      }
    }
    while (fast && o < block_end) {
      fast = sample.template operator()<false, true>();
      ++o;
    }
  }
  in.Seek(pos);
  in_ = in;
  st_.x[0] = x;
  st_.x[1] = other;
  *pred = p;
  i_ += static_cast<uint32_t>(count);
  return !in.overrun();
}

template <class P, bool kScaled>
bool AnsValueDecoder::Dispatch(P* p, double* out, size_t count) {
  const int lanes = tokens_.single() || n_ < 2 ? 0 : st_.lanes;
  if (rawsign_) {
    return lanes == 0   ? Loop<P, 0, kScaled, true>(p, out, count)
           : lanes == 1 ? Loop<P, 1, kScaled, true>(p, out, count)
                        : Loop<P, 2, kScaled, true>(p, out, count);
  }
  // Two lanes and the encoder's averaging shift: nearly every sealed chunk of integers.
  if (lanes == 2 && p->AveragingShift() == 4) return Loop<P, 2, kScaled, false, 4>(p, out, count);
  return lanes == 0   ? Loop<P, 0, kScaled, false>(p, out, count)
         : lanes == 1 ? Loop<P, 1, kScaled, false>(p, out, count)
                      : Loop<P, 2, kScaled, false>(p, out, count);
}

template <class P>
bool AnsValueDecoder::Dispatch(P* p, double* out, size_t count) {
  return digits_ != 0 ? Dispatch<P, true>(p, out, count) : Dispatch<P, false>(p, out, count);
}

bool AnsValueDecoder::Decode(double* out, size_t count) {
  switch (params_.kind) {
    case PredictorKind::kPrev:
      return Dispatch(&prev_, out, count);
    case PredictorKind::kCounter:
      return Dispatch(&counter_, out, count);
    case PredictorKind::kLevel:
      return Dispatch(&level_, out, count);
    case PredictorKind::kConst:
      return Dispatch(&const_, out, count);
  }
  return false;
}

bool AnsValueDecoder::Finished() const {
  if (i_ != n_ || !in_.AtPaddedEnd()) return false;
  if (n_ < 2) return true;
  return TokenStreamFinished(tokens_, st_);
}

}  // namespace plumbline::storage::codec::internal
