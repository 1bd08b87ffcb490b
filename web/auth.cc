#include "web/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cerrno>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/yaml_guard.h"
#include "query/api_error.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"
#include "yaml-cpp/yaml.h"

namespace plumbline::web {
namespace {

using Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`; false only if OpenSSL fails (then nothing matches).
bool Sha256(std::string_view data, Digest* out) {
  unsigned int size = 0;
  return EVP_Digest(data.data(), data.size(), out->data(), &size, EVP_sha256(), nullptr) == 1 &&
         size == out->size();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHexDigest(std::string_view hex, Digest* out) {
  if (hex.size() != 2 * out->size()) return false;
  for (size_t i = 0; i < out->size(); ++i) {
    const int high = HexValue(hex[2 * i]);
    const int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*out)[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

std::string Quoted(std::string_view s) { return StrCat("\"", absl::CHexEscape(ToAbsl(s)), "\""); }

bool HasControlCharacter(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

struct LoadedEntry {
  std::string name;
  Role role = Role::kNone;
  Digest sha256{};
  int name_line = 0;
  int sha256_line = 0;
};

// Reads the tree of an auth file. Every error names the file, the line and the field.
class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}
  absl::StatusOr<std::vector<LoadedEntry>> Load(const YAML::Node& root) const;

 private:
  absl::StatusOr<LoadedEntry> Entry(const YAML::Node& node) const;

  absl::Status Error(const YAML::Node& at, std::string_view what) const {
    const YAML::Mark mark = at.Mark();
    if (mark.is_null())
      return absl::InvalidArgumentError(StrCat("auth file ", source_, ": ", what));
    return absl::InvalidArgumentError(
        StrCat("auth file ", source_, " line ", mark.line + 1, ": ", what));
  }

  const std::string_view source_;
};

absl::StatusOr<std::vector<LoadedEntry>> Loader::Load(const YAML::Node& root) const {
  constexpr std::string_view kShape =
      "the top level must be a map with one key, tokens (a list of entries with name, role and "
      "sha256)";
  if (root.IsNull()) return Error(root, StrCat("the file is empty; ", kShape));
  if (!root.IsMap()) return Error(root, kShape);
  bool has_tokens = false;
  YAML::Node tokens_key;
  YAML::Node tokens;
  for (const auto& kv : root) {
    if (!kv.first.IsScalar() || kv.first.Scalar() != "tokens") {
      const std::string key =
          kv.first.IsScalar() ? Quoted(kv.first.Scalar()) : "that is not a string";
      return Error(kv.first,
                   StrCat("unknown key ", key, " at the top level (the only key is tokens)"));
    }
    if (has_tokens) return Error(kv.first, "tokens: duplicate key");
    has_tokens = true;
    tokens_key = kv.first;
    tokens = kv.second;
  }
  if (!has_tokens) return Error(root, StrCat("tokens: missing; ", kShape));
  if (tokens.IsNull() || (tokens.IsSequence() && tokens.size() == 0)) {
    return Error(tokens_key,
                 "tokens: the list is empty, which would refuse every write; list at least one "
                 "token (without --auth-file, only loopback clients may write)");
  }
  if (!tokens.IsSequence()) {
    return Error(tokens_key, "tokens: expected a list of entries with name, role and sha256");
  }
  std::vector<LoadedEntry> entries;
  entries.reserve(tokens.size());
  std::map<std::string, int> name_lines;                  // name -> its line
  std::map<Digest, std::pair<std::string, int>> digests;  // digest -> name, line
  for (size_t i = 0; i < tokens.size(); ++i) {
    const YAML::Node node = tokens[i];  // const operator[]: never inserts
    PL_ASSIGN_OR_RETURN(LoadedEntry entry, Entry(node));
    const auto [same_name, new_name] = name_lines.emplace(entry.name, entry.name_line);
    if (!new_name) {
      return absl::InvalidArgumentError(StrCat("auth file ", source_, " line ", entry.name_line,
                                               ": name: duplicate ", Quoted(entry.name),
                                               " (first at line ", same_name->second, ")"));
    }
    const auto [same_digest, new_digest] =
        digests.emplace(entry.sha256, std::make_pair(entry.name, entry.sha256_line));
    if (!new_digest) {
      return absl::InvalidArgumentError(
          StrCat("auth file ", source_, " line ", entry.sha256_line,
                 ": sha256: the same token as entry ", Quoted(same_digest->second.first), " (line ",
                 same_digest->second.second, "); list each token once"));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<LoadedEntry> Loader::Entry(const YAML::Node& node) const {
  if (!node.IsMap()) {
    return Error(node, "tokens: each entry must be a map with name, role and sha256");
  }
  LoadedEntry entry;
  bool has_name = false;
  bool has_role = false;
  bool has_sha256 = false;
  for (const auto& kv : node) {
    const YAML::Node& key = kv.first;
    const YAML::Node& value = kv.second;
    if (!key.IsScalar()) return Error(key, "the keys of a token entry must be strings");
    const std::string& field = key.Scalar();
    const int line = key.Mark().line + 1;
    bool* seen = nullptr;
    if (field == "name") {
      seen = &has_name;
      if (!value.IsScalar() || value.Scalar().empty()) {
        return Error(key, "name: expected a non-empty string");
      }
      if (HasControlCharacter(value.Scalar())) {
        return Error(key, "name: control characters are not allowed");
      }
      entry.name = value.Scalar();
      entry.name_line = line;
    } else if (field == "role") {
      seen = &has_role;
      constexpr std::string_view kExpected = "role: expected viewer, deployer or admin";
      if (!value.IsScalar()) return Error(key, kExpected);
      const std::string& role = value.Scalar();
      if (role == "viewer") {
        entry.role = Role::kViewer;
      } else if (role == "deployer") {
        entry.role = Role::kDeployer;
      } else if (role == "admin") {
        entry.role = Role::kAdmin;
      } else {
        return Error(key, StrCat(kExpected, ", got ", Quoted(role)));
      }
    } else if (field == "sha256") {
      seen = &has_sha256;
      // The value is not echoed: it may be the token itself, pasted by mistake.
      constexpr std::string_view kExpected =
          "sha256: expected 64 hex digits (the SHA-256 of the token, not the token)";
      if (!value.IsScalar()) return Error(key, kExpected);
      const std::string& hex = value.Scalar();
      if (hex.size() != 2 * entry.sha256.size()) {
        return Error(key, StrCat(kExpected, ", got ", hex.size(), " characters"));
      }
      if (!ParseHexDigest(hex, &entry.sha256)) {
        return Error(key, StrCat(kExpected, ", got a character that is not a hex digit"));
      }
      Digest empty{};
      if (Sha256("", &empty) && entry.sha256 == empty) {
        return Error(key, "sha256: this is the SHA-256 of an empty token, which is never accepted");
      }
      entry.sha256_line = line;
    } else {
      return Error(key, StrCat("unknown key ", Quoted(field),
                               " in a token entry (known keys: name, role, sha256)"));
    }
    if (*seen) return Error(key, StrCat(field, ": duplicate key"));
    *seen = true;
  }
  if (!has_name) return Error(node, "name: missing (each entry needs name, role and sha256)");
  if (!has_role) return Error(node, "role: missing (each entry needs name, role and sha256)");
  if (!has_sha256) return Error(node, "sha256: missing (each entry needs name, role and sha256)");
  return entry;
}

enum class BearerParse { kOk, kMissing, kNotBearer, kNoToken };

std::string_view TrimSpaces(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// `Authorization: Bearer <token>` (RFC 6750 section 2.1), the scheme in any case.
BearerParse ParseBearer(std::string_view header, std::string_view* token) {
  header = TrimSpaces(header);
  if (header.empty()) return BearerParse::kMissing;
  const size_t space = header.find_first_of(" \t");
  if (!absl::EqualsIgnoreCase(ToAbsl(header.substr(0, space)), "bearer")) {
    return BearerParse::kNotBearer;
  }
  if (space == std::string_view::npos) return BearerParse::kNoToken;
  const std::string_view rest = TrimSpaces(header.substr(space));
  if (rest.empty()) return BearerParse::kNoToken;
  if (rest.find_first_of(" \t") != std::string_view::npos) return BearerParse::kNotBearer;
  *token = rest;
  return BearerParse::kOk;
}

// "deployer or admin": the roles at least `needed`.
std::string RolesFrom(Role needed) {
  switch (needed) {
    case Role::kNone:
    case Role::kViewer:
      return "viewer, deployer or admin";
    case Role::kDeployer:
      return "deployer or admin";
    case Role::kAdmin:
      return "admin";
  }
  return "admin";
}

AuthDecision Refused(int status, std::string message) {
  AuthDecision decision;
  decision.status = status;
  decision.message = std::move(message);
  return decision;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kViewer:
      return "viewer";
    case Role::kDeployer:
      return "deployer";
    case Role::kAdmin:
      return "admin";
  }
  return "none";
}

absl::StatusOr<AuthConfig> AuthConfig::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == 0) return absl::NotFoundError(StrCat("auth file ", path, ": cannot open"));
    return absl::ErrnoToStatus(error, StrCat("auth file ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(StrCat("auth file ", path, ": read error"));
  return Parse(text.str(), path);
}

absl::StatusOr<AuthConfig> AuthConfig::Parse(std::string_view yaml, std::string_view source_name) {
  // yaml-cpp 0.7 loops forever on some text that is not YAML: refused before it parses.
  PL_RETURN_IF_ERROR(CheckYamlText(yaml, StrCat("auth file ", source_name)));
  try {
    // Not YAML::LoadAll (it can loop forever): the first document is loaded, then a parser
    // looks for a second one, once, so that tokens in a second document are not ignored.
    const std::string text(yaml);
    if (const auto second = SecondYamlDocument(text)) {
      return absl::InvalidArgumentError(StrCat("auth file ", source_name, " line ", second->first,
                                               ": more than one YAML document"));
    }
    PL_ASSIGN_OR_RETURN(std::vector<LoadedEntry> loaded,
                        Loader(source_name).Load(YAML::Load(text)));
    AuthConfig config;
    config.entries_.reserve(loaded.size());
    for (LoadedEntry& entry : loaded) {
      config.entries_.push_back(Entry{std::move(entry.name), entry.role, entry.sha256});
    }
    return config;
  } catch (const YAML::Exception& e) {
    const std::string where = e.mark.is_null()
                                  ? StrCat("auth file ", source_name)
                                  : StrCat("auth file ", source_name, " line ", e.mark.line + 1);
    return absl::InvalidArgumentError(StrCat(where, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat("auth file ", source_name, ": ", e.what()));
  }
}

const AuthConfig::Entry* AuthConfig::Find(std::string_view token) const {
  if (token.empty()) return nullptr;
  std::array<uint8_t, kDigestBytes> digest;
  if (!Sha256(token, &digest)) return nullptr;
  const Entry* found = nullptr;
  // Every entry is compared, in constant time, whatever matched before: the time taken tells
  // nothing of which entry matched. Digests are unique, so at most one does.
  for (const Entry& entry : entries_) {
    const bool same = CRYPTO_memcmp(digest.data(), entry.sha256.data(), digest.size()) == 0;
    found = same ? &entry : found;
  }
  OPENSSL_cleanse(digest.data(), digest.size());
  return found;
}

Role AuthConfig::RoleOf(std::string_view token) const {
  const Entry* entry = Find(token);
  return entry == nullptr ? Role::kNone : entry->role;
}

namespace {

// "http://127.0.0.1:8080" -> "127.0.0.1:8080" (an Origin is scheme://host[:port]).
std::string_view OriginHostPort(std::string_view origin) {
  const size_t scheme = origin.find("://");
  return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

}  // namespace

AuthDecision AuthorizeWrite(const AuthConfig* auth, const HttpRequest& request, Role needed) {
  if (auth == nullptr) {
    // A web page on another site can make a developer's browser post to the local server;
    // browsers say where such a request comes from, so a foreign Origin is refused.
    const std::string_view origin = request.Header("origin");
    if (request.remote_is_loopback && !origin.empty() &&
        OriginHostPort(origin) != request.Header("host")) {
      return Refused(403,
                     "cross-origin writes are refused without an auth file (start the server "
                     "with --auth-file FILE and send a token)");
    }
    if (request.remote_is_loopback) {
      AuthDecision decision;
      decision.allowed = true;
      return decision;
    }
    return Refused(403,
                   "writing from another host needs an auth file: start the server with "
                   "--auth-file FILE (without one, only loopback clients may write)");
  }
  if (needed < Role::kViewer) needed = Role::kViewer;
  std::string_view token;
  switch (ParseBearer(request.Header("authorization"), &token)) {
    case BearerParse::kOk:
      break;
    case BearerParse::kMissing:
      return Refused(401, "writing needs a token: send \"Authorization: Bearer <token>\"");
    case BearerParse::kNotBearer:
      return Refused(401, "the Authorization header is not \"Bearer <token>\"");
    case BearerParse::kNoToken:
      return Refused(401, "the Authorization header has no token after \"Bearer\"");
  }
  const AuthConfig::Entry* entry = auth->Find(token);
  if (entry == nullptr) return Refused(401, "the bearer token matches no entry of the auth file");
  AuthDecision decision;
  decision.who = entry->name;
  if (entry->role < needed) {
    decision.status = 403;
    decision.message = StrCat("token ", Quoted(entry->name), " has role ", RoleName(entry->role),
                              "; this needs role ", RolesFrom(needed));
    return decision;
  }
  decision.allowed = true;
  return decision;
}

void Refuse(const AuthDecision& decision, HttpResponse& response) {
  if (decision.allowed) return;
  const query::ApiErrorType type =
      decision.status == 401 ? query::ApiErrorType::kUnauthorized : query::ApiErrorType::kForbidden;
  response.status = query::ApiErrorHttpStatus(type);
  response.content_type = "application/json";
  response.body = query::ApiErrorJson(type, decision.message);
  if (type == query::ApiErrorType::kUnauthorized) {
    response.SetHeader("WWW-Authenticate", "Bearer realm=\"plumbline\"");
  }
}

}  // namespace plumbline::web
