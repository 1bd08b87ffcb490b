#include "query/api.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "query/parser.h"
#include "storage/engine.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::query {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kT0 = kNow - 3'600'000;  // first sample; one a minute until kNow - 60 s

// Parts of these tests go through the PromQL parser; until it is built they are skipped.
bool ParserBuilt() { return ParseExpr("1").ok(); }
#define REQUIRE_PARSER() \
  if (!ParserBuilt()) GTEST_SKIP() << "the PromQL parser is not built yet"

storage::Labels L(std::vector<storage::Label> pairs) {
  absl::StatusOr<storage::Labels> labels = storage::Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(labels.ok()) << labels.status();
  return labels.ok() ? *labels : storage::Labels();
}

struct ErrorCase {
  ApiParams params;
  std::string want;  // the "error" text; every case is bad_data, 400
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    absl::StatusOr<std::unique_ptr<storage::Engine>> engine = storage::Engine::Open(options);
    ASSERT_THAT(engine, testing::IsOk());
    engine_ = std::move(*engine);
    promql_ = std::make_unique<PromqlEngine>(engine_.get());
    ApiOptions api_options;
    api_options.clock = &clock_;
    api_options.build_info = {"1.2.3", "abc123", "main", "ci", "20240101-00:00:00", "GNU 12"};
    api_ = std::make_unique<PrometheusApi>(engine_.get(), promql_.get(), api_options);
  }

  // up{instance=a|b,job=api} 1|0 and http_requests_total{code,job} rising, one sample a
  // minute for an hour before kNow; metadata for both.
  void LoadData() {
    storage::AppendBatch batch;
    for (int i = 0; i < 60; ++i) {
      const int64_t t = kT0 + i * 60'000;
      batch.Add(L({{"__name__", "up"}, {"job", "api"}, {"instance", "a"}}), t, 1);
      batch.Add(L({{"__name__", "up"}, {"job", "api"}, {"instance", "b"}}), t, 0);
      batch.Add(L({{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}}), t,
                10.0 * i);
      batch.Add(L({{"__name__", "http_requests_total"}, {"job", "web"}, {"code", "500"}}), t, i);
    }
    absl::StatusOr<storage::AppendResult> result = engine_->Append(batch);
    ASSERT_THAT(result, testing::IsOk());
    ASSERT_EQ(result->appended, 240u);
    ASSERT_THAT(engine_->PutMetadata({"http_requests_total", "counter", "Requests.", ""}),
                testing::IsOk());
    ASSERT_THAT(engine_->PutMetadata({"up", "gauge", "Up.", ""}), testing::IsOk());
  }

  using Handler = ApiResponse (PrometheusApi::*)(const ApiParams&) const;

  void ExpectErrors(Handler handler, const std::vector<ErrorCase>& cases) {
    for (const ErrorCase& c : cases) {
      std::string trace;
      for (const auto& [k, v] : c.params) trace += k + "=" + v + "&";
      SCOPED_TRACE(trace);
      ExpectError((api_.get()->*handler)(c.params), 400, "bad_data", c.want);
    }
  }

  static void ExpectError(const ApiResponse& r, int status, const std::string& type,
                          const std::string& error) {
    EXPECT_EQ(r.status, status) << r.body;
    const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.value("status", ""), "error");
    EXPECT_EQ(body.value("errorType", ""), type);
    EXPECT_EQ(body.value("error", ""), error);
  }

  static std::string Seconds(int64_t ms) {
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 + 1000).substr(1);
  }

  ::plumbline::testing::TempDir dir_;
  ::plumbline::testing::FakeClock clock_{kNow};
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<PromqlEngine> promql_;
  std::unique_ptr<PrometheusApi> api_;
};

// ---- parameters -------------------------------------------------------------------------

