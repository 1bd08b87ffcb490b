// Steady state allocates nothing: complete lines are parsed in place, and the partial-line
// buffer and scratch space are reused. Counts calls to the global operator new.
#include <string>

#include "gtest/gtest.h"
#include "storage/import/prom_text_parser.h"
#include "tests/testing/allocation_counter.h"

namespace plumbline::storage::import {
namespace {

class CountingSink : public ParserSink {
 public:
  void OnSample(const SampleLine& s) override { sum += s.value + s.timestamp_ms; }
  void OnMetadata(const MetadataLine& m) override { sum += m.text.size(); }
  void OnError(uint64_t, std::string_view) override { ++errors; }
  double sum = 0;
  int errors = 0;
};

TEST(PromTextParserTest, SteadyStateDoesNotAllocate) {
  std::string input;
  for (int family = 0; family < 4; ++family) {
    input += "# TYPE fam" + std::to_string(family) + " gauge\n# HELP fam" + std::to_string(family) +
             " Some help text.\n# a comment\n\n";
    for (int host = 0; host < 20; ++host) {
      for (int i = 0; i < 30; ++i) {
        input += "fam" + std::to_string(family) + "{host=\"h" + std::to_string(host) +
                 "\",service=\"api\"} " + std::to_string(i * 7) + " 17641300" +
                 std::to_string(10000 + i) + (i % 2 == 0 ? "000\n" : ".5\r\n");
      }
    }
    input += "other_" + std::to_string(family) + " +Inf\n";
  }
  CountingSink sink;
  PromTextParser parser(&sink);
  auto feed_all = [&] {
    for (size_t i = 0; i < input.size(); i += 1000)
      parser.Feed(std::string_view(input).substr(i, 1000));
  };
  feed_all();  // warms the buffers up
  EXPECT_EQ(plumbline::testing::CountAllocations([&] {
              feed_all();
              feed_all();
            }),
            0);
  // The counter works: a failing line formats its message.
  EXPECT_GT(plumbline::testing::CountAllocations([&] { parser.Feed("bad line\n"); }), 0);
  EXPECT_EQ(sink.errors, 1);
  EXPECT_EQ(parser.samples(), 3u * 4 * (20 * 30 + 1));
}

}  // namespace
}  // namespace plumbline::storage::import
