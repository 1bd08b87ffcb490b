#include "storage/codec/internal/model_choice.h"

#include <algorithm>
#include <cmath>

#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {
namespace {

// -log2(f / kAnsTotal) for f in [0, kAnsTotal].
const std::array<double, kAnsTotal + 1>& CostTable() {
  static const std::array<double, kAnsTotal + 1> table = [] {
    std::array<double, kAnsTotal + 1> t{};
    t[0] = 64;
    for (uint32_t f = 1; f <= kAnsTotal; ++f) t[f] = -std::log2(double(f) / kAnsTotal);
    return t;
  }();
  return table;
}

// c * log2(c), tabulated for small counts.
double CLog2C(uint64_t c) {
  static const std::array<float, 1024> table = [] {
    std::array<float, 1024> t{};
    for (uint32_t i = 1; i < t.size(); ++i) t[i] = static_cast<float>(i * std::log2(double(i)));
    return t;
  }();
  return c < table.size() ? table[c] : double(c) * std::log2(double(c));
}

// Level whose weight is nearest, in log scale, to w = count * kAnsTotal / total:
// 1 + round(2 log2 w), clamped to [1, kMaxLevel].
int LevelFor(uint64_t count, uint64_t total) {
  if (count == 0) return 0;
  const uint64_t x = (count << 28) / total;  // w in 16.16 fixed point
  if (x < 65536) return 1;
  const int b = BitLength(x) - 1;                    // >= 16
  const uint64_t mant = x >> (b - 16);               // w / 2^(b-16) in [1, 2), 16.16
  const int r = (mant >= 77936) + (mant >= 110218);  // 2^0.25 and 2^0.75 in 16.16
  return std::min(kMaxLevel, 1 + 2 * (b - 16) + r);
}

// Fine tokens mapped to every config: token and extra bits. Built once.
struct CoarseMap {
  uint16_t token;  // >= kMaxSymbols - 1: must be escaped
  uint8_t nbits;
};
constexpr int kConfigs = (kMaxDirectBits + 1) * (kMaxTopBits + 1) * 2;
int ConfigIndex(TokenConfig c) { return (c.e * (kMaxTopBits + 1) + c.m) * 2 + (c.rawsign ? 1 : 0); }

const std::array<std::array<CoarseMap, kFineTokens>, kConfigs>& CoarseMaps() {
  static const auto* maps = [] {
    auto* m = new std::array<std::array<CoarseMap, kFineTokens>, kConfigs>();
    for (int e = 0; e <= kMaxDirectBits; ++e) {
      for (int mm = 0; mm <= std::min(e, kMaxTopBits); ++mm) {
        for (int rs = 0; rs < 2; ++rs) {
          const TokenConfig c{static_cast<uint8_t>(e), static_cast<uint8_t>(mm), rs != 0};
          auto& map = (*m)[static_cast<size_t>(ConfigIndex(c))];
          for (uint32_t t = 0; t < kFineTokens; ++t) {
            TokenDecoder::Symbol sym;
            int w;
            if (!DescribeToken(kFineConfig, t, &sym, &w)) {
              map[t] = {kMaxSymbols, 0};
              continue;
            }
            // The smallest residual of the fine token lands in the same coarse token as all
            // the others (coarse tokens are unions of fine ones).
            const int64_t r =
                sym.negative ? -static_cast<int64_t>(sym.base) : static_cast<int64_t>(sym.base);
            const Token tok = Tokenize(r, c);
            const bool fits = tok.nbits <= kMaxExtraBits && tok.token < kMaxSymbols - 1;
            map[t] = {static_cast<uint16_t>(fits ? tok.token : kMaxSymbols),
                      static_cast<uint8_t>(tok.nbits)};
          }
        }
      }
    }
    return m;
  }();
  return *maps;
}

}  // namespace

void FineHistogram::Clear() { *this = FineHistogram(); }

double FineHistogram::Choose(ModelDesc* model, int exception_bits, int escape_extra_bits) const {
  ModelDesc parametric;
  const double p = ChooseParametric(&parametric, exception_bits, escape_extra_bits);
  // Histograms win for narrow distributions. For wide ones the search is most of the encoding
  // time, so it runs only when the parametric model is well above what any histogram model
  // could reach: the empirical entropy of the fine tokens plus about two bits per table entry.
  int present = 0;
  double entropy = CLog2C(uint64_t{total_} + exceptions_) - CLog2C(exceptions_);
  for (uint32_t c : counts_) {
    if (c == 0) continue;
    ++present;
    entropy -= CLog2C(c);
  }
  double best = 1e300;
  if (present <= 32 || p > entropy + 3.0 * present) {
    best = ChooseHistogram(model, exception_bits, escape_extra_bits);
  }
  if (p < best) {
    best = p;
    *model = parametric;
  }
  return best;
}