TEST(ApiParamsTest, ParsesTimesAsPrometheus) {
  const struct {
    const char* text;
    int64_t want;
  } cases[] = {
      {"123", 123'000},
      {"123.123", 123'123},
      {"1543578564.705", 1543578564705},
      {"0.0015", 2},  // the fraction rounds to the millisecond
      {"1435781451.7814", 1435781451781},
      {"-1.5", -1500},
      {"0", 0},
      {"+4", 4000},
      {"1e3", 1'000'000},
      {"0x1p4", 16'000},
      {"2015-06-03T13:21:58.555Z", 1433337718555},
      {"2015-06-03T14:21:58.555+01:00", 1433337718555},
      {"2015-06-03T13:21:58Z", 1433337718000},
      {"2015-06-03T13:21:58.5559999Z", 1433337718555},
      {"1969-12-31T23:59:59.999Z", -1},
      {"2016-02-29T00:00:00Z", 1456704000000},
      {"-292273086-05-16T16:47:06Z", kApiMinTimeMs},
      {"292277025-08-18T07:12:54.999999999Z", kApiMaxTimeMs},
  };
  for (const auto& c : cases) {
    absl::StatusOr<int64_t> t = ParseApiTimeMs(c.text);
    ASSERT_THAT(t, testing::IsOk()) << c.text;
    EXPECT_EQ(*t, c.want) << c.text;
  }
  for (const char* bad :
       {"", "abc", "30s", "NaN", "Inf", "1e400", "2015-06-03 13:21:58Z", "2015-02-29T00:00:00Z",
        "2015-06-03T13:21:58", "2015-06-03T13:21:58+0100", " 1", "1_000", "0x10"}) {
    EXPECT_THAT(ParseApiTimeMs(bad),
                testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                  "cannot parse \"" + std::string(bad) + "\" to a valid timestamp"))
        << bad;
  }
}

TEST(ApiParamsTest, ParsesDurationsAsPrometheus) {
  EXPECT_EQ(*ParseApiDurationNs("1"), 1'000'000'000);
  EXPECT_EQ(*ParseApiDurationNs("0.5"), 500'000'000);
  EXPECT_EQ(*ParseApiDurationNs("-1"), -1'000'000'000);
  EXPECT_EQ(*ParseApiDurationNs("1e-9"), 1);
  EXPECT_THAT(ParseApiDurationNs("1e30"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                "cannot parse \"1e30\" to a valid duration. It overflows int64"));
  EXPECT_THAT(ParseApiDurationNs("often"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                "cannot parse \"often\" to a valid duration"));
  EXPECT_THAT(ParseApiDurationNs("say \"x\""),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                "cannot parse \"say \\\"x\\\"\" to a valid duration"));
  if (!ParseDurationMs("1m").ok()) GTEST_SKIP() << "Prometheus durations need the parser";
  EXPECT_EQ(*ParseApiDurationNs("1m30s"), 90'000'000'000);
  EXPECT_EQ(*ParseApiDurationNs("5ms"), 5'000'000);
}

TEST_F(ApiTest, QueryParameterErrors) {
  ExpectErrors(
      &PrometheusApi::Query,
      {
          {{{"query", "up"}, {"limit", "abc"}},
           R"(invalid parameter "limit": strconv.Atoi: parsing "abc": invalid syntax)"},
          {{{"query", "up"}, {"limit", "-1"}},
           R"(invalid parameter "limit": limit must be non-negative)"},
          {{{"query", "up"}, {"limit", "99999999999999999999"}},
           R"(invalid parameter "limit": strconv.Atoi: parsing "99999999999999999999": value out of range)"},
          {{{"query", "up"}, {"time", "soon"}},
           R"(invalid parameter "time": invalid time value for 'time': cannot parse "soon" to a valid timestamp)"},
          {{{"query", "up"}, {"timeout", "abc"}},
           R"(invalid parameter "timeout": cannot parse "abc" to a valid duration)"},
          {{{"query", "up"}, {"lookback_delta", "abc"}},
           R"(error parsing lookback delta duration: cannot parse "abc" to a valid duration)"},
          // Wrong in two ways, a request is told of the one Prometheus checks first.
          {{{"query", "sum("}, {"limit", "x"}, {"time", "soon"}},
           R"(invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax)"},
          {{{"query", "sum("}, {"time", "soon"}, {"timeout", "x"}},
           R"(invalid parameter "time": invalid time value for 'time': cannot parse "soon" to a valid timestamp)"},
          {{{"query", "sum("}, {"timeout", "x"}, {"lookback_delta", "y"}},
           R"(invalid parameter "timeout": cannot parse "x" to a valid duration)"},
          {{{"query", "sum("}, {"lookback_delta", "y"}},
           R"(error parsing lookback delta duration: cannot parse "y" to a valid duration)"},
      });
}

TEST_F(ApiTest, QueryRangeParameterErrors) {
  const auto window = [](std::vector<std::pair<std::string, std::string>> more) {
    ApiParams p = {{"query", "up"}, {"start", "1000"}, {"end", "1060"}, {"step", "15"}};
    // Like url.Values.Set: the named parameter replaces the default.
    for (auto& [k, v] : more) {
      bool replaced = false;
      for (auto& [pk, pv] : p) {
        if (pk == k) {
          pv = v;
          replaced = true;
        }
      }
      if (!replaced) p.emplace_back(k, v);
    }
    return p;
  };
  const std::string resolution =
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
      "resolution (?step=XX)";
  const std::string step_zero =
      R"(invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer)";
  ExpectErrors(
      &PrometheusApi::QueryRange,
      {
          {window({{"start", ""}}),
           R"(invalid parameter "start": cannot parse "" to a valid timestamp)"},
          {{{"query", "up"}}, R"(invalid parameter "start": cannot parse "" to a valid timestamp)"},
          {window({{"end", "later"}}),
           R"(invalid parameter "end": cannot parse "later" to a valid timestamp)"},
          {window({{"end", "999.999"}}),
           R"(invalid parameter "end": end timestamp must not be before start time)"},
          {window({{"step", "often"}}),
           R"(invalid parameter "step": cannot parse "often" to a valid duration)"},
          {window({{"step", ""}}),
           R"(invalid parameter "step": cannot parse "" to a valid duration)"},
          {window({{"step", "0"}}), step_zero},
          {window({{"step", "-1"}}), step_zero},
          {window({{"step", "NaN"}}), step_zero},
          {window({{"step", "1e30"}}),
           R"(invalid parameter "step": cannot parse "1e30" to a valid duration. It overflows int64)"},
          {window({{"start", "0"}, {"end", "11001"}, {"step", "1"}}), resolution},
          {window({{"start", "0"}, {"end", "1.2"}, {"step", "0.0001"}}), resolution},
          {window({{"limit", "many"}}),
           R"(invalid parameter "limit": strconv.Atoi: parsing "many": invalid syntax)"},
          {window({{"timeout", "soon"}}),
           R"(invalid parameter "timeout": cannot parse "soon" to a valid duration)"},
          {window({{"lookback_delta", "y"}}),
           R"(error parsing lookback delta duration: cannot parse "y" to a valid duration)"},
          // The order Prometheus checks them in.
          {window({{"start", ""}, {"step", "0"}, {"query", "sum("}}),
           R"(invalid parameter "start": cannot parse "" to a valid timestamp)"},
          {window({{"step", "0"}, {"query", "sum("}}), step_zero},
          {window({{"limit", "x"}, {"start", ""}}),
           R"(invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax)"},
          {window({{"end", "later"}, {"step", "0"}}),
           R"(invalid parameter "end": cannot parse "later" to a valid timestamp)"},
          {window({{"end", "999"}, {"step", "often"}}),
           R"(invalid parameter "end": end timestamp must not be before start time)"},
          {window({{"step", "often"}, {"timeout", "x"}}),
           R"(invalid parameter "step": cannot parse "often" to a valid duration)"},
          {window({{"start", "0"}, {"end", "11001"}, {"step", "1"}, {"timeout", "x"}}), resolution},
          {window({{"timeout", "x"}, {"query", "sum("}}),
           R"(invalid parameter "timeout": cannot parse "x" to a valid duration)"},
          {window({{"lookback_delta", "y"}, {"query", "sum("}}),
           R"(error parsing lookback delta duration: cannot parse "y" to a valid duration)"},
      });
  // Exactly 11,000 points is allowed: the request gets as far as the query.
  const ApiResponse at_limit =
      api_->QueryRange(window({{"start", "0"}, {"end", "11000"}, {"step", "1"}}));
  EXPECT_EQ(at_limit.body.find("maximum resolution"), std::string::npos) << at_limit.body;
}

TEST_F(ApiTest, SeriesLabelsAndMetadataParameterErrors) {
  ExpectErrors(
      &PrometheusApi::Series,
      {
          {{}, "no match[] parameter provided"},
          {{{"limit", "some"}}, "no match[] parameter provided"},
          {{{"match[]", "up{"}, {"limit", "some"}},
           R"(invalid parameter "limit": strconv.Atoi: parsing "some": invalid syntax)"},
          {{{"match[]", "up{"}, {"start", "x"}},
           R"(invalid parameter "start": invalid time value for 'start': cannot parse "x" to a valid timestamp)"},
          {{{"match[]", "up"}, {"end", "x"}},
           R"(invalid parameter "end": invalid time value for 'end': cannot parse "x" to a valid timestamp)"},
      });
  ExpectErrors(
      &PrometheusApi::LabelNames,
      {
          {{{"limit", "some"}, {"start", "x"}},
           R"(invalid parameter "limit": strconv.Atoi: parsing "some": invalid syntax)"},
          {{{"end", "later"}},
           R"(invalid parameter "end": invalid time value for 'end': cannot parse "later" to a valid timestamp)"},
      });
  ExpectErrors(&PrometheusApi::Metadata,
               {
                   {{{"limit", "x"}}, "limit must be a number"},
                   {{{"limit_per_metric", "y"}}, "limit_per_metric must be a number"},
               });
  ExpectErrors(
      &PrometheusApi::QueryExemplars,
      {
          {{{"query", "up"}, {"start", "x"}},
           R"(invalid parameter "start": invalid time value for 'start': cannot parse "x" to a valid timestamp)"},
          {{{"query", "up"}, {"start", "10"}, {"end", "5"}},
           "end timestamp must not be before start timestamp"},
      });
  ExpectError(api_->LabelValues("", {}), 400, "bad_data", R"(invalid label name: "")");
  ExpectError(api_->LabelValues("\xff", {}), 400, "bad_data", R"(invalid label name: "\xff")");
  ExpectError(api_->LabelValues("job", {{"limit", "-2"}}), 400, "bad_data",
              R"(invalid parameter "limit": limit must be non-negative)");
  ExpectError(
      api_->LabelValues("job", {{"start", "x"}}), 400, "bad_data",
      R"(invalid parameter "start": invalid time value for 'start': cannot parse "x" to a valid timestamp)");
}

TEST_F(ApiTest, MatcherErrors) {
  REQUIRE_PARSER();
  ExpectErrors(
      &PrometheusApi::Series,
      {
          {{{"match[]", R"({job=~".*"})"}},
           R"(invalid parameter "match[]": match[] must contain at least one non-empty matcher)"},
          {{{"match[]", "{}"}},
           R"(invalid parameter "match[]": match[] must contain at least one non-empty matcher)"},
      });
  ExpectErrors(&PrometheusApi::LabelNames,
               {{{{"match[]", "{}"}}, "match[] must contain at least one non-empty matcher"}});
  // Every selector is parsed before any is weighed.
  const ApiResponse r = api_->Series({{"match[]", "{}"}, {"match[]", "up{"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(nlohmann::json::parse(r.body)["error"].get<std::string>(),
              ::testing::StartsWith(R"(invalid parameter "match[]": 1:4: parse error)"));
}

// ---- queries ------------------------------------------------------------------------------

TEST_F(ApiTest, GrafanaHealthCheck) {
  REQUIRE_PARSER();
  const ApiResponse r = api_->Query({{"query", "1+1"}, {"time", "4"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})");
}

TEST_F(ApiTest, InstantQueries) {
  REQUIRE_PARSER();
  LoadData();
  // Without a time the query runs at the clock's now.
  ApiResponse r = api_->Query({{"query", "up"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"__name__":"up","instance":"a","job":"api"},"value":[1700000000,"1"]},)"
      R"({"metric":{"__name__":"up","instance":"b","job":"api"},"value":[1700000000,"0"]}]}})");

  r = api_->Query({{"query", R"(up{instance="a"})"}, {"time", Seconds(kT0 + 90'500)}});
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"__name__":"up","instance":"a","job":"api"},"value":[1699996490.500,"1"]}]}})");

  r = api_->Query({{"query", R"(http_requests_total{job="web"}[2m])"}});
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"matrix","result":[)"
                    R"({"metric":{"__name__":"http_requests_total","code":"500","job":"web"},)"
                    R"("values":[[1699999940,"59"]]}]}})");

  r = api_->Query({{"query", R"("hello")"}, {"time", "1"}});
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"string","result":[1,"hello"]}})");

  // A lookback shorter than the minute since the last sample finds nothing.
  r = api_->Query({{"query", "up"}, {"lookback_delta", "30"}});
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  r = api_->Query({{"query", "up"}, {"lookback_delta", "61"}});
  EXPECT_EQ(nlohmann::json::parse(r.body)["data"]["result"].size(), 2u);

  r = api_->Query({{"query", "up"}, {"limit", "1"}});
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"vector","result":[)"
            R"({"metric":{"__name__":"up","instance":"a","job":"api"},"value":[1700000000,"1"]}]},)"
            R"("warnings":["results truncated due to limit"]})");
  r = api_->Query({{"query", "up"}, {"limit", "2"}});
  EXPECT_EQ(r.body.find("warnings"), std::string::npos);
}

