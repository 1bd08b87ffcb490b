// The parsers never allocate, on good lines or bad ones. Counts calls to the global operator new
// (so this test runs in the builds without sanitizers only; see CMakeLists.txt).
#include <string>
#include <vector>

#include "collector/statsd_parser.h"
#include "gtest/gtest.h"
#include "tests/testing/allocation_counter.h"

namespace plumbline::collector {
namespace {

TEST(StatsdParserTest, ParsingDoesNotAllocate) {
  const std::string datagram =
      "blast.k1234:1|c\n"
      "svc.latency:1:2.5:3e2:12345678901234567890|ms|@0.1|#env:prod,host:web-1|T1700000000\n"
      "g:+3|g|c:ci-abc\n"
      "s:caf\xc3\xa9|s\n"
      "bad:1e400|c\n"
      "bad:1|c|@2\n"
      "bad\xff:1|c\n"
      "_e{9,11}:deploy|v2|shipped|\xe2\x9c\x93|p:low|t:success|#service:api\n"
      "_sc|db|2|h:db-1|#env:prod|m:timeout|retrying\n"
      "graphite.path 1.5 1700000000\n";
  double sum = 0;
  int lines = 0;
  const int allocations = plumbline::testing::CountAllocations([&] {
    for (int round = 0; round < 3; ++round) {
      ForEachLine(datagram, [&](std::string_view line) {
        ++lines;
        StatsdLine metric;
        if (ParseLine(line, &metric) == ParseError::kOk) {
          ValueReader values(metric.values, metric.type);
          double v;
          bool delta;
          while (values.Next(&v, &delta)) sum += v;
          TagReader tags(metric.tags);
          std::string_view name, value;
          while (tags.Next(&name, &value)) sum += static_cast<double>(name.size() + value.size());
        }
        StatsdEvent event;
        sum += ParseEvent(line, &event) == ParseError::kOk ? 1 : 0;
        ServiceCheck check;
        sum += ParseServiceCheck(line, &check) == ParseError::kOk ? 1 : 0;
        GraphiteLine graphite;
        sum += ParseGraphiteLine(line, &graphite) == ParseError::kOk ? 1 : 0;
      });
    }
  });
  EXPECT_EQ(allocations, 0);
  // The counter works.
  std::vector<std::string> kept;
  EXPECT_GT(plumbline::testing::CountAllocations([&] { kept.emplace_back(100, 'x'); }), 0);
  EXPECT_EQ(lines, 30);
  EXPECT_GT(sum, 0);
}

}  // namespace
}  // namespace plumbline::collector
