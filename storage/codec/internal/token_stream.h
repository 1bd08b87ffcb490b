// A token stream (format.md, "Token streams"): rANS-coded tokens whose renormalisation words
// are interleaved with the raw bits (extra bits, escape payloads) in one bit stream, in the
// order the decoder needs them:
//   [rANS state: 4 bits of (bit length - 17), then its bits below the leading one]
//   then per token: [16-bit word, if the decoder's state fell below 2^16 after this token]
//   [the token's raw bits]
// A single-symbol model has no state and no words. One stream means one reader, no length
// fields, and the decoder ends in the encoder's initial state (an integrity check).
#pragma once

#include <cstdint>
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

// Encodes the tokens (reverse pass) and writes the interleaved stream (forward pass).
void WriteTokenStream(const TokenEncoder& enc, const std::vector<TokenItem>& items, BitBuffer* out);

// Decoder-side state of a token stream; the hot loops copy it into locals.
struct TokenStreamState {
  uint32_t x = 0;
};

// Reads the initial rANS state (nothing for single-symbol models). False when invalid.
inline bool StartTokenStream(const TokenDecoder& dec, BitReader* in, TokenStreamState* st) {
  if (dec.single()) return true;
  const int len = static_cast<int>(in->Read(4)) + 17;
  st->x = static_cast<uint32_t>((uint64_t{1} << (len - 1)) | in->Read(len - 1));
  return true;
}

// True when the decoder is back in the encoder's initial state.
inline bool TokenStreamFinished(const TokenDecoder& dec, const TokenStreamState& st) {
  return dec.single() || st.x == kAnsLow;
}

}  // namespace plumbline::storage::codec::internal
