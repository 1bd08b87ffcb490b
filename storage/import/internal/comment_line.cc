#include "storage/import/internal/comment_line.h"

#include <array>

#include "absl/status/status.h"
#include "common/strings.h"
#include "storage/labels.h"

namespace plumbline::storage::import::internal {
namespace {

constexpr std::array<std::string_view, 9> kMetricTypes = {"counter", "gauge",    "histogram",
                                                          "summary", "untyped",  "unknown",
                                                          "info",    "stateset", "gaugehistogram"};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits the first whitespace-delimited token off `*rest`.
std::string_view NextToken(std::string_view* rest) {
  size_t n = 0;
  while (n < rest->size() && !IsSpace((*rest)[n])) ++n;
  const std::string_view token = rest->substr(0, n);
  rest->remove_prefix(n);
  return token;
}

// HELP escapes: \\ and \n (Prometheus text), \" (OpenMetrics); others kept as written.
void UnescapeHelp(std::string_view raw, std::string* out) {
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      const char next = raw[i + 1];
      if (next == '\\' || next == '"' || next == 'n') {
        out->push_back(next == 'n' ? '\n' : next);
        ++i;
        continue;
      }
    }
    out->push_back(raw[i]);
  }
}

}  // namespace

CommentLineKind ParseCommentLine(std::string_view line, MetadataLine* metadata,
                                 std::string* error) {
  std::string_view rest = line.substr(1);  // after '#'
  if (rest.empty() || !IsSpace(rest[0])) return CommentLineKind::kComment;
  while (!rest.empty() && IsSpace(rest[0])) rest.remove_prefix(1);
  const std::string_view keyword = NextToken(&rest);
  if (keyword == "EOF") {
    return TrimSpaces(rest).empty() ? CommentLineKind::kEof : CommentLineKind::kComment;
  }
  if (rest.empty()) return CommentLineKind::kComment;  // "# HELP" alone, like Prometheus
  if (keyword == "TYPE") {
    metadata->kind = MetadataKind::kType;
  } else if (keyword == "HELP") {
    metadata->kind = MetadataKind::kHelp;
  } else if (keyword == "UNIT") {
    metadata->kind = MetadataKind::kUnit;
  } else {
    return CommentLineKind::kComment;
  }
  while (!rest.empty() && IsSpace(rest[0])) rest.remove_prefix(1);
  const std::string_view metric = NextToken(&rest);
  if (metric.empty()) {
    *error = StrCat("expected a metric name after # ", keyword, ", got end of line");
    return CommentLineKind::kError;
  }
  if (absl::Status s = ValidateMetricName(metric); !s.ok()) {
    *error = StrCat(ToStd(s.message()), " in # ", keyword);
    return CommentLineKind::kError;
  }
  metadata->metric = metric;
  switch (metadata->kind) {
    case MetadataKind::kType: {
      const std::string_view type = TrimSpaces(rest);
      if (type.empty()) {
        *error = StrCat("expected a metric type after \"# TYPE ", metric, "\", got end of line");
        return CommentLineKind::kError;
      }
      bool known = false;
      for (std::string_view t : kMetricTypes) known = known || t == type;
      if (!known) {
        *error = StrCat("unknown metric type \"", type, "\" in # TYPE ", metric,
                        ", expected counter, gauge, histogram, summary, untyped, unknown, info, "
                        "stateset or gaugehistogram");
        return CommentLineKind::kError;
      }
      metadata->text.assign(type);
      break;
    }
    case MetadataKind::kHelp:
      if (!rest.empty()) rest.remove_prefix(1);  // the one separating space or tab
      UnescapeHelp(rest, &metadata->text);
      break;
    case MetadataKind::kUnit:
      metadata->text.assign(TrimSpaces(rest));
      break;
  }
  if (!IsValidUtf8(metadata->text)) {
    *error = StrCat("# ", keyword, " text for ", metric, " is not valid UTF-8");
    return CommentLineKind::kError;
  }
  return CommentLineKind::kMetadata;
}

}  // namespace plumbline::storage::import::internal
