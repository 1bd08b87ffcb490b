#include "web/dashboards.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/yaml_guard.h"
#include "nlohmann/json.hpp"
#include "web/api_envelope.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::web {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDashboardsPath = "/api/v1/dashboards";
constexpr size_t kMaxFileBytes = 1 << 20;

// Builds one dashboard's JSON, failing with "<source> line N: <field>: ...".
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  absl::Status Error(const YAML::Node& at, std::string_view field, std::string_view message) {
    return absl::InvalidArgumentError(
        StrCat(source_, " line ", at.Mark().line + 1, ": ", field, ": ", message));
  }

  // The keys of map `node`, each one of `known`.
  absl::Status CheckMap(const YAML::Node& node, std::string_view field,
                        std::initializer_list<std::string_view> known) {
    if (!node.IsMap()) return Error(node, field, "expected a mapping");
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string names;
        for (std::string_view k : known) StrAppend(&names, names.empty() ? "" : ", ", k);
        return Error(kv.first, StrCat(field, ".", key),
                     StrCat("unknown key (expected ", names, ")"));
      }
      if (!seen.insert(key).second) return Error(kv.first, StrCat(field, ".", key), "given twice");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const YAML::Node& node, std::string_view field) {
    if (!node.IsScalar()) return Error(node, field, "expected a single value");
    return node.Scalar();
  }

  absl::StatusOr<std::string> OneOf(const YAML::Node& node, std::string_view field,
                                    std::initializer_list<std::string_view> values) {
    PL_ASSIGN_OR_RETURN(std::string v, String(node, field));
    if (std::find(values.begin(), values.end(), v) != values.end()) return v;
    std::string names;
    for (std::string_view k : values) StrAppend(&names, names.empty() ? "" : ", ", k);
    return Error(node, field, StrCat("expected one of ", names, ", got \"", v, "\""));
  }

  absl::StatusOr<std::string> Duration(const YAML::Node& node, std::string_view field,
                                       bool empty_ok) {
    PL_ASSIGN_OR_RETURN(std::string v, String(node, field));
    if (v.empty() && empty_ok) return v;
    absl::StatusOr<int64_t> ms = ParseDurationMs(v);
    if (!ms.ok() || *ms <= 0) {
      return Error(node, field, StrCat("expected a duration like 30s or 6h, got \"", v, "\""));
    }
    return v;
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, std::string_view field) {
    PL_ASSIGN_OR_RETURN(std::string v, String(node, field));
    if (v == "true") return true;
    if (v == "false") return false;
    return Error(node, field, StrCat("expected true or false, got \"", v, "\""));
  }

  absl::StatusOr<Json> Variables(const YAML::Node& node) {
    if (!node.IsSequence()) return Error(node, "variables", "expected a list");
    Json out = Json::array();
    std::set<std::string> names;
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node v = node[i];
      const std::string field = StrCat("variables[", i, "]");
      PL_RETURN_IF_ERROR(CheckMap(v, field, {"name", "label", "match", "default", "all"}));
      if (!v["name"]) return Error(v, StrCat(field, ".name"), "required");
      PL_ASSIGN_OR_RETURN(std::string name, String(v["name"], StrCat(field, ".name")));
      const bool valid = !name.empty() &&
                         (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                         });
      if (!valid) {
        return Error(v["name"], StrCat(field, ".name"),
                     StrCat("expected [a-zA-Z_][a-zA-Z0-9_]*, got \"", name, "\""));
      }
      if (!names.insert(name).second) {
        return Error(v["name"], StrCat(field, ".name"), StrCat("\"", name, "\" given twice"));
      }
      Json j = {{"name", name}, {"label", name}, {"match", ""}, {"default", ""}, {"all", false}};
      for (const char* key : {"label", "match", "default"}) {
        if (v[key]) {
          PL_ASSIGN_OR_RETURN(std::string text, String(v[key], StrCat(field, ".", key)));
          j[key] = text;
        }
      }
      if (v["all"]) {
        PL_ASSIGN_OR_RETURN(bool all, Bool(v["all"], StrCat(field, ".all")));
        j["all"] = all;
      }
      out.push_back(std::move(j));
    }
    return out;
  }

  absl::StatusOr<Json> Events(const YAML::Node& node) {
    PL_RETURN_IF_ERROR(CheckMap(node, "events", {"types", "service"}));
    Json j = {{"types", Json::array()}, {"service", ""}};
    if (const YAML::Node types = node["types"]) {
      if (!types.IsSequence()) return Error(types, "events.types", "expected a list");
      for (size_t i = 0; i < types.size(); ++i) {
        PL_ASSIGN_OR_RETURN(std::string t, String(types[i], StrCat("events.types[", i, "]")));
        j["types"].push_back(t);
      }
    }
    if (node["service"]) {
      PL_ASSIGN_OR_RETURN(std::string s, String(node["service"], "events.service"));
      j["service"] = s;
    }
    return j;
  }

  absl::StatusOr<Json> Query(const YAML::Node& node, std::string_view field) {
    PL_RETURN_IF_ERROR(CheckMap(node, field, {"expr", "legend"}));
    if (!node["expr"]) return Error(node, StrCat(field, ".expr"), "required");
    PL_ASSIGN_OR_RETURN(std::string expr, String(node["expr"], StrCat(field, ".expr")));
    if (expr.empty()) return Error(node["expr"], StrCat(field, ".expr"), "empty");
    Json j = {{"expr", expr}, {"legend", ""}};
    if (node["legend"]) {
      PL_ASSIGN_OR_RETURN(std::string legend, String(node["legend"], StrCat(field, ".legend")));
      j["legend"] = legend;
    }
    return j;
  }

  absl::StatusOr<Json> Panels(const YAML::Node& node) {
    if (!node.IsSequence()) return Error(node, "panels", "expected a list");
    Json out = Json::array();
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node p = node[i];
      const std::string field = StrCat("panels[", i, "]");
      PL_RETURN_IF_ERROR(
          CheckMap(p, field, {"title", "type", "unit", "width", "queries", "expr", "legend"}));
      Json j = {{"title", ""}, {"type", "lines"}, {"unit", "none"}, {"width", 6}};
      if (p["title"]) {
        PL_ASSIGN_OR_RETURN(std::string title, String(p["title"], StrCat(field, ".title")));
        j["title"] = title;
      }
      if (p["type"]) {
        PL_ASSIGN_OR_RETURN(std::string type, OneOf(p["type"], StrCat(field, ".type"),
                                                    {"lines", "stacked", "single"}));
        j["type"] = type;
      }
      if (p["unit"]) {
        PL_ASSIGN_OR_RETURN(std::string unit,
                            OneOf(p["unit"], StrCat(field, ".unit"),
                                  {"none", "bytes", "seconds", "ops/s", "percent"}));
        j["unit"] = unit;
      }
      if (p["width"]) {
        PL_ASSIGN_OR_RETURN(std::string w, String(p["width"], StrCat(field, ".width")));
        int width = 0;
        if (!absl::SimpleAtoi(ToAbsl(w), &width) || width < 1 || width > 12) {
          return Error(p["width"], StrCat(field, ".width"),
                       StrCat("expected a whole number from 1 to 12, got \"", w, "\""));
        }
        j["width"] = width;
      }
      Json queries = Json::array();
      if (p["queries"]) {
        if (p["expr"] || p["legend"]) {
          return Error(p, field, "give either queries or expr (and legend), not both");
        }
        const YAML::Node qs = p["queries"];
        if (!qs.IsSequence() || qs.size() == 0) {
          return Error(qs, StrCat(field, ".queries"), "expected a non-empty list");
        }
        for (size_t q = 0; q < qs.size(); ++q) {
          PL_ASSIGN_OR_RETURN(Json query, Query(qs[q], StrCat(field, ".queries[", q, "]")));
          queries.push_back(std::move(query));
        }
      } else if (p["expr"]) {
        YAML::Node one(YAML::NodeType::Map);
        one["expr"] = p["expr"];
        if (p["legend"]) one["legend"] = p["legend"];
        PL_ASSIGN_OR_RETURN(Json query, Query(one, field));
        queries.push_back(std::move(query));
      } else {
        return Error(p, StrCat(field, ".queries"), "required (or expr)");
      }
      j["queries"] = std::move(queries);
      out.push_back(std::move(j));
    }
    return out;
  }

 private:
  std::string source_;
};

