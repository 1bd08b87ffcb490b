// The remote query backend (query/query_backend.h): the /api/v1/query JSON read back into
// Value, form encoding, URL checks, forwarding and errors over a fake transport, and rules
// evaluated through it with their output stored in a real local engine.
#include "query/query_backend.h"

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "query/promql.h"
#include "query/rule_manager.h"
#include "storage/engine.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kT0 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z

// What a fake transport was asked, and what it answers.
struct FakeTransport {
  struct Call {
    std::string url;
    std::string body;
    int64_t timeout_ms;
  };
  std::vector<Call> calls;
  absl::StatusOr<BackendResponse> answer = BackendResponse{200, ""};

  BackendPost Post() {
    return [this](const std::string& url, const std::string& body, int64_t timeout_ms) {
      calls.push_back({url, body, timeout_ms});
      return answer;
    };
  }
};

TEST(QueryBackendTest, ParsesAVector) {
  absl::StatusOr<Value> v = ParseQueryResponse(200, R"({"status":"success","data":{
      "resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"a"},"value":[1795651200.5,"1"]},
        {"metric":{"job":"b"},"value":[1795651200,"+Inf"]},
        {"metric":{},"value":[1795651200,"-Inf"]},
        {"metric":{"x":"y"},"value":[1795651200.001,"NaN"]},
        {"metric":{"x":"z"},"value":[1795651200,"1e-07"]}]}})");
  ASSERT_TRUE(v.ok()) << v.status();
  const Vector* vector = std::get_if<Vector>(&*v);
  ASSERT_NE(vector, nullptr);
  ASSERT_THAT(*vector, SizeIs(5));
  EXPECT_EQ((*vector)[0].metric.ToString(), R"(up{job="a"})");
  EXPECT_EQ((*vector)[0].t, kT0 + 500);
  EXPECT_EQ((*vector)[0].f, 1);
  EXPECT_EQ((*vector)[1].metric.Get("job"), "b");
  EXPECT_EQ((*vector)[1].f, HUGE_VAL);
  EXPECT_TRUE((*vector)[2].metric.empty());
  EXPECT_EQ((*vector)[2].f, -HUGE_VAL);
  EXPECT_EQ((*vector)[3].t, kT0 + 1);
  EXPECT_TRUE(std::isnan((*vector)[3].f));
  EXPECT_EQ((*vector)[4].f, 1e-7);
}

TEST(QueryBackendTest, ParsesScalarStringAndMatrix) {
  absl::StatusOr<Value> scalar = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1795651200,"2.5"]}})");
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  ASSERT_NE(std::get_if<Scalar>(&*scalar), nullptr);
  EXPECT_EQ(std::get<Scalar>(*scalar).t, kT0);
  EXPECT_EQ(std::get<Scalar>(*scalar).v, 2.5);

  absl::StatusOr<Value> string = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"string","result":[1795651200,"hi"]}})");
  ASSERT_TRUE(string.ok()) << string.status();
  ASSERT_NE(std::get_if<String>(&*string), nullptr);
  EXPECT_EQ(std::get<String>(*string).v, "hi");

  absl::StatusOr<Value> matrix = ParseQueryResponse(200, R"({"status":"success","data":{
      "resultType":"matrix","result":[{"metric":{"__name__":"m"},
      "values":[[1795651200,"1"],[1795651210,"2"]]}]},"warnings":["partial"]})");
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  const Matrix* m = std::get_if<Matrix>(&*matrix);
  ASSERT_NE(m, nullptr);
  ASSERT_THAT(*m, SizeIs(1));
  EXPECT_EQ((*m)[0].metric.metric_name(), "m");
  ASSERT_THAT((*m)[0].floats, SizeIs(2));
  EXPECT_EQ((*m)[0].floats[1].t, kT0 + 10'000);
  EXPECT_EQ((*m)[0].floats[1].f, 2);
}

