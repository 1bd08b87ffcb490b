#include "web/router.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace plumbline::web {
namespace {

Route MakeRoute(std::string pattern, std::vector<std::string> methods, std::string name) {
  Route route;
  route.pattern = std::move(pattern);
  route.methods = std::move(methods);
  route.name = std::move(name);
  route.handler = [](const HttpRequest&, HttpResponse&) {};
  return route;
}

struct FindCase {
  const char* method;
  const char* path;
  Router::Match match;
  const char* name;   // of the route found (or reported for 405); "" for none
  const char* allow;  // for kMethodNotAllowed
};

void ExpectFinds(const Router& router, const std::vector<FindCase>& cases) {
  for (const FindCase& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path);
    const Router::Result result = router.Find(c.method, c.path);
    EXPECT_EQ(result.match, c.match);
    EXPECT_EQ(result.route == nullptr ? "" : result.route->name, c.name);
    EXPECT_EQ(result.allow, c.allow);
  }
}

TEST(RouterTest, ExactBeatsPrefixAndLongestPrefixWins) {
  Router router;
  router.Add(MakeRoute("/api/v1/query", {"GET", "POST"}, "query"));
  router.Add(MakeRoute("/api/v1/label/*", {"GET"}, "label_values"));
  router.Add(MakeRoute("/api/v1/*", {"GET"}, "api"));
  router.Add(MakeRoute("/api/v1/import", {"POST"}, "import"));
  router.Add(MakeRoute("/api/v1/events", {"GET"}, "events_get"));
  router.Add(MakeRoute("/api/v1/events", {"POST"}, "events_post"));
  router.Add(MakeRoute("/static/*", {"GET"}, "static"));
  router.Add(MakeRoute("/", {"GET"}, "root"));
  using M = Router::Match;
  ExpectFinds(router,
              {
                  {"GET", "/api/v1/query", M::kFound, "query", ""},
                  {"POST", "/api/v1/query", M::kFound, "query", ""},
                  {"HEAD", "/api/v1/query", M::kFound, "query", ""},
                  {"DELETE", "/api/v1/query", M::kMethodNotAllowed, "query", "GET, HEAD, POST"},
                  {"get", "/api/v1/query", M::kMethodNotAllowed, "query", "GET, HEAD, POST"},
                  {"GET", "/api/v1/query/", M::kFound, "api", ""},
                  {"GET", "/api/v1/label/job/values", M::kFound, "label_values", ""},
                  {"GET", "/api/v1/labels", M::kFound, "api", ""},
                  {"POST", "/api/v1/labels", M::kMethodNotAllowed, "api", "GET, HEAD"},
                  // An exact route decides even when a prefix would allow the method.
                  {"GET", "/api/v1/import", M::kMethodNotAllowed, "import", "POST"},
                  {"HEAD", "/api/v1/import", M::kMethodNotAllowed, "import", "POST"},
                  {"POST", "/api/v1/import", M::kFound, "import", ""},
                  {"GET", "/api/v1/events", M::kFound, "events_get", ""},
                  {"POST", "/api/v1/events", M::kFound, "events_post", ""},
                  {"PUT", "/api/v1/events", M::kMethodNotAllowed, "events_get", "GET, HEAD, POST"},
                  {"GET", "/static/", M::kFound, "static", ""},
                  {"GET", "/static/app.js", M::kFound, "static", ""},
                  {"GET", "/static", M::kNotFound, "", ""},
                  {"GET", "/", M::kFound, "root", ""},
                  {"GET", "", M::kNotFound, "", ""},
                  {"GET", "/nope", M::kNotFound, "", ""},
                  {"GET", "/api/v1", M::kNotFound, "", ""},
              });
}

TEST(RouterTest, StarAloneMatchesEveryPath) {
  Router router;
  router.Add(MakeRoute("*", {"GET"}, "ui"));
  router.Add(MakeRoute("/metrics", {"GET"}, "metrics"));
  using M = Router::Match;
  ExpectFinds(router, {
                          {"GET", "/metrics", M::kFound, "metrics", ""},
                          {"GET", "/metricsx", M::kFound, "ui", ""},
                          {"GET", "", M::kFound, "ui", ""},
                          {"POST", "/anything", M::kMethodNotAllowed, "ui", "GET, HEAD"},
                      });
}

TEST(RouterTest, EmptyRouterFindsNothing) {
  Router router;
  EXPECT_EQ(router.Find("GET", "/").match, Router::Match::kNotFound);
}

}  // namespace
}  // namespace plumbline::web
