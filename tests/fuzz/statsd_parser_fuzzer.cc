// Fuzzes the StatsD / DogStatsD / Graphite parsers (collector/statsd_parser.h). The input is a
// datagram: ForEachLine splits it and every line goes through all four parsers. Checks, beyond
// "no crash, no UB, no out-of-bounds read":
//   * ForEachLine yields non-empty lines inside the datagram, without '\n', one trailing '\r'
//     dropped;
//   * every view a parser fills in lies inside its line, and results don't depend on what the
//     output struct held before;
//   * a kOk metric line obeys the documented grammar: name without ':' '|' '#' NUL and valid
//     UTF-8 (checked with storage's independent IsValidUtf8); numeric types yield exactly one
//     value per ':'-separated item, each finite and bit-equal to strtod's reading; sets yield
//     none; the rate is in (0, 1]; re-serialising the fields and parsing again gives the same;
//   * a kOk event's title and text sit exactly where its byte lengths say; a kOk service
//     check's status is 0..3 and its message runs to the end of the line; a kOk Graphite line
//     has a path without blanks, a finite value and a timestamp of -1 or > 0.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "collector/statsd_parser.h"
#include "storage/labels.h"

namespace plumbline::collector {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "statsd_parser_fuzzer: %s\n", what);
    std::abort();
  }
}

// An empty view may point anywhere (or nowhere); a non-empty one must lie inside `outer`.
bool Inside(std::string_view inner, std::string_view outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

bool Clean(std::string_view s) {
  return s.find('\0') == std::string_view::npos && storage::IsValidUtf8(s);
}

bool SameLine(const StatsdLine& a, const StatsdLine& b) {
  return a.name == b.name && a.values == b.values && a.type == b.type &&
         std::memcmp(&a.sample_rate, &b.sample_rate, sizeof a.sample_rate) == 0 &&
         a.tags == b.tags && a.timestamp_s == b.timestamp_s && a.container == b.container;
}

const char* TypeText(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "c";
    case MetricType::kGauge:
      return "g";
    case MetricType::kTimer:
      return "ms";
    case MetricType::kHistogram:
      return "h";
    case MetricType::kDistribution:
      return "d";
    case MetricType::kSet:
      return "s";
  }
  return "?";
}

void CheckValues(const StatsdLine& m) {
  ValueReader reader(m.values, m.type);
  double v;
  bool delta;
  if (m.type == MetricType::kSet) {
    Check(!reader.Next(&v, &delta), "a set yields a number");
    Check(Clean(m.values), "a set member is not clean UTF-8");
    return;
  }
  std::string_view rest = m.values;
  for (;;) {
    const size_t colon = rest.find(':');
    const std::string item(rest.substr(0, colon));
    Check(reader.Next(&v, &delta), "fewer values than items");
    Check(std::isfinite(v), "a value is not finite");
    const double expected = std::strtod(item.c_str(), nullptr);
    Check(std::memcmp(&v, &expected, sizeof v) == 0, "a value differs from strtod's");
    const bool signed_item = item[0] == '+' || item[0] == '-';
    Check(delta == (m.type == MetricType::kGauge && signed_item), "wrong delta flag");
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  Check(!reader.Next(&v, &delta), "more values than items");
}

void CheckTags(std::string_view tags) {
  TagReader reader(tags);
  std::string_view name, value;
  while (reader.Next(&name, &value)) {
    Check(Inside(name, tags) && Inside(value, tags), "a tag lies outside the tags");
    Check(name.find(',') == std::string_view::npos && name.find(':') == std::string_view::npos,
          "a tag name holds ',' or ':'");
    Check(value.find(',') == std::string_view::npos, "a tag value holds ','");
  }
}

void CheckMetric(std::string_view line) {
  StatsdLine m;
  const ParseError e = ParseLine(line, &m);
  StatsdLine dirty;
  dirty.name = dirty.values = dirty.tags = dirty.container = "junk";
  dirty.sample_rate = 0.25;
  dirty.timestamp_s = 42;
  dirty.type = MetricType::kSet;
  Check(ParseLine(line, &dirty) == e, "the result depends on the output struct");
  Check((e == ParseError::kTooLong) == (line.size() > kMaxLineLength), "kTooLong mismatch");
  if (e != ParseError::kOk) return;
  Check(SameLine(m, dirty), "fields depend on the output struct");
  Check(!m.name.empty() && m.name.data() == line.data(), "name is not the line's start");
  Check(m.name.find_first_of(std::string_view(":|#\0", 4)) == std::string_view::npos,
        "name holds a separator or NUL");
  Check(storage::IsValidUtf8(m.name), "name is not valid UTF-8");
  Check(!m.values.empty() && m.values.data() == m.name.data() + m.name.size() + 1,
        "values do not follow the name");
  Check(m.values.find('|') == std::string_view::npos, "values hold '|'");
  Check(Inside(m.tags, line) && Inside(m.container, line), "a view lies outside the line");
  Check(m.sample_rate > 0 && m.sample_rate <= 1, "rate outside (0, 1]");
  Check(m.timestamp_s >= 0, "negative timestamp");
  Check(m.tags.empty() || Clean(m.tags), "tags are not clean UTF-8");
  Check(m.container.empty() || Clean(m.container), "container is not clean UTF-8");
  CheckValues(m);
  CheckTags(m.tags);

  // Re-serialised in canonical order, the line parses to the same fields.
  std::string again;
  again.append(m.name).append(":").append(m.values).append("|").append(TypeText(m.type));
  if (m.sample_rate != 1) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "|@%.17g", m.sample_rate);
    again.append(rate);
  }
  if (!m.tags.empty()) again.append("|#").append(m.tags);
  if (m.timestamp_s != 0) again.append("|T").append(std::to_string(m.timestamp_s));
  if (!m.container.empty()) again.append("|c:").append(m.container);
  StatsdLine m2;
  Check(ParseLine(again, &m2) == ParseError::kOk, "the re-serialised line is refused");
  Check(SameLine(m, m2), "the re-serialised line parses differently");
}

