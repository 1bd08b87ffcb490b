// StatsD / DogStatsD metric lines, and the value and tag readers.
//
// The grammar and every decision, for all the formats of statsd_parser.h (events, service
// checks and Graphite lines are parsed in internal/dogstatsd_parser.cc and
// internal/graphite_parser.cc). References: Etsy StatsD 0.9 (stats.js, lib/helpers.js) and
// DogStatsD's datagram format (protocol v1.0 to v1.6, and the Datadog Agent's parser where the
// page is vague). Where DogStatsD says nothing, Etsy decides; where Etsy is lenient in a way that
// hides client bugs, we refuse and count the line (DESIGN.md: bad lines are counted by reason).
//
// Every parser: a line (without its '\n'; ForEachLine drops one trailing '\r') of more than
// kMaxLineLength (64 KiB) is kTooLong, checked first. No allocation, no exception, no
// locale; the views filled in point into the caller's line. On an error, *out is unspecified.
// Errors are reported in field order: the first field that is wrong names the reason.
//
// Metric lines:  name:value[:value...]|type[|@rate][|#tags][|T<unix seconds>][|c:<container>]
//  * name: the bytes before the first ':'. Non-empty (kBadName); no NUL, no '#', well-formed
//    UTF-8 (kBadName). It cannot hold '|': a '|' before any ':' means the line has no value
//    (kNoValue), as does a line without ':' at all. Etsy turns a bare "name" into an increment of
//    1 (stats.js pushes "1" when there is no ':'; 0.9's is_valid_packet then refuses it for lack
//    of a type anyway); we do not: a bare name is kNoValue. Any other byte is kept, spaces and
//    '/' included (Etsy rewrites them here; we sanitise names later, in metric_name.cc).
//  * value: the bytes between that ':' and the next '|'. Empty -> kNoValue; no '|' after the
//    value -> kNoType ("a:1"), as is an empty type ("a:1|").
//  * type: c g ms h d s, exact and case-sensitive (Etsy trims spaces around it; we don't:
//    "a:1| c" is kBadType). Anything else -> kBadType.
//  * numbers (c g ms h d): what std::from_chars(double) accepts plus one leading '+':
//    "1", "-2.5", ".5", "5.", "1e3", "+7". Refused (kBadValue): "inf", "nan", hex, spaces, a
//    second sign, "1.2.3", and values beyond double's range (1e400, and underflows from_chars
//    reports). So no NaN or infinity ever reaches an aggregate. Go's ParseFloat (DogStatsD) and
//    JS's Number() (Etsy) accept more (Inf, NaN, hex, surrounding spaces); no client library
//    sends those. Plain integers and short decimals take a fast path (statsd_lex.h).
//  * DogStatsD packing (v1.1): "a:1:2:3|d" is three values sharing type, rate and tags, for
//    c g ms h d. Every packed value is validated here; one bad or empty item ("1::2", "1:")
//    refuses the whole line with kBadValue (the Agent skips empty items; no client sends them).
//    Etsy's other multi-metric form "a:1|c:2|ms" (one type per value) is not supported: its
//    "c:2" reads as a type and is kBadType.
//  * signs: for gauges a leading '+' or '-' makes the value a delta (Etsy: "g:-3|g" lowers the
//    held value by 3; to set a negative gauge, set 0 first). ValueReader reports it per value,
//    so "g:5:+1|g" sets 5 then adds 1. What a delta on a gauge not yet held means is the
//    aggregator's call (Etsy sets it). Counters, timers, histograms and distributions take the
//    sign as a plain sign: "c:-1|c" is a negative increment. There is no delta outside gauges,
//    so kBadValue's "(or a delta where the type takes none)" never fires.
//  * sets: the member is the whole value text, ':' included (DogStatsD: packing does not apply
//    to sets; Etsy would split "a:b" at ':' and take "b"). It must be well-formed UTF-8 without
//    NUL (kBadValue); it is kept as text, never parsed as a number.
//  * sections after the type: in any order (clients differ), each at most once; a repeated
//    section is refused with the reason of that section (kBadRate, kBadTags, kBadTimestamp,
//    kBadField for 'c:'). An empty section ("a:1|c|", "a:1|c||#x") and any unknown one ("|x:1")
//    are kBadField.
//  * '@rate': a number as above without a sign, in (0, 1]; else kBadRate. DogStatsD says
//    "between 0 and 1, inclusive", but a rate of 0 would weigh each hit infinitely; Etsy
//    accepts any unsigned number, above 1 too; we accept neither. Not clamped here: the caller
//    clamps tiny rates. Accepted on every type; gauges and sets have no use for it (the
//    aggregator ignores it there, as DogStatsD does).
//  * '#tags': the text after '#', comma separated, "key:value" or "key" entries. The section
//    must not be empty ("|#" is kBadTags) and must be well-formed UTF-8 without NUL (kBadTags).
//    Empty entries between commas are allowed and skipped by TagReader; a tag's name is the text
//    before its first ':', its value the rest (so values may hold ':').
//  * 'T<unix seconds>' (v1.3): digits only, > 0, fits int64; else kBadTimestamp. Accepted on
//    every type; DogStatsD uses it for gauges and counters only, the aggregator decides.
//  * 'c:<container>' (v1.2, v1.4 "ci-..."/"in-..."): non-empty, UTF-8 without NUL; else
//    kBadField. Passed through as text.
//  * 'e:<external data>' (v1.5) and 'card:<cardinality>' (v1.6) are accepted and ignored (each
//    at most once, UTF-8 without NUL, else kBadField): the Datadog Agent's admission controller
//    makes clients send them on every line, so refusing them would drop whole services.
//
// Events (internal/dogstatsd_parser.cc):
//   _e{title_len,text_len}:title|text[|d:date][|h:host][|k:key][|p:priority][|s:source]
//   [|t:alert_type][|#tags]
//  * The lengths are decimal byte counts (DogStatsD: "the length (in bytes) of the UTF-8-encoded
//    title/text"; digits only, leading zeros allowed, at most 64 Ki) and must match exactly:
//    the byte after the title must be '|' and the text must end the line or be followed by
//    '|'. That is how a title or text can hold '|'. The Agent is looser (it cuts at the lengths
//    and parses whatever follows); we refuse a mismatch, which is what clients counting
//    characters instead of bytes produce. The title must not be empty (as in the Agent); the
//    text may be.
//  * The whole line must be well-formed UTF-8 without NUL. Since the title and text are bounded
//    by ASCII '|', a length that splits a character is caught by the '|' check.
//  * Sections after the text: in any order, each at most once, none empty. d: digits > 0 that
//    fit int64; p: "normal" or "low"; t: "error", "warning", "info" or "success" (the Agent logs
//    and defaults instead; we refuse: the alert type decides whether an event is an incident);
//    h: k: s: any text (may be empty); '#' tags as for metrics; c: e: card: accepted and ignored.
//    Anything else, and every failure above, is kBadEvent. The text is returned as sent:
//    DogStatsD clients escape newlines as "\\n" and the flusher unescapes them.
//
// Service checks (internal/dogstatsd_parser.cc):
//   _sc|name|status[|d:timestamp][|h:hostname][|#tags][|m:message]
//  * name non-empty; status exactly one digit 0..3; the whole line UTF-8 without NUL.
//  * d: h: '#' (and the ignored c: e: card:) in any order, each at most once, none empty;
//    d: digits > 0 that fit int64, '#' tags as for metrics, h: any text.
//  * m: must come last (DogStatsD: "this field must be positioned last among the metadata
//    fields"): the message is everything after "m:" to the end of the line, '|' included. The
//    Agent cuts the message at the next '|'; we keep it whole, which is the point of "last".
//    Clients escape newlines as "\\n" and "m:" inside the message as "m\:"; returned as sent.
//  * Everything else is kBadServiceCheck.
//
// Graphite plaintext (internal/graphite_parser.cc):  path value timestamp
//  * Fields separated by one or more spaces or tabs; leading and trailing spaces and tabs are
//    ignored (carbon strips the line and splits on whitespace). Exactly three fields.
//  * path: non-empty, well-formed UTF-8 without NUL (it cannot hold spaces or tabs: they
//    separate fields).
//  * value: a number as for StatsD (no NaN, no infinity: carbon would store them).
//  * timestamp: "-1" or "N" mean now (timestamp_s = -1); else unix seconds, digits with an
//    optional fraction that is dropped (carbon parses a float), > 0, fits int64.
//  * Every failure is kBadGraphite.
#include "collector/statsd_parser.h"