TEST_F(ApiTest, RangeQueries) {
  REQUIRE_PARSER();
  LoadData();
  const ApiParams params = {{"query", "sum by (job) (http_requests_total)"},
                            {"start", Seconds(kNow - 120'000)},
                            {"end", Seconds(kNow)},
                            {"step", "60"}};
  ApiResponse r = api_->QueryRange(params);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"resultType":"matrix","result":[)"
      R"({"metric":{"job":"api"},"values":[[1699999880,"580"],[1699999940,"590"],[1700000000,"590"]]},)"
      R"({"metric":{"job":"web"},"values":[[1699999880,"58"],[1699999940,"59"],[1700000000,"59"]]}]}})");

  ApiParams limited = params;
  limited.emplace_back("limit", "1");
  r = api_->QueryRange(limited);
  const nlohmann::json body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["data"]["result"].size(), 1u);
  EXPECT_EQ(body["data"]["result"][0]["metric"]["job"], "api");
  EXPECT_EQ(body["warnings"], nlohmann::json::array({"results truncated due to limit"}));

  // A window of one instant is that instant.
  r = api_->QueryRange({{"query", "2"}, {"start", "1000"}, {"end", "1000"}, {"step", "15"}});
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"matrix","result":[)"
                    R"({"metric":{},"values":[[1000,"2"]]}]}})");
}

