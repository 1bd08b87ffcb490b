// `plumbline deploy` and `plumbline event`: record one event in a server's deploy log, as a
// step of a deploy pipeline or a script (POST /api/v1/events).
//
//   plumbline deploy --service api --what "a1b2c3 fix login" [--who alice] [--env prod]
//                    [--url U] [--time T] [--end T] [--tag k=v ...] [--server URL] [--token T]
//   plumbline event --type flag --service checkout --what "checkout_v2 → 10 %"
//
// --who defaults to the user ($USER, else the account name); --what, in a git checkout, to the
// current commit's short sha and subject. The token may also come from $PLUMBLINE_TOKEN (so it
// stays out of `ps`). On success prints the recorded event's id and its chat line.
#pragma once

#include <string>
#include <vector>

namespace plumbline::app {

struct EventFlags {
  std::string type = "deploy";
  std::string service;
  std::string who;
  std::string what;
  std::string url;
  std::string env;
  std::string time;               // unix seconds or RFC 3339; default: the server's now
  std::string end;                // for a region
  std::vector<std::string> tags;  // k=v
  std::string server = "http://127.0.0.1:8080";
  std::string token;
};

// Exit codes: 0 recorded; 1 the server refused it (the message says why: a field, a token);
// 2 bad usage (nothing sent); 3 the server could not be reached.
int RunEvent(const EventFlags& flags);

}  // namespace plumbline::app