TEST(QueryBackendTest, ErrorEnvelopesKeepTheirMessageAndType) {
  struct Case {
    int http_status;
    std::string body;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {400, R"({"status":"error","errorType":"bad_data","error":"1:5: parse error"})",
       absl::StatusCode::kInvalidArgument, "1:5: parse error"},
      {422, R"({"status":"error","errorType":"execution","error":"many-to-many"})",
       absl::StatusCode::kFailedPrecondition, "many-to-many"},
      {503, R"({"status":"error","errorType":"timeout","error":"query timed out"})",
       absl::StatusCode::kDeadlineExceeded, "query timed out"},
      {503, R"({"status":"error","errorType":"unavailable","error":"busy"})",
       absl::StatusCode::kUnavailable, "busy"},
      // VictoriaMetrics writes the HTTP status as the errorType.
      {422, R"({"status":"error","errorType":"422","error":"unexpected token"})",
       absl::StatusCode::kFailedPrecondition, "unexpected token"},
      {400, R"({"status":"error","errorType":"400","error":"bad step"})",
       absl::StatusCode::kInvalidArgument, "bad step"},
      {503, R"({"status":"error"})", absl::StatusCode::kUnavailable,
       "HTTP 503 without an error message"},
      {500, R"({"status":"error","errorType":"internal","error":"disk"})",
       absl::StatusCode::kInternal, "disk"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    absl::StatusOr<Value> v = ParseQueryResponse(c.http_status, c.body);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), c.code);
    EXPECT_EQ(v.status().message(), c.message);
  }
}

TEST(QueryBackendTest, RejectsWhatIsNotTheApiJson) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"<html>502 Bad Gateway</html>\n", R"(HTTP 200 without the query API's JSON: "<html>502)"},
      {"", "HTTP 200 without the query API's JSON: an empty body"},
      {R"({"status":"success"})", "without \"data\""},
      {R"({"status":"success","data":{"resultType":"vector"}})", "lacks resultType or result"},
      {R"({"status":"success","data":{"resultType":"histo","result":[]}})", "unknown resultType"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})",
       "not a string"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}})",
       "not a number: \"x\""},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","2"]}]}})",
       "time is not a number"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}})",
       "[time, \"value\"] pair"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a-b":"1"},"value":[1,"2"]}]}})",
       "a-b"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"2"]}]}})",
       "label a is not a string"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}})",
       "native histograms are not supported"},
      {R"({"status":"success","data":{"resultType":"scalar","result":[1]}})",
       "not a [time, value] pair"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    absl::StatusOr<Value> v = ParseQueryResponse(200, c.body);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInternal);
    EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.message));
  }
}

TEST(QueryBackendTest, EncodesForms) {
  EXPECT_EQ(EncodeForm({}), "");
  EXPECT_EQ(EncodeForm({{"query", "sum(rate(x{a=\"b c\"}[5m]))"}, {"time", "1.5"}}),
            "query=sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%29&time=1.5");
  EXPECT_EQ(EncodeForm({{"match[]", "up"}, {"match[]", "a&b"}, {"x", "é+%"}}),
            "match%5B%5D=up&match%5B%5D=a%26b&x=%C3%A9%2B%25");
}

TEST(QueryBackendTest, ValidatesUrls) {
  for (std::string_view good :
       {"http://127.0.0.1:8428", "https://vm.example/", "http://vmselect:8481/select/0/prometheus",
        "http://user:pw@prom:9090"}) {
    EXPECT_TRUE(ValidateQueryBackendUrl(good).ok()) << good;
  }
  for (std::string_view bad : {"127.0.0.1:8428", "ftp://x", "http://", "http://:80/x",
                               "http://x/?a=b", "http://x/#f", "http://x y"}) {
    EXPECT_FALSE(ValidateQueryBackendUrl(bad).ok()) << bad;
  }
  EXPECT_THAT(std::string(ValidateQueryBackendUrl("vm:8428").message()),
              HasSubstr("http:// or https://"));
}

