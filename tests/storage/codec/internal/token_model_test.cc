// Tokens, models and token streams: every config maps residuals to tokens and back, models
// written are read back identically, frequencies always sum to the rANS total.
#include "storage/codec/internal/token_model.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/internal/format.h"
#include "storage/codec/internal/numbers.h"
#include "storage/codec/internal/token_stream.h"

namespace plumbline::storage::codec::internal {
namespace {

std::vector<TokenConfig> AllConfigs() {
  std::vector<TokenConfig> configs;
  for (int e = 0; e <= kMaxDirectBits; ++e) {
    for (int m = 0; m <= std::min(e, kMaxTopBits); ++m) {
      for (bool rs : {false, true}) configs.push_back({uint8_t(e), uint8_t(m), rs});
    }
  }
  return configs;
}

std::vector<int64_t> SomeResiduals() {
  std::vector<int64_t> rs = {
      0, 1, -1, 2, -2, 63, -63, 64, -64, 1000, -1000, int64_t{1} << 40, -(int64_t{1} << 40)};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    rs.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
  }
  return rs;
}

// A model that holds every token the residuals need (and an escape for the rest).
ModelDesc ModelFor(TokenConfig c, const std::vector<int64_t>& rs) {
  ModelDesc m;
  m.kind = ModelKind::kHistogram;
  m.config = c;
  m.num_tokens = 255;
  m.has_escape = true;
  for (int s = 0; s < 256; ++s) m.levels[static_cast<size_t>(s)] = 0;
  for (int64_t r : rs) {
    const Token t = Tokenize(r, c);
    if (t.token < 255 && t.nbits <= kMaxExtraBits) m.levels[t.token] = 1 + t.token % kMaxLevel;
  }
  m.levels[255] = 3;
  return m;
}

TEST(TokenModelTest, TokensRoundTripThroughATokenStream) {
  const std::vector<int64_t> all = SomeResiduals();
  // Short streams take one rANS lane, long ones two.
  for (size_t size : {size_t{5}, kTwoLaneMinTokens - 1, kTwoLaneMinTokens, all.size()})
    for (const TokenConfig& c : AllConfigs()) {
      const std::vector<int64_t> rs(all.begin(), all.begin() + static_cast<ptrdiff_t>(size));
      SCOPED_TRACE(::testing::Message() << "e " << int(c.e) << " m " << int(c.m) << " rs "
                                        << c.rawsign << " tokens " << size);
      const ModelDesc model = ModelFor(c, rs);
      TokenEncoder enc;
      enc.Init(model);
      std::vector<TokenItem> items;
      for (int64_t r : rs) {
        const Token t = Tokenize(r, c);
        if (enc.Fits(t)) {
          items.push_back({t.bits, 0, uint8_t(t.nbits), 0, uint8_t(t.token)});
        } else {
          const uint64_t u = ZigZag(r);
          items.push_back({static_cast<uint64_t>(BitLength(u | 1) - 1), u, 6,
                           uint8_t(BitLength(u | 1)), uint8_t(model.escape())});
        }
      }
      BitBuffer buf;
      WriteModel(model, &buf);
      WriteTokenStream(enc, items, &buf);
      std::string bytes;
      buf.AppendTo(&bytes);

      BitReader in(bytes);
      ModelDesc read;
      ASSERT_TRUE(ReadModel(&in, &read));
      EXPECT_EQ(read.levels, model.levels);
      TokenDecoder dec;
      ASSERT_TRUE(dec.Init(read));
      TokenStreamState st;
      ASSERT_TRUE(StartTokenStream(dec, kFormatVersion, &in, &st));
      EXPECT_EQ(st.lanes, size >= kTwoLaneMinTokens ? 2 : 1);
      for (int64_t want : rs) {
        const TokenDecoder::Symbol& sym = dec.symbol(DecodeToken(dec, &st, &in));
        const int64_t got = sym.escape ? UnZigZag(ReadLen64(&in)) : ReadResidual(sym, &in);
        ASSERT_EQ(got, want);
      }
      EXPECT_TRUE(TokenStreamFinished(dec, st));
      EXPECT_TRUE(in.AtPaddedEnd());
    }
}

// The frequencies as format.md defines them, symbol by symbol: weight * kAnsTotal / total
// (at least 1); the first symbol of the greatest takes the difference to kAnsTotal, or when
// that would leave it below 1, symbols above 1 give one back each, round robin.
std::array<uint16_t, kMaxSymbols> DefinedFrequencies(const ModelDesc& m) {
  std::array<uint16_t, kMaxSymbols> f{};
  uint32_t total = 0;
  for (int s = 0; s < m.num_symbols(); ++s) {
    if (m.levels[s] != 0) total += LevelWeight(m.levels[s]);
  }
  int top = -1;
  int32_t sum = 0;
  for (int s = 0; s < m.num_symbols(); ++s) {
    if (m.levels[s] == 0) continue;
    f[s] =
        static_cast<uint16_t>(std::max<uint32_t>(1, LevelWeight(m.levels[s]) * kAnsTotal / total));
    sum += f[s];
    if (top < 0 || f[s] > f[top]) top = s;
  }
  int32_t diff = static_cast<int32_t>(kAnsTotal) - sum;
  if (f[top] + diff >= 1) {
    f[top] = static_cast<uint16_t>(f[top] + diff);
    return f;
  }
  while (diff < 0) {
    for (int s = 0; s < m.num_symbols() && diff < 0; ++s) {
      if (f[s] > 1) {
        --f[s];
        ++diff;
      }
    }
  }
  return f;
}

TEST(TokenModelTest, NormalizedFrequenciesAreTheDefinedOnes) {
  std::mt19937_64 rng(4);
  for (int round = 0; round < 4000; ++round) {
    ModelDesc m;
    m.kind = ModelKind::kHistogram;
    m.num_tokens = static_cast<uint16_t>(2 + rng() % 254);
    int present = 0;
    for (int s = 0; s < m.num_tokens; ++s) {
      // Alternately: any level; present or not at level 1 (many symbols raised to 1); runs of
      // one level with a few others (ties for the greatest frequency).
      const int l = rng() % 3 == 0 ? 0 : static_cast<int>(rng() % (kMaxLevel + 1));
      const int kinds[3] = {l, l ? 1 : 0, rng() % 8 == 0 ? l : 20};
      m.levels[static_cast<size_t>(s)] = static_cast<uint8_t>(kinds[round % 3]);
      present += m.levels[static_cast<size_t>(s)] != 0;
    }
    std::array<uint16_t, kMaxSymbols> freqs;
    if (present < 2) {
      EXPECT_FALSE(Normalize(m, &freqs));
      continue;
    }
    ASSERT_TRUE(Normalize(m, &freqs));
    ASSERT_EQ(freqs, DefinedFrequencies(m)) << "round " << round;
    uint32_t sum = 0;
    for (int s = 0; s < m.num_tokens; ++s) {
      EXPECT_EQ(freqs[static_cast<size_t>(s)] != 0, m.levels[static_cast<size_t>(s)] != 0);
      sum += freqs[static_cast<size_t>(s)];
    }
    EXPECT_EQ(sum, kAnsTotal);
  }
}

// Normalize divides by a reciprocal: it must give the quotients the format defines, for
// every numerator (a level weight times kAnsTotal) and every total it can meet.
TEST(TokenModelTest, NormalizeDivides) {
  const uint32_t max_total = kMaxSymbols * LevelWeight(kMaxLevel);
  for (uint32_t total = 1; total <= max_total; ++total) {
    const uint64_t rcp = Reciprocal(total);
    for (int l = 1; l <= kMaxLevel; ++l) {
      const uint32_t x = LevelWeight(l) * kAnsTotal;
      if (DivideBy(x, rcp) != x / total) FAIL() << x << " / " << total;
    }
  }
  // And at random over the whole 32-bit range (the encoder's x / freq).
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t x = static_cast<uint32_t>(rng());
    const uint32_t d = static_cast<uint32_t>(rng() >> (32 + rng() % 32)) | 1u;
    ASSERT_EQ(DivideBy(x, Reciprocal(d)), x / d) << x << " / " << d;
    ASSERT_EQ(DivideBy(x, Reciprocal(d + 1)), x / (d + 1)) << x << " / " << d + 1;
  }
}

