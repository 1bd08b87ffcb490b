#include "common/host_port.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace plumbline {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;

TEST(HostPortTest, ParsesListenAddresses) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
    const char* canonical;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080"},
           {"localhost:0", "localhost", 0, "localhost:0"},
           {":8125", "0.0.0.0", 8125, "0.0.0.0:8125"},
           {"[::1]:9090", "::1", 9090, "[::1]:9090"},
       }) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<HostPort> hp = ParseHostPort(c.text);
    PL_ASSERT_OK(hp);
    EXPECT_EQ(hp->host, c.host);
    EXPECT_EQ(hp->port, c.port);
    EXPECT_EQ(hp->ToString(), c.canonical);
  }
}

TEST(HostPortTest, RejectsMalformedAddresses) {
  for (const char* text : {"", "8080", "host:", "host:http", "host:65536", "::1:80", "[::1]",
                           "[]:80", "[::1:80", "h:-1"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(ParseHostPort(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid address")));
  }
}

}  // namespace
}  // namespace plumbline
