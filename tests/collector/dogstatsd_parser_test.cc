// ParseEvent and ParseServiceCheck (collector/internal/dogstatsd_parser.cc): DogStatsD events
// with byte lengths, '|' and multi-byte UTF-8 in titles, sections in any order; service checks
// with the message last.
#include <string>
#include <vector>

#include "collector/statsd_parser.h"
#include "gtest/gtest.h"
#include "tests/collector/statsd_test_util.h"

namespace plumbline::collector {
namespace {

// "_e{<bytes of title>,<bytes of text>}:title|text" + suffix.
std::string MakeEvent(std::string_view title, std::string_view text, std::string_view suffix = "") {
  return "_e{" + std::to_string(title.size()) + "," + std::to_string(text.size()) +
         "}:" + std::string(title) + "|" + std::string(text) + std::string(suffix);
}

struct EventCase {
  std::string line;
  std::string_view title, text;
  int64_t date_s = 0;
  std::string_view hostname = {}, aggregation_key = {}, priority = {}, source_type = {},
                   alert_type = {}, tags = {};
};

TEST(DogStatsdEventTest, ParsesEvents) {
  const std::vector<EventCase> cases = {
      // The examples of DogStatsD's datagram format page.
      {"_e{21,36}:An exception occurred|Cannot parse CSV file from 10.0.0.17|t:warning|"
       "#err_type:bad_file",
       "An exception occurred",
       "Cannot parse CSV file from 10.0.0.17",
       0,
       {},
       {},
       {},
       {},
       "warning",
       "err_type:bad_file"},
      {"_e{21,41}:An exception occurred|Cannot parse JSON request:\\n{\"foo: \"bar\"}|p:low|"
       "#err_type:bad_request",
       "An exception occurred",
       "Cannot parse JSON request:\\n{\"foo: \"bar\"}",
       0,
       {},
       {},
       "low",
       {},
       {},
       "err_type:bad_request"},
      {"_e{5,4}:title|text", "title", "text"},
      {"_e{1,0}:t|", "t", ""},
      {"_e{1,0}:t||h:web-1", "t", "", 0, "web-1"},
      // '|' inside the title and the text: the lengths say where they end.
      {MakeEvent("a|b", "c|d|e"), "a|b", "c|d|e"},
      {MakeEvent("deploy|api", "x|d:5", "|d:1700000000"), "deploy|api", "x|d:5", 1700000000},
      {MakeEvent("|", "|"), "|", "|"},
      // Lengths are bytes of UTF-8, not characters.
      {"_e{5,6}:caf\xc3\xa9|na\xc3\xafve", "caf\xc3\xa9", "na\xc3\xafve"},
      {MakeEvent("\xf0\x9f\x9a\x80 deploy", "\xe2\x9c\x93 done|ok"), "\xf0\x9f\x9a\x80 deploy",
       "\xe2\x9c\x93 done|ok"},
      // Every section, in the documented order and in another.
      {MakeEvent("t", "x", "|d:1700000000|h:host|k:key|p:normal|s:src|t:error|#a:b,c"), "t", "x",
       1700000000, "host", "key", "normal", "src", "error", "a:b,c"},
      {MakeEvent("t", "x", "|#a|t:success|s:src|p:low|k:k|h:h|d:1"), "t", "x", 1, "h", "k", "low",
       "src", "success", "a"},
      {MakeEvent("t", "x", "|t:info|c:ci-abc|e:it-false|card:low"),
       "t",
       "x",
       0,
       {},
       {},
       {},
       {},
       "info"},
      {MakeEvent("t", "x", "|h:|k:|s:"), "t", "x"},  // empty free-text fields are fine
  };
  for (const EventCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "line: \"" << c.line << "\"");
    StatsdEvent out;
    out.tags = "stale";
    ASSERT_EQ(ParseEvent(c.line, &out), ParseError::kOk);
    EXPECT_EQ(out.title, c.title);
    EXPECT_EQ(out.text, c.text);
    EXPECT_EQ(out.date_s, c.date_s);
    EXPECT_EQ(out.hostname, c.hostname);
    EXPECT_EQ(out.aggregation_key, c.aggregation_key);
    EXPECT_EQ(out.priority, c.priority);
    EXPECT_EQ(out.source_type, c.source_type);
    EXPECT_EQ(out.alert_type, c.alert_type);
    EXPECT_EQ(out.tags, c.tags);
    EXPECT_EQ(KindOf(c.line), LineKind::kEvent);
  }
}

TEST(DogStatsdEventTest, RefusesMalformedEvents) {
  const std::vector<std::string> lines = {
      "_e{5,4}:title|tex",                 // shorter than the lengths
      "_e{5,4}:title|textX",               // text longer than its length
      "_e{4,4}:title|text",                // title longer than its length
      "_e{6,4}:title|text",                // title shorter
      "_e{0,4}:|text",                     // empty title
      "_e{5,4}:title",                     // no text
      "_e{4,5}:caf\xc3\xa9|na\xc3\xafve",  // lengths in characters, not bytes
      "_e{4,6}:caf\xc3\xa9|na\xc3\xafve",  // a length that splits a character
      "_e{,4}:title|text",
      "_e{5,}:title|text",
      "_e{5}:title|text",
      "_e{5,4:title|text",
      "_e{5,4}title|text",
      "_e{5,4}",
      "_e{5,4}:",
      "_e{-5,4}:title|text",
      "_e{+5,4}:title|text",
      "_e{5 ,4}:title|text",
      "_e{5,4}:title|text|",
      "_e{5,4}:title|text||h:a",
      "_e{99999999999999999999,4}:title|text",
      "_e{65537,4}:title|text",
      "_e{5,4}:title|text|p:urgent",
      "_e{5,4}:title|text|t:fatal",
      "_e{5,4}:title|text|d:abc",
      "_e{5,4}:title|text|d:0",
      "_e{5,4}:title|text|d:-5",
      "_e{5,4}:title|text|d:99999999999999999999",
      "_e{5,4}:title|text|x:1",
      "_e{5,4}:title|text|m:message",
      "_e{5,4}:title|text|h:a|h:b",
      "_e{5,4}:title|text|#",
      "_e{5,4}:title|text|#a|#b",
      "_e{5,4}:title|text|c:",
      "_e{5,4}:title|text|c:a|c:b",
      "_e{5,4}:tit\xff"
      "e|text",
      MakeEvent("t", std::string("a\0b", 3)),
      MakeEvent("t", "x", "|h:\xc3"),
      "_e",
      "_e{",
      "_ex{1,1}:a|b",
      "page.views:1|c",
      "",
  };
  for (const std::string& line : lines) {
    SCOPED_TRACE(testing::Message() << "line: \"" << line << "\"");
    StatsdEvent out;
    EXPECT_EQ(ParseEvent(line, &out), ParseError::kBadEvent);
  }
}

TEST(DogStatsdEventTest, RefusesLinesOverTheLimit) {
  StatsdEvent out;
  const std::string text(kMaxLineLength - 20, 'x');
  const std::string ok = MakeEvent("t", text);
  ASSERT_LE(ok.size(), kMaxLineLength);
  EXPECT_EQ(ParseEvent(ok, &out), ParseError::kOk);
  EXPECT_EQ(out.text.size(), text.size());
  EXPECT_EQ(ParseEvent(MakeEvent("t", std::string(kMaxLineLength, 'x')), &out),
            ParseError::kTooLong);
}

struct CheckCase {
  std::string_view line;
  std::string_view name;
  int status;
  int64_t timestamp_s = 0;
  std::string_view hostname = {}, tags = {}, message = {};
};

TEST(DogStatsdServiceCheckTest, ParsesServiceChecks) {
  const std::vector<CheckCase> cases = {
      {"_sc|Redis connection|2|#env:dev|m:Redis connection timed out after 10s",
       "Redis connection",
       2,
       0,
       {},
       "env:dev",
       "Redis connection timed out after 10s"},
      {"_sc|app.ok|0", "app.ok", 0},
      {"_sc|app.warn|1", "app.warn", 1},
      {"_sc|app.unknown|3", "app.unknown", 3},
      {"_sc|n|3|d:1700000000|h:web-1|#a:b,c|m:msg", "n", 3, 1700000000, "web-1", "a:b,c", "msg"},
      {"_sc|n|1|#a|h:x|d:5", "n", 1, 5, "x", "a"},
      // The message is last and runs to the end of the line, '|' and all.
      {"_sc|n|2|m:a|b|#c", "n", 2, 0, {}, {}, "a|b|#c"},
      {"_sc|n|2|h:x|m:", "n", 2, 0, "x", {}, ""},
      {"_sc|n|2|m:escaped m\\: and\\nnewline", "n", 2, 0, {}, {}, "escaped m\\: and\\nnewline"},
      {"_sc|caf\xc3\xa9 check|0|m:\xe2\x9c\x93", "caf\xc3\xa9 check", 0, 0, {}, {}, "\xe2\x9c\x93"},
      {"_sc|n|0|c:ci-abc|e:x|card:high|h:", "n", 0},
  };
  for (const CheckCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "line: \"" << c.line << "\"");
    ServiceCheck out;
    out.message = "stale";
    ASSERT_EQ(ParseServiceCheck(c.line, &out), ParseError::kOk);
    EXPECT_EQ(out.name, c.name);
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(out.timestamp_s, c.timestamp_s);
    EXPECT_EQ(out.hostname, c.hostname);
    EXPECT_EQ(out.tags, c.tags);
    EXPECT_EQ(out.message, c.message);
    EXPECT_EQ(KindOf(c.line), LineKind::kServiceCheck);
  }
}

