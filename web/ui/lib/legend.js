// Series names: a panel's legend template ("{{service}} p99") filled from a series' labels,
// or by default the labels themselves as Prometheus prints them: name{a="b", c="d"}.

const TEMPLATE_RE = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

function quote(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A label set as text: the metric name, then the other labels sorted, in braces. */
export function formatLabels(metric = {}) {
  const names = Object.keys(metric).filter((n) => n !== '__name__').sort();
  const body = names.map((n) => `${n}=${quote(metric[n])}`).join(', ');
  return `${metric.__name__ ?? ''}{${body}}`;
}

/** The legend of a series: the template with {{label}} replaced (missing labels are empty). */
export function legendFor(template, metric = {}) {
  if (!template) return formatLabels(metric);
  const text = template.replace(TEMPLATE_RE, (_, name) => metric[name] ?? '');
  return text.trim() === '' ? formatLabels(metric) : text;
}
