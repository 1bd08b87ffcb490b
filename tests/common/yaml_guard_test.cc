#include "common/yaml_guard.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace plumbline {
namespace {

// Each of these made yaml-cpp 0.7 loop forever (found by the mapping fuzzer); each is refused
// with the position of the ','.
TEST(YamlGuardTest, RefusesCommasThatBeginATokenOutsideFlowCollections) {
  struct Case {
    std::string_view yaml;
    std::string_view where;
  };
  for (const Case& c : std::initializer_list<Case>{{",", "f.yaml:1:1:"},
                                                   {",a", "f.yaml:1:1:"},
                                                   {" ,", "f.yaml:1:2:"},
                                                   {"\n,", "f.yaml:2:1:"},
                                                   {"# c\n,", "f.yaml:2:1:"},
                                                   {"---\n,", "f.yaml:2:1:"},
                                                   {"--- ,", "f.yaml:1:5:"},
                                                   {"a\n...\n,", "f.yaml:3:1:"},
                                                   {"%YAML 1.2\n---\n,", "f.yaml:3:1:"},
                                                   {"[a] ,", "f.yaml:1:5:"},
                                                   {"{a: b} ,", "f.yaml:1:8:"},
                                                   {"'a'\n,", "f.yaml:2:1:"},
                                                   {"\"a\" ,", "f.yaml:1:5:"},
                                                   {"- a\n,", "f.yaml:2:1:"},
                                                   {"&x ,", "f.yaml:1:4:"},
                                                   {"!t ,", "f.yaml:1:4:"},
                                                   {"&\xc3\xa9,", "f.yaml:1:3:"},
                                                   {"!t,", "f.yaml:1:3:"},
                                                   {"a: |\n  x\n,", "f.yaml:3:1:"},
                                                   {"a: ,", "f.yaml:1:4:"}}) {
    SCOPED_TRACE(c.yaml);
    const absl::Status s = CheckYamlText(c.yaml, "f.yaml");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.message()).rfind(c.where, 0), 0u) << s.message();
  }
}

// Also found by the fuzzer: a control character in a tag made yaml-cpp loop. YAML is
// printable Unicode; anything else is refused where it stands.
TEST(YamlGuardTest, RefusesBytesThatAreNotPrintableUtf8) {
  struct Case {
    std::string_view yaml;
    std::string_view want;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"!\x1a\n?\n", "f.yaml:1:2: byte 0x1a is not printable UTF-8 text"},
           {"a: b\n\x0e,", "f.yaml:2:1: byte 0x0e"},
           {std::string_view("a\0", 2), "f.yaml:1:2: byte 0x00"},
           {"a: \x7f", "f.yaml:1:4: byte 0x7f"},
           {"a: \xd2,", "f.yaml:1:4: byte 0xd2"},         // truncated sequence
           {"a: \xc0\xaf", "f.yaml:1:4: byte 0xc0"},      // overlong
           {"a: \xed\xa0\x80", "f.yaml:1:4: byte 0xed"},  // surrogate
           {"a: \xc2\x80", "f.yaml:1:4: byte 0xc2"},      // C1 control
       }) {
    SCOPED_TRACE(c.yaml);
    const absl::Status s = CheckYamlText(c.yaml, "f.yaml");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.message()).rfind(c.want, 0), 0u) << s.message();
  }
  EXPECT_TRUE(
      CheckYamlText("name: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\tx\r\n", "f.yaml").ok());
}

TEST(YamlGuardTest, AcceptsCommasInsideScalarsAndFlowCollections) {
  for (std::string_view yaml : {
           "a ,",
           "a: b, c",
           "a: 'b, c'\n",
           "a: \"b, \\\" c\"\n",
           "a: 'it''s, fine'\n",
           "labels: {service: \"$1\", code: \"$2\"}\n",
           "buckets: [0.005, 0.01,\n  0.1]\n",
           "quantiles: [{quantile: 0.5, error: 0.05}, {quantile: 0.99}]\n",
           "a: |\n  x, y\n  , z\nb: c\n",
           "a: >\n  , folded\n\nb: c\n",
           "- match: \"(.*),(.*)\"\n  name: x # a comment, with a comma\n",
           "a#b: c, d\n",
           "{\"a\":b, \"c\":d}\n",
           "a: &anchor [1, 2]\nb: *anchor\n",
           "",
           "\n\n# only, a comment\n",
       }) {
    SCOPED_TRACE(yaml);
    EXPECT_TRUE(CheckYamlText(yaml, "f.yaml").ok()) << CheckYamlText(yaml, "f.yaml");
  }
}

TEST(SecondYamlDocumentTest, FindsWhereASecondDocumentBegins) {
  EXPECT_EQ(SecondYamlDocument("a: 1\n"), std::nullopt);
  EXPECT_EQ(SecondYamlDocument("---\na: 1\n...\n"), std::nullopt);
  EXPECT_EQ(SecondYamlDocument(""), std::nullopt);
  EXPECT_EQ(SecondYamlDocument("a: 1\n---\nb: 2\n"), std::make_pair(2, 1));
  EXPECT_EQ(SecondYamlDocument("---\na: 1\n---\nb: 2\n"), std::make_pair(3, 1));
}

}  // namespace
}  // namespace plumbline