TEST_F(ApiTest, QueryErrors) {
  REQUIRE_PARSER();
  LoadData();
  ExpectError(api_->Query({{"query", "sum("}}), 400, "bad_data",
              R"(invalid parameter "query": 1:5: parse error: unclosed left parenthesis)");
  ExpectError(api_->QueryRange({{"query", "sum("}, {"start", "0"}, {"end", "60"}, {"step", "15"}}),
              400, "bad_data",
              R"(invalid parameter "query": 1:5: parse error: unclosed left parenthesis)");
  ExpectError(
      api_->QueryRange({{"query", "up[5m]"}, {"start", "0"}, {"end", "60"}, {"step", "15"}}), 400,
      "bad_data",
      R"(invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector)");
  // Parses, cannot be evaluated: execution, 422.
  const ApiResponse r = api_->Query({{"query", "http_requests_total + on() up"}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["errorType"], "execution");
  // Out of time before it starts: timeout, 503.
  for (const char* timeout : {"0", "0.000000001", "-1"}) {
    ExpectError(api_->Query({{"query", "up"}, {"timeout", timeout}}), 503, "timeout",
                "query timed out in expression evaluation");
  }
  EXPECT_EQ(api_->Query({{"query", "up"}, {"timeout", "30"}}).status, 200);
}

// ---- metadata endpoints -------------------------------------------------------------------

TEST_F(ApiTest, LabelNamesAndValues) {
  LoadData();
  EXPECT_EQ(api_->LabelNames({}).body,
            R"({"status":"success","data":["__name__","code","instance","job"]})");
  EXPECT_EQ(
      api_->LabelNames({{"limit", "2"}}).body,
      R"({"status":"success","data":["__name__","code"],"warnings":["results truncated due to limit"]})");
  EXPECT_EQ(api_->LabelNames({{"limit", "4"}}).body,
            R"({"status":"success","data":["__name__","code","instance","job"]})");
  EXPECT_EQ(api_->LabelNames({{"start", Seconds(kNow + 86'400'000 * 3)}}).body,
            R"({"status":"success","data":[]})");
  EXPECT_EQ(api_->LabelValues("job", {}).body, R"({"status":"success","data":["api","web"]})");
  EXPECT_EQ(api_->LabelValues("__name__", {}).body,
            R"({"status":"success","data":["http_requests_total","up"]})");
  EXPECT_EQ(api_->LabelValues("nope", {}).body, R"({"status":"success","data":[]})");
  EXPECT_EQ(api_->LabelValues("job", {{"limit", "1"}}).body,
            R"({"status":"success","data":["api"],"warnings":["results truncated due to limit"]})");

  if (!ParserBuilt()) return;
  EXPECT_EQ(api_->LabelValues("job", {{"match[]", "up"}}).body,
            R"({"status":"success","data":["api"]})");
  EXPECT_EQ(api_->LabelValues("code", {{"match[]", R"({job="web"})"}, {"match[]", "up"}}).body,
            R"({"status":"success","data":["500"]})");
  EXPECT_EQ(api_->LabelNames({{"match[]", "up"}}).body,
            R"({"status":"success","data":["__name__","instance","job"]})");
}

TEST_F(ApiTest, Series) {
  REQUIRE_PARSER();
  LoadData();
  EXPECT_EQ(api_->Series({{"match[]", "up"}}).body,
            R"({"status":"success","data":[{"__name__":"up","instance":"a","job":"api"},)"
            R"({"__name__":"up","instance":"b","job":"api"}]})");
  // Two selectors that overlap: each series once, in Prometheus' order.
  const std::string all =
      R"({"status":"success","data":[{"__name__":"http_requests_total","code":"200","job":"api"},)"
      R"({"__name__":"up","instance":"a","job":"api"},{"__name__":"up","instance":"b","job":"api"}]})";
  EXPECT_EQ(api_->Series({{"match[]", "up"}, {"match[]", R"({job="api"})"}}).body, all);
  EXPECT_EQ(api_->Series({{"match[]", "up"}, {"match[]", R"({job="api"})"}, {"limit", "3"}}).body,
            all);
  EXPECT_EQ(
      api_->Series({{"match[]", R"({job="api"})"}, {"limit", "1"}}).body,
      R"({"status":"success","data":[{"__name__":"http_requests_total","code":"200","job":"api"}],)"
      R"("warnings":["results truncated due to limit"]})");
  EXPECT_EQ(api_->Series({{"match[]", "nothing_here"}}).body, R"({"status":"success","data":[]})");
}

TEST_F(ApiTest, Metadata) {
  LoadData();
  EXPECT_EQ(api_->Metadata({}).body,
            R"({"status":"success","data":{)"
            R"("http_requests_total":[{"type":"counter","help":"Requests.","unit":""}],)"
            R"("up":[{"type":"gauge","help":"Up.","unit":""}]}})");
  EXPECT_EQ(api_->Metadata({{"limit", "1"}}).body,
            R"({"status":"success","data":{)"
            R"("http_requests_total":[{"type":"counter","help":"Requests.","unit":""}]}})");
  EXPECT_EQ(api_->Metadata({{"limit", "0"}}).body, R"({"status":"success","data":{}})");
  EXPECT_EQ(api_->Metadata({{"metric", "up"}, {"limit_per_metric", "1"}}).body,
            R"({"status":"success","data":{"up":[{"type":"gauge","help":"Up.","unit":""}]}})");
  EXPECT_EQ(api_->Metadata({{"metric", "nope"}}).body, R"({"status":"success","data":{}})");
}

TEST_F(ApiTest, BuildInfo) {
  const ApiResponse r = api_->BuildInfoResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"version":"1.2.3","revision":"abc123","branch":"main",)"
            R"("buildUser":"ci","buildDate":"20240101-00:00:00","goVersion":"GNU 12"}})");
}

TEST_F(ApiTest, QueryExemplars) {
  REQUIRE_PARSER();
  EXPECT_EQ(api_->QueryExemplars({{"query", "up"}}).body, R"({"status":"success","data":[]})");
  // No selector in the query: no content, as Prometheus.
  const ApiResponse none = api_->QueryExemplars({{"query", "1+1"}});
  EXPECT_EQ(none.status, 204);
  EXPECT_EQ(none.body, "");
  ExpectError(api_->QueryExemplars({{"query", "sum("}}), 400, "bad_data",
              "1:5: parse error: unclosed left parenthesis");
}

}  // namespace
}  // namespace plumbline::query
