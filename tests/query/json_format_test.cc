#include "query/json_format.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace plumbline::query {
namespace {

storage::Labels L(std::vector<storage::Label> pairs) {
  absl::StatusOr<storage::Labels> labels = storage::Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(labels.ok()) << labels.status();
  return labels.ok() ? *labels : storage::Labels();
}

// Expected strings are what Go's strconv.AppendFloat writes in Prometheus' jsonutil.MarshalFloat:
// 'f' with the shortest round-trip digits, except 'e' below 1e-6 and from 1e21 on.
TEST(JsonFormatTest, FormatsSampleValuesAsPrometheus) {
  const double inf = std::numeric_limits<double>::infinity();
  const struct {
    double value;
    const char* want;
  } cases[] = {
      {0.1, "0.1"},
      {1, "1"},
      {0, "0"},
      {-0.0, "-0"},
      {-2.5, "-2.5"},
      {100, "100"},
      {123456789.123, "123456789.123"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e-6, "0.000001"},
      {1.5e-5, "0.000015"},
      {9.99e-7, "9.99e-07"},
      {1e-7, "1e-07"},
      {5e-324, "5e-324"},
      {1e20, "100000000000000000000"},
      {999999999999999900000.0, "999999999999999900000"},
      // Go fills the shortest digits with zeros, never the exact binary expansion.
      {123456789012345683968.0, "123456789012345680000"},
      {9007199254740993.0, "9007199254740992"},
      {1e21, "1e+21"},
      {-1e21, "-1e+21"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {std::nan(""), "NaN"},
      {StaleNaN(), "NaN"},
      {inf, "+Inf"},
      {-inf, "-Inf"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(FormatSampleValue(c.value), c.want);
  }
}

TEST(JsonFormatTest, FormatsTimestampsAsSecondsWithMilliseconds) {
  const struct {
    int64_t ms;
    const char* want;
  } cases[] = {
      {1435781451781, "1435781451.781"},
      {1435781451000, "1435781451"},
      {1435781451780, "1435781451.780"},
      {1435781451005, "1435781451.005"},
      {1435781451050, "1435781451.050"},
      {1, "0.001"},
      {10, "0.010"},
      {0, "0"},
      {-1, "-0.001"},
      {-1500, "-1.500"},
      {4000, "4"},
  };
  for (const auto& c : cases) {
    std::string out;
    AppendTimestamp(c.ms, &out);
    EXPECT_EQ(out, c.want) << c.ms;
  }
}

TEST(JsonFormatTest, EscapesStringsAsGo) {
  const struct {
    std::string in;
    const char* want;
  } cases[] = {
      {"plain", R"("plain")"},
      {"say \"hi\"\\", R"("say \"hi\"\\")"},
      {"a\nb\rc\td", R"("a\nb\rc\td")"},
      {std::string("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\x7f\""},
      {"<a href=x&y>", R"("\u003ca href=x\u0026y\u003e")"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"line\xe2\x80\xa8sep\xe2\x80\xa9", R"("line\u2028sep\u2029")"},
      {"bad \xff byte", R"("bad \ufffd byte")"},
      {"cut \xe2\x82", R"("cut \ufffd\ufffd")"},
      {"overlong \xc0\xaf", R"("overlong \ufffd\ufffd")"},
      {"surrogate \xed\xa0\x80", R"("surrogate \ufffd\ufffd\ufffd")"},
  };
  for (const auto& c : cases) {
    std::string out;
    AppendJsonString(c.in, &out);
    EXPECT_EQ(out, c.want) << c.in;
    EXPECT_TRUE(nlohmann::json::accept(out)) << out;
  }
}

TEST(JsonFormatTest, LabelsAreInByteOrder) {
  std::string out;
  AppendLabelsObject(L({{"__name__", "up"}, {"job", "api"}, {"Zone", "eu"}, {"_0", "x"}}), &out);
  EXPECT_EQ(out, R"({"Zone":"eu","_0":"x","__name__":"up","job":"api"})");
  out.clear();
  AppendLabelsObject(storage::Labels(), &out);
  EXPECT_EQ(out, "{}");
}

TEST(JsonFormatTest, ComparesLabelsAsPrometheus) {
  EXPECT_EQ(CompareLabels(L({{"a", "1"}}), L({{"a", "1"}})), 0);
  EXPECT_LT(CompareLabels(L({{"a", "1"}}), L({{"a", "2"}})), 0);
  EXPECT_LT(CompareLabels(L({{"a", "1"}}), L({{"a", "1"}, {"b", "1"}})), 0);
  EXPECT_GT(CompareLabels(L({{"b", "1"}}), L({{"a", "1"}, {"b", "1"}})), 0);
  // Byte order: an upper-case name sorts before __name__.
  EXPECT_LT(CompareLabels(L({{"Z", "1"}, {"__name__", "m"}}), L({{"__name__", "m"}})), 0);
}

TEST(JsonFormatTest, ScalarAndStringResults) {
  EXPECT_EQ(QueryResultJson({Scalar{4000, 2}, {}}),
            R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})");
  EXPECT_EQ(
      QueryResultJson({String{1435781451781, "a \"b\""}, {}}),
      R"({"status":"success","data":{"resultType":"string","result":[1435781451.781,"a \"b\""]}})");
}

