// "What did this deploy do": the series of a query before and after an event paired by
// label set, the mean of each side, the relative change, and the rows ordered worst
// (largest change) first.

import { parseSample } from './series.js';
import { formatNumber } from './units.js';

/** The mean of the values that are there and finite; null when there are none. */
export function mean(values) {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v !== null && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? null : sum / n;
}

// An identity for a label set, whatever the order of its labels.
function labelsKey(metric) {
  return JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
}

/**
 * The series of two matrix results (before and after) paired by label set, in order of
 * first appearance: [{metric, before: [numbers], after: [numbers]}], a side being empty
 * where that result lacks the series.
 */
export function pairSeries(beforeResult, afterResult) {
  const pairs = new Map();
  const add = (result, side) => {
    for (const s of result) {
      const metric = s.metric ?? {};
      const key = labelsKey(metric);
      if (!pairs.has(key)) pairs.set(key, { metric, before: [], after: [] });
      pairs.get(key)[side] = (s.values ?? []).map(([, v]) => parseSample(v));
    }
  };
  add(beforeResult, 'before');
  add(afterResult, 'after');
  return [...pairs.values()];
}

/**
 * The change from one mean to another as a fraction (0.25 is +25%): Infinity ("new") when
 * the series was 0 or absent before and is not after; -1 when it is gone after; null when
 * it has no values on either side. A negative `before` is compared by its magnitude.
 */
export function relativeChange(before, after) {
  if (before === null && after === null) return null;
  if (before === null || before === 0) return after === null || after === 0 ? 0 : Infinity;
  if (after === null) return -1;
  return (after - before) / Math.abs(before);
}

/** A change for people: "+25%", "-12.5%", "0%", "new". */
export function formatChange(change) {
  if (change === Infinity) return 'new';
  const pct = change * 100;
  return `${pct > 0 ? '+' : ''}${formatNumber(pct)}%`;
}

/**
 * A row {...rest, before, after, change} per item {before: [values], after: [values],
 * ...rest}, with the means of each side; items with no value on either side are left out.
 * Ordered by the size of the change, "new" first, ties kept in their given order.
 */
export function changeRows(items) {
  const rows = [];
  for (const { before: b, after: a, ...rest } of items) {
    const before = mean(b);
    const after = mean(a);
    const change = relativeChange(before, after);
    if (change !== null) rows.push({ ...rest, before, after, change });
  }
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => Math.abs(y.row.change) - Math.abs(x.row.change) || x.i - y.i)
    .map(({ row }) => row);
}