#include <array>
#include <cstring>

#include "collector/internal/statsd_lex.h"

namespace plumbline::collector {
namespace {

using internal::IsCleanUtf8;
using internal::IsDigit;
using internal::ParseDecimal;
using internal::ParseDigits;
using internal::Utf8SequenceLength;

constexpr int64_t kMaxInt64 = INT64_MAX;

// Bytes that end the plain scan of a name: ':' ends it, '|' means "no value", NUL and '#' are
// refused, and bytes >= 0x80 start a UTF-8 sequence to check.
constexpr std::array<bool, 256> kNameStop = [] {
  std::array<bool, 256> t{};
  t[0] = t[':'] = t['|'] = t['#'] = true;
  for (int c = 0x80; c < 256; ++c) t[c] = true;
  return t;
}();

const char* FindBar(const char* p, const char* end) {
  const void* bar = std::memchr(p, '|', static_cast<size_t>(end - p));
  return bar == nullptr ? end : static_cast<const char*>(bar);
}

bool ParseType(std::string_view t, MetricType* type) {
  if (t.size() == 1) {
    switch (t[0]) {
      case 'c':
        *type = MetricType::kCounter;
        return true;
      case 'g':
        *type = MetricType::kGauge;
        return true;
      case 'h':
        *type = MetricType::kHistogram;
        return true;
      case 'd':
        *type = MetricType::kDistribution;
        return true;
      case 's':
        *type = MetricType::kSet;
        return true;
      default:
        return false;
    }
  }
  if (t == "ms") {
    *type = MetricType::kTimer;
    return true;
  }
  return false;
}

// Every ':'-separated item of a numeric value field is a number.
// Whether every ':'-separated item is a number; `single` and `first` tell whether there was
// one, and its value.
bool ValidNumbers(std::string_view values, bool* single, double* first) {
  double v;
  for (bool head = true;; head = false) {
    const size_t colon = values.find(':');
    if (!ParseDecimal(values.substr(0, colon), &v)) return false;
    if (head) {
      *first = v;
      *single = colon == std::string_view::npos;
    }
    if (colon == std::string_view::npos) return true;
    values.remove_prefix(colon + 1);
  }
}

// Sections seen so far, to refuse repeats.
enum Seen : unsigned {
  kSeenRate = 1,
  kSeenTags = 2,
  kSeenTimestamp = 4,
  kSeenContainer = 8,
  kSeenExternal = 16,
  kSeenCardinality = 32,
};

ParseError ParseSection(std::string_view s, unsigned* seen, StatsdLine* out) {
  if (s.empty()) return ParseError::kBadField;
  switch (s[0]) {
    case '@': {
      if ((*seen & kSeenRate) != 0) return ParseError::kBadRate;
      *seen |= kSeenRate;
      const std::string_view text = s.substr(1);
      double rate;
      if (text.empty() || (!IsDigit(text[0]) && text[0] != '.') || !ParseDecimal(text, &rate) ||
          !(rate > 0 && rate <= 1)) {
        return ParseError::kBadRate;
      }
      out->sample_rate = rate;
      return ParseError::kOk;
    }
    case '#': {
      if ((*seen & kSeenTags) != 0) return ParseError::kBadTags;
      *seen |= kSeenTags;
      const std::string_view tags = s.substr(1);
      if (tags.empty() || !IsCleanUtf8(tags)) return ParseError::kBadTags;
      out->tags = tags;
      return ParseError::kOk;
    }
    case 'T': {
      if ((*seen & kSeenTimestamp) != 0) return ParseError::kBadTimestamp;
      *seen |= kSeenTimestamp;
      int64_t t;
      if (!ParseDigits(s.substr(1), kMaxInt64, &t) || t <= 0) return ParseError::kBadTimestamp;
      out->timestamp_s = t;
      return ParseError::kOk;
    }
    default:
      break;
  }
  // "c:", "e:" and "card:": text fields.
  unsigned bit;
  std::string_view text;
  if (s.starts_with("c:")) {
    bit = kSeenContainer;
    text = s.substr(2);
  } else if (s.starts_with("e:")) {
    bit = kSeenExternal;
    text = s.substr(2);
  } else if (s.starts_with("card:")) {
    bit = kSeenCardinality;
    text = s.substr(5);
  } else {
    return ParseError::kBadField;
  }
  if ((*seen & bit) != 0 || text.empty() || !IsCleanUtf8(text)) return ParseError::kBadField;
  *seen |= bit;
  if (bit == kSeenContainer) out->container = text;
  return ParseError::kOk;
}

}  // namespace

const char* ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kNoValue:
      return "no_value";
    case ParseError::kBadName:
      return "bad_name";
    case ParseError::kBadValue:
      return "bad_value";
    case ParseError::kNoType:
      return "no_type";
    case ParseError::kBadType:
      return "bad_type";
    case ParseError::kBadRate:
      return "bad_rate";
    case ParseError::kBadTags:
      return "bad_tags";
    case ParseError::kBadTimestamp:
      return "bad_timestamp";
    case ParseError::kBadField:
      return "bad_field";
    case ParseError::kBadEvent:
      return "bad_event";
    case ParseError::kBadServiceCheck:
      return "bad_service_check";
    case ParseError::kBadGraphite:
      return "bad_graphite";
    case ParseError::kTooLong:
      return "too_long";
  }
  return "unknown";
}

