// Time for the UI: Prometheus-style durations ("30s", "1h30m"), the times the URL carries
// ("now", "now-6h", unix seconds), and local-time text for people and datetime inputs.

const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d|w|y)/g;

/** Seconds in a duration such as "5m", "1h30m" or "90" (bare seconds); null if malformed. */
export function parseDuration(text) {
  const s = String(text ?? '').trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  if (!DURATION_RE.test(s)) return null;
  let total = 0;
  for (const [, n, unit] of s.matchAll(PART_RE)) total += Number(n) * UNIT_SECONDS[unit];
  return total;
}

/**
 * A URL time ("now", "now-6h", "now+5m", unix seconds with an optional fraction, or an
 * RFC 3339 date) as unix seconds, given the current time; null if it cannot be read.
 */
export function parseTime(text, nowSeconds) {
  const s = String(text ?? '').trim();
  if (s === 'now') return nowSeconds;
  const rel = /^now([+-])(.+)$/.exec(s);
  if (rel) {
    const d = parseDuration(rel[2]);
    if (d === null) return null;
    return rel[1] === '-' ? nowSeconds - d : nowSeconds + d;
  }
  if (/^-?\d+(?:\.\d+)?$/.test(s)) return Number(s);
  if (/^\d{4}-\d\d-\d\dT/.test(s)) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return null;
}

const pad = (n) => String(n).padStart(2, '0');

/** "2026-11-26 14:03:05" in local time. */
export function formatTime(seconds) {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The value of an <input type="datetime-local"> for a time: "2026-11-26T14:03". */
export function toDatetimeLocal(seconds) {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Unix seconds for a datetime-local value (local time); null when empty or malformed. */
export function fromDatetimeLocal(value) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(String(value ?? ''));
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s || 0).getTime() / 1000;
}

/** How long ago a time was, roughly: "3 min ago", "in 2 h", "just now". */
export function formatAgo(seconds, nowSeconds) {
  const diff = nowSeconds - seconds;
  const a = Math.abs(diff);
  if (a < 45) return 'just now';
  const [n, unit] = a < 3600 ? [a / 60, 'min'] : a < 86400 ? [a / 3600, 'h'] : [a / 86400, 'd'];
  const text = `${Math.round(n)} ${unit}`;
  return diff > 0 ? `${text} ago` : `in ${text}`;
}

/** A short description of a URL time range: "Last 6h", or both ends in local time. */
export function describeRange(from, to, nowSeconds) {
  const rel = /^now-(.+)$/.exec(String(from));
  if (String(to) === 'now' && rel && parseDuration(rel[1]) !== null) return `Last ${rel[1]}`;
  const a = parseTime(from, nowSeconds);
  const b = parseTime(to, nowSeconds);
  if (a === null || b === null) return `${from} to ${to}`;
  return `${formatTime(a)} to ${formatTime(b)}`;
}
