#include "web/router.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plumbline::web {
namespace {

bool IsPrefixPattern(const Route& route) {
  return !route.pattern.empty() && route.pattern.back() == '*';
}

// The part of a prefix pattern before its '*'.
std::string_view PrefixOf(const Route& route) {
  return std::string_view(route.pattern).substr(0, route.pattern.size() - 1);
}

bool Allows(const Route& route, std::string_view method) {
  for (const std::string& allowed : route.methods) {
    if (allowed == method || (method == "HEAD" && allowed == "GET")) return true;
  }
  return false;
}

}  // namespace

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

Router::Result Router::Find(std::string_view method, std::string_view path) const {
  // The most specific pattern that matches the path decides: every exact route for that
  // path, else every prefix route with the longest matching prefix. Routes sharing that
  // pattern are then searched for the method.
  bool exact = false;
  size_t longest_prefix = 0;
  bool any_prefix = false;
  for (const Route& route : routes_) {
    if (!IsPrefixPattern(route)) {
      exact = exact || route.pattern == path;
    } else if (path.starts_with(PrefixOf(route))) {
      longest_prefix = std::max(longest_prefix, PrefixOf(route).size());
      any_prefix = true;
    }
  }
  if (!exact && !any_prefix) return Result{};

  const auto in_group = [&](const Route& route) {
    if (exact) return !IsPrefixPattern(route) && route.pattern == path;
    return IsPrefixPattern(route) && PrefixOf(route).size() == longest_prefix &&
           path.starts_with(PrefixOf(route));
  };
  Result result;
  std::vector<std::string_view> methods;
  for (const Route& route : routes_) {
    if (!in_group(route)) continue;
    if (Allows(route, method)) {
      result.match = Match::kFound;
      result.route = &route;
      return result;
    }
    if (result.route == nullptr) result.route = &route;
    for (const std::string& allowed : route.methods) {
      methods.push_back(allowed);
      if (allowed == "GET") methods.push_back("HEAD");
    }
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  result.match = Match::kMethodNotAllowed;
  for (std::string_view allowed : methods) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += allowed;
  }
  return result;
}

Route GetRoute(std::string pattern, std::string name, HttpHandler handler) {
  Route route;
  route.pattern = std::move(pattern);
  route.methods = {"GET"};
  route.name = std::move(name);
  route.max_body_bytes = 0;
  route.handler = std::move(handler);
  return route;
}

}  // namespace plumbline::web
