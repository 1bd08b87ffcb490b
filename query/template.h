// Alert templates: Go's text/template language with Prometheus' functions, as Prometheus
// expands the labels and annotations of alerting rules (template/template.go).
//
// Every template is parsed behind Prometheus' four definitions, so these variables exist:
//   {{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
//   {{$externalURL := .ExternalURL}}{{$value := .Value}}
//
// The language: text and {{ actions }} with trim markers ({{- -}}), comments, pipelines
// (`x | f`), variables ($x := ..., $x = ...), field and map access (.Labels.job, $labels.job),
// if / else if / else, range (with $i, $v :=, over maps in key order, slices), with, and
// define/template/block; literals (strings "…" and `…`, numbers, true/false, nil).
// Go's built-ins: and or not len index slice print printf println html js urlquery
// eq ne lt le gt ge. Prometheus' functions: query first label value strvalue sortByLabel
// humanize humanize1024 humanizeDuration humanizePercentage humanizeTimestamp toTime
// title toUpper toLower match reReplaceAll safeHtml args graphLink tableLink pathPrefix
// externalURL stripPort stripDomain parseDuration.
// Values print as Go's fmt %v prints them: floats 0.5, 1e+06, +Inf, NaN.
//
// Errors read as Go's do. Parse errors name the template and line (Go gives no column):
//   template: __alert_HighLatency:1: function "humanise" not defined
// execution errors the line and the 0-based byte column, the prefix counted on line 1.
// Parse refuses an unknown function: an alert must not go out with a silent blank.
//
// Template is an immutable value, cheap to copy; Execute is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace plumbline::query {

namespace internal {
struct TemplateTree;
}

// One element of a `query` result: what `{{ range query "..." }}{{ .Labels.x }} {{ .Value }}`
// iterates over.
struct TemplateSample {
  std::map<std::string, std::string> labels;  // with __name__ when the result keeps it
  double value = 0;
};

// Runs a PromQL instant query at the alert's evaluation time (the `query` function). An
// error (a parse error, a range-vector result) stops the expansion with that error.
using TemplateQueryFn =
    std::function<absl::StatusOr<std::vector<TemplateSample>>(std::string_view expr)>;

struct TemplateData {
  std::map<std::string, std::string> labels;           // .Labels, $labels
  std::map<std::string, std::string> external_labels;  // .ExternalLabels, $externalLabels
  std::string external_url;                            // .ExternalURL, $externalURL
  double value = 0;                                    // .Value, $value
};

class Template {
 public:
  // Parses `text` (behind the four definitions above) as the template called `name`
  // (Prometheus names them "__alert_<alertname>"). InvalidArgument with Go's message,
  // e.g. "template: __alert_X:1: unexpected \"}\" in operand".
  static absl::StatusOr<Template> Parse(std::string_view name, std::string_view text);

  // Expands the template. `query` may be null: then the `query` function fails with
  // "query function not available". InvalidArgument with Go's execution error, e.g.
  // "template: __alert_X:1:130: executing \"__alert_X\" at <humanize \"x\">: error calling
  // humanize: strconv.ParseFloat: parsing \"x\": invalid syntax".
  // Output is capped at 1 MiB and evaluation at 100,000 steps (a range over a huge query,
  // a recursive template): past either it fails with ResourceExhausted.
  absl::StatusOr<std::string> Execute(const TemplateData& data,
                                      const TemplateQueryFn& query = nullptr) const;

  const std::string& name() const;

 private:
  explicit Template(std::shared_ptr<const internal::TemplateTree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const internal::TemplateTree> tree_;
};

// Go's fmt %v for a float64 ("0.5", "1e+06", "+Inf", "NaN"): how $value prints.
std::string FormatGoFloatV(double v);

}  // namespace plumbline::query
