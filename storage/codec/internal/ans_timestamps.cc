#include "storage/codec/internal/ans_timestamps.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "storage/codec/internal/model_choice.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/token_stream.h"

namespace plumbline::storage::codec::internal {

namespace {

int64_t FloorDiv(int64_t a, int64_t d) {  // d > 0
  const int64_t q = a / d;
  return (a % d < 0) ? q - 1 : q;
}

}  // namespace

int64_t TsPredictor::Cell(int64_t t) const {
  const int64_t k = FloorDiv(WrapAdd(WrapSub(t, origin), step / 2), step);
  return WrapAdd(origin,
                 static_cast<int64_t>(static_cast<uint64_t>(k) * static_cast<uint64_t>(step)));
}
void EncodeAnsTimestamps(absl::Span<const int64_t> ts, std::string* out) {
  const size_t n = ts.size();
  std::vector<int64_t> work(n - 1);
  for (size_t i = 1; i < n; ++i) work[i - 1] = ts[i] - ts[i - 1];
  std::nth_element(work.begin(), work.begin() + static_cast<ptrdiff_t>(work.size() / 2),
                   work.end());
  const int64_t median = work[work.size() / 2];
  // The step: the span over the number of grid intervals it covers (the median delta of a
  // jittered series is off by a few ms, and a grid that drifts is no grid).
  const int64_t span = ts[n - 1] - ts[0];
  auto round_div = [](int64_t a, int64_t b) {  // a >= 0, b > 0, without overflow
    return a / b + ((a % b) >= b - (a % b) ? 1 : 0);
  };
  const int64_t intervals = std::max<int64_t>(1, round_div(span, median));
  const int64_t step = std::max<int64_t>(1, round_div(span, intervals));
  // The grid's origin: min_t moved by the median offset of the samples from a grid through
  // min_t (offsets in [-step/2, step/2)).
  for (size_t i = 1; i < n; ++i) {
    int64_t o = (ts[i] - ts[0]) % step;
    if (o >= step - step / 2) o -= step;
    work[i - 1] = o;
  }
  std::nth_element(work.begin(), work.begin() + static_cast<ptrdiff_t>(work.size() / 2),
                   work.end());
  const int64_t origin = WrapAdd(ts[0], work[work.size() / 2]);

  const TsPredictor candidates[] = {{TsPredictor::kPrevDelta, 0, 0, 0},
                                    {TsPredictor::kConstDelta, median, 0, 0},
                                    {TsPredictor::kGrid, step, origin, 0}};
  // The residuals of samples 2..n-1 under a predictor.
  std::vector<int64_t> residuals(n - 2);
  auto compute = [&](TsPredictor p) {
    p.Start(ts[1]);
    for (size_t i = 2; i < n; ++i) {
      const int64_t predicted = p.Predict(ts[i - 1], ts[i - 1] - ts[i - 2]);
      residuals[i - 2] = WrapSub(ts[i], predicted);
      p.Update(ts[i], predicted);
    }
  };
  auto param_bits = [&](const TsPredictor& p) {
    return 2 +
           (p.kind == TsPredictor::kPrevDelta ? 0 : Len64Length(static_cast<uint64_t>(p.step))) +
           (p.kind == TsPredictor::kGrid ? Len64Length(ZigZag(WrapSub(origin, ts[0]))) : 0);
  };
  TsPredictor best;
  ModelDesc best_model;
  double best_bits = 1e300;
  FineHistogram hist;
  for (const TsPredictor& p : candidates) {
    compute(p);
    hist.Clear();
    hist.AddAll(residuals.data(), residuals.size());
    ModelDesc model;
    const double bits = hist.Choose(&model, 0, 0) + param_bits(p);
    if (bits < best_bits) {
      best_bits = bits;
      best = p;
      best_model = model;
    }
  }

  BitBuffer bits;
  bits.Write(static_cast<uint64_t>(best.kind), 2);
  if (best.kind != TsPredictor::kPrevDelta) WriteLen64(&bits, static_cast<uint64_t>(best.step));
  if (best.kind == TsPredictor::kGrid) WriteLen64(&bits, ZigZag(WrapSub(origin, ts[0])));
  WriteModel(best_model, &bits);
  TokenEncoder enc;
  enc.Init(best_model);
  std::vector<TokenItem> items(n - 2);
  compute(best);
  for (size_t i = 2; i < n; ++i) {
    const int64_t r = residuals[i - 2];
    const Token t = Tokenize(r, best_model.config);
    if (enc.Fits(t)) {
      items[i - 2] = {t.bits, 0, static_cast<uint8_t>(t.nbits), 0, static_cast<uint8_t>(t.token)};
    } else {
      const uint64_t u = ZigZag(r);
      const int len = u == 0 ? 1 : BitLength(u);
      items[i - 2] = {static_cast<uint64_t>(len - 1), u, 6, static_cast<uint8_t>(len),
                      static_cast<uint8_t>(best_model.escape())};
    }
  }
  WriteTokenStream(enc, items, &bits);
  PutVarint(out, static_cast<uint64_t>(ts[1] - ts[0]));
  PutVarint(out, bits.size_bytes());
  bits.AppendTo(out);
}

absl::Status AnsTimestampDecoder::Init(std::string_view* in, uint32_t n, int64_t min_t,
                                       int64_t max_t, int version) {
  auto corrupt = [] { return absl::DataLossError("timestamps: bad rANS section"); };
  uint64_t first_delta = 0, bit_bytes = 0;
  if (n < 3 || !GetVarint(in, &first_delta) || first_delta == 0 ||
      first_delta > static_cast<uint64_t>(max_t - min_t) || !GetVarint(in, &bit_bytes) ||
      bit_bytes > in->size()) {
    return corrupt();
  }
  in_ = BitReader::Padded(in->substr(0, static_cast<size_t>(bit_bytes)), &padded_);
  in->remove_prefix(static_cast<size_t>(bit_bytes));
  predictor_.kind = static_cast<int>(in_.Read(2));
  if (predictor_.kind > TsPredictor::kGrid) return corrupt();
  if (predictor_.kind != TsPredictor::kPrevDelta) {
    predictor_.step = static_cast<int64_t>(ReadLen64(&in_));
    if (predictor_.step <= 0) return corrupt();
  }
  if (predictor_.kind == TsPredictor::kGrid) {
    predictor_.origin = WrapAdd(min_t, UnZigZag(ReadLen64(&in_)));
  }
  ModelDesc model;
  if (!ReadModel(&in_, &model) || !tokens_.Init(model)) return corrupt();
  if (!StartTokenStream(tokens_, version, &in_, &st_) || in_.overrun()) return corrupt();
  n_ = n;
  i_ = 0;
  min_t_ = min_t;
  max_t_ = max_t;
  first_delta_ = static_cast<int64_t>(first_delta);
  return absl::OkStatus();
}

// The hot loop: state in locals; one peek per sample for the rANS word and the extra bits.
template <int kLanes>
bool AnsTimestampDecoder::Loop(int64_t* out, size_t count) {
  BitReader in = in_;
  uint32_t x = st_.x[0];      // the next token's state
  uint32_t other = st_.x[1];  // the other lane's (kLanes == 2)
  TsPredictor p = predictor_;
  int64_t last_t = last_t_, last_delta = last_delta_;
  const uint32_t* table = tokens_.table();
  const TokenDecoder::Symbol* symbols = tokens_.symbols();
  const uint32_t single = tokens_.single_symbol();
  size_t j = 0;
  for (; j < count && i_ + j < 2; ++j) {
    const int64_t t = i_ + j == 0 ? min_t_ : min_t_ + first_delta_;
    if (i_ + j == 1) {
      last_delta = first_delta_;
      p.Start(t);
    }
    last_t = out[j] = t;
  }
  bool ok = true;
  for (; j < count; ++j) {
    uint32_t s;
    uint64_t w = in.Peek();
    int used = 0;
    if constexpr (kLanes == 0) {
      s = single;
    } else {
      const uint32_t e = table[x & (kAnsTotal - 1)];
      x = ((e >> 12) & 0xfff) * (x >> kAnsBits) + (e & 0xfff);
      const bool need = x < kAnsLow;
      const uint32_t renormed = (x << 16) | static_cast<uint32_t>(w & 0xffff);
      x = need ? renormed : x;
      used = need ? 16 : 0;
      w >>= used;
      s = e >> 24;
      if constexpr (kLanes == 2) std::swap(x, other);
    }
    const TokenDecoder::Symbol& sym = symbols[s];
    int64_t r;
    if (__builtin_expect(sym.slow != 0, 0)) {
      in.Skip(used);
      r = sym.escape ? UnZigZag(ReadLen64(&in)) : ReadResidual(sym, &in);
    } else {
      const uint64_t extra = w & sym.mask;
      in.Skip(used + sym.nbits);
      const uint64_t mag = sym.base + (extra >> sym.shift);
      const uint64_t neg = sym.negative | (extra & sym.sign_mask);
      r = static_cast<int64_t>((mag ^ (0 - neg)) + neg);
    }
    const int64_t predicted = p.Predict(last_t, last_delta);
    const int64_t t = WrapAdd(predicted, r);
    if (t <= last_t || t > max_t_) {
      ok = false;
      break;
    }
    p.Update(t, predicted);
    last_delta = t - last_t;
    last_t = out[j] = t;
  }
  in_ = in;
  st_.x[0] = x;
  st_.x[1] = other;
  predictor_ = p;
  last_t_ = last_t;
  last_delta_ = last_delta;
  i_ += static_cast<uint32_t>(j);
  return ok && !in.overrun();
}

bool AnsTimestampDecoder::Decode(int64_t* out, size_t count) {
  if (tokens_.single()) return Loop<0>(out, count);
  return st_.lanes == 1 ? Loop<1>(out, count) : Loop<2>(out, count);
}

bool AnsTimestampDecoder::Finished() const {
  return i_ == n_ && last_t_ == max_t_ && in_.AtPaddedEnd() && TokenStreamFinished(tokens_, st_);
}

}  // namespace plumbline::storage::codec::internal
