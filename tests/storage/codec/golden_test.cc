// Chunks written by earlier encoders must decode forever: these were written by the version 1
// encoder (one rANS state per token stream) and are kept byte for byte. The samples they hold
// come from a generator that uses no library distributions, so they are the same everywhere.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "tests/storage/codec/codec_test_util.h"

namespace plumbline::storage::codec::testing {
namespace {

struct GoldenSet {
  const char* name;
  Samples samples;
};

inline uint64_t NextLcg(uint64_t* s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

inline std::vector<GoldenSet> GoldenSets() {
  const int64_t t0 = 1700000000000;
  std::vector<GoldenSet> sets;
  uint64_t s = 42;
  {  // a counter with a reset: integer values, regular timestamps
    Samples c;
    double v = 1000;
    for (int i = 0; i < 720; ++i) {
      v = i == 400 ? 3 : v + static_cast<double>(NextLcg(&s) % 31);
      c.ts.push_back(t0 + i * 10000);
      c.vs.push_back(v);
    }
    sets.push_back({"counter", c});
  }
  {  // mostly zero
    Samples z;
    for (int i = 0; i < 720; ++i) {
      z.ts.push_back(t0 + i * 10000);
      z.vs.push_back(NextLcg(&s) % 23 == 0 ? static_cast<double>(1 + NextLcg(&s) % 3) : 0.0);
    }
    sets.push_back({"mostly_zero", z});
  }
  {  // jittered timestamps, two-digit decimals, a stale marker and a raw double
    Samples g;
    for (int i = 0; i < 500; ++i) {
      g.ts.push_back(t0 + i * 10000 + static_cast<int64_t>(NextLcg(&s) % 51) - 25);
      g.vs.push_back(static_cast<double>(2000 + static_cast<int64_t>(NextLcg(&s) % 400)) / 100);
    }
    g.vs[100] = StaleNaN();
    g.vs[200] = 0.1 + 0.2;
    sets.push_back({"jittered_decimal", g});
  }
  return sets;
}

struct GoldenChunk {
  const char* name;
  const char* hex;
};

// Version 1 chunks of GoldenSets(), in order.
const GoldenChunk kVersion1[] = {
    {"counter",
     "4fd00580999b102b428b01264384ffdb16571148757ca11b944aafa00f1070cd7253663c5ae68f38"
     "0240805932ea9a2befd02eb7e0ad4d01347a7bbb1cc819494a41b121b4c70716be1e7e266c486be3"
     "4e0d52d1579aa3246302dffc207f4f888369979ec331539002ac421ae155d60c197c361a42a88453"
     "90dede90427cb767a0d1a60c461724fc6333ab44ef560b0b7c4208a451c770ef74607a650dc21a95"
     "5ad7445b4562173ee9d106bab9cb56454b50e0a58ac223b67650914d03a6d8184ea35b54be66e1fe"
     "772deddd281fd2ee5579f4386a2f2733011bcac3b19906333f353cdb6e6aeee36e2fd96911575402"
     "e02e823d9d17022003e85c729c32ab8c4fd6ba6b62be70d3102694702696f0f52fefdccc08224a28"
     "be6626f7e004cb98e4b87112ffed0e181d317936c0012490d8b170e10709f83e08990cbb53acfd6f"
     "a6a21c1aa7291f68c352d861531fc47170d8393211844e5b8cd3dc73e06d129e350ed9a1ada0faf3"
     "b159987d69239a883b85683e860d1ad48371b7d74881b0714c02efb860d55ac7182f72ed591bc5fb"
     "12e50746acdac176c37f3779da16993707c34d17e6f93fca4594d0cbeae7cbe29b4a476ae5179940"
     "25e355800508fa3056740f0ceb8e1d0b0875fdada4896a5ee932d394c1d1b3375cd39100701115df"
     "fe73b8f103"},
    {"mostly_zero",
     "4fd00580999b102b44808001e0840815b670af706a77304a36f82e24a4f6297f778f5f2ae12c0202"
     "b33d2492d34abe17"},
    {"jittered_decimal",
     "6cf403d09fabfef962bac8b002c14ef102361067e13a632844d8505b46bed314eef32e8fd40d2185"
     "456e441ff2aefb5ab92ce8f8669e7748ed53460ec97621f24f9a765bf75fb83baf2bf6358acbdc99"
     "ce03707a0531ff7bedf7727ccc92039fc4efe358fdb1044139999c30493c6ee89db2fb93a7779b78"
     "43287ba29e0f9aa266fcd03678279bfd5ada78eecbf80cfd66ea7edc72fb553c3a74c811a8c8ac13"
     "06267dec70bce1cbf2b86156821e491a532ff8a32b1c8a7f575c56d567c67789148449379bdb20cf"
     "779dd0b1d164fb1f5616c9c7f9463a4294c6af69ddf923ff44a870e54c1f6234a90ef19edd891054"
     "22467a63d4bd6df2a6ca6ed14bf7a663bd596b0b0c2f2f13aeaf2b8c81b42f552ff3d6f12a59582b"
     "a1d37cfbd4fd4390f607e2376e8b61d02c077470eab0d67989064b4090146085f082f8c8b018c2a6"
     "7c55d7162fe0f8bb6f7cc779d5d66cec5527f11fe45f573299fea4388db023bb03137a0c535da0f9"
     "4b6f938ed40658157764f50a75c8327eff78db017d999809ee0f650c49c4804119bfe9924ce9ed14"
     "e0676539891e173ce6e6489c60709ea5d5464ee3365326e382e552db05251b4f511af7b0a35b057c"
     "6818b8118801389dda55706a33456474e88dc4b2bac723966b1824d644e0a00a24b4e3aa56bf9026"
     "6fd84058d048c3d486f0ca1f80b54b43c0e44872e9b965c8c6ae86925ac2020000000000f07ff591"
     "430b22502f4b95b66ae3ddfd007606ffc8697655e702fa3a0f010a1ca8c09cd80f474a4a918f09a0"
     "23542c70429f2b576c173a83f052aade43b118e33b9ccafccd0366f87091a37b19e8807387428ecc"
     "eefaca52f77bedb06933c2ab1ee3ebc656d283b7679ea872a032fed3cccccccccc4cffe8d772a029"
     "6ee608dd9434a4aeb65aa7f8645d81f23015aee920b53e4a44290b4e529f864efc2f6af0ccbef72c"
     "7240837a1d792b974bc69d803b84b427e35e974d3370dd44b7c09daca27109b21379c19996767726"
     "90e521589ee2def9db054732dcb2a8f695cd1ea2b4fc1a9c26787c346a03dbabb77dcae474f6945c"
     "22713fa6bdea54bff525a0bed643e264d5ecfab3d551f46bc6ae71cf1e747ca79861536affcf9e0a"
     "b3e4a9f76d0b57edc1baa00ad15353ef9e71e3056cfcc8489c0ebb28ffb66a7c64da94e6f5043621"
     "34c1a1cb53d59de2f8a6b8de117a81d2b925fc9db3d2525634e7764453efaaf2e4b19de1f96134b1"
     "bc790b08a8e09722b6760ed8b70483a7cb7a907e5885660224bb11233fecc29891054296b133843a"
     "eac0e3a7c9d84753ac4e815bfd30c894f6d957b6b9782f6706e5fa77c8495f4ced8ee77535573a29"},
};

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(GoldenChunkTest, Version1ChunksStillDecode) {
  const std::vector<GoldenSet> sets = GoldenSets();
  ASSERT_EQ(sets.size(), std::size(kVersion1));
  for (size_t i = 0; i < sets.size(); ++i) {
    SCOPED_TRACE(sets[i].name);
    const std::string chunk = FromHex(kVersion1[i].hex);
    ASSERT_EQ(static_cast<uint8_t>(chunk[0]) >> 6, 1);
    Samples got;
    ASSERT_TRUE(DecodeChunk(chunk, &got));
    EXPECT_TRUE(SameSamples(sets[i].samples, got));
    ASSERT_TRUE(DecodeChunk(chunk, &got, 7));  // batches that split the token pairs
    EXPECT_TRUE(SameSamples(sets[i].samples, got));
  }
}

// What the encoder writes now decodes to the same samples.
TEST(GoldenChunkTest, TodaysEncoderRoundTripsTheSameSamples) {
  for (const GoldenSet& g : GoldenSets()) {
    SCOPED_TRACE(g.name);
    std::string chunk;
    EncodeChunk(g.samples.ts, g.samples.vs, &chunk);
    Samples got;
    ASSERT_TRUE(DecodeChunk(chunk, &got));
    EXPECT_TRUE(SameSamples(g.samples, got));
    ASSERT_TRUE(DecodeChunk(chunk, &got, 7));
    EXPECT_TRUE(SameSamples(g.samples, got));
  }
}

}  // namespace
}  // namespace plumbline::storage::codec::testing
