// Values as people read them, per panel unit: none (1.5k), bytes (1.5 KiB), seconds (250 ms,
// 1.5 min), ops/s (1.2k ops/s) and percent (45.2%, for values already in 0–100); axis ticks
// get just enough digits to tell them apart.

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
const DURATIONS = [ // [upper bound in seconds, divisor, suffix]
  [1e-6, 1e-9, 'ns'],
  [1e-3, 1e-6, 'µs'],
  [1, 1e-3, 'ms'],
  [60, 1, 's'],
  [3600, 60, 'min'],
  [86400, 3600, 'h'],
  [Infinity, 86400, 'd'],
];

/**
 * A number with about three significant digits (more with `extra`) and no trailing zeros:
 * 1.5, 12.3, 123.
 */
export function formatNumber(x, extra = 0) {
  const a = Math.abs(x);
  if (a === 0) return '0';
  let s;
  if (a >= 100) s = x.toFixed(extra);
  else if (a >= 10) s = x.toFixed(1 + extra);
  else if (a >= 0.01) s = x.toFixed(2 + extra);
  else return String(Number(x.toPrecision(3 + extra)));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

// Scales |x| down by `base` while it is at least `base`, returning [scaled, prefix index].
function scale(x, base, count) {
  let i = 0;
  while (Math.abs(x) >= base && i < count - 1) {
    x /= base;
    i++;
  }
  return [x, i];
}

/** A value formatted for a unit (`extra` digits more than usual); null is "—", and NaN and infinities read as Prometheus'. */
export function formatValue(value, unit = 'none', extra = 0) {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  switch (unit) {
    case 'bytes': {
      const [x, i] = scale(value, 1024, IEC.length);
      return `${formatNumber(x, extra)} ${IEC[i]}`;
    }
    case 'seconds': {
      if (value === 0) return '0 s';
      const a = Math.abs(value);
      const [, div, suffix] = DURATIONS.find(([upper]) => a < upper);
      return `${formatNumber(value / div, extra)} ${suffix}`;
    }
    case 'percent':
      return `${formatNumber(value, extra)}%`;
    case 'ops/s': {
      const [x, i] = scale(value, 1000, SI.length);
      return `${formatNumber(x, extra)}${SI[i]} ops/s`;
    }
    default: {
      const [x, i] = scale(value, 1000, SI.length);
      return `${formatNumber(x, extra)}${SI[i]}`;
    }
  }
}

/** Axis tick labels: as few digits as keep neighbouring ticks apart. */
export function formatTicks(values, unit = 'none') {
  let labels = [];
  for (let extra = 0; extra <= 6; extra++) {
    labels = values.map((v) => formatValue(v, unit, extra));
    if (labels.every((l, i) => i === 0 || l !== labels[i - 1])) break;
  }
  return labels;
}