ParseError ParseLine(std::string_view line, StatsdLine* out) noexcept {
  if (line.size() > kMaxLineLength) return ParseError::kTooLong;
  *out = StatsdLine();
  const char* const begin = line.data();
  const char* const end = begin + line.size();

  // name ':'
  const char* p = begin;
  for (;;) {
    if (p == end) return ParseError::kNoValue;
    const auto c = static_cast<unsigned char>(*p);
    if (!kNameStop[c]) {
      ++p;
      continue;
    }
    if (c == ':') break;
    if (c == '|') return ParseError::kNoValue;
    if (c < 0x80) return ParseError::kBadName;  // NUL or '#'
    const size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p),
                                        reinterpret_cast<const unsigned char*>(end));
    if (n == 0) return ParseError::kBadName;
    p += n;
  }
  if (p == begin) return ParseError::kBadName;
  out->name = std::string_view(begin, static_cast<size_t>(p - begin));

  // value '|' type
  const char* const values_begin = p + 1;
  const char* const bar = FindBar(values_begin, end);
  if (bar == values_begin) return ParseError::kNoValue;
  if (bar == end) return ParseError::kNoType;
  const std::string_view values(values_begin, static_cast<size_t>(bar - values_begin));
  const char* const type_end = FindBar(bar + 1, end);
  const std::string_view type(bar + 1, static_cast<size_t>(type_end - (bar + 1)));
  if (type.empty()) return ParseError::kNoType;
  if (!ParseType(type, &out->type)) return ParseError::kBadType;
  if (out->type == MetricType::kSet) {
    if (!IsCleanUtf8(values)) return ParseError::kBadValue;
  } else if (!ValidNumbers(values, &out->single_value, &out->value)) {
    return ParseError::kBadValue;
  }
  out->values = values;

  // ['|' section]...
  unsigned seen = 0;
  for (p = type_end; p != end;) {
    const char* const section_end = FindBar(p + 1, end);
    const ParseError e = ParseSection(
        std::string_view(p + 1, static_cast<size_t>(section_end - (p + 1))), &seen, out);
    if (e != ParseError::kOk) return e;
    p = section_end;
  }
  return ParseError::kOk;
}

