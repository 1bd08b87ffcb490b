// Maps (method, path) to handlers. Routes are registered before the server starts; lookups
// afterwards are read-only, so a started Router is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "web/http.h"

namespace plumbline::web {

struct Route {
  std::string pattern;               // exact path, or a prefix when it ends with '*'
  std::vector<std::string> methods;  // e.g. {"GET", "POST"}; HEAD is implied by GET
  std::string name;                  // label for metrics, e.g. "/api/v1/query"
  size_t max_body_bytes = 1 << 20;   // for buffered routes; larger bodies get 413
  HttpHandler handler;               // exactly one of handler / streaming is set
  StreamingHandler streaming;
};

// A GET route whose requests carry no body.
Route GetRoute(std::string pattern, std::string name, HttpHandler handler);

// Thread-compatible: Add every route before the server starts; Find is then safe to call
// from any thread.
class Router {
 public:
  void Add(Route route);

  enum class Match { kFound, kNotFound, kMethodNotAllowed };
  struct Result {
    Match match = Match::kNotFound;
    // The matched route when kFound; one route of the matched path when kMethodNotAllowed
    // (its name labels the 405 in metrics).
    const Route* route = nullptr;
    std::string allow;  // "GET, HEAD, POST" when kMethodNotAllowed
  };
  // Exact patterns win over prefixes; the longest prefix wins among prefixes.
  Result Find(std::string_view method, std::string_view path) const;

  // Every route in the order added (the server builds its per-route metrics from these).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace plumbline::web
