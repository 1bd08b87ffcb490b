#include "web/query_api.h"

#include <zlib.h>

#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/strings.h"
#include "query/api_error.h"
#include "web/form.h"

namespace plumbline::web {
namespace {

// Go's http.Request.ParseForm reads at most this much of a form body.
constexpr size_t kMaxFormBytes = 10 << 20;
constexpr std::string_view kLabelPrefix = "/api/v1/label/";
constexpr std::string_view kLabelSuffix = "/values";

using ApiCall = std::function<query::ApiResponse(
    const query::PrometheusApi& api, const HttpRequest& request, const query::ApiParams& params)>;
// Where a request goes on the query backend ("api/v1/query"); nullopt: nowhere (404).
using RemotePath = std::function<std::optional<std::string>(const HttpRequest& request)>;

// The query backend a route forwards to (both null: the local store answers).
struct Remote {
  const query::QueryBackend* backend = nullptr;
  RemotePath path;
};

// Go's url.PathEscape of one path segment.
std::string PathEscape(std::string_view segment) {
  std::string out;
  for (const char c : segment) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) ||
        std::string_view("-_.~$&+=:@").find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", u);
    }
  }
  return out;
}

// Go's url.QueryUnescape: '+' is a space; a bad escape is named as Go names it.
bool QueryUnescape(std::string_view s, std::string* out, std::string* error) {
  std::string plus_as_space(s);
  for (char& c : plus_as_space) {
    if (c == '+') c = ' ';
  }
  if (PercentDecode(plus_as_space, out)) return true;
  for (size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 1)) {
    const std::string_view escape = s.substr(i, 3);
    if (escape.size() < 3 || !absl::ascii_isxdigit(static_cast<unsigned char>(escape[1])) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(escape[2]))) {
      *error = StrCat("invalid URL escape \"", escape, "\"");
      break;
    }
  }
  return false;
}

// Go's url.ParseQuery: a pair that does not decode is left out; the error is remembered.
void ParseQueryInto(std::string_view text, query::ApiParams* params, std::string* error) {
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      *error = "invalid semicolon separator in query";
      continue;
    }
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name, value, why;
    if (!QueryUnescape(pair.substr(0, eq), &name, &why) ||
        (eq != std::string_view::npos && !QueryUnescape(pair.substr(eq + 1), &value, &why))) {
      if (error->empty()) *error = why;
      continue;
    }
    params->emplace_back(std::move(name), std::move(value));
  }
}

bool IsFormBody(const HttpRequest& request) {
  if (request.method != "POST" && request.method != "PUT" && request.method != "PATCH") {
    return false;
  }
  std::string_view type = request.Header("content-type");
  type = type.substr(0, type.find(';'));
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(ToAbsl(type)),
                                "application/x-www-form-urlencoded");
}

