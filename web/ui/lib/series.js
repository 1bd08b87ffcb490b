// Range-query results as graph data: one timestamp per step, values with null where the
// API has no point (so gaps stay gaps), lone points, last values, and cumulative sums for
// stacked areas.

/** A sample value as the API writes it ("1.5", "NaN", "+Inf", "-Inf") as a number. */
export function parseSample(text) {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** The timestamps start, start+step, …, end. */
export function timestamps(start, end, step) {
  const n = Math.floor((end - start) / step + 1e-9) + 1;
  return Array.from({ length: Math.max(n, 0) }, (_, i) => start + i * step);
}

/** Values [[t, "v"], …] on the grid of timestamps, null where a step has no point. */
export function fillGaps(values, start, end, step) {
  const out = new Array(timestamps(start, end, step).length).fill(null);
  for (const [t, v] of values) {
    const i = Math.round((t - start) / step);
    if (i >= 0 && i < out.length) out[i] = parseSample(v);
  }
  return out;
}

/** Values a graph can draw: NaN and infinities become gaps too. */
export function plottable(values) {
  return values.map((v) => (v !== null && Number.isFinite(v) ? v : null));
}

/** The last value that is there (null when none is). */
export function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

/**
 * Stacked areas: series i becomes the sum of series 0..i, a missing value counting as 0; a
 * step where every series is missing stays a gap.
 */
export function stack(arrays) {
  const length = arrays[0]?.length ?? 0;
  const out = arrays.map(() => new Array(length).fill(null));
  for (let j = 0; j < length; j++) {
    if (arrays.every((a) => a[j] === null)) continue;
    let sum = 0;
    arrays.forEach((a, i) => {
      sum += a[j] ?? 0;
      out[i][j] = sum;
    });
  }
  return out;
}

/** Indices of values with no value on either side: drawn as dots, since a line needs two. */
export function isolatedPoints(values) {
  const out = [];
  values.forEach((v, i) => {
    if (v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null) out.push(i);
  });
  return out;
}
