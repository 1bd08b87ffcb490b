// The store of agent mode (`storage: none`): keeps no samples. Append accepts everything and
// hands out series refs (the same ref for the same labels, so the flusher's by-ref path
// works); reads find nothing; the deploy log refuses events (an agent records them nowhere:
// send them to the central store); bulk writers (imports, self-scrape) keep nothing. Wrapped
// in a ForwardingEngine, whose queue is then the only thing Plumbline keeps on disk.
//
// Thread-safe. Memory: one encoded label set per distinct series appended.
#pragma once

#include <memory>

#include "storage/engine.h"

namespace plumbline::remote {

std::unique_ptr<storage::Engine> NewNullEngine();

}  // namespace plumbline::remote
