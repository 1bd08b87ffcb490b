#include "storage/codec/internal/token_stream.h"

#include "storage/codec/internal/format.h"

namespace plumbline::storage::codec::internal {

void WriteTokenStream(const TokenEncoder& enc, const std::vector<TokenItem>& items,
                      BitBuffer* out) {
  static_assert(kFormatVersion == 2, "the lanes field is written as of version 2");
  const bool single = enc.model.kind == ModelKind::kSingle;
  std::vector<uint32_t> words;  // per item: 0x10000 | word when one is emitted, else 0
  if (!single) {
    const size_t lanes = items.size() >= kTwoLaneMinTokens ? 2 : 1;
    words.assign(items.size(), 0);
    uint32_t x[2] = {kAnsLow, kAnsLow};
    for (size_t i = items.size(); i-- > 0;) {
      words[i] = enc.symbols[items[i].symbol].Encode(&x[i % lanes]);
    }
    out->Write(lanes - 1, 1);
    // Each state in [2^16, 2^32): 4 bits of (bit length - 17), then the bits below the top one.
    for (size_t lane = 0; lane < lanes; ++lane) {
      const int len = BitLength(x[lane]);
      out->Write(static_cast<uint64_t>(len - 17), 4);
      out->Write(x[lane] & LowMask(len - 1), len - 1);
    }
  }
  out->Reserve((out->size() + items.size() * 24) / 64 + 2);
  for (size_t i = 0; i < items.size(); ++i) {
    const TokenItem& it = items[i];
    if (!single && words[i] != 0) out->Write(words[i] & 0xffff, 16);
    out->Write(it.a, it.na);
    out->Write(it.b, it.nb);
  }
}

}  // namespace plumbline::storage::codec::internal