absl::StatusOr<Json> ReadDashboard(std::string_view yaml, std::string_view name,
                                   std::string_view source) {
  if (yaml.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(StrCat(source, ": larger than 1 MiB"));
  }
  PL_RETURN_IF_ERROR(CheckYamlText(yaml, source));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(source, " line ", e.mark.line + 1, ": ", e.msg));
  }
  Reader r(source);
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(StrCat(source, ": expected a mapping (title, panels, ...)"));
  }
  PL_RETURN_IF_ERROR(
      r.CheckMap(root, "dashboard",
                 {"title", "description", "time", "refresh", "variables", "events", "panels"}));
  Json j = {{"name", std::string(name)},
            {"title", std::string(name)},
            {"description", ""},
            {"time", "6h"},
            {"refresh", ""},
            {"variables", Json::array()},
            {"events", {{"types", Json::array()}, {"service", ""}}},
            {"panels", Json::array()}};
  for (const char* key : {"title", "description"}) {
    if (root[key]) {
      PL_ASSIGN_OR_RETURN(std::string text, r.String(root[key], key));
      j[key] = text;
    }
  }
  if (root["time"]) {
    PL_ASSIGN_OR_RETURN(std::string d, r.Duration(root["time"], "time", false));
    j["time"] = d;
  }
  if (root["refresh"]) {
    PL_ASSIGN_OR_RETURN(std::string d, r.Duration(root["refresh"], "refresh", true));
    j["refresh"] = d;
  }
  if (root["variables"]) {
    PL_ASSIGN_OR_RETURN(j["variables"], r.Variables(root["variables"]));
  }
  if (root["events"]) {
    PL_ASSIGN_OR_RETURN(j["events"], r.Events(root["events"]));
  }
  if (root["panels"]) {
    PL_ASSIGN_OR_RETURN(j["panels"], r.Panels(root["panels"]));
  }
  return j;
}

