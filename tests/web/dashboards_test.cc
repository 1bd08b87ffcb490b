// Dashboards as code (web/dashboards.h) and the UI's embedded files (web/ui_routes.h).
#include "web/dashboards.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/temp_dir.h"
#include "web/ui_routes.h"

namespace plumbline::web {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

Json Parse(std::string_view yaml, std::string_view name = "d") {
  absl::StatusOr<std::string> json = DashboardJson(yaml, name, "d.yaml");
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? Json::parse(*json) : Json();
}

std::string ErrorOf(std::string_view yaml) {
  absl::StatusOr<std::string> json = DashboardJson(yaml, "d", "d.yaml");
  EXPECT_FALSE(json.ok()) << yaml;
  if (json.ok()) return "";
  EXPECT_TRUE(absl::IsInvalidArgument(json.status()));
  return std::string(json.status().message());
}

TEST(DashboardJsonTest, EveryKeyAndTheDefaults) {
  const Json d = Parse(R"(
title: Service
description: one service
time: 12h
refresh: 30s
variables:
  - name: service
    match: http_requests_total
    default: api
    all: true
  - name: env
    label: environment
events:
  types: [deploy, flag]
  service: $service
panels:
  - title: Requests
    type: stacked
    unit: ops/s
    width: 12
    queries:
      - expr: sum(rate(x[5m]))
        legend: "{{service}}"
      - expr: sum(rate(y[5m]))
  - expr: up
)",
                       "service");
  EXPECT_EQ(d["name"], "service");
  EXPECT_EQ(d["title"], "Service");
  EXPECT_EQ(d["time"], "12h");
  EXPECT_EQ(d["refresh"], "30s");
  EXPECT_EQ(d["variables"][0], Json({{"name", "service"},
                                     {"label", "service"},
                                     {"match", "http_requests_total"},
                                     {"default", "api"},
                                     {"all", true}}));
  EXPECT_EQ(d["variables"][1]["label"], "environment");
  EXPECT_EQ(d["variables"][1]["all"], false);
  EXPECT_EQ(d["events"], Json({{"types", {"deploy", "flag"}}, {"service", "$service"}}));
  EXPECT_EQ(d["panels"][0]["type"], "stacked");
  EXPECT_EQ(d["panels"][0]["width"], 12);
  EXPECT_EQ(d["panels"][0]["queries"][1], Json({{"expr", "sum(rate(y[5m]))"}, {"legend", ""}}));
  // A panel with one expr: its defaults.
  EXPECT_EQ(d["panels"][1], Json({{"title", ""},
                                  {"type", "lines"},
                                  {"unit", "none"},
                                  {"width", 6},
                                  {"queries", {{{"expr", "up"}, {"legend", ""}}}}}));
  // An empty file is an empty dashboard named after its file.
  const Json empty = Parse("title: x\n", "empty");
  EXPECT_EQ(empty["time"], "6h");
  EXPECT_EQ(empty["refresh"], "");
  EXPECT_TRUE(empty["panels"].empty());
}

TEST(DashboardJsonTest, ErrorsNameTheLineAndTheField) {
  EXPECT_EQ(ErrorOf("title: x\ncolour: red\n"),
            "d.yaml line 2: dashboard.colour: unknown key (expected title, description, time, "
            "refresh, variables, events, panels)");
  EXPECT_EQ(ErrorOf("panels:\n  - title: x\n    type: pie\n    expr: up\n"),
            "d.yaml line 3: panels[0].type: expected one of lines, stacked, single, got \"pie\"");
  EXPECT_THAT(ErrorOf("panels:\n  - expr: up\n    unit: furlongs\n"),
              HasSubstr("line 3: panels[0].unit: expected one of none, bytes"));
  EXPECT_THAT(ErrorOf("panels:\n  - expr: up\n    width: 13\n"),
              HasSubstr("line 3: panels[0].width: expected a whole number from 1 to 12"));
  EXPECT_THAT(ErrorOf("panels:\n  - title: x\n"), HasSubstr("line 2: panels[0].queries: required"));
  EXPECT_THAT(ErrorOf("panels:\n  - queries: []\n"),
              HasSubstr("panels[0].queries: expected a non-empty"));
  EXPECT_THAT(ErrorOf("panels:\n  - expr: up\n    queries:\n      - expr: x\n"),
              HasSubstr("either queries or expr"));
  EXPECT_THAT(ErrorOf("panels:\n  - queries:\n      - legend: x\n"),
              HasSubstr("line 3: panels[0].queries[0].expr: required"));
  EXPECT_THAT(ErrorOf("panels: up\n"), HasSubstr("line 1: panels: expected a list"));
  EXPECT_THAT(ErrorOf("time: soon\n"), HasSubstr("line 1: time: expected a duration"));
  EXPECT_THAT(ErrorOf("variables:\n  - name: 1x\n"),
              HasSubstr("line 2: variables[0].name: expected [a-zA-Z_][a-zA-Z0-9_]*"));
  EXPECT_THAT(ErrorOf("variables:\n  - name: a\n  - name: a\n"), HasSubstr("given twice"));
  EXPECT_THAT(ErrorOf("variables:\n  - label: a\n"), HasSubstr("variables[0].name: required"));
  EXPECT_THAT(ErrorOf("variables:\n  - name: a\n    all: maybe\n"),
              HasSubstr("variables[0].all: expected true or false"));
  EXPECT_THAT(ErrorOf("events:\n  types: deploy\n"), HasSubstr("events.types: expected a list"));
  EXPECT_THAT(ErrorOf("- a\n- b\n"), HasSubstr("d.yaml: expected a mapping"));
  EXPECT_THAT(ErrorOf("title: [x\n"), HasSubstr("d.yaml line"));
  EXPECT_THAT(ErrorOf("title: x\n,\n"), HasSubstr("d.yaml:2:1"));  // refused before yaml-cpp
}