void CheckEvent(std::string_view line) {
  StatsdEvent ev;
  const ParseError e = ParseEvent(line, &ev);
  if (e != ParseError::kOk) return;
  Check(storage::IsValidUtf8(line) && line.find('\0') == std::string_view::npos,
        "an event is not clean UTF-8");
  // "_e{" title_len "," text_len "}:" with decimal lengths (leading zeros allowed).
  const size_t colon = line.find("}:");
  Check(line.starts_with("_e{") && colon != std::string_view::npos, "no event header");
  const std::string lengths(line.substr(3, colon - 3));
  char* comma = nullptr;
  const unsigned long long title_len = std::strtoull(lengths.c_str(), &comma, 10);
  Check(*comma == ',', "no ',' in the event header");
  const unsigned long long text_len = std::strtoull(comma + 1, nullptr, 10);
  Check(title_len == ev.title.size() && text_len == ev.text.size(),
        "event lengths differ from the header");
  const size_t title_at = colon + 2;
  Check(!ev.title.empty() && ev.title.data() == line.data() + title_at,
        "title is not where the header ends");
  Check(line[title_at + ev.title.size()] == '|', "no '|' after the title");
  Check(ev.text.data() == ev.title.data() + ev.title.size() + 1 || ev.text.empty(),
        "text is not after the title");
  for (std::string_view v :
       {ev.hostname, ev.aggregation_key, ev.priority, ev.source_type, ev.alert_type, ev.tags}) {
    Check(Inside(v, line), "an event field lies outside the line");
  }
  Check(ev.priority.empty() || ev.priority == "normal" || ev.priority == "low", "bad priority");
  Check(ev.alert_type.empty() || ev.alert_type == "error" || ev.alert_type == "warning" ||
            ev.alert_type == "info" || ev.alert_type == "success",
        "bad alert type");
  Check(ev.date_s >= 0, "negative event date");
  CheckTags(ev.tags);
}

void CheckServiceCheck(std::string_view line) {
  ServiceCheck sc;
  if (ParseServiceCheck(line, &sc) != ParseError::kOk) return;
  Check(sc.status >= 0 && sc.status <= 3, "status outside 0..3");
  Check(!sc.name.empty() && sc.name.find('|') == std::string_view::npos, "bad check name");
  const std::string head = "_sc|" + std::string(sc.name) + "|" + std::to_string(sc.status);
  Check(line.starts_with(head), "service check head mismatch");
  Check(Inside(sc.hostname, line) && Inside(sc.tags, line) && Inside(sc.message, line),
        "a service check field lies outside the line");
  Check(sc.message.empty() || sc.message.data() + sc.message.size() == line.data() + line.size(),
        "the message does not run to the end of the line");
  Check(sc.timestamp_s >= 0, "negative check timestamp");
  CheckTags(sc.tags);
}

void CheckGraphite(std::string_view line) {
  GraphiteLine g;
  if (ParseGraphiteLine(line, &g) != ParseError::kOk) return;
  Check(!g.path.empty() && Inside(g.path, line), "bad path view");
  Check(g.path.find_first_of(" \t") == std::string_view::npos && Clean(g.path), "bad path");
  Check(std::isfinite(g.value), "Graphite value is not finite");
  Check(g.timestamp_s == -1 || g.timestamp_s > 0, "bad Graphite timestamp");
}

void CheckLine(std::string_view line) {
  (void)KindOf(line);
  CheckMetric(line);
  CheckEvent(line);
  CheckServiceCheck(line);
  CheckGraphite(line);
}

}  // namespace
}  // namespace plumbline::collector

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline::collector;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t lines = 0;
  ForEachLine(input, [&](std::string_view line) {
    ++lines;
    Check(!line.empty() && Inside(line, input), "ForEachLine: bad line view");
    Check(line.find('\n') == std::string_view::npos, "ForEachLine: '\\n' left in a line");
    // One trailing '\r' is dropped: a line may end in '\r' only if another followed it.
    const char* const after = line.data() + line.size();
    Check(line.back() != '\r' || (after < input.data() + input.size() && *after == '\r'),
          "ForEachLine: a trailing '\\r' was kept");
    CheckLine(line);
  });
  Check(lines <= static_cast<size_t>(std::count(input.begin(), input.end(), '\n')) + 1,
        "ForEachLine: more lines than pieces");
  CheckLine(input);  // whole, '\n' and all
  // The readers take any bytes.
  CheckTags(input);
  ValueReader reader(input, static_cast<MetricType>(size % 6));
  double v;
  bool delta;
  while (reader.Next(&v, &delta)) Check(std::isfinite(v), "ValueReader: value not finite");
  return 0;
}
