// The one place rocksdb::Status becomes absl::Status.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace plumbline::storage {

// `context` says what was being done ("append", "open /data"). NoSpace and IOError become
// Unavailable (retry later), Corruption becomes DataLoss.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view context);

}  // namespace plumbline::storage
