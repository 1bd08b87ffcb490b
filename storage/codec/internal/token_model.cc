#include "storage/codec/internal/token_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "storage/codec/internal/numbers.h"

namespace plumbline::storage::codec::internal {
namespace {

constexpr std::array<uint16_t, kMaxLevel + 1> MakeLevelWeights() {
  // round(2^((l - 1) / 2)) for l >= 1 by exact integer arithmetic: for odd l - 1 = 2h + 1,
  // round(2^h * sqrt 2) = round(sqrt(2^(2h+1))).
  std::array<uint16_t, kMaxLevel + 1> w{};
  for (int l = 1; l <= kMaxLevel; ++l) {
    const int h = (l - 1) / 2;
    if ((l - 1) % 2 == 0) {
      w[static_cast<size_t>(l)] = static_cast<uint16_t>(1u << h);
    } else {
      const uint64_t sq = uint64_t{1} << (2 * h + 1);
      uint64_t r = 0;
      while ((r + 1) * (r + 1) <= sq) ++r;  // floor(sqrt(sq))
      // Round: sqrt(sq) >= r + 1/2  <=>  sq >= r^2 + r + 1/4  <=>  sq >= r^2 + r + 1.
      w[static_cast<size_t>(l)] = static_cast<uint16_t>(sq >= r * r + r + 1 ? r + 1 : r);
    }
  }
  return w;
}
constexpr std::array<uint16_t, kMaxLevel + 1> kLevelWeights = MakeLevelWeights();

// round(2^16 * 2^(-j/8)): the mantissas of 1 / scale for parametric models.
constexpr uint32_t kInvScaleMantissa[8] = {65536, 60097, 55109, 50535, 46341, 42495, 38968, 35734};
// round(2^16 * 2 * log2(e)): natural-log exponent to half-bit levels.
constexpr uint64_t kHalfBitsPerNat = 189097;

void WriteLevelDelta(BitBuffer* out, int delta) { WriteEliasGamma(out, ZigZag(delta) + 1); }
int LevelDeltaBits(int delta) { return EliasGammaLength(ZigZag(delta) + 1); }

bool ValidConfig(const TokenConfig& c) {
  return c.e <= kMaxDirectBits && c.m <= kMaxTopBits && c.m <= c.e;
}

// Every token's decoding Symbol under one config, described once: TokenDecoder::Init copies
// them for each chunk. A token that cannot occur is an escape and not `reachable`.
struct ConfigSymbols {
  std::array<TokenDecoder::Symbol, kMaxSymbols> symbols;
  std::array<bool, kMaxSymbols> reachable;
};
constexpr size_t kNumConfigs = (kMaxDirectBits + 1) * (kMaxTopBits + 1) * 2;

size_t ConfigIndex(TokenConfig c) {
  return (static_cast<size_t>(c.e) * (kMaxTopBits + 1) + c.m) * 2 + (c.rawsign ? 1 : 0);
}

// For a valid config. All of them, built on first use: about 360 KiB.
const ConfigSymbols& SymbolsOf(TokenConfig config) {
  static const auto* all = [] {
    auto* t = new std::array<ConfigSymbols, kNumConfigs>();
    for (int e = 0; e <= kMaxDirectBits; ++e) {
      for (int m = 0; m <= kMaxTopBits; ++m) {
        for (bool rawsign : {false, true}) {
          const TokenConfig c{static_cast<uint8_t>(e), static_cast<uint8_t>(m), rawsign};
          ConfigSymbols& cs = (*t)[ConfigIndex(c)];
          for (uint32_t s = 0; s < kMaxSymbols; ++s) {
            TokenDecoder::Symbol& sym = cs.symbols[s];
            int width_log2;
            cs.reachable[s] = m <= e && DescribeToken(c, s, &sym, &width_log2);
            if (!cs.reachable[s]) {
              sym = {};
              sym.escape = 1;
            }
            sym.mask = LowMask(sym.nbits);
            sym.slow = sym.escape || sym.nbits > 40;
          }
        }
      }
    }
    return t;
  }();
  return (*all)[ConfigIndex(config)];
}

}  // namespace

bool DescribeToken(TokenConfig c, uint32_t token, TokenDecoder::Symbol* sym, int* width_log2) {
  const uint32_t direct = (2u << c.e) - 1;
  *sym = {};
  *width_log2 = 0;
  if (token < direct) {
    sym->base = (token + 1) >> 1;
    sym->negative = static_cast<uint8_t>(token == 0 ? 0 : (token + 1) & 1);
    sym->sbase = static_cast<int64_t>(sym->negative ? 0 - sym->base : sym->base);
    sym->neg_mask = sym->negative ? -1 : 0;
    return true;
  }
  const uint32_t j = token - direct;
  uint32_t idx = j;
  if (c.rawsign) {
    sym->shift = 1;
    sym->sign_mask = 1;
  } else {
    idx = j >> 1;
    sym->negative = static_cast<uint8_t>(j & 1);
  }
  const uint32_t b = c.e + (idx >> c.m);
  if (b > 63) return false;
  const uint32_t top = idx & ((1u << c.m) - 1);
  const int nbits = static_cast<int>(b) - c.m + (c.rawsign ? 1 : 0);
  if (nbits > kMaxExtraBits) return false;
  sym->base = (uint64_t{(1u << c.m) | top}) << (b - c.m);
  sym->sbase = static_cast<int64_t>(sym->negative ? 0 - sym->base : sym->base);
  sym->neg_mask = sym->negative ? -1 : 0;
  sym->nbits = static_cast<uint8_t>(nbits);
  *width_log2 = static_cast<int>(b) - c.m;
  return true;
}

const std::array<FineGeometry, kFineTokens>& FineGeometries() {
  static const auto* table = [] {
    auto* t = new std::array<FineGeometry, kFineTokens>();
    for (uint32_t i = 0; i < t->size(); ++i) {
      TokenDecoder::Symbol sym;
      int w;
      if (!DescribeToken(kFineConfig, i, &sym, &w) || w > 40) {
        (*t)[i] = {0, -1, false};
      } else {
        (*t)[i] = {2 * sym.base + (uint64_t{1} << w) - 1, static_cast<int8_t>(w),
                   sym.negative != 0};
      }
    }
    return t;
  }();
  return *table;
}

uint32_t LevelWeight(int level) { return kLevelWeights[static_cast<size_t>(level)]; }

int64_t ParametricScore(int shape, int scale, uint32_t token) {
  const FineGeometry& geo = FineGeometries()[token];
  if (geo.width_log2 < 0) return kUnreachableScore;  // unreachable or astronomically unlikely
  // The token's midpoint over its side's scale, z in 16.16 fixed point; -ln p = z (Laplace)
  // or z^2 / 2 (Gaussian), in half bits; plus the token's width.
  const uint64_t z = (geo.x2 * kInvScaleMantissa[scale & 7]) >> (scale / 8 + 1);
  uint64_t g = z;
  if (shape == 1) g = z >= (uint64_t{1} << 24) ? uint64_t{1} << 31 : (z * z) >> 17;
  g = std::min<uint64_t>(g, uint64_t{1} << 31);
  const int64_t half_bits = static_cast<int64_t>((g * kHalfBitsPerNat + (1u << 31)) >> 32);
  return 2 * geo.width_log2 - half_bits;
}

namespace {

// ParametricScore of every token a model can have, for each shape and scale (as if the
// token's side had that scale), built on first use: 256 KiB. A model then takes each token's
// score from its side's row instead of computing it.
struct ParametricScores {
  std::array<std::array<std::array<int32_t, kMaxSymbols>, kMaxScale + 1>, 2> score;
  std::array<int32_t, kMaxSymbols> negative;  // -1 for tokens of the negative side, else 0
};

const ParametricScores& Scores() {
  static const auto* table = [] {
    auto* t = new ParametricScores();
    for (uint32_t token = 0; token < kMaxSymbols; ++token) {
      t->negative[token] = FineGeometries()[token].negative ? -1 : 0;
      for (int shape = 0; shape < 2; ++shape) {
        for (int scale = 0; scale <= kMaxScale; ++scale) {
          // |score| < 2^17 (half_bits <= (2^31 * kHalfBitsPerNat + 2^31) >> 32), or unreachable
          t->score[shape][scale][token] =
              static_cast<int32_t>(ParametricScore(shape, scale, token));
        }
      }
    }
    return t;
  }();
  return *table;
}

}  // namespace

// Parametric models are defined for the fine config only (ReadModel checks).
void ComputeParametricLevels(ModelDesc* model) {
  const ParametricScores& table = Scores();
  const int shape = model->shape == 1 ? 1 : 0;
  const int32_t* pos = table.score[shape][model->scale_pos & kMaxScale].data();
  const int32_t* neg = table.score[shape][model->scale_neg & kMaxScale].data();
  const int32_t* negative = table.negative.data();
  const int k = std::min<int>(model->num_tokens, kMaxSymbols);
  std::array<int32_t, kMaxSymbols> score;
  int32_t best = INT32_MIN;
  for (int t = 0; t < k; ++t) {  // branch-free: vectorised
    score[t] = (neg[t] & negative[t]) | (pos[t] & ~negative[t]);
    best = std::max(best, score[t]);
  }
  model->levels.fill(0);
  // best - score[t] < 2^31: best >= kUnreachableScore, scores < 2^17.
  for (int t = 0; t < k; ++t) {
    model->levels[static_cast<size_t>(t)] =
        static_cast<uint8_t>(std::clamp<int32_t>(kMaxLevel - (best - score[t]), 1, kMaxLevel));
  }
  if (model->has_escape) model->levels[static_cast<size_t>(k)] = model->escape_level;
}

void WriteModel(const ModelDesc& model, BitBuffer* out) {
  out->Write(static_cast<uint64_t>(model.kind), 2);
  if (model.kind != ModelKind::kParametric) {  // parametric models use the fine config
    out->Write(model.config.e, 3);
    out->Write(model.config.m, 2);
    out->Write(model.config.rawsign ? 1 : 0, 1);
  }
  out->Write(static_cast<uint64_t>(model.num_tokens - 1), 8);
  out->Write(model.has_escape ? 1 : 0, 1);
  switch (model.kind) {
    case ModelKind::kSingle:
      return;
    case ModelKind::kHistogram: {
      int prev = 0;
      for (int s = 0; s < model.num_symbols(); ++s) {
        WriteLevelDelta(out, model.levels[static_cast<size_t>(s)] - prev);
        prev = model.levels[static_cast<size_t>(s)];
      }
      return;
    }
    case ModelKind::kParametric:
      out->Write(model.shape, 1);
      out->Write(model.scale_neg, 7);
      out->Write(model.scale_pos, 7);
      if (model.has_escape) out->Write(model.escape_level, 5);
      return;
  }
}

int ModelBits(const ModelDesc& model) {
  int bits = model.kind == ModelKind::kParametric ? 11 : 17;
  switch (model.kind) {
    case ModelKind::kSingle:
      break;
    case ModelKind::kHistogram: {
      int prev = 0;
      for (int s = 0; s < model.num_symbols(); ++s) {
        bits += LevelDeltaBits(model.levels[static_cast<size_t>(s)] - prev);
        prev = model.levels[static_cast<size_t>(s)];
      }
      break;
    }
    case ModelKind::kParametric:
      bits += 15 + (model.has_escape ? 5 : 0);
      break;
  }
  return bits;
}

bool ReadModel(BitReader* in, ModelDesc* model) {
  const uint64_t kind = in->Read(2);
  if (kind > 2) return false;
  model->kind = static_cast<ModelKind>(kind);
  if (model->kind == ModelKind::kParametric) {
    model->config = kFineConfig;
  } else {
    model->config.e = static_cast<uint8_t>(in->Read(3));
    model->config.m = static_cast<uint8_t>(in->Read(2));
    model->config.rawsign = in->ReadBit();
  }
  model->num_tokens = static_cast<uint16_t>(in->Read(8) + 1);
  model->has_escape = in->ReadBit();
  if (!ValidConfig(model->config) || model->num_symbols() > kMaxSymbols) return false;
  model->levels.fill(0);
  switch (model->kind) {
    case ModelKind::kSingle:
      break;
    case ModelKind::kHistogram: {
      int prev = 0;
      for (int s = 0; s < model->num_symbols(); ++s) {
        const uint64_t code = ReadEliasGamma(in);
        if (code == 0) return false;
        const int64_t level = WrapAdd(prev, UnZigZag(code - 1));  // corrupt deltas are huge
        if (level < 0 || level > kMaxLevel) return false;
        model->levels[static_cast<size_t>(s)] = static_cast<uint8_t>(level);
        prev = static_cast<int>(level);
      }
      break;
    }
    case ModelKind::kParametric:
      model->shape = static_cast<uint8_t>(in->Read(1));
      model->scale_neg = static_cast<uint8_t>(in->Read(7));
      model->scale_pos = static_cast<uint8_t>(in->Read(7));
      model->escape_level = static_cast<uint8_t>(model->has_escape ? in->Read(5) : 0);
      if ((model->has_escape && model->escape_level == 0) || model->escape_level > kMaxLevel) {
        return false;
      }
      ComputeParametricLevels(model);
      break;
  }
  return !in->overrun();
}

bool Normalize(const ModelDesc& model, std::array<uint16_t, kMaxSymbols>* freqs) {
  const int n = model.num_symbols();
  // A symbol's frequency depends on its level only: count the symbols of each level (in four
  // tables, so that runs of one level do not wait on one counter), then divide once a level.
  std::array<std::array<uint32_t, kMaxLevel + 1>, 4> counts{};
  for (int s = 0; s < n; ++s) ++counts[s & 3][model.levels[static_cast<size_t>(s)]];
  uint32_t total = 0;
  int present = 0;
  std::array<uint32_t, kMaxLevel + 1> count;
  for (int l = 1; l <= kMaxLevel; ++l) {
    count[l] = counts[0][l] + counts[1][l] + counts[2][l] + counts[3][l];
    total += count[l] * kLevelWeights[static_cast<size_t>(l)];
    present += static_cast<int>(count[l]);
  }
  if (present < 2) {
    freqs->fill(0);
    return false;
  }
  const uint64_t rcp = Reciprocal(total);
  // weight * kAnsTotal / total, by a reciprocal (exact: NormalizeDivides in token_model_test
  // checks every case), at least 1.
  std::array<uint16_t, kMaxLevel + 1> level_freq{};  // level 0: absent, 0
  uint16_t top_freq = 0;
  int32_t sum = 0;
  for (int l = 1; l <= kMaxLevel; ++l) {
    if (count[l] == 0) continue;
    const uint32_t f =
        std::max<uint32_t>(1, DivideBy(kLevelWeights[static_cast<size_t>(l)] * kAnsTotal, rcp));
    level_freq[l] = static_cast<uint16_t>(f);
    sum += static_cast<int32_t>(f * count[l]);
    top_freq = std::max(top_freq, level_freq[l]);
  }
  // The first symbol of the greatest frequency takes the rounding difference.
  int argmax = -1;
  for (int s = 0; s < n; ++s) {
    const uint16_t f = level_freq[model.levels[static_cast<size_t>(s)]];
    (*freqs)[static_cast<size_t>(s)] = f;
    if (argmax < 0 && f == top_freq) argmax = s;
  }
  std::fill(freqs->begin() + n, freqs->end(), 0);
  int32_t diff = static_cast<int32_t>(kAnsTotal) - sum;
  uint16_t& top = (*freqs)[static_cast<size_t>(argmax)];
  if (top + diff >= 1) {
    top = static_cast<uint16_t>(top + diff);
    return true;
  }
  // Too many symbols were raised to 1: take the excess back one by one, round robin.
  while (diff < 0) {
    for (int s = 0; s < n && diff < 0; ++s) {
      uint16_t& f = (*freqs)[static_cast<size_t>(s)];
      if (f > 1) {
        --f;
        ++diff;
      }
    }
  }
  return true;
}

namespace {

// The decoding table: symbol s's f_s slots, in symbol order, each entry
// s << 24 | f_s << 12 | (slot - start_s). Eight entries per store where the CPU has AVX2:
// filling 2,048 entries is a visible share of decoding a 720-sample chunk.
__attribute__((target_clones("avx2", "default"))) void FillSlots(const uint16_t* freqs, int n,
                                                                 uint32_t* out) {
  typedef uint32_t V8 __attribute__((vector_size(32)));
  const V8 step = {8, 8, 8, 8, 8, 8, 8, 8};
  const V8 iota = {0, 1, 2, 3, 4, 5, 6, 7};
  for (int s = 0; s < n; ++s) {
    const uint32_t f = freqs[s];
    const uint32_t head = (static_cast<uint32_t>(s) << 24) | (f << 12);
    V8 v = iota + head;  // a broadcast and an add
    // The first eight entries unconditionally: most symbols have fewer, and what a store
    // writes past a symbol's slots the next symbol's stores (or the padding) take.
    std::memcpy(out, &v, sizeof v);
    for (uint32_t j = 8; j < f; j += 8) {
      v += step;
      std::memcpy(out + j, &v, sizeof v);
    }
    out += f;
  }
}

}  // namespace

bool TokenDecoder::Init(const ModelDesc& model) {
  if (!ValidConfig(model.config) || model.num_symbols() > kMaxSymbols) return false;
  single_ = model.kind == ModelKind::kSingle;
  const int n = model.num_symbols();
  const ConfigSymbols& described = SymbolsOf(model.config);
  std::memcpy(symbols_.data(), described.symbols.data(), static_cast<size_t>(n) * sizeof(Symbol));
  for (int s = 0; s < n; ++s) {
    if (model.has_escape && s == model.escape()) {
      symbols_[static_cast<size_t>(s)] = Symbol{};
      symbols_[static_cast<size_t>(s)].escape = 1;
      symbols_[static_cast<size_t>(s)].slow = 1;
    } else if (!described.reachable[static_cast<size_t>(s)] &&
               (single_ ? s == model.single_symbol() : model.levels[static_cast<size_t>(s)] != 0)) {
      // Unreachable tokens are fine as long as the model gives them no probability.
      return false;
    }
  }
  if (single_) {
    single_symbol_ = static_cast<uint32_t>(model.single_symbol());
    return true;
  }
  std::array<uint16_t, kMaxSymbols> freqs;
  if (!Normalize(model, &freqs)) return false;
  FillSlots(freqs.data(), n, table_.data());
  return true;
}

void TokenEncoder::Init(const ModelDesc& m) {
  model = m;
  freqs.fill(0);
  if (m.kind == ModelKind::kSingle) return;
  Normalize(m, &freqs);
  uint32_t start = 0;
  for (int s = 0; s < m.num_symbols(); ++s) {
    symbols[static_cast<size_t>(s)].Init(start, freqs[static_cast<size_t>(s)]);
    start += freqs[static_cast<size_t>(s)];
  }
}

}  // namespace plumbline::storage::codec::internal
