// `plumbline drill`: a fire drill. Asks a running server (POST /-/drill) to send a clearly
// marked test alert through every Alertmanager and chat notifier it is configured with, and
// prints what each destination did, so a team can check the path before the real fire.
//
//   plumbline drill [--service api] [--server http://127.0.0.1:8080] [--token T]
//
// The token may also come from $PLUMBLINE_TOKEN (a deployer's or an admin's).
#pragma once

#include <string>

namespace plumbline::app {

struct DrillFlags {
  std::string service;
  std::string server = "http://127.0.0.1:8080";
  std::string token;
};

// Exit codes: 0 every destination took the alert; 1 one failed, none is configured, or the
// server refused the drill; 3 the server could not be reached.
int RunDrill(const DrillFlags& flags);

}  // namespace plumbline::app
