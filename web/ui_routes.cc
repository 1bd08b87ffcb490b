#include "web/ui_routes.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "web/embedded.h"

namespace plumbline::web {
namespace {

struct Asset {
  std::string_view body;
  std::string content_type;
  std::string etag;
};

std::string ContentType(std::string_view path) {
  const size_t dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  return "application/octet-stream";
}

// FNV-1a 64 of the bytes: a strong enough validator for files that change only with a build.
std::string Etag(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return absl::StrFormat("\"%016x\"", h);
}

const std::map<std::string, Asset, std::less<>>& Assets() {
  static const auto* assets = [] {
    auto* m = new std::map<std::string, Asset, std::less<>>();
    for (const EmbeddedFile& f : UiFiles()) {
      (*m)[std::string(f.path)] = {f.bytes, ContentType(f.path), Etag(f.bytes)};
    }
    return m;
  }();
  return *assets;
}

void Serve(std::string_view path, const HttpRequest& request, HttpResponse& response) {
  const auto& assets = Assets();
  auto it = assets.find(path);
  if (it == assets.end()) {
    response.status = 404;
    response.body = "Not Found\n";
    return;
  }
  const Asset& a = it->second;
  response.SetHeader("ETag", a.etag);
  response.SetHeader("Cache-Control", "no-cache");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Content-Security-Policy",
                     "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                     "frame-ancestors 'none'");
  if (request.Header("if-none-match") == a.etag) {
    response.status = 304;
    response.body.clear();
    return;
  }
  response.content_type = a.content_type;
  response.body = std::string(a.body);
}

}  // namespace

std::vector<Route> UiRoutes() {
  std::vector<Route> routes;
  routes.push_back(GetRoute("/", "/", [](const HttpRequest& request, HttpResponse& response) {
    Serve("index.html", request, response);
  }));
  routes.push_back(
      GetRoute("/ui/*", "/ui/", [](const HttpRequest& request, HttpResponse& response) {
        Serve(std::string_view(request.path).substr(4), request, response);
      }));
  return routes;
}

}  // namespace plumbline::web