bool ValueReader::Next(double* value, bool* is_delta) noexcept {
  if (type_ == MetricType::kSet || rest_.empty()) return false;
  const size_t colon = rest_.find(':');
  const std::string_view item = rest_.substr(0, colon);
  rest_ = colon == std::string_view::npos ? std::string_view() : rest_.substr(colon + 1);
  double v;
  if (!ParseDecimal(item, &v)) {  // only for text that did not come from a kOk line
    rest_ = std::string_view();
    return false;
  }
  *value = v;
  *is_delta = type_ == MetricType::kGauge && (item[0] == '+' || item[0] == '-');
  return true;
}

bool TagReader::Next(std::string_view* name, std::string_view* value) noexcept {
  while (!rest_.empty()) {
    const size_t comma = rest_.find(',');
    const std::string_view entry = rest_.substr(0, comma);
    rest_ = comma == std::string_view::npos ? rest_.substr(rest_.size()) : rest_.substr(comma + 1);
    if (entry.empty()) continue;
    const size_t colon = entry.find(':');
    if (colon == std::string_view::npos) {
      *name = entry;
      *value = entry.substr(entry.size());
    } else {
      *name = entry.substr(0, colon);
      *value = entry.substr(colon + 1);
    }
    return true;
  }
  return false;
}

}  // namespace plumbline::collector
