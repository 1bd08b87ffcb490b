// JSON of the Prometheus HTTP API, appended straight to a string (no document tree), so that
// a matrix of a million points costs one growing buffer. Byte for byte what Prometheus
// writes (web/api/v1/api.go with util/jsonutil/marshal.go and jsoniter's escaping):
//
//   {"status":"success","data":{"resultType":"vector","result":[
//     {"metric":{"__name__":"up","job":"api"},"value":[1435781451.781,"1"]}]},
//    "warnings":["..."],"infos":["..."]}
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/promql.h"
#include "query/value.h"
#include "storage/labels.h"

namespace plumbline::query {

// A sample value as jsonutil.MarshalFloat writes it (without the quotes): Go's
// strconv.FormatFloat(v, 'f', -1, 64) — shortest round-trip digits, no exponent — for 0 and
// 1e-6 <= |v| < 1e21; 'e' outside that ("1e+21", "1e-07", "5e-324"); "NaN", "+Inf", "-Inf".
void AppendSampleValue(double v, std::string* out);
std::string FormatSampleValue(double v);

// A timestamp as jsonutil.MarshalTimestamp writes it: milliseconds as seconds, the fraction
// only when there is one, always three digits then (1435781451.781, 1435781451.780, 1,
// 0.001, -0.001).
void AppendTimestamp(int64_t t_ms, std::string* out);

// A quoted JSON string escaped as Prometheus' encoder does: \" \\ \n \r \t, other control
// bytes and < > & as \u00XX, U+2028/U+2029 as \u2028/\u2029, each invalid UTF-8 byte as \ufffd.
void AppendJsonString(std::string_view s, std::string* out);

// Length of the valid UTF-8 sequence at the start of non-empty `s` (as Go's
// utf8.DecodeRuneInString accepts it: no overlong forms, no surrogates, at most U+10FFFF),
// or 0 when it is invalid.
size_t Utf8SequenceLength(std::string_view s);

// The labels of `labels` in Prometheus' order: by name, byte-wise (so "Zone" comes before
// "__name__", which the canonical form puts first).
std::vector<const storage::Label*> ByteOrderedLabels(const storage::Labels& labels);
// Prometheus' labels.Compare: label by label (name, then value), byte-wise, in byte order;
// <0, 0, >0. The first form takes lists from ByteOrderedLabels.
int CompareOrderedLabels(const std::vector<const storage::Label*>& a,
                         const std::vector<const storage::Label*>& b);
int CompareLabels(const storage::Labels& a, const storage::Labels& b);
// {"__name__":"up","job":"api"}
void AppendLabelsObject(const storage::Labels& labels, std::string* out);

// `{"status":"success","data":` — the data follows, then AppendSuccessEnd.
void AppendSuccessBegin(std::string* out);
// Closes the envelope: `,"warnings":[...]` and `,"infos":[...]` when there are any, then `}`.
// Annotations starting with "PromQL info: " are infos, the rest warnings; at most 10 of
// each, then "N more warning annotations omitted" (as Prometheus' AsStrings(query, 10, 10)).
void AppendSuccessEnd(const std::vector<std::string>& annotations, std::string* out);

// `{"resultType":"matrix","result":[...]}` for a query's value.
void AppendQueryData(const Value& value, std::string* out);
// The whole success response of /api/v1/query and /api/v1/query_range.
std::string QueryResultJson(const QueryResult& result);

// {"status":"error","errorType":"bad_data","error":"..."}
std::string ErrorEnvelopeJson(std::string_view error_type, std::string_view message);

}  // namespace plumbline::query