// Histogram models: estimate every token config by the empirical entropy of its tokens, then
// size the best three exactly, each with a few alphabet cut-offs (rarer tokens escaped).
double FineHistogram::ChooseHistogram(ModelDesc* model, int exception_bits,
                                      int escape_extra_bits) const {
  const auto& cost = CostTable();
  const auto& maps = CoarseMaps();
  std::array<uint16_t, kFineTokens> fine;  // tokens present
  int num_fine = 0;
  int max_b = -1;  // bit length - 1 of the largest residual
  for (uint32_t t = 0; t < kFineTokens; ++t) {
    if (counts_[t] == 0) continue;
    fine[static_cast<size_t>(num_fine++)] = static_cast<uint16_t>(t);
    max_b =
        static_cast<int>(t < 127 ? BitLength((t + 1) >> 1) - 1 : kMaxDirectBits + ((t - 127) >> 3));
  }
  const uint64_t total = uint64_t{total_} + exceptions_;
  const double total_log = CLog2C(total);
  // Escape payload of a fine token's residuals: type bit, Len64(ZigZag(r)).
  auto escape_payload = [&](uint32_t t) {
    const int b =
        t < 127 ? BitLength((t + 1) >> 1) - 1 : kMaxDirectBits + static_cast<int>((t - 127) >> 3);
    return 6.0 + b + 2 + escape_extra_bits;
  };

  struct Estimate {
    double bits;
    TokenConfig config;
  };
  std::array<Estimate, 3> top{};
  int num_top = 0;
  std::array<uint32_t, kMaxSymbols> coarse{};
  std::array<uint16_t, kMaxSymbols> touched;
  // Configs whose direct range covers every residual are all the same: only the first is
  // tried. Wide distributions are the parametric models' ground, so e stays small otherwise.
  for (int e = 0; e <= std::min(kMaxDirectBits, max_b + 1); ++e) {
    const bool all_direct = e > max_b;
    if (e > (num_fine > 48 ? 2 : 3) && !all_direct) continue;
    for (int m = 0; m <= (all_direct ? 0 : std::min(e, kMaxTopBits)); ++m) {
      for (int rs = 0; rs < (all_direct ? 1 : 2); ++rs) {
        const TokenConfig c{static_cast<uint8_t>(e), static_cast<uint8_t>(m), rs != 0};
        const auto& map = maps[static_cast<size_t>(ConfigIndex(c))];
        int num_touched = 0;
        double bits = exceptions_ * double(exception_bits);
        uint64_t escapes = exceptions_;
        uint64_t extra = 0;
        uint32_t max_token = 0;
        for (int i = 0; i < num_fine; ++i) {
          const uint32_t ft = fine[static_cast<size_t>(i)];
          const CoarseMap cm = map[ft];
          const uint32_t count = counts_[ft];
          if (cm.token >= kMaxSymbols - 1) {
            bits += count * escape_payload(ft);
            escapes += count;
            continue;
          }
          if (coarse[cm.token] == 0) touched[static_cast<size_t>(num_touched++)] = cm.token;
          coarse[cm.token] += count;
          extra += uint64_t{count} * cm.nbits;
          max_token = std::max<uint32_t>(max_token, cm.token);
        }
        double entropy = total_log - CLog2C(escapes);
        for (int i = 0; i < num_touched; ++i) {
          const uint16_t t = touched[static_cast<size_t>(i)];
          entropy -= CLog2C(coarse[t]);
          coarse[t] = 0;
        }
        bits += entropy + double(extra) + 2.5 * num_touched + (max_token + 1 - num_touched);
        int pos = num_top;
        while (pos > 0 && top[static_cast<size_t>(pos - 1)].bits > bits) --pos;
        if (pos < 3) {
          for (int i = std::min(num_top, 2); i > pos; --i) {
            top[static_cast<size_t>(i)] = top[static_cast<size_t>(i - 1)];
          }
          top[static_cast<size_t>(pos)] = {bits, c};
          num_top = std::min(num_top + 1, 3);
        }
      }
    }
  }

  double best = 1e300;
  std::array<double, kMaxSymbols> escape_bits{};
  std::array<double, kMaxSymbols> extra_bits{};
  for (int ti = 0; ti < num_top; ++ti) {
    const TokenConfig c = top[static_cast<size_t>(ti)].config;
    const auto& map = maps[static_cast<size_t>(ConfigIndex(c))];
    double forced_escape = exceptions_ * double(exception_bits);
    uint64_t forced_escapes = exceptions_;
    double extra = 0;
    uint32_t max_token = 0;
    bool any = false;
    for (int i = 0; i < num_fine; ++i) {
      const uint32_t ft = fine[static_cast<size_t>(i)];
      const CoarseMap cm = map[ft];
      const uint32_t count = counts_[ft];
      if (cm.token >= kMaxSymbols - 1) {
        forced_escape += count * escape_payload(ft);
        forced_escapes += count;
        continue;
      }
      if (coarse[cm.token] == 0) escape_bits[cm.token] = extra_bits[cm.token] = 0;
      coarse[cm.token] += count;
      escape_bits[cm.token] += count * escape_payload(ft);
      extra_bits[cm.token] += double(count) * cm.nbits;
      extra += double(count) * cm.nbits;
      max_token = std::max<uint32_t>(max_token, cm.token);
      any = true;
    }
    // Alphabets: all tokens, or those below one of the largest present tokens.
    std::array<uint32_t, 4> cuts{};
    int num_cuts = 0;
    if (any) {
      for (int64_t t = max_token; t >= 0 && num_cuts < 4; --t) {
        if (coarse[static_cast<size_t>(t)] != 0) {
          cuts[static_cast<size_t>(num_cuts++)] = static_cast<uint32_t>(t) + 1;
        }
      }
    } else {
      cuts[static_cast<size_t>(num_cuts++)] = 1;
    }
    double escaped_bits = 0;  // payload of tokens escaped by the cut, minus their extra bits
    uint64_t escaped = 0;
    for (int ci = 0; ci < num_cuts; ++ci) {
      const uint32_t k = cuts[static_cast<size_t>(ci)];
      if (ci > 0) {
        for (uint32_t t = k; t < cuts[static_cast<size_t>(ci - 1)]; ++t) {
          if (coarse[t] == 0) continue;
          escaped += coarse[t];
          escaped_bits += escape_bits[t] - extra_bits[t];
        }
      }
      const bool has_escape = forced_escapes + escaped > 0;
      if (k + (has_escape ? 1 : 0) > static_cast<uint32_t>(kMaxSymbols)) continue;
      ModelDesc d;
      d.config = c;
      d.num_tokens = static_cast<uint16_t>(k);
      d.has_escape = has_escape;
      int present = 0;
      for (uint32_t t = 0; t < k; ++t) {
        if (coarse[t] == 0) continue;
        d.levels[t] = static_cast<uint8_t>(LevelFor(coarse[t], total));
        ++present;
      }
      if (has_escape) {
        d.levels[k] = static_cast<uint8_t>(LevelFor(forced_escapes + escaped, total));
        ++present;
      }
      double bits = forced_escape + escaped_bits + extra;
      if (present <= 1) {
        d.kind = ModelKind::kSingle;
        d.levels.fill(0);
      } else {
        d.kind = ModelKind::kHistogram;
        std::array<uint16_t, kMaxSymbols> freqs;
        Normalize(d, &freqs);
        for (uint32_t t = 0; t < k; ++t) {
          if (coarse[t] != 0) bits += coarse[t] * cost[freqs[t]];
        }
        if (has_escape) bits += double(forced_escapes + escaped) * cost[freqs[k]];
      }
      bits += ModelBits(d);
      if (bits < best) {
        best = bits;
        *model = d;
      }
    }
    for (uint32_t t = 0; t <= max_token && any; ++t) coarse[t] = 0;
  }
  return best;
}

