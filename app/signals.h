// Signals, handled synchronously: the main thread blocks SIGINT, SIGTERM and SIGHUP before any
// other thread starts (so every thread inherits the mask) and later waits for one with sigwait.
// SIGINT and SIGTERM shut down; SIGHUP asks `serve` to reload its rule files.
#pragma once

namespace plumbline::app {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and ignores SIGPIPE. Call first in
// main.
void BlockShutdownSignals();

// Waits for SIGINT, SIGTERM or SIGHUP and returns its number.
int WaitForSignal();

// Waits for SIGINT or SIGTERM (a SIGHUP meanwhile is consumed) and returns its number.
int WaitForShutdownSignal();

// Starts a detached thread that exits the process at once (status 1) on the next SIGINT or
// SIGTERM: "a second signal exits at once" while a graceful shutdown is under way.
void ExitOnSecondSignal();

}  // namespace plumbline::app
