// Tests for lib/series.js: gaps as nulls, last values, stacking and series identity.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseSample, timestamps, fillGaps, plottable, lastValue, stack, isolatedPoints } from '../lib/series.js';

test('parseSample reads Prometheus value strings', () => {
  assert.equal(parseSample('1.5'), 1.5);
  assert.equal(parseSample('+Inf'), Infinity);
  assert.equal(parseSample('-Inf'), -Infinity);
  assert.ok(Number.isNaN(parseSample('NaN')));
  assert.equal(parseSample('1e3'), 1000);
});

test('timestamps cover start to end inclusive', () => {
  assert.deepEqual(timestamps(100, 130, 10), [100, 110, 120, 130]);
  assert.deepEqual(timestamps(0, 0.3, 0.1), [0, 0.1, 0.2, 0.30000000000000004]);
  assert.deepEqual(timestamps(10, 0, 5), []);
});

test('fillGaps puts null at missing steps', () => {
  const values = [[100, '1'], [110, '2'], [140, '5']];
  assert.deepEqual(fillGaps(values, 100, 150, 10), [1, 2, null, null, 5, null]);
  assert.deepEqual(fillGaps([[99.9995, '1'], [200, '9']], 100, 120, 10), [1, null, null]);
  assert.deepEqual(plottable([1, NaN, Infinity, null, -2]), [1, null, null, null, -2]);
});

test('lastValue skips trailing gaps', () => {
  assert.equal(lastValue([1, 2, null]), 2);
  assert.equal(lastValue([null, null]), null);
  assert.equal(lastValue([]), null);
  assert.equal(lastValue([0]), 0);
});

test('stack sums series in order, a gap counting as 0 unless all are gaps', () => {
  assert.deepEqual(stack([[1, null, null], [2, 3, null], [3, 1, null]]), [[1, 0, null], [3, 3, null], [6, 4, null]]);
  assert.deepEqual(stack([]), []);
});

test('isolatedPoints finds values with gaps on both sides', () => {
  assert.deepEqual(isolatedPoints([1, null, 2, null, 3, 4, null]), [0, 2]);
  assert.deepEqual(isolatedPoints([null, 5]), [1]);
  assert.deepEqual(isolatedPoints([1, 2]), []);
});
