// `plumbline import` and `plumbline compact`: bulk loading and full compaction.
#pragma once

#include <cstdint>
#include <string>

namespace plumbline::app {

struct ImportFlags {
  std::string data_dir = "./data";  // offline: straight into a stopped store
  std::string server;               // online: POST to a running server instead
  std::string token;                // bearer token for --server
  std::string format = "auto";      // auto | prometheus (ms) | openmetrics (s)
  std::string retention = "15d";
  std::string file;  // path, or "-" for stdin
};

// Exit codes: 0 everything imported; 3 some lines or samples refused (the rest is stored);
// 1 nothing more could be stored (I/O error, server refused, store busy); 2 bad usage.
int RunImport(const ImportFlags& flags);

int RunCompact(const std::string& data_dir);

}  // namespace plumbline::app
