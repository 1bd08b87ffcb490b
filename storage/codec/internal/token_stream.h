// A token stream (format.md, "Token streams"): rANS-coded tokens whose renormalisation words
// are interleaved with the raw bits (extra bits, escape payloads) in one bit stream, in the
// order the decoder needs them:
//   [version >= 2: 1 bit, lanes - 1]
//   [per lane, its rANS state: 4 bits of (bit length - 17), then its bits below the leading one]
//   then per token: [16-bit word, if its lane's state fell below 2^16 after this token]
//   [the token's raw bits]
// With two lanes, tokens alternate between two independent states: the decoder's two chains
// of table lookup and multiply overlap, where one state makes each token wait for the last.
// A single-symbol model has no lanes, states or words. One stream means one reader, no length
// fields, and the decoder ends in the encoder's initial states (an integrity check).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "storage/codec/internal/bits.h"
#include "storage/codec/internal/rans.h"
#include "storage/codec/internal/token_model.h"

namespace plumbline::storage::codec::internal {

// What one coded token writes. Raw bits are (a: na bits) then (b: nb bits).
struct TokenItem {
  uint64_t a;
  uint64_t b;
  uint8_t na;
  uint8_t nb;
  uint8_t symbol;
};

// Streams of at least this many tokens take two lanes (format version 2): the second state
// costs about 3 bytes.
inline constexpr size_t kTwoLaneMinTokens = 64;

// Encodes the tokens (reverse pass) and writes the interleaved stream (forward pass), in the
// current format version.
void WriteTokenStream(const TokenEncoder& enc, const std::vector<TokenItem>& items, BitBuffer* out);

// Decoder-side state of a token stream; the hot loops copy it into locals.
struct TokenStreamState {
  int lanes = 1;
  // x[0]: the state of the next token; x[1]: the other lane's (kAnsLow with one lane).
  uint32_t x[2] = {kAnsLow, kAnsLow};
};

// Reads the lanes and initial rANS states of a stream of a chunk of format `version`
// (nothing for single-symbol models). False when invalid.
inline bool StartTokenStream(const TokenDecoder& dec, int version, BitReader* in,
                             TokenStreamState* st) {
  *st = TokenStreamState();
  if (dec.single()) return true;
  st->lanes = version >= 2 ? 1 + static_cast<int>(in->Read(1)) : 1;
  for (int lane = 0; lane < st->lanes; ++lane) {
    const int len = static_cast<int>(in->Read(4)) + 17;
    st->x[lane] = static_cast<uint32_t>((uint64_t{1} << (len - 1)) | in->Read(len - 1));
  }
  return true;
}

// Decodes the next token's symbol, token by token (the hot loops inline this with the states
// in registers).
inline uint32_t DecodeToken(const TokenDecoder& dec, TokenStreamState* st, BitReader* in) {
  const uint32_t s = DecodeSymbol(dec, &st->x[0], in);
  if (st->lanes == 2) std::swap(st->x[0], st->x[1]);
  return s;
}

// True when the decoder is back in the encoder's initial states.
inline bool TokenStreamFinished(const TokenDecoder& dec, const TokenStreamState& st) {
  return dec.single() || (st.x[0] == kAnsLow && st.x[1] == kAnsLow);
}

}  // namespace plumbline::storage::codec::internal
