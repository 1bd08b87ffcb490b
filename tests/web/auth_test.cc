#include "web/auth.h"

#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/api_error.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::web {
namespace {

using ::plumbline::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// The tokens of the tests and their SHA-256 (as `printf %s TOKEN | sha256sum` prints it).
constexpr std::string_view kViewerToken = "tok-v-7f3a2b";
constexpr std::string_view kViewerSha =
    "483928776279ca3c78dbde4acfca782e132a91eb37e88032464e19a923ae76a6";
constexpr std::string_view kDeployerToken = "tok-d-91c2e8";
constexpr std::string_view kDeployerSha =
    "18b66a1dd2d89c552c0f35976f4590244ae727d8a0c5a222e8bd39ba078f0760";
constexpr std::string_view kAdminToken = "tok-a-d04e55";
constexpr std::string_view kAdminShaUpper =
    "16B52FDF706F83C414552BEFB11F3B11A1547ED566D4E5B37399B06C1F900499";
constexpr std::string_view kTestToken = "test";  // the well-known digest, in mixed case
constexpr std::string_view kTestShaMixed =
    "9F86D081884C7D659A2FEAA0C55AD015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr std::string_view kEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string GoodFile() {
  return std::string("# who may write\n") +              // 1
         "tokens:\n" +                                   // 2
         "  - name: grafana\n" +                         // 3
         "    role: viewer\n" +                          // 4
         "    sha256: " + std::string(kViewerSha) +      // 5
         "\n  - name: ci-pipeline\n" +                   // 6
         "    role: deployer\n" +                        // 7
         "    sha256: " + std::string(kDeployerSha) +    // 8
         "\n  - name: ops\n" +                           // 9
         "    role: admin\n" +                           // 10
         "    sha256: " + std::string(kAdminShaUpper) +  // 11
         "\n  - {name: smoke, role: deployer, sha256: " + std::string(kTestShaMixed) + "}\n";
}

AuthConfig LoadGood() {
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse(GoodFile(), "auth.yaml");
  EXPECT_THAT(config, ::plumbline::testing::IsOk());
  return *std::move(config);
}

HttpRequest Request(std::optional<std::string> authorization, bool loopback = false) {
  HttpRequest request;
  request.method = "POST";
  request.target = request.path = "/api/v1/events";
  request.remote_address = loopback ? "127.0.0.1" : "192.0.2.7";
  request.remote_is_loopback = loopback;
  if (authorization.has_value()) request.headers.emplace_back("authorization", *authorization);
  return request;
}

std::string Bearer(std::string_view token) { return "Bearer " + std::string(token); }

TEST(RoleTest, NamesAndOrder) {
  EXPECT_EQ(RoleName(Role::kNone), "none");
  EXPECT_EQ(RoleName(Role::kViewer), "viewer");
  EXPECT_EQ(RoleName(Role::kDeployer), "deployer");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
  EXPECT_LT(Role::kNone, Role::kViewer);
  EXPECT_LT(Role::kViewer, Role::kDeployer);
  EXPECT_LT(Role::kDeployer, Role::kAdmin);
}

TEST(AuthConfigTest, ParsesEntriesOfEveryRoleInAnyHexCase) {
  const AuthConfig config = LoadGood();
  EXPECT_EQ(config.size(), 4u);
  EXPECT_EQ(config.RoleOf(kViewerToken), Role::kViewer);
  EXPECT_EQ(config.RoleOf(kDeployerToken), Role::kDeployer);
  EXPECT_EQ(config.RoleOf(kAdminToken), Role::kAdmin);    // upper-case hex
  EXPECT_EQ(config.RoleOf(kTestToken), Role::kDeployer);  // mixed case, flow map
}

TEST(AuthConfigTest, UnknownAndEmptyTokensHaveNoRole) {
  const AuthConfig config = LoadGood();
  for (std::string_view token :
       {std::string_view(""), std::string_view("nope"), std::string_view("TOK-D-91C2E8"),
        std::string_view("tok-d-91c2e8\n"), std::string_view(" tok-d-91c2e8"), kDeployerSha}) {
    SCOPED_TRACE(token);
    EXPECT_EQ(config.RoleOf(token), Role::kNone);
  }
}

