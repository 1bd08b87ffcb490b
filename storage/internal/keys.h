// Key layouts of every column family (format version 1). All integers big-endian so that
// RocksDB's bytewise order is numeric order; signed values are biased (sign bit flipped).
//
//   meta      "format_version"                      -> decimal text
//             "next_series_ref"                      -> fixed64 BE
//             "md/" metric                           -> metadata record (see metadata.cc)
//             "mp/" ref window (biased)              -> ""   (a window sealed in parts, to merge)
//   series    'l' canonical-labels                    -> ref (fixed64 BE)
//             'i' ref                                 -> canonical labels
//             'x' ref                                 -> max timestamp sealed in chunks (biased)
//   postings  day name '\0' value '\0' ref            -> ""   (day: biased u32 of UTC day)
//             day '\0' '\0' ref                       -> ""   (every series with data that day)
//   chunks    day ref min_t                           -> chunk bytes (storage/codec)
//   head      seq                                     -> head log record (see head_log.h)
//   events    see storage/events.cc
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace plumbline::storage::keys {

inline constexpr int64_t kDayMsForKeys = 24LL * 3600 * 1000;
inline constexpr char kSeriesByLabels = 'l';
inline constexpr char kSeriesById = 'i';
inline constexpr char kSeriesMaxSealed = 'x';

void PutFixed64BE(std::string* out, uint64_t v);
void PutFixed32BE(std::string* out, uint32_t v);
uint64_t GetFixed64BE(const char* p);
uint32_t GetFixed32BE(const char* p);

inline uint64_t BiasTime(int64_t t) { return static_cast<uint64_t>(t) ^ (1ULL << 63); }
inline int64_t UnbiasTime(uint64_t b) { return static_cast<int64_t>(b ^ (1ULL << 63)); }

// UTC day number of a timestamp (floor division, so negative times work), biased to u32;
// clamped to the u32 range for the extreme int64 times.
uint32_t DayOf(int64_t t_ms);
int64_t DayStartMs(uint32_t day);

std::string SeriesByLabelsKey(std::string_view canonical_labels);
std::string SeriesByIdKey(uint64_t ref);
std::string SeriesMaxSealedKey(uint64_t ref);

// Postings prefix for (day, name, value); append a ref for the full key.
std::string PostingsValuePrefix(uint32_t day, std::string_view name, std::string_view value);
// Prefix of every value of `name` on `day`.
std::string PostingsNamePrefix(uint32_t day, std::string_view name);
// Prefix of the all-series postings of `day`.
std::string AllPostingsPrefix(uint32_t day);
std::string DayPrefix(uint32_t day);

std::string ChunkKey(uint32_t day, uint64_t ref, int64_t min_t);
std::string ChunkSeriesPrefix(uint32_t day, uint64_t ref);
inline constexpr size_t kChunkKeySize = 4 + 8 + 8;

std::string HeadKey(uint64_t seq);

// Marks a series' 2-hour window as holding chunk parts to merge (meta column family).
inline constexpr std::string_view kMergeMarkerPrefix = "mp/";
// Meta: the number of the next head-log record (fixed64 BE), written with each truncation, so
// that numbering continues upwards after a restart that finds the head log empty.
inline constexpr std::string_view kHeadLogNextSeqKey = "head_log_next_seq";
std::string MergeMarkerKey(uint64_t ref, int64_t window);
// False when `key` is not a well-formed marker.
bool ParseMergeMarkerKey(std::string_view key, uint64_t* ref, int64_t* window);

}  // namespace plumbline::storage::keys
