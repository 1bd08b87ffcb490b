#include "app/signals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <thread>

#include "common/log.h"

namespace plumbline::app {
namespace {

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int WaitForSignal() {
  sigset_t set = ShutdownSet();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

int WaitForShutdownSignal() {
  while (true) {
    const int sig = WaitForSignal();
    if (sig != SIGHUP) return sig;
  }
}

void ExitOnSecondSignal() {
  std::thread([] {
    const int sig = WaitForShutdownSignal();
    PL_LOG(Warn) << "received " << ::strsignal(sig) << " again: exiting at once";
    ::_exit(1);
  }).detach();
}

}  // namespace plumbline::app