class DashboardStoreTest : public ::testing::Test {
 protected:
  void Write(const std::string& file, const std::string& text) {
    std::ofstream(dir_.path() + "/" + file) << text;
  }
  plumbline::testing::TempDir dir_;
};

TEST_F(DashboardStoreTest, FilesOverrideShippedAndBrokenOnesReportTheirError) {
  const EmbeddedFile shipped[] = {{"service.yaml", "title: Shipped service\n"},
                                  {"plumbline.yaml", "title: Plumbline itself\n"},
                                  {"README.md", "not a dashboard"}};
  DashboardStore store(dir_.path(), shipped);
  std::vector<DashboardListing> list = store.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "plumbline");
  EXPECT_EQ(list[1].title, "Shipped service");

  Write("service.yaml", "title: Our service\n");
  Write("broken.yaml", "panels:\n  - type: pie\n");
  Write("notes.txt", "ignored");
  list = store.List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "broken");
  EXPECT_THAT(list[0].error, HasSubstr("broken.yaml line 2: panels[0].type"));
  EXPECT_EQ(list[2].title, "Our service");
  absl::StatusOr<std::string> broken = store.Get("broken");
  EXPECT_TRUE(absl::IsInvalidArgument(broken.status()));
  EXPECT_TRUE(absl::IsNotFound(store.Get("nope").status()));
  EXPECT_EQ(Json::parse(*store.Get("plumbline"))["title"], "Plumbline itself");

  // Fixed: re-read on the next request (the size changes, whatever the clock's resolution).
  Write("broken.yaml", "title: Fixed now\npanels:\n  - expr: up\n");
  absl::StatusOr<std::string> fixed = store.Get("broken");
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(Json::parse(*fixed)["title"], "Fixed now");

  // Removed: the shipped one is back.
  std::filesystem::remove(dir_.path() + "/service.yaml");
  EXPECT_EQ(Json::parse(*store.Get("service"))["title"], "Shipped service");
}

TEST_F(DashboardStoreTest, AMissingDirectoryLeavesTheShippedOnes) {
  const EmbeddedFile shipped[] = {{"service.yaml", "title: S\n"}};
  DashboardStore store(dir_.path() + "/nope", shipped);
  ASSERT_EQ(store.List().size(), 1u);
}

TEST_F(DashboardStoreTest, RoutesAnswerInThePrometheusEnvelope) {
  Write("ok.yaml", "title: OK\n");
  Write("bad.yaml", "title: [\n");
  DashboardStore store(dir_.path(), {});
  std::vector<Route> routes = DashboardRoutes(&store);
  ASSERT_EQ(routes.size(), 2u);
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/dashboards";
  HttpResponse response;
  routes[0].handler(request, response);
  EXPECT_EQ(response.status, 200);
  const Json list = Json::parse(response.body);
  EXPECT_EQ(list["status"], "success");
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][1], Json({{"name", "ok"}, {"title", "OK"}, {"error", ""}}));

  for (const auto& [name, status, type] : {std::tuple<std::string, int, std::string>{"ok", 200, ""},
                                           {"bad", 422, "bad_data"},
                                           {"missing", 404, "not_found"}}) {
    request.path = "/api/v1/dashboards/" + name;
    response = HttpResponse();
    routes[1].handler(request, response);
    EXPECT_EQ(response.status, status) << name;
    const Json body = Json::parse(response.body);
    if (status == 200) {
      EXPECT_EQ(body["data"]["title"], "OK");
    } else {
      EXPECT_EQ(body["errorType"], type);
    }
  }
}

TEST(UiRoutesTest, ServesTheEmbeddedFilesWithTypesAndValidators) {
  std::vector<Route> routes = UiRoutes();
  ASSERT_EQ(routes.size(), 2u);
  HttpRequest request;
  request.method = "GET";
  request.path = "/";
  HttpResponse index;
  routes[0].handler(request, index);
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(index.body, HasSubstr("<script type=\"module\""));

  request.path = "/ui/vendor/uPlot.esm.js";
  HttpResponse js;
  routes[1].handler(request, js);
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_THAT(js.body, HasSubstr("uPlot"));
  std::string etag;
  for (const auto& [name, value] : js.headers) {
    if (name == "ETag") etag = value;
  }
  ASSERT_FALSE(etag.empty());
  request.headers.push_back({"if-none-match", etag});
  HttpResponse again;
  routes[1].handler(request, again);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());

  request.headers.clear();
  for (const char* path : {"/ui/nope.js", "/ui/../CMakeLists.txt", "/ui/"}) {
    request.path = path;
    HttpResponse missing;
    routes[1].handler(request, missing);
    EXPECT_EQ(missing.status, 404) << path;
  }
}

}  // namespace
}  // namespace plumbline::web