TEST(QueryBackendTest, ForwardAnswersWhatTheBackendAnswered) {
  FakeTransport transport;
  const QueryBackend backend("http://vm:8428/prefix/", transport.Post(), 5000);
  transport.answer = BackendResponse{422, R"({"status":"error","errorType":"422","error":"x"})"};
  const ApiResponse r = backend.Forward("api/v1/series", {{"match[]", "up"}, {"match[]", "b"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"422","error":"x"})");
  ASSERT_THAT(transport.calls, SizeIs(1));
  EXPECT_EQ(transport.calls[0].url, "http://vm:8428/prefix/api/v1/series");
  EXPECT_EQ(transport.calls[0].body, "match%5B%5D=up&match%5B%5D=b");
  EXPECT_EQ(transport.calls[0].timeout_ms, 5000);
}

TEST(QueryBackendTest, UnreachableBackendIsUnavailableNamingItWithoutCredentials) {
  FakeTransport transport;
  transport.answer = absl::UnavailableError("Couldn't connect to server");
  const QueryBackend backend("http://me:secret@vm:8428", transport.Post());
  EXPECT_EQ(backend.display_url(), "http://vm:8428");
  const ApiResponse r = backend.Forward("api/v1/query", {{"query", "up"}});
  EXPECT_EQ(r.status, 503);
  const nlohmann::json json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["status"], "error");
  EXPECT_EQ(json["errorType"], "unavailable");
  EXPECT_EQ(json["error"], "query backend http://vm:8428: Couldn't connect to server");
  EXPECT_EQ(transport.calls[0].url, "http://me:secret@vm:8428/api/v1/query");

  absl::StatusOr<Value> v = backend.Instant("up", kT0);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(v.status().message(), "query backend http://vm:8428: Couldn't connect to server");
}

TEST(QueryBackendTest, InstantSendsQueryAndTimeAndNamesTheBackendInErrors) {
  FakeTransport transport;
  const QueryBackend backend("http://vm:8428", transport.Post());
  transport.answer = BackendResponse{
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1795651200.123,"4"]}})"};
  absl::StatusOr<Value> v = backend.Instant("1 + 3", kT0 + 123);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(std::get<Scalar>(*v).v, 4);
  EXPECT_EQ(transport.calls[0].url, "http://vm:8428/api/v1/query");
  EXPECT_EQ(transport.calls[0].body, "query=1%20%2B%203&time=1795651200.123");
  EXPECT_EQ(transport.calls[0].timeout_ms, QueryBackend::kDefaultTimeoutMs);

  transport.answer =
      BackendResponse{400, R"({"status":"error","errorType":"bad_data","error":"1:3: oops"})"};
  v = backend.Instant("1 +", kT0);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(), "query backend http://vm:8428: 1:3: oops");
}

// Rules whose queries go to the backend (a fake answering canned JSON per expression) while
// their output lands in a real local engine.
class RemoteRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.background_maintenance = false;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    promql_ = std::make_unique<PromqlEngine>(engine_.get());
    backend_ = std::make_unique<QueryBackend>(
        "http://vm:8428", [this](const std::string&, const std::string& body, int64_t) {
          bodies_.push_back(body);
          for (const auto& [query, answer] : answers_) {
            if (body.starts_with(EncodeForm({{"query", query}}) + "&")) {
              return absl::StatusOr<BackendResponse>(BackendResponse{200, answer});
            }
          }
          return absl::StatusOr<BackendResponse>(absl::UnavailableError("no such query"));
        });
  }

  absl::Status StartRules(const std::string& text) {
    std::ofstream(dir_.Sub("rules.yaml")) << text;
    RuleEvalEnv env;
    env.storage = engine_.get();
    env.promql = promql_.get();
    env.remote_instant = [b = backend_.get()](std::string_view expr, int64_t t) {
      return b->Instant(expr, t);
    };
    RuleManagerOptions options;
    options.rule_files = {dir_.Sub("rules.yaml")};
    options.run_threads = false;
    rules_ = std::make_unique<RuleManager>(std::move(env), options);
    return rules_->Start();
  }

  Vector Local(const std::string& expr, int64_t t) {
    absl::StatusOr<QueryResult> r = promql_->Instant(expr, t);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && std::holds_alternative<Vector>(r->value) ? std::get<Vector>(r->value)
                                                              : Vector{};
  }

  plumbline::testing::TempDir dir_;
  plumbline::testing::FakeClock clock_{kT0};
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<PromqlEngine> promql_;
  std::unique_ptr<QueryBackend> backend_;
  std::unique_ptr<RuleManager> rules_;
  std::map<std::string, std::string> answers_;
  std::vector<std::string> bodies_;
};

