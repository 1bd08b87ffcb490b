#include "collector/metric_name.h"

#include "gtest/gtest.h"
#include "storage/labels.h"

namespace plumbline::collector {
namespace {

TEST(MetricNameTest, SanitizesToPrometheusNames) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c :
       std::initializer_list<Case>{{"api.login-time", "api_login_time"},
                                   {"ok_name:sub", "ok_name:sub"},
                                   {"5xx", "_5xx"},
                                   {"a b/c\xc3\xa9", "a_b_c_"},  // one '_' per character
                                   {"\xe6\x97\xa5\xe6\x9c\xac.x", "___x"},
                                   {"\xf0\x9f\x98\x80!", "__"},
                                   {"a\x80\x80"
                                    "b",
                                    "a__b"},         // stray continuation bytes
                                   {"a\xc3", "a_"},  // truncated sequence
                                   {"\xc3x", "_x"},  // lead without continuation
                                   {"", ""}}) {
    SCOPED_TRACE(c.in);
    std::string out = "stale";
    SanitizeMetricName(c.in, &out);
    EXPECT_EQ(out, c.out);
    if (!out.empty()) {
      EXPECT_TRUE(storage::ValidateMetricName(out).ok()) << out;
    }
  }
}

}  // namespace
}  // namespace plumbline::collector
