#include "storage/internal/keys.h"

#include <algorithm>

namespace plumbline::storage::keys {

void PutFixed64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

void PutFixed32BE(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 4);
}

uint64_t GetFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t GetFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t DayOf(int64_t t_ms) {
  int64_t day = t_ms / kDayMsForKeys;
  if (t_ms % kDayMsForKeys < 0) --day;
  // Clamped: times beyond ±5.8 million years (e.g. Prometheus' MinTime/MaxTime used as open
  // range ends) map to the first/last day instead of wrapping.
  day = std::clamp<int64_t>(day, -(int64_t{1} << 31), (int64_t{1} << 31) - 1);
  return static_cast<uint32_t>(day + (int64_t{1} << 31));
}

int64_t DayStartMs(uint32_t day) {
  return (static_cast<int64_t>(day) - (int64_t{1} << 31)) * kDayMsForKeys;
}

std::string SeriesByLabelsKey(std::string_view canonical_labels) {
  std::string key(1, kSeriesByLabels);
  key.append(canonical_labels);
  return key;
}

std::string SeriesByIdKey(uint64_t ref) {
  std::string key(1, kSeriesById);
  PutFixed64BE(&key, ref);
  return key;
}

std::string SeriesMaxSealedKey(uint64_t ref) {
  std::string key(1, kSeriesMaxSealed);
  PutFixed64BE(&key, ref);
  return key;
}

std::string DayPrefix(uint32_t day) {
  std::string key;
  PutFixed32BE(&key, day);
  return key;
}

std::string PostingsNamePrefix(uint32_t day, std::string_view name) {
  std::string key = DayPrefix(day);
  key.append(name);
  key.push_back('\0');
  return key;
}

std::string PostingsValuePrefix(uint32_t day, std::string_view name, std::string_view value) {
  std::string key = PostingsNamePrefix(day, name);
  key.append(value);
  key.push_back('\0');
  return key;
}

std::string AllPostingsPrefix(uint32_t day) { return PostingsValuePrefix(day, "", ""); }

std::string ChunkSeriesPrefix(uint32_t day, uint64_t ref) {
  std::string key = DayPrefix(day);
  PutFixed64BE(&key, ref);
  return key;
}

std::string ChunkKey(uint32_t day, uint64_t ref, int64_t min_t) {
  std::string key = ChunkSeriesPrefix(day, ref);
  PutFixed64BE(&key, BiasTime(min_t));
  return key;
}

std::string HeadKey(uint64_t seq) {
  std::string key;
  PutFixed64BE(&key, seq);
  return key;
}

std::string MergeMarkerKey(uint64_t ref, int64_t window) {
  std::string key(kMergeMarkerPrefix);
  PutFixed64BE(&key, ref);
  PutFixed64BE(&key, BiasTime(window));
  return key;
}

bool ParseMergeMarkerKey(std::string_view key, uint64_t* ref, int64_t* window) {
  if (key.size() != kMergeMarkerPrefix.size() + 16 || !key.starts_with(kMergeMarkerPrefix)) {
    return false;
  }
  *ref = GetFixed64BE(key.data() + kMergeMarkerPrefix.size());
  *window = UnbiasTime(GetFixed64BE(key.data() + kMergeMarkerPrefix.size() + 8));
  return true;
}

}  // namespace plumbline::storage::keys
