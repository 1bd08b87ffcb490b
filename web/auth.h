// Who may write. Reading is always open; the routes that write (POST /api/v1/events,
// POST /events/, POST /api/v1/import/prometheus) ask AuthorizeWrite first, naming the least
// role they need (roles are ordered viewer < deployer < admin).
//
// With an auth file (`serve --auth-file FILE`), a write needs `Authorization: Bearer <token>`
// (scheme case-insensitive) whose token is listed there, with a role at least the one needed;
// loopback clients need one too. No token, a malformed header or an unknown token: 401 with
// `WWW-Authenticate: Bearer realm="plumbline"`; a known token whose role is too low: 403.
// Without an auth file, only loopback clients may write; others get 403, and so does a
// request carrying an Origin header that names another host:port than its Host header (a
// browser posting on behalf of another site: no CSRF against a developer's local server).
//
// The auth file lists SHA-256 digests of the tokens, never the tokens:
//   tokens:
//     - name: ci-pipeline      # unique; reported as AuthDecision::who
//       role: deployer         # viewer | deployer | admin
//       sha256: 9f86d08188...  # hex SHA-256 of the token (64 hex digits, any case)
// Every mistake in it is refused at load, naming the file, the line and the field. A token
// presented is hashed and compared with every entry's digest in constant time (the time taken
// tells nothing of which entry matched); tokens are never logged nor echoed in messages.
//
// Thread-safety: an AuthConfig is immutable once loaded; share it (const) across threads.
// The functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "web/http.h"

namespace plumbline::web {

enum class Role { kNone = 0, kViewer = 1, kDeployer = 2, kAdmin = 3 };

// "none", "viewer", "deployer", "admin".
std::string_view RoleName(Role role);

struct AuthDecision {
  bool allowed = false;
  int status = 0;       // 401 or 403 when refused
  std::string message;  // for the error envelope, never containing the token
  std::string who;      // name of the matching token entry when one matched ("" otherwise)
};

class AuthConfig;
// `auth == nullptr`: no auth file configured (loopback-only writes). A `needed` below kViewer
// counts as kViewer: with an auth file, a write always needs a known token.
[[nodiscard]] AuthDecision AuthorizeWrite(const AuthConfig* auth, const HttpRequest& request,
                                          Role needed);

// Fills `response` for a refused decision: the Prometheus error envelope, errorType
// "unauthorized" (401, with WWW-Authenticate) or "forbidden" (403). Does nothing when allowed.
void Refuse(const AuthDecision& decision, HttpResponse& response);

// The tokens of an auth file. Immutable, hence thread-safe.
class AuthConfig {
 public:
  // NotFound/PermissionDenied... when the file cannot be read; InvalidArgument
  // "auth file <path> line <n>: <field>: ..." when its content is wrong.
  [[nodiscard]] static absl::StatusOr<AuthConfig> LoadFile(const std::string& path);
  // The text of an auth file; `source_name` names it in messages.
  [[nodiscard]] static absl::StatusOr<AuthConfig> Parse(std::string_view yaml,
                                                        std::string_view source_name);

  // The role of the entry whose digest is SHA-256(token); kNone when none (or `token` is "").
  Role RoleOf(std::string_view token) const;
  // Number of entries (never 0: an empty list is refused at load).
  size_t size() const { return entries_.size(); }

 private:
  static constexpr size_t kDigestBytes = 32;
  struct Entry {
    std::string name;
    Role role = Role::kNone;
    std::array<uint8_t, kDigestBytes> sha256{};
  };
  friend AuthDecision AuthorizeWrite(const AuthConfig* auth, const HttpRequest& request,
                                     Role needed);

  AuthConfig() = default;
  // The entry matching `token`, or nullptr; compares against every entry whatever the answer.
  const Entry* Find(std::string_view token) const;

  std::vector<Entry> entries_;  // digests unique (checked at load): at most one matches
};

}  // namespace plumbline::web