// Prometheus' httputil.SetCORS with its default origin pattern (.*).
void SetCors(const HttpRequest& request, HttpResponse& response) {
  if (request.Header("origin").empty()) return;
  response.SetHeader("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
  response.SetHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  response.SetHeader("Access-Control-Expose-Headers", "Date");
  response.SetHeader("Vary", "Origin");
  response.SetHeader("Access-Control-Allow-Origin", "*");
}

// At zlib's fastest level: a 28 MB matrix of a million points compresses to 7.9 MB in 160 ms,
// against 7.1 MB in 715 ms at the default level.
std::string Compress(std::string_view data, int window_bits) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

// The first of gzip or deflate the request's Accept-Encoding lists (Prometheus' order of
// preference), skipping any with q=0; "" for none.
std::string_view ChooseEncoding(std::string_view accept) {
  for (absl::string_view item : absl::StrSplit(ToAbsl(accept), ',')) {
    const size_t semicolon = item.find(';');
    const absl::string_view coding = absl::StripAsciiWhitespace(item.substr(0, semicolon));
    if (semicolon != absl::string_view::npos) {
      absl::string_view param = absl::StripAsciiWhitespace(item.substr(semicolon + 1));
      double q = 1;
      if (absl::ConsumePrefix(&param, "q=") && absl::SimpleAtod(param, &q) && q <= 0) continue;
    }
    if (absl::EqualsIgnoreCase(coding, "gzip")) return "gzip";
    if (absl::EqualsIgnoreCase(coding, "deflate")) return "deflate";
  }
  return {};
}

void Send(const HttpRequest& request, query::ApiResponse api, HttpResponse& response) {
  response.status = api.status;
  if (api.status == 404 && api.body.empty()) {  // as Go's router answers an unknown path
    response.body = "404 page not found\n";
    return;
  }
  response.content_type = "application/json";
  response.body = std::move(api.body);
  if (response.body.empty()) return;
  const std::string_view encoding = ChooseEncoding(request.Header("accept-encoding"));
  if (encoding.empty()) return;
  std::string compressed = Compress(response.body, encoding == "gzip" ? 15 + 16 : 15);
  if (compressed.empty()) return;  // out of memory in zlib: send it as it is
  response.body = std::move(compressed);
  response.SetHeader("Content-Encoding", std::string(encoding));
}

HttpHandler Handler(const std::atomic<const query::PrometheusApi*>* slot, bool form_errors,
                    ApiCall call, Remote remote = {}) {
  return [slot, form_errors, call = std::move(call), remote = std::move(remote)](
             const HttpRequest& request, HttpResponse& response) {
    SetCors(request, response);
    if (request.method == "OPTIONS") {
      response.status = 204;
      return;
    }
    std::optional<std::string> remote_path;
    if (remote.backend != nullptr) {
      remote_path = remote.path(request);
      if (!remote_path) {
        Send(request, {404, ""}, response);
        return;
      }
    }
    // Written once by serve when storage is open; acquire pairs with that release store.
    const query::PrometheusApi* api = slot->load(std::memory_order_acquire);
    if (api == nullptr && !remote_path) {
      Send(request,
           {query::ApiErrorHttpStatus(query::ApiErrorType::kUnavailable),
            query::ApiErrorJson(query::ApiErrorType::kUnavailable, "storage is not open yet")},
           response);
      return;
    }
    query::ApiParams params;
    std::string error;
    if (IsFormBody(request)) ParseQueryInto(request.body, &params, &error);
    ParseQueryInto(request.query, &params, &error);
    // Only /series asks Go's ParseForm for its error; the rest read what parsed.
    if (form_errors && !error.empty()) {
      Send(request,
           {query::ApiErrorHttpStatus(query::ApiErrorType::kBadData),
            query::ApiErrorJson(query::ApiErrorType::kBadData,
                                StrCat("error parsing form values: ", error))},
           response);
      return;
    }
    if (remote_path) {
      Send(request, remote.backend->Forward(*remote_path, params), response);
      return;
    }
    Send(request, call(*api, request, params), response);
  };
}

// The label name of a /api/v1/label/<name>/values path, or nullopt.
std::optional<std::string> LabelNameOf(const HttpRequest& request) {
  std::string_view rest = std::string_view(request.path).substr(kLabelPrefix.size());
  std::string name;
  if (!rest.ends_with(kLabelSuffix) ||
      !PercentDecode(rest.substr(0, rest.size() - kLabelSuffix.size()), &name) || name.empty() ||
      name.find('/') != std::string::npos) {
    return std::nullopt;
  }
  return name;
}

Route MakeRoute(std::string pattern, std::string name, HttpHandler handler) {
  Route route;
  route.pattern = std::move(pattern);
  route.methods = {"GET", "POST", "OPTIONS"};
  route.name = std::move(name);
  route.max_body_bytes = kMaxFormBytes;
  route.handler = std::move(handler);
  return route;
}

}  // namespace

std::string GzipCompress(std::string_view data) { return Compress(data, 15 + 16); }

std::vector<Route> QueryApiRoutes(const std::atomic<const query::PrometheusApi*>* api,
                                  const query::QueryBackend* backend) {
  using query::ApiParams;
  using query::PrometheusApi;
  const auto simple = [api, backend](std::string path,
                                     query::ApiResponse (PrometheusApi::*method)(const ApiParams&)
                                         const,
                                     bool form_errors = false) {
    Remote remote;
    if (backend != nullptr) {
      remote.backend = backend;
      remote.path = [remote_path = path.substr(1)](const HttpRequest&) {
        return std::optional<std::string>(remote_path);
      };
    }
    return MakeRoute(path, path,
                     Handler(
                         api, form_errors,
                         [method](const PrometheusApi& a, const HttpRequest&,
                                  const ApiParams& params) { return (a.*method)(params); },
                         std::move(remote)));
  };
  std::vector<Route> routes;
  routes.push_back(simple("/api/v1/query", &PrometheusApi::Query));
  routes.push_back(simple("/api/v1/query_range", &PrometheusApi::QueryRange));
  routes.push_back(simple("/api/v1/query_exemplars", &PrometheusApi::QueryExemplars));
  routes.push_back(simple("/api/v1/series", &PrometheusApi::Series, /*form_errors=*/true));
  routes.push_back(simple("/api/v1/labels", &PrometheusApi::LabelNames));
  routes.push_back(simple("/api/v1/metadata", &PrometheusApi::Metadata));
  routes.push_back(MakeRoute(
      "/api/v1/status/buildinfo", "/api/v1/status/buildinfo",
      Handler(api, false, [](const PrometheusApi& a, const HttpRequest&, const ApiParams&) {
        return a.BuildInfoResponse();
      })));
  // /api/v1/label/<name>/values; any other path under /api/v1/label/ is not found.
  Remote label_remote;
  if (backend != nullptr) {
    label_remote.backend = backend;
    label_remote.path = [](const HttpRequest& request) -> std::optional<std::string> {
      std::optional<std::string> name = LabelNameOf(request);
      if (!name) return std::nullopt;
      return StrCat("api/v1/label/", PathEscape(*name), "/values");
    };
  }
  routes.push_back(MakeRoute(
      StrCat(kLabelPrefix, "*"), "/api/v1/label/:name/values",
      Handler(
          api, false,
          [](const PrometheusApi& a, const HttpRequest& request, const ApiParams& params) {
            std::optional<std::string> name = LabelNameOf(request);
            if (!name) return query::ApiResponse{404, ""};
            return a.LabelValues(*name, params);
          },
          std::move(label_remote))));
  return routes;
}

}  // namespace plumbline::web
