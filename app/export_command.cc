#include "app/export_command.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "storage/engine.h"

namespace plumbline::app {
namespace {

void AppendEscaped(std::string* out, const std::string& value) {
  for (char c : value) {
    if (c == '\\' || c == '"') out->push_back('\\');
    if (c == '\n') {
      out->append("\\n");
      continue;
    }
    out->push_back(c);
  }
}

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
    out->append(buf, end);
  }
}

}  // namespace

int RunExport(const ExportFlags& flags) {
  storage::EngineOptions options;
  options.data_dir = flags.data_dir;
  options.background_maintenance = false;
  options.retention_ms = INT64_MAX / 2;
  absl::StatusOr<std::unique_ptr<storage::Engine>> engine = storage::Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "export: %s\n", std::string(engine.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<storage::LabelMatcher> matcher = storage::LabelMatcher::Create(
      storage::LabelMatcher::Type::kRegexMatch, "__name__", flags.metric);
  if (!matcher.ok()) {
    std::fprintf(stderr, "export: --metric: %s\n", std::string(matcher.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<storage::SeriesSet>> set =
      (*engine)->Select({*matcher}, flags.start_ms, flags.end_ms);
  if (!set.ok()) {
    std::fprintf(stderr, "export: %s\n", std::string(set.status().message()).c_str());
    return 1;
  }
  std::string line;
  for (size_t i = 0; i < (*set)->series().size(); ++i) {
    const storage::Labels& labels = (*set)->series()[i].labels;
    std::string series(labels.metric_name());
    bool first = true;
    for (const storage::Label& l : labels.items()) {
      if (l.name == storage::kMetricNameLabel) continue;
      series += first ? "{" : ",";
      first = false;
      series += l.name + "=\"";
      AppendEscaped(&series, l.value);
      series += "\"";
    }
    if (!first) series += "}";
    std::unique_ptr<storage::SeriesIterator> it = (*set)->Samples(i);
    while (it->Next()) {
      line = series;
      line.push_back(' ');
      AppendValue(&line, it->v());
      line.push_back(' ');
      line += std::to_string(it->t());
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    if (!it->status().ok()) {
      std::fprintf(stderr, "export: %s: %s\n", labels.ToString().c_str(),
                   std::string(it->status().message()).c_str());
      return 1;
    }
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace plumbline::app