TEST(JsonFormatTest, VectorResult) {
  Vector v = {{L({{"__name__", "up"}, {"job", "api"}}), 1435781451781, 1},
              {L({{"instance", "b"}}), 1435781451781, std::nan("")}};
  EXPECT_EQ(QueryResultJson({v, {}}),
            R"({"status":"success","data":{"resultType":"vector","result":[)"
            R"({"metric":{"__name__":"up","job":"api"},"value":[1435781451.781,"1"]},)"
            R"({"metric":{"instance":"b"},"value":[1435781451.781,"NaN"]}]}})");
  EXPECT_EQ(QueryResultJson({Vector{}, {}}),
            R"({"status":"success","data":{"resultType":"vector","result":[]}})");
}

TEST(JsonFormatTest, MatrixResult) {
  Matrix m = {{L({{"__name__", "x"}}), {{1000, 1}, {2500, 1e21}, {4000, -0.5}}},
              {L({{"a", "b"}}), {}}};
  EXPECT_EQ(QueryResultJson({m, {}}),
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"__name__":"x"},"values":[[1,"1"],[2.500,"1e+21"],[4,"-0.5"]]},)"
            R"({"metric":{"a":"b"}}]}})");
  EXPECT_EQ(QueryResultJson({Matrix{}, {}}),
            R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
}

TEST(JsonFormatTest, WarningsAndInfos) {
  QueryResult r{Scalar{0, 1}, {"w1", "PromQL info: i1", "PromQL warning: <w2>"}};
  EXPECT_EQ(QueryResultJson(r),
            R"({"status":"success","data":{"resultType":"scalar","result":[0,"1"]},)"
            R"("warnings":["w1","PromQL warning: \u003cw2\u003e"],"infos":["PromQL info: i1"]})");
  QueryResult many{Scalar{0, 1}, {}};
  for (int i = 0; i < 13; ++i) many.warnings.push_back("w" + std::to_string(i));
  const nlohmann::json body = nlohmann::json::parse(QueryResultJson(many));
  ASSERT_EQ(body["warnings"].size(), 11u);
  EXPECT_EQ(body["warnings"][9], "w9");
  EXPECT_EQ(body["warnings"][10], "3 more warning annotations omitted");
  EXPECT_FALSE(body.contains("infos"));
}

TEST(JsonFormatTest, ErrorEnvelopeKeepsPrometheusKeyOrder) {
  EXPECT_EQ(
      ErrorEnvelopeJson("bad_data", "invalid parameter \"query\": x"),
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": x"})");
}

}  // namespace
}  // namespace plumbline::query