TEST_F(RemoteRulesTest, RecordingRuleStoresTheBackendsAnswerLocally) {
  answers_["sum by (service) (remote_only)"] = R"({"status":"success","data":{
      "resultType":"vector","result":[
        {"metric":{"service":"api"},"value":[1795651200,"42"]},
        {"metric":{"service":"web"},"value":[1795651200,"7"]}]}})";
  ASSERT_TRUE(StartRules(R"(groups:
  - name: rec
    rules:
      - record: service:remote_only:sum
        expr: sum by (service) (remote_only)
        labels: {source: vm}
)")
                  .ok());
  rules_->EvalAllAt(kT0);
  ASSERT_THAT(
      bodies_,
      ElementsAre("query=sum%20by%20%28service%29%20%28remote_only%29&time=1795651200.000"));
  Vector recorded = Local("service:remote_only:sum", kT0);
  ASSERT_THAT(recorded, SizeIs(2));
  EXPECT_EQ(recorded[0].metric.ToString(),
            R"(service:remote_only:sum{service="api", source="vm"})");
  EXPECT_EQ(recorded[0].f, 42);
  EXPECT_EQ(recorded[1].f, 7);
  EXPECT_EQ(rules_->Groups()[0].rules[0].health, "ok");
}

TEST_F(RemoteRulesTest, AlertTemplatesQueryTheBackendAndFailuresMarkTheRule) {
  answers_["remote_errors > 5"] = R"({"status":"success","data":{"resultType":"vector",
      "result":[{"metric":{"__name__":"remote_errors","service":"api"},"value":[1795651200,"9"]}]}})";
  answers_["remote_limit"] = R"({"status":"success","data":{"resultType":"scalar",
      "result":[1795651200,"5"]}})";
  ASSERT_TRUE(StartRules(R"(groups:
  - name: alerts
    rules:
      - alert: RemoteErrors
        expr: remote_errors > 5
        annotations:
          summary: "{{ $value }} over {{ with query \"remote_limit\" }}{{ . | first | value }}{{ end }}"
      - record: broken
        expr: not_answered
)")
                  .ok());
  rules_->EvalAllAt(kT0);
  const std::vector<GroupSnapshot> groups = rules_->Groups();
  ASSERT_THAT(groups[0].rules, SizeIs(2));
  ASSERT_THAT(groups[0].rules[0].alerts, SizeIs(1));
  EXPECT_EQ(groups[0].rules[0].alerts[0].annotations.at("summary"), "9 over 5");
  EXPECT_EQ(groups[0].rules[1].health, "err");
  EXPECT_EQ(groups[0].rules[1].last_error, "query backend http://vm:8428: no such query");
  // ALERTS is written locally (from the evaluation after the first, which restores state).
  rules_->EvalAllAt(kT0 + 60'000);
  Vector alerts = Local("ALERTS", kT0 + 60'000);
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].metric.Get("alertname"), "RemoteErrors");
}

}  // namespace
}  // namespace plumbline::query