// Parametric models over the fine tokens: the shape from the moments (Gaussian when
// E r^2 / (E|r|)^2 is nearer pi/2 than 2), scales from the moments, then a short local search.
double FineHistogram::ChooseParametric(ModelDesc* model, int exception_bits,
                                       int escape_extra_bits) const {
  const uint64_t total = uint64_t{total_} + exceptions_;
  if (total_ < 16) return 1e300;
  // Alphabet: every fine token up to the largest present one, the rest escaped.
  uint32_t k = 0;
  uint64_t escapes = exceptions_;
  double fixed_bits = exceptions_ * double(exception_bits);
  for (uint32_t t = 0; t < kFineTokens; ++t) {
    if (counts_[t] == 0) continue;
    TokenDecoder::Symbol sym;
    int w;
    DescribeToken(kFineConfig, t, &sym, &w);
    if (t >= kMaxSymbols - 1 || sym.nbits > kMaxExtraBits) {
      escapes += counts_[t];
      fixed_bits += counts_[t] * (6.0 + BitLength(sym.base) + 1 + escape_extra_bits);
    } else {
      fixed_bits += double(counts_[t]) * sym.nbits;
      k = t + 1;
    }
  }
  if (k < 2) return 1e300;
  ModelDesc d;
  d.kind = ModelKind::kParametric;
  d.config = kFineConfig;
  d.num_tokens = static_cast<uint16_t>(k);
  d.has_escape = escapes > 0;
  d.escape_level = static_cast<uint8_t>(d.has_escape ? LevelFor(escapes, total) : 0);

  const auto& cost = CostTable();
  // Approximate size: -log2 of level weights over their sum (Normalize's rounding ignored).
  auto estimate = [&](ModelDesc* m) {
    ComputeParametricLevels(m);
    double weights = 0;
    double sum = 0;
    for (int s = 0; s < m->num_symbols(); ++s) {
      const int l = m->levels[static_cast<size_t>(s)];
      weights += LevelWeight(l);
      const uint64_t c = s < static_cast<int>(k) ? counts_[static_cast<size_t>(s)] : escapes;
      sum += double(c) * (l - 1) * 0.5;
    }
    return double(total) * std::log2(weights) - sum;
  };
  auto quantize = [](double scale) {
    return static_cast<uint8_t>(
        std::clamp<long>(std::lround(8 * std::log2(std::max(scale, 1.0))), 0, kMaxScale));
  };
  // Moments per side (negative, positive) from the token midpoints.
  const auto& geometry = FineGeometries();
  double abs_sum[2] = {0, 0}, sq_sum[2] = {0, 0}, n[2] = {0, 0};
  for (uint32_t t = 1; t < k; ++t) {
    if (counts_[t] == 0) continue;
    const FineGeometry& geo = geometry[t];
    const double x = geo.x2 * 0.5;
    const int side = geo.negative ? 0 : 1;
    abs_sum[side] += counts_[t] * x;
    sq_sum[side] += counts_[t] * x * x;
    n[side] += counts_[t];
  }
  const double half_zero = counts_[0] * 0.5;
  const double mean_abs = (abs_sum[0] + abs_sum[1]) / std::max(1.0, double(total_));
  const double mean_sq = (sq_sum[0] + sq_sum[1]) / std::max(1.0, double(total_));
  d.shape = mean_sq > 1.78 * mean_abs * mean_abs ? 0 : 1;
  for (int side = 0; side < 2; ++side) {
    const double count = n[side] + half_zero + 0.5;
    const double scale =
        d.shape == 1 ? std::sqrt((sq_sum[side] + 0.25) / count) : (abs_sum[side] + 0.5) / count;
    (side == 0 ? d.scale_neg : d.scale_pos) = quantize(scale);
  }
  double best = estimate(&d);
  // The moment estimates are close: four rounds find what sixteen do on the standard data.
  for (int round = 0; round < 4; ++round) {
    ModelDesc trial = d;
    double trial_best = best;
    ModelDesc next = d;
    for (int move = 0; move < 4; ++move) {
      trial = d;
      uint8_t& q = move < 2 ? trial.scale_neg : trial.scale_pos;
      const int step = (move & 1) ? 1 : -1;
      if (q + step < 0 || q + step > kMaxScale) continue;
      q = static_cast<uint8_t>(q + step);
      const double bits = estimate(&trial);
      if (bits < trial_best) {
        trial_best = bits;
        next = trial;
      }
    }
    if (trial_best >= best) break;
    best = trial_best;
    d = next;
  }
  ComputeParametricLevels(&d);
  std::array<uint16_t, kMaxSymbols> freqs;
  if (!Normalize(d, &freqs)) return 1e300;
  double bits = fixed_bits + ModelBits(d);
  for (uint32_t t = 0; t < k; ++t) {
    if (counts_[t] != 0) bits += counts_[t] * cost[freqs[t]];
  }
  if (d.has_escape) bits += double(escapes) * cost[freqs[k]];
  *model = d;
  return bits;
}

}  // namespace plumbline::storage::codec::internal