TEST(DogStatsdServiceCheckTest, RefusesMalformedServiceChecks) {
  const std::vector<std::string_view> lines = {
      "_sc|n",
      "_sc||0",
      "_sc|n|",
      "_sc|n|4",
      "_sc|n|-1",
      "_sc|n|01",
      "_sc|n|ok",
      "_sc|n| 0",
      "_sc|n|0|",
      "_sc|n|0||m:x",
      "_sc|n|0|x:1",
      "_sc|n|0|d:abc",
      "_sc|n|0|d:0",
      "_sc|n|0|d:1|d:2",
      "_sc|n|0|h:a|h:b",
      "_sc|n|0|#",
      "_sc|n|0|#a|#b",
      "_sc|n|0|c:",
      "_sc|n|0|t:error",
      "_sc|\xff|0",
      "_sc|n|0|m:\xc3",
      Bytes("_sc|n\0|0"),
      "_sc|",
      "_sc",
      "_sc:1|c",
      "",
  };
  for (std::string_view line : lines) {
    SCOPED_TRACE(testing::Message() << "line: \"" << line << "\"");
    ServiceCheck out;
    EXPECT_EQ(ParseServiceCheck(line, &out), ParseError::kBadServiceCheck);
  }
}

TEST(DogStatsdServiceCheckTest, RefusesLinesOverTheLimit) {
  ServiceCheck out;
  EXPECT_EQ(ParseServiceCheck("_sc|n|0|m:" + std::string(kMaxLineLength, 'm'), &out),
            ParseError::kTooLong);
}

}  // namespace
}  // namespace plumbline::collector