TEST(AuthConfigTest, RefusesMistakesNamingFileLineAndField) {
  const std::string d(kDeployerSha);
  const std::string v(kViewerSha);
  struct Case {
    std::string yaml;
    std::string error;  // expected in the message
  };
  const std::vector<Case> cases = {
      {"tokens:\n  - name: a\n    sha256: " + d + "\n    role: root\n",
       "auth file /x/auth.yaml line 4: role: expected viewer, deployer or admin, got \"root\""},
      {"tokens:\n  - name: a\n    role: Admin\n    sha256: " + d + "\n",
       "line 3: role: expected viewer, deployer or admin, got \"Admin\""},
      {"tokens:\n  - name: a\n    role: [admin]\n    sha256: " + d + "\n",
       "line 3: role: expected viewer, deployer or admin"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: 9f86d08\n",
       "line 4: sha256: expected 64 hex digits"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + d.substr(1) + "g\n",
       "line 4: sha256: expected 64 hex digits (the SHA-256 of the token, not the token), got a "
       "character that is not a hex digit"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + d + "0\n",
       "line 4: sha256: expected 64 hex digits (the SHA-256 of the token, not the token), got 65 "
       "characters"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256:\n", "line 4: sha256: expected 64"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + std::string(kEmptySha) + "\n",
       "line 4: sha256: this is the SHA-256 of an empty token"},
      {"tokens:\n  - role: viewer\n    sha256: " + d + "\n", "line 2: name: missing"},
      {"tokens:\n  - name: a\n    sha256: " + d + "\n", "line 2: role: missing"},
      {"tokens:\n  - name: a\n    role: viewer\n", "line 2: sha256: missing"},
      {"tokens:\n  - name: \"\"\n    role: viewer\n    sha256: " + d + "\n",
       "line 2: name: expected a non-empty string"},
      {"tokens:\n  - name: \"a\\nb\"\n    role: viewer\n    sha256: " + d + "\n",
       "line 2: name: control characters are not allowed"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + d + "\n  - name: a\n" +
           "    role: admin\n    sha256: " + v + "\n",
       "line 5: name: duplicate \"a\" (first at line 2)"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + d + "\n  - name: b\n" +
           "    role: admin\n    sha256: " + d + "\n",
       "line 7: sha256: the same token as entry \"a\" (line 4)"},
      {"tokens:\n  - name: a\n    role: viewer\n    token: s3cret\n    sha256: " + d + "\n",
       "line 4: unknown key \"token\" in a token entry (known keys: name, role, sha256)"},
      {"tokens:\n  - name: a\n    role: viewer\n    role: admin\n    sha256: " + d + "\n",
       "line 4: role: duplicate key"},
      {"tokens:\n  - just-a-name\n", "line 2: tokens: each entry must be a map"},
      {"tokens:\n  name: a\n", "line 1: tokens: expected a list of entries"},
      {"tokens: []\n", "auth file /x/auth.yaml line 1: tokens: the list is empty"},
      {"# nobody yet\ntokens:\n", "line 2: tokens: the list is empty"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + d + "\nusers: []\n",
       "line 5: unknown key \"users\" at the top level (the only key is tokens)"},
      {"tokens: []\ntokens: []\n", "line 2: tokens: duplicate key"},
      {"{}\n", "line 1: tokens: missing"},
      {"- name: a\n", "line 1: the top level must be a map with one key, tokens"},
      {"hello\n", "line 1: the top level must be a map"},
      {"", "auth file /x/auth.yaml: the file is empty"},
      {"# only a comment\n", "auth file /x/auth.yaml: the file is empty"},
      {"tokens:\n  - name: a\n    role: viewer\n    sha256: " + d + "\n---\ntokens: []\n",
       "line 5: more than one YAML document"},
      {"tokens: [\n  {name: a\n", "auth file /x/auth.yaml line "},  // a YAML syntax error
      {",\n", "auth file /x/auth.yaml"},  // refused by the yaml guard before yaml-cpp
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(AuthConfig::Parse(c.yaml, "/x/auth.yaml"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)));
  }
}

TEST(AuthConfigTest, Sha256ErrorsDoNotEchoTheValue) {
  // A token pasted where its digest belongs must not end up in the server's log.
  const std::string yaml = "tokens:\n  - name: a\n    role: viewer\n    sha256: my-s3cret-token\n";
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse(yaml, "auth.yaml");
  EXPECT_THAT(config,
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("my-s3cret-token"))));
}

TEST(AuthConfigTest, LoadFileReadsAFile) {
  plumbline::testing::TempDir dir;
  const std::string path = dir.Sub("auth.yaml");
  std::ofstream(path) << GoodFile();
  absl::StatusOr<AuthConfig> config = AuthConfig::LoadFile(path);
  PL_ASSERT_OK(config);
  EXPECT_EQ(config->size(), 4u);
  EXPECT_EQ(config->RoleOf(kAdminToken), Role::kAdmin);

  const std::string bad = dir.Sub("bad.yaml");
  std::ofstream(bad) << "tokens:\n  - name: a\n    role: root\n";
  EXPECT_THAT(AuthConfig::LoadFile(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("auth file " + bad + " line 3: role: expected")));
}

