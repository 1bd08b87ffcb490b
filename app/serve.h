// `plumbline serve`: wires storage, the HTTP server and (later) the collector, then runs
// until SIGTERM/SIGINT. Returns the process exit code.
#pragma once

#include "app/config.h"

namespace plumbline::app {

int RunServe(const ServeConfig& config);

}  // namespace plumbline::app
