// Tokens and static models for rANS-coded residuals (format.md, "Tokens" and "Models").
//
// A residual r becomes a token (coded with rANS under the chunk's model) plus extra bits
// (written raw). With a TokenConfig {e, m, rawsign}:
//   |r| < 2^e:  token 0 for r = 0, else 2|r| - 1 + (r < 0); no extra bits.
//   otherwise:  with b = floor(log2 |r|) and `top` the m bits below the leading one,
//               idx = ((b - e) << m) | top; token = D + 2 idx + (r < 0), extra bits are the
//               b - m low bits of |r|; with rawsign, token = D + idx and the extra bits are
//               (low bits << 1) | (r < 0).   (D = 2^(e+1) - 1 direct tokens)
// A model covers tokens [0, K) and, optionally, an escape symbol K for everything else.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/rans.h"

namespace plumbline::storage::codec::internal {

inline constexpr int kMaxDirectBits = 6;  // e <= 6
inline constexpr int kMaxTopBits = 2;     // m <= 2
inline constexpr int kMaxSymbols = 256;   // regular tokens and the escape
inline constexpr int kMaxExtraBits = 56;  // larger residuals are escapes
inline constexpr int kMaxLevel = 25;      // frequency levels, see LevelWeight()
inline constexpr int kMaxScale = 127;     // parametric scales 2^(q/8), q <= 127

struct TokenConfig {
  uint8_t e = 0;
  uint8_t m = 0;
  bool rawsign = false;
};

struct Token {
  uint32_t token;  // may exceed the model's alphabet: then it is an escape
  int nbits;       // extra bits; > kMaxExtraBits forces an escape
  uint64_t bits;
};

inline Token Tokenize(int64_t r, TokenConfig c) {
  // Branch-free: residuals straddle the direct range all the time.
  const uint64_t neg = r < 0 ? 1 : 0;
  const uint64_t a = neg ? 0 - static_cast<uint64_t>(r) : static_cast<uint64_t>(r);
  const bool direct = a < (uint64_t{1} << c.e);
  const int b = 63 - __builtin_clzll(a | 1);
  const int low_bits = b >= c.m ? b - c.m : 0;  // b >= e >= m whenever the token is not direct
  const uint32_t top = static_cast<uint32_t>(a >> low_bits) & ((1u << c.m) - 1);
  const uint32_t idx = (static_cast<uint32_t>(b - c.e) << c.m) | top;
  const uint32_t first_large = (2u << c.e) - 1;
  const uint64_t low = a & ((uint64_t{1} << low_bits) - 1);
  Token t;
  if (c.rawsign) {
    t = {first_large + idx, low_bits + 1, (low << 1) | neg};
  } else {
    t = {first_large + 2 * idx + static_cast<uint32_t>(neg), low_bits, low};
  }
  const uint32_t direct_token = a == 0 ? 0u : static_cast<uint32_t>(2 * a - 1 + neg);
  t.token = direct ? direct_token : t.token;
  t.nbits = direct ? 0 : t.nbits;
  t.bits = direct ? 0 : t.bits;
  return t;
}

// The finest token config: direct up to 63, then four tokens per octave and sign. Parametric
// models use it; the encoder histograms residuals in it.
inline constexpr TokenConfig kFineConfig{kMaxDirectBits, kMaxTopBits, false};
inline constexpr int kFineTokens = 591;

// Weight of frequency level l >= 1: round(2^((l - 1) / 2)), 1 .. 4096. Level 0: absent.
uint32_t LevelWeight(int level);

enum class ModelKind : uint8_t {
  kSingle = 0,      // one symbol only: nothing is rANS-coded
  kHistogram = 1,   // a level per symbol, written in the chunk
  kParametric = 2,  // levels from a two-sided exponential-family curve (three numbers)
};

// A model as written in the chunk.
struct ModelDesc {
  ModelKind kind = ModelKind::kSingle;
  TokenConfig config;
  bool has_escape = false;  // symbol `num_tokens` is the escape
  uint16_t num_tokens = 1;  // K, 1..256 (1..255 with an escape)
  // kParametric: shape (0: Laplace, 1: Gaussian), scales 2^(q/8) of the negative and
  // positive sides, and the escape's level.
  uint8_t shape = 0;
  uint8_t scale_neg = 0;
  uint8_t scale_pos = 0;
  uint8_t escape_level = 0;
  // Per symbol, 0..kMaxLevel (kHistogram: as written; kParametric: computed).
  std::array<uint8_t, kMaxSymbols> levels{};

