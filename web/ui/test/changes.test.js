// Tests for lib/changes.js: pairing series, before/after means, relative change and the
// worst-first order.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mean, pairSeries, relativeChange, formatChange, changeRows } from '../lib/changes.js';

test('mean ignores gaps and non-finite values', () => {
  assert.equal(mean([1, 2, null, 3]), 2);
  assert.equal(mean([null, NaN]), null);
  assert.equal(mean([]), null);
});

test('pairSeries joins before and after by label set', () => {
  const before = [
    { metric: { a: '1', b: '2' }, values: [[0, '1'], [30, '3']] },
    { metric: { a: 'gone' }, values: [[0, '5']] },
  ];
  const after = [
    { metric: { b: '2', a: '1' }, values: [[60, 'NaN'], [90, '+Inf']] },
    { metric: { a: 'new' }, values: [[60, '7']] },
  ];
  const pairs = pairSeries(before, after);
  assert.equal(pairs.length, 3);
  assert.deepEqual(pairs[0].metric, { a: '1', b: '2' });
  assert.deepEqual(pairs[0].before, [1, 3]);
  assert.ok(Number.isNaN(pairs[0].after[0]));
  assert.equal(pairs[0].after[1], Infinity);
  assert.deepEqual(pairs[1], { metric: { a: 'gone' }, before: [5], after: [] });
  assert.deepEqual(pairs[2], { metric: { a: 'new' }, before: [], after: [7] });
});

test('relativeChange', () => {
  assert.equal(relativeChange(100, 125), 0.25);
  assert.equal(relativeChange(100, 50), -0.5);
  assert.equal(relativeChange(0, 5), Infinity);
  assert.equal(relativeChange(null, 5), Infinity);
  assert.equal(relativeChange(0, 0), 0);
  assert.equal(relativeChange(10, null), -1);
  assert.equal(relativeChange(null, null), null);
  assert.equal(relativeChange(-10, -5), 0.5);
});

test('formatChange', () => {
  assert.equal(formatChange(0.25), '+25%');
  assert.equal(formatChange(-0.125), '-12.5%');
  assert.equal(formatChange(0), '0%');
  assert.equal(formatChange(Infinity), 'new');
  assert.equal(formatChange(0.0123), '+1.23%');
  assert.equal(formatChange(1.234), '+123%');
});

test('changeRows orders by the size of the change, new first', () => {
  const rows = changeRows([
    { panel: 'p', series: 'small', before: [10, 10], after: [11, 11] },
    { panel: 'p', series: 'drop', before: [10, 10], after: [2, 2] },
    { panel: 'q', series: 'new', before: [], after: [5, 5] },
    { panel: 'q', series: 'rise', before: [1, 1], after: [1.8, null] },
    { panel: 'q', series: 'empty', before: [null], after: [] },
    { panel: 'q', series: 'same', before: [3, 3], after: [3] },
    { panel: 'r', series: 'drop2', before: [5, 5], after: [1, 1] },
  ]);
  assert.deepEqual(rows.map((r) => r.series), ['new', 'drop', 'rise', 'drop2', 'small', 'same']);
  assert.deepEqual(rows[1], { panel: 'p', series: 'drop', before: 10, after: 2, change: -0.8 });
  assert.equal(rows[0].change, Infinity);
});
