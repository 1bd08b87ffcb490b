// Query resolution: the step of a range query from the graph's pixel width (about one point
// per 2 px, rounded up to a nice step), and start/end aligned to multiples of it so that the
// same view always asks the same queries.

export const NICE_STEPS = [
  1, 2, 5, 10, 15, 30, // seconds
  60, 120, 300, 600, 900, 1800, // minutes
  3600, 7200, 10800, 21600, 43200, // hours
  86400, // a day; longer steps are whole days
];

const DAY = 86400;

/** The smallest nice step giving at most one point per `pxPerPoint` pixels. */
export function chooseStep(rangeSeconds, widthPx, pxPerPoint = 2) {
  const points = Math.max(1, Math.floor(widthPx / pxPerPoint));
  const raw = Math.max(rangeSeconds, 0) / points;
  for (const step of NICE_STEPS) if (step >= raw) return step;
  return Math.ceil(raw / DAY) * DAY;
}

/** Start aligned down and end aligned up to multiples of the step. */
export function alignRange(start, end, step) {
  return { start: Math.floor(start / step) * step, end: Math.ceil(end / step) * step };
}

/** The range query for [from, to] drawn `widthPx` wide: {start, end, step}. */
export function planRange(from, to, widthPx) {
  const step = chooseStep(to - from, widthPx);
  return { ...alignRange(from, to, step), step };
}