TEST(AuthConfigTest, LoadFileReportsAMissingFile) {
  plumbline::testing::TempDir dir;
  const std::string path = dir.Sub("absent.yaml");
  EXPECT_THAT(AuthConfig::LoadFile(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("auth file " + path)));
}

TEST(AuthConfigTest, IsSharedAcrossThreads) {
  const AuthConfig config = LoadGood();
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&config, &wrong, t] {
      for (int i = 0; i < 200; ++i) {
        if (config.RoleOf(kDeployerToken) != Role::kDeployer) ++wrong[t];
        if (config.RoleOf(kViewerToken) != Role::kViewer) ++wrong[t];
        if (config.RoleOf("nope") != Role::kNone) ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(wrong, ::testing::Each(0));
}

TEST(AuthorizeWriteTest, WithoutAuthFileLoopbackMayWrite) {
  for (Role needed : {Role::kViewer, Role::kDeployer, Role::kAdmin}) {
    const AuthDecision decision =
        AuthorizeWrite(nullptr, Request(std::nullopt, /*loopback=*/true), needed);
    EXPECT_TRUE(decision.allowed);
    EXPECT_EQ(decision.who, "");
  }
}

// A browser posting for another site sends that site as Origin: refused; the server's own
// pages (Origin = Host) and non-browser clients (no Origin) are not.
TEST(AuthorizeWriteTest, WithoutAuthFileForeignOriginsAreForbidden) {
  HttpRequest request = Request(std::nullopt, /*loopback=*/true);
  request.headers.push_back({"host", "127.0.0.1:8080"});
  EXPECT_TRUE(AuthorizeWrite(nullptr, request, Role::kDeployer).allowed);
  request.headers.push_back({"origin", "http://127.0.0.1:8080"});
  EXPECT_TRUE(AuthorizeWrite(nullptr, request, Role::kDeployer).allowed);
  request.headers.back().second = "https://evil.example";
  const AuthDecision decision = AuthorizeWrite(nullptr, request, Role::kDeployer);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.status, 403);
  EXPECT_THAT(decision.message, HasSubstr("cross-origin"));
}

TEST(AuthorizeWriteTest, WithoutAuthFileOtherHostsAreForbidden) {
  const AuthDecision decision =
      AuthorizeWrite(nullptr, Request(Bearer(kAdminToken)), Role::kDeployer);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.status, 403);
  EXPECT_THAT(decision.message, HasSubstr("--auth-file"));
  EXPECT_THAT(decision.message, Not(HasSubstr(kAdminToken)));
}

TEST(AuthorizeWriteTest, MissingTokenIsUnauthorized) {
  const AuthConfig config = LoadGood();
  for (bool loopback : {false, true}) {  // with an auth file, loopback needs a token too
    const AuthDecision decision =
        AuthorizeWrite(&config, Request(std::nullopt, loopback), Role::kDeployer);
    EXPECT_FALSE(decision.allowed);
    EXPECT_EQ(decision.status, 401);
    EXPECT_EQ(decision.who, "");
    HttpResponse response;
    Refuse(decision, response);
    EXPECT_EQ(response.status, 401);
    EXPECT_THAT(response.headers, ::testing::Contains(::testing::Pair(
                                      "WWW-Authenticate", "Bearer realm=\"plumbline\"")));
  }
}

TEST(AuthorizeWriteTest, MalformedHeadersAreUnauthorized) {
  const AuthConfig config = LoadGood();
  const std::string token(kDeployerToken);
  for (const std::string& header :
       {std::string(""), std::string("   "), "Basic " + token, std::string("Basic dXNlcjpwYXNz"),
        std::string("Bearer"), std::string("Bearer   "), "Bearer " + token + " extra",
        "Token " + token, "Bearer" + token, token}) {
    SCOPED_TRACE(header);
    const AuthDecision decision = AuthorizeWrite(&config, Request(header), Role::kDeployer);
    EXPECT_FALSE(decision.allowed);
    EXPECT_EQ(decision.status, 401);
    EXPECT_THAT(decision.message, Not(HasSubstr(token)));
  }
}

TEST(AuthorizeWriteTest, UnknownTokenIsUnauthorized) {
  const AuthConfig config = LoadGood();
  const AuthDecision decision =
      AuthorizeWrite(&config, Request(Bearer("wrong-token-1234")), Role::kDeployer);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.status, 401);
  EXPECT_EQ(decision.who, "");
  EXPECT_THAT(decision.message, Not(HasSubstr("wrong-token-1234")));
}

TEST(AuthorizeWriteTest, ViewerOnADeployerRouteIsForbidden) {
  const AuthConfig config = LoadGood();
  const AuthDecision decision =
      AuthorizeWrite(&config, Request(Bearer(kViewerToken)), Role::kDeployer);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.status, 403);
  EXPECT_EQ(decision.who, "grafana");
  EXPECT_EQ(decision.message,
            "token \"grafana\" has role viewer; this needs role deployer or admin");
}