  int num_symbols() const { return num_tokens + (has_escape ? 1 : 0); }
  int escape() const { return num_tokens; }
  // The symbol of a kSingle model.
  int single_symbol() const { return has_escape ? num_tokens : num_tokens - 1; }
};

// Fills model->levels of a kParametric model from its parameters (decoder and encoder):
// each token's level is kMaxLevel less how far its ParametricScore, under its side's scale,
// falls below the best token's, clamped to [1, kMaxLevel].
void ComputeParametricLevels(ModelDesc* model);

// How likely fine token `token` (< kMaxSymbols) is under a parametric model of `shape` whose
// scale on the token's side is 2^(scale/8), in half bits relative to other tokens' scores;
// kUnreachableScore for tokens no residual takes.
inline constexpr int64_t kUnreachableScore = INT32_MIN / 2;
int64_t ParametricScore(int shape, int scale, uint32_t token);

// A fine token's geometry: twice the midpoint of the magnitudes it covers, log2 of their
// number (-1: unreachable, or too wide to matter), and its side.
struct FineGeometry {
  uint64_t x2;
  int8_t width_log2;
  bool negative;
};
const std::array<FineGeometry, kFineTokens>& FineGeometries();

void WriteModel(const ModelDesc& model, BitBuffer* out);
// False when the bits do not describe a valid model.
bool ReadModel(BitReader* in, ModelDesc* model);
// Bits WriteModel() would write.
int ModelBits(const ModelDesc& model);

// Frequencies (summing to kAnsTotal, >= 1 for every present symbol) from the levels.
// Deterministic integer arithmetic: the decoder relies on it. False when fewer than two
// symbols are present.
bool Normalize(const ModelDesc& model, std::array<uint16_t, kMaxSymbols>* freqs);

// Decoding side of a model: the rANS slot table and what each symbol means.
// Thread-compatible; tables are rebuilt per chunk (their memory is reused). Both tables are
// left unset until Init (a chunk iterator per series would otherwise clear 18 KiB for each).
class TokenDecoder {
 public:
  bool Init(const ModelDesc& model);

  struct Symbol {
    // The residual is sbase + ((extra ^ neg_mask) - neg_mask), or with rawsign
    // ((sbase + (extra >> shift)) ^ -s) + s for the sign bit s = extra & sign_mask.
    int64_t sbase;      // the base with the token's sign
    uint64_t mask;      // (1 << nbits) - 1
    int64_t neg_mask;   // -1 for a negative token (the extra bits subtract), else 0
    uint64_t base;      // |r| before the extra bits are added
    uint8_t nbits;      // extra bits to read
    uint8_t shift;      // extra bits >> shift are added to base (1 with rawsign)
    uint8_t sign_mask;  // extra bits & sign_mask is the sign (rawsign)
    uint8_t negative;   // sign carried by the token
    uint8_t escape;
    uint8_t slow;  // escape, or more extra bits than a fast-path peek holds
  };

  bool single() const { return single_; }
  uint32_t single_symbol() const { return single_symbol_; }
  // kAnsTotal entries: symbol << 24 | freq << 12 | (slot - start).
  const uint32_t* table() const { return table_.data(); }
  const Symbol* symbols() const { return symbols_.data(); }
  const Symbol& symbol(uint32_t s) const { return symbols_[s]; }

 private:
  bool single_ = false;
  uint32_t single_symbol_ = 0;
  std::array<uint32_t, kAnsTotal + 8> table_;  // + room for FillSlots' vector stores
  std::array<Symbol, kMaxSymbols> symbols_;
};

// What token `token` of config `c` stands for, and log2 of the number of magnitudes it
// covers; false when it cannot occur.
bool DescribeToken(TokenConfig c, uint32_t token, TokenDecoder::Symbol* sym, int* width_log2);

// Decodes the next symbol of a token stream: advances the rANS state `x` and reads the
// renormalisation word that follows the token, if any.
inline uint32_t DecodeSymbol(const TokenDecoder& dec, uint32_t* x, BitReader* in) {
  if (dec.single()) return dec.single_symbol();
  const uint32_t e = dec.table()[*x & (kAnsTotal - 1)];
  uint32_t y = ((e >> 12) & 0xfff) * (*x >> kAnsBits) + (e & 0xfff);
  if (y < kAnsLow) y = (y << 16) | static_cast<uint32_t>(in->Read(16));
  *x = y;
  return e >> 24;
}

// The residual of a non-escape symbol given its extra bits.
template <bool kRawSign>
inline int64_t Residual(const TokenDecoder::Symbol& sym, uint64_t extra) {
  if constexpr (kRawSign) {
    // Direct tokens have no extra bits: their sign is in sbase.
    const uint64_t mag = static_cast<uint64_t>(sym.sbase) + (extra >> sym.shift);
    const uint64_t neg = extra & sym.sign_mask;
    return static_cast<int64_t>((mag ^ (0 - neg)) + neg);
  } else {
    const uint64_t m = static_cast<uint64_t>(sym.neg_mask);
    return static_cast<int64_t>(static_cast<uint64_t>(sym.sbase) + ((extra ^ m) - m));
  }
}

// The residual of a non-escape symbol; reads its extra bits.
inline int64_t ReadResidual(const TokenDecoder::Symbol& sym, BitReader* in) {
  const uint64_t extra = in->Read(sym.nbits);
  return sym.sign_mask != 0 ? Residual<true>(sym, extra) : Residual<false>(sym, extra);
}

// Encoding side of a model: frequencies and rANS symbols.
struct TokenEncoder {
  ModelDesc model;
  std::array<uint16_t, kMaxSymbols> freqs{};
  std::array<AnsSymbol, kMaxSymbols> symbols{};

  void Init(const ModelDesc& m);
  // True when the token is coded as itself; otherwise it takes the escape symbol.
  bool Fits(const Token& t) const {
    if (t.token >= model.num_tokens || t.nbits > kMaxExtraBits) return false;
    if (model.kind == ModelKind::kSingle) {
      return !model.has_escape && t.token + 1 == model.num_tokens;
    }
    return freqs[t.token] != 0;
  }
};

}  // namespace plumbline::storage::codec::internal
