// crash_appender DATA_DIR START_MS FD: appends batches to the store forever, writing the last
// timestamp of every acknowledged batch (int64, native order) to FD. Killed by crash_test.
#include "tests/storage/crash_appender.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "storage/engine.h"

int main(int argc, char** argv) {
  using namespace plumbline::storage;
  using namespace plumbline::storage::crash;
  if (argc != 4) return 2;
  EngineOptions options;
  options.data_dir = argv[1];
  options.background_maintenance = false;
  int64_t t = std::strtoll(argv[2], nullptr, 10);
  const int fd = std::atoi(argv[3]);
  auto engine = Engine::Open(options);
  if (!engine.ok()) return 3;
  std::vector<Labels> labels;
  for (int s = 0; s < kSeries; ++s) labels.push_back(SeriesLabels(s));
  while (true) {
    AppendBatch batch;
    for (int k = 0; k < 10; ++k, t += kStepMs) {
      for (int s = 0; s < kSeries; ++s) batch.Add(labels[s], t, ValueOf(s, t));
    }
    absl::StatusOr<AppendResult> r = (*engine)->Append(batch);
    if (!r.ok() || r->appended != batch.size()) return 4;
    const int64_t acked = t - kStepMs;
    if (write(fd, &acked, sizeof(acked)) != sizeof(acked)) return 5;
    // A short pause keeps the store small enough to verify quickly after each of 50 kills.
    usleep(200);
    // Now and then seal chunks and truncate the head log, as the background thread would.
    if ((t / kStepMs) % 2000 < 10 && !(*engine)->Maintain().ok()) return 6;
  }
}
