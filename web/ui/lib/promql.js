// PromQL editing help: where a parse error points ("1:6: parse error: ..."), and what to
// complete at the cursor (a metric or function name, a label name, or a label value).

export const FUNCTIONS = [
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh',
  'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh',
  'count_over_time', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg',
  'delta', 'deriv', 'exp', 'floor', 'histogram_fraction', 'histogram_quantile', 'hour',
  'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln',
  'log10', 'log2', 'max_over_time', 'min_over_time', 'minute', 'month', 'pi',
  'predict_linear', 'present_over_time', 'quantile_over_time', 'rad', 'rate', 'resets',
  'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time',
  'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time', 'timestamp', 'vector', 'year',
  // aggregations
  'avg', 'bottomk', 'count', 'count_values', 'group', 'max', 'min', 'quantile', 'stddev',
  'stdvar', 'sum', 'topk',
];

// Parentheses after these words hold label names.
const LABEL_LIST_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The position of a parse error as {line, col, message}, from "1:6: parse error: ..." alone
 * or after a prefix as the API sends it ('invalid parameter "query": 1:6: parse error: ...');
 * null without a position.
 */
export function parseErrorPosition(error) {
  const m = /(?:^|\s)(\d+):(\d+): ([\s\S]*)$/.exec(String(error ?? ''));
  return m ? { line: Number(m[1]), col: Number(m[2]), message: m[3] } : null;
}

/**
 * The position in `text` (a string index) of 1-based line `line`, byte column `col` as the
 * server counts them (UTF-8 bytes), and that line's text; a column past the end points just
 * after the line.
 */
export function locateError(text, line, col) {
  const lines = String(text).split('\n');
  const lineIndex = Math.min(Math.max(line, 1), lines.length) - 1;
  const lineText = lines[lineIndex];
  const encoder = new TextEncoder();
  let bytes = 0;
  let index = 0;
  for (const ch of lineText) {
    if (bytes >= col - 1) break;
    bytes += encoder.encode(ch).length;
    index += ch.length;
  }
  const column = index + Math.max(0, col - 1 - bytes);
  const offset = lines.slice(0, lineIndex).reduce((n, l) => n + l.length + 1, 0) + Math.min(column, lineText.length);
  return { lineText, column, offset };
}

// Scans text up to the cursor: open brackets [{ch, pos}] and the open string, if any.
function scan(text, cursor) {
  const open = [];
  let quote = null;
  let quoteStart = -1;
  for (let i = 0; i < cursor; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0 || nl >= cursor) return { comment: true, open, quote, quoteStart };
      i = nl;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
      quoteStart = i;
    } else if (c === '{' || c === '(' || c === '[') {
      open.push({ ch: c, pos: i });
    } else if ((c === '}' || c === ')' || c === ']') && open.length > 0) {
      open.pop();
    }
  }
  return { comment: false, open, quote, quoteStart };
}

const WORD_BEFORE = /[a-zA-Z_:][a-zA-Z0-9_:]*$/;

// The metric name written just before a "{" at `pos`, or null.
function metricBefore(text, pos) {
  const m = WORD_BEFORE.exec(text.slice(0, pos).trimEnd());
  return m ? m[0] : null;
}

/**
 * What to complete at the cursor: {kind: "metric"|"label"|"value", prefix, from, label?,
 * metric?} where [from, cursor) is the text a completion replaces; null for nothing.
 */
export function completionContext(text, cursor) {
  const { comment, open, quote, quoteStart } = scan(text, cursor);
  if (comment) return null;
  const top = open[open.length - 1];
  if (quote) {
    if (top?.ch !== '{') return null;
    const m = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*$/.exec(text.slice(top.pos + 1, quoteStart));
    if (!m) return null;
    return {
      kind: 'value',
      prefix: text.slice(quoteStart + 1, cursor),
      from: quoteStart + 1,
      label: m[1],
      metric: metricBefore(text, top.pos),
    };
  }
  if (top?.ch === '[') return null;
  const before = text.slice(0, cursor);
  const word = WORD_BEFORE.exec(before)?.[0] ?? '';
  const from = cursor - word.length;
  const prev = before.slice(0, from).trimEnd();
  const prevChar = prev[prev.length - 1];
  if (top?.ch === '{') {
    if (prevChar !== '{' && prevChar !== ',') return null;
    return { kind: 'label', prefix: word, from, metric: metricBefore(text, top.pos) };
  }
  if (top?.ch === '(' && LABEL_LIST_WORDS.has(metricBefore(text, top.pos))) {
    if (prevChar !== '(' && prevChar !== ',') return null;
    return { kind: 'label', prefix: word, from, metric: null };
  }
  if (word === '' || /[0-9.]/.test(before[from - 1] ?? '')) return null;
  return { kind: 'metric', prefix: word, from };
}

/** Up to `limit` items starting with the prefix, then those containing it (case-insensitive). */
export function filterCompletions(items, prefix, limit = 50) {
  const p = prefix.toLowerCase();
  const starts = [];
  const contains = [];
  for (const item of items) {
    const i = item.toLowerCase().indexOf(p);
    if (i === 0) starts.push(item);
    else if (i > 0) contains.push(item);
  }
  return [...starts, ...contains].slice(0, limit);
}