// A dashboard name from a file name: "service.yaml" -> "service"; "" when not a dashboard.
std::string NameOf(std::string_view file) {
  for (std::string_view ext : {".yaml", ".yml"}) {
    if (file.size() > ext.size() && file.substr(file.size() - ext.size()) == ext) {
      std::string name(file.substr(0, file.size() - ext.size()));
      const bool valid = std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
      return valid ? name : "";
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> DashboardJson(std::string_view yaml, std::string_view name,
                                          std::string_view source) {
  PL_ASSIGN_OR_RETURN(Json j, ReadDashboard(yaml, name, source));
  return j.dump();
}

DashboardStore::DashboardStore(std::string dir, std::span<const EmbeddedFile> shipped)
    : dir_(std::move(dir)) {
  for (const EmbeddedFile& f : shipped) {
    const std::string name = NameOf(f.path);
    if (name.empty()) continue;
    Entry e;
    e.source = StrCat("(shipped) ", f.path);
    absl::StatusOr<Json> j = ReadDashboard(f.bytes, name, e.source);
    if (j.ok()) {
      e.title = (*j)["title"].get<std::string>();
      e.json = j->dump();
    } else {
      e.title = name;
      e.json = j.status();
    }
    shipped_.emplace(name, std::move(e));
  }
}

void DashboardStore::RescanLocked() {
  std::set<std::string> present;
  std::error_code ec;
  if (!dir_.empty() && std::filesystem::is_directory(dir_, ec)) {
    for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
      const std::string name = NameOf(item.path().filename().string());
      if (name.empty()) continue;
      struct stat st;
      if (::stat(item.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      present.insert(name);
      const int64_t mtime =
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      Entry& e = files_[name];
      if (e.mtime_ns == mtime && e.size == st.st_size) continue;
      e.source = item.path().string();
      e.mtime_ns = mtime;
      e.size = st.st_size;
      e.title = name;
      std::ifstream in(e.source, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) {
        e.json = absl::InvalidArgumentError(StrCat(e.source, ": cannot be read"));
        continue;
      }
      absl::StatusOr<Json> j = ReadDashboard(text.str(), name, e.source);
      if (j.ok()) {
        e.title = (*j)["title"].get<std::string>();
        e.json = j->dump();
        PL_LOG(Info) << "dashboard \"" << name << "\" loaded from " << e.source;
      } else {
        e.json = j.status();
        PL_LOG(Warn) << "dashboard \"" << name << "\": " << j.status().message();
      }
    }
  }
  for (auto it = files_.begin(); it != files_.end();) {
    it = present.count(it->first) ? std::next(it) : files_.erase(it);
  }
}

std::vector<DashboardListing> DashboardStore::List() {
  absl::MutexLock lock(&mu_);
  RescanLocked();
  std::map<std::string, DashboardListing> all;
  for (const auto* source : {&shipped_, &files_}) {  // files override shipped
    for (const auto& [name, e] : *source) {
      all[name] = {name, e.title, e.json.ok() ? "" : std::string(e.json.status().message())};
    }
  }
  std::vector<DashboardListing> out;
  for (auto& [name, listing] : all) out.push_back(std::move(listing));
  return out;
}

absl::StatusOr<std::string> DashboardStore::Get(std::string_view name) {
  absl::MutexLock lock(&mu_);
  RescanLocked();
  const std::string key(name);
  if (auto it = files_.find(key); it != files_.end()) return it->second.json;
  if (auto it = shipped_.find(key); it != shipped_.end()) return it->second.json;
  return absl::NotFoundError(StrCat("dashboard \"", name, "\" not found"));
}

std::vector<Route> DashboardRoutes(DashboardStore* store) {
  std::vector<Route> routes;
  routes.push_back(GetRoute(std::string(kDashboardsPath), std::string(kDashboardsPath),
                            [store](const HttpRequest&, HttpResponse& response) {
                              std::string data = "[";
                              for (const DashboardListing& d : store->List()) {
                                if (data.size() > 1) data.push_back(',');
                                data +=
                                    Json({{"name", d.name}, {"title", d.title}, {"error", d.error}})
                                        .dump(-1, ' ', false, Json::error_handler_t::replace);
                              }
                              data.push_back(']');
                              AnswerSuccess(200, data, response);
                            }));
  routes.push_back(GetRoute(StrCat(kDashboardsPath, "/*"), StrCat(kDashboardsPath, "/<name>"),
                            [store](const HttpRequest& request, HttpResponse& response) {
                              const std::string_view name =
                                  std::string_view(request.path).substr(kDashboardsPath.size() + 1);
                              absl::StatusOr<std::string> json = store->Get(name);
                              if (json.ok()) return AnswerSuccess(200, *json, response);
                              if (absl::IsNotFound(json.status())) {
                                return AnswerError(query::ApiErrorType::kNotFound,
                                                   ToStd(json.status().message()), response);
                              }
                              // The request is fine, the file is not: 422, as Prometheus answers
                              // unprocessable input.
                              AnswerError(query::ApiErrorType::kBadData,
                                          ToStd(json.status().message()), response);
                              response.status = 422;
                            }));
  return routes;
}

}  // namespace plumbline::web