TEST(AuthorizeWriteTest, DeployerMayWrite) {
  const AuthConfig config = LoadGood();
  const AuthDecision decision =
      AuthorizeWrite(&config, Request(Bearer(kDeployerToken)), Role::kDeployer);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.status, 0);
  EXPECT_EQ(decision.who, "ci-pipeline");
}

TEST(AuthorizeWriteTest, SchemeIsCaseInsensitiveAndSpacesAreTrimmed) {
  const AuthConfig config = LoadGood();
  const std::string token(kDeployerToken);
  for (const std::string& header :
       {"bearer " + token, "BEARER " + token, "Bearer  " + token, " Bearer\t" + token + " "}) {
    SCOPED_TRACE(header);
    const AuthDecision decision = AuthorizeWrite(&config, Request(header), Role::kDeployer);
    EXPECT_TRUE(decision.allowed);
    EXPECT_EQ(decision.who, "ci-pipeline");
  }
}

TEST(AuthorizeWriteTest, AdminMayUseADeployerRoute) {
  const AuthConfig config = LoadGood();
  const AuthDecision decision =
      AuthorizeWrite(&config, Request(Bearer(kAdminToken)), Role::kDeployer);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.who, "ops");
}

TEST(AuthorizeWriteTest, DeployerOnAnAdminRouteIsForbidden) {
  const AuthConfig config = LoadGood();
  const AuthDecision decision =
      AuthorizeWrite(&config, Request(Bearer(kDeployerToken)), Role::kAdmin);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.status, 403);
  EXPECT_EQ(decision.who, "ci-pipeline");
  EXPECT_THAT(decision.message, HasSubstr("needs role admin"));
  EXPECT_EQ(AuthorizeWrite(&config, Request(Bearer(kAdminToken)), Role::kAdmin).allowed, true);
}

TEST(AuthorizeWriteTest, ANeedBelowViewerStillNeedsAKnownToken) {
  const AuthConfig config = LoadGood();
  EXPECT_EQ(AuthorizeWrite(&config, Request(std::nullopt), Role::kNone).status, 401);
  EXPECT_TRUE(AuthorizeWrite(&config, Request(Bearer(kViewerToken)), Role::kNone).allowed);
}

TEST(AuthorizeWriteTest, MessagesNeverContainTheToken) {
  const AuthConfig config = LoadGood();
  for (std::string_view token : {kViewerToken, kDeployerToken, kAdminToken, kTestToken,
                                 std::string_view("unknown-token-xyz")}) {
    for (Role needed : {Role::kViewer, Role::kDeployer, Role::kAdmin}) {
      for (const AuthConfig* auth : {&config, static_cast<const AuthConfig*>(nullptr)}) {
        const AuthDecision decision = AuthorizeWrite(auth, Request(Bearer(token)), needed);
        HttpResponse response;
        Refuse(decision, response);
        EXPECT_THAT(decision.message, Not(HasSubstr(token)));
        EXPECT_THAT(response.body, Not(HasSubstr(token)));
        for (const auto& [name, value] : response.headers) {
          EXPECT_THAT(value, Not(HasSubstr(token)));
        }
      }
    }
  }
}

TEST(RefuseTest, UnauthorizedIsAnEnvelopeWithAChallenge) {
  AuthDecision decision;
  decision.status = 401;
  decision.message = "no token";
  HttpResponse response;
  Refuse(decision, response);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, query::ApiErrorJson(query::ApiErrorType::kUnauthorized, "no token"));
  EXPECT_THAT(response.body, HasSubstr("\"errorType\":\"unauthorized\""));
  EXPECT_THAT(response.headers, ::testing::ElementsAre(::testing::Pair(
                                    "WWW-Authenticate", "Bearer realm=\"plumbline\"")));
}

TEST(RefuseTest, ForbiddenIsAnEnvelopeWithoutAChallenge) {
  AuthDecision decision;
  decision.status = 403;
  decision.message = "role too low";
  HttpResponse response;
  Refuse(decision, response);
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, query::ApiErrorJson(query::ApiErrorType::kForbidden, "role too low"));
  EXPECT_THAT(response.body, HasSubstr("\"errorType\":\"forbidden\""));
  EXPECT_TRUE(response.headers.empty());
}

TEST(RefuseTest, AllowedDecisionLeavesTheResponseAlone) {
  AuthDecision decision;
  decision.allowed = true;
  HttpResponse response;
  response.body = "untouched";
  Refuse(decision, response);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "untouched");
  EXPECT_TRUE(response.headers.empty());
}

}  // namespace
}  // namespace plumbline::web