TEST(TokenModelTest, ParametricModelsRoundTrip) {
  for (uint8_t shape : {0, 1}) {
    for (uint8_t q : {0, 5, 40, 90, 127}) {
      ModelDesc m;
      m.kind = ModelKind::kParametric;
      m.config = kFineConfig;
      m.num_tokens = 200;
      m.has_escape = true;
      m.escape_level = 2;
      m.shape = shape;
      m.scale_neg = q;
      m.scale_pos = static_cast<uint8_t>(127 - q);
      ComputeParametricLevels(&m);
      BitBuffer buf;
      WriteModel(m, &buf);
      EXPECT_EQ(static_cast<int>(buf.size()), ModelBits(m));
      std::string bytes;
      buf.AppendTo(&bytes);
      BitReader in(bytes);
      ModelDesc read;
      ASSERT_TRUE(ReadModel(&in, &read));
      EXPECT_EQ(read.levels, m.levels);
      TokenDecoder dec;
      EXPECT_TRUE(dec.Init(read));
    }
  }
}

// ComputeParametricLevels takes each token's score from a table built for every shape and
// scale: for every model a chunk can describe (both shapes, every pair of scales, token
// counts from 1 to 256, with and without an escape), its levels must be those the scores
// give: kMaxLevel less the distance below the best, clamped to [1, kMaxLevel].
TEST(TokenModelTest, ParametricLevelsFollowTheScoresForEveryModel) {
  const auto& geometry = FineGeometries();
  for (int shape = 0; shape < 2; ++shape) {
    for (int neg = 0; neg <= kMaxScale; ++neg) {
      for (int pos = 0; pos <= kMaxScale; ++pos) {
        const int k = 1 + (neg * 31 + pos * 7 + shape) % kMaxSymbols;  // a different k each
        ModelDesc m;
        m.kind = ModelKind::kParametric;
        m.config = kFineConfig;
        m.num_tokens = static_cast<uint16_t>(k);
        m.has_escape = k < kMaxSymbols && pos % 2 == 0;
        m.escape_level = m.has_escape ? 3 : 0;
        m.shape = static_cast<uint8_t>(shape);
        m.scale_neg = static_cast<uint8_t>(neg);
        m.scale_pos = static_cast<uint8_t>(pos);
        ComputeParametricLevels(&m);
        std::vector<int64_t> score(static_cast<size_t>(k));
        int64_t best = INT64_MIN;
        for (int t = 0; t < k; ++t) {
          score[t] = ParametricScore(shape, geometry[t].negative ? neg : pos, t);
          best = std::max(best, score[t]);
        }
        for (int t = 0; t < k; ++t) {
          const int64_t want = std::clamp<int64_t>(kMaxLevel - (best - score[t]), 1, kMaxLevel);
          ASSERT_EQ(m.levels[t], want) << "shape " << shape << " scales " << neg << "/" << pos
                                       << " k " << k << " token " << t;
        }
        if (k < kMaxSymbols) {
          ASSERT_EQ(m.levels[k], m.has_escape ? 3 : 0);
        }
        if (k + 1 < kMaxSymbols) {
          ASSERT_EQ(m.levels[k + 1], 0);
        }
      }
    }
  }
  // A score by hand: token 0 (residual 0) is the likeliest under any scale, and under
  // Laplace a wider scale makes large tokens relatively likelier.
  EXPECT_GT(ParametricScore(0, 40, 0), ParametricScore(0, 40, 100));
  EXPECT_GT(ParametricScore(0, 100, 100) - ParametricScore(0, 100, 0),
            ParametricScore(0, 20, 100) - ParametricScore(0, 20, 0));
}

}  // namespace
}  // namespace plumbline::storage::codec::internal
