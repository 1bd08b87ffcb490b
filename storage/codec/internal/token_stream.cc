#include "storage/codec/internal/token_stream.h"

namespace plumbline::storage::codec::internal {

void WriteTokenStream(const TokenEncoder& enc, const std::vector<TokenItem>& items,
                      BitBuffer* out) {
  const bool single = enc.model.kind == ModelKind::kSingle;
  std::vector<uint32_t> words;  // per item: 0x10000 | word when one is emitted, else 0
  if (!single) {
    words.assign(items.size(), 0);
    uint32_t x = kAnsLow;
    for (size_t i = items.size(); i-- > 0;) words[i] = enc.symbols[items[i].symbol].Encode(&x);
    // The state in [2^16, 2^32): 4 bits of (bit length - 17), then the bits below the top one.
    const int len = BitLength(x);
    out->Write(static_cast<uint64_t>(len - 17), 4);
    out->Write(x & LowMask(len - 1), len - 1);
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
