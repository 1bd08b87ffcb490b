// `plumbline export`: a stopped store's samples as Prometheus text with millisecond
// timestamps — the format `plumbline import` reads (backups, migrations, checks).
#pragma once

#include <cstdint>
#include <string>

namespace plumbline::app {

struct ExportFlags {
  std::string data_dir = "./data";
  std::string metric = ".+";  // RE2 over metric names, fully anchored
  int64_t start_ms = INT64_MIN / 2;
  int64_t end_ms = INT64_MAX / 2;
};

int RunExport(const ExportFlags& flags);

}  // namespace plumbline::app
