// Tests for lib/units.js: value formatting per panel unit.
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, formatValue, formatTicks } from '../lib/units.js';

test('formatNumber keeps about three significant digits', () => {
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(1.5), '1.5');
  assert.equal(formatNumber(1.25), '1.25');
  assert.equal(formatNumber(12.34), '12.3');
  assert.equal(formatNumber(123.4), '123');
  assert.equal(formatNumber(2), '2');
  assert.equal(formatNumber(0.00123), '0.00123');
  assert.equal(formatNumber(-1.5), '-1.5');
});

test('bytes use binary prefixes', () => {
  assert.equal(formatValue(0, 'bytes'), '0 B');
  assert.equal(formatValue(512, 'bytes'), '512 B');
  assert.equal(formatValue(1023, 'bytes'), '1023 B');
  assert.equal(formatValue(1536, 'bytes'), '1.5 KiB');
  assert.equal(formatValue(1.5 * 1024 * 1024, 'bytes'), '1.5 MiB');
  assert.equal(formatValue(3 * 1024 ** 3, 'bytes'), '3 GiB');
  assert.equal(formatValue(-2048, 'bytes'), '-2 KiB');
});

test('seconds go from nanoseconds to days', () => {
  assert.equal(formatValue(0, 'seconds'), '0 s');
  assert.equal(formatValue(0.25, 'seconds'), '250 ms');
  assert.equal(formatValue(0.0015, 'seconds'), '1.5 ms');
  assert.equal(formatValue(0.000002, 'seconds'), '2 µs');
  assert.equal(formatValue(3e-9, 'seconds'), '3 ns');
  assert.equal(formatValue(1.5, 'seconds'), '1.5 s');
  assert.equal(formatValue(90, 'seconds'), '1.5 min');
  assert.equal(formatValue(7200, 'seconds'), '2 h');
  assert.equal(formatValue(172800, 'seconds'), '2 d');
});

test('ops/s, percent and none', () => {
  assert.equal(formatValue(12.5, 'ops/s'), '12.5 ops/s');
  assert.equal(formatValue(1500, 'ops/s'), '1.5k ops/s');
  assert.equal(formatValue(45.23, 'percent'), '45.2%');
  assert.equal(formatValue(100, 'percent'), '100%');
  assert.equal(formatValue(1234, 'none'), '1.23k');
  assert.equal(formatValue(2.5e6), '2.5M');
  assert.equal(formatValue(0.5), '0.5');
});

test('missing and special values', () => {
  assert.equal(formatValue(null, 'bytes'), '—');
  assert.equal(formatValue(undefined), '—');
  assert.equal(formatValue(NaN, 'seconds'), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity, 'percent'), '-Inf');
});

test('extra digits and tick labels that stay apart', () => {
  assert.equal(formatNumber(248.12, 1), '248.1');
  assert.equal(formatValue(0.24812, 'seconds', 1), '248.1 ms');
  assert.deepEqual(formatTicks([0, 0.5, 1, 1.5], 'none'), ['0', '0.5', '1', '1.5']);
  assert.deepEqual(formatTicks([0.2481, 0.2482, 0.2483], 'seconds'), ['248.1 ms', '248.2 ms', '248.3 ms']);
  assert.deepEqual(formatTicks([1000, 1500, 2000], 'bytes'), ['1000 B', '1.46 KiB', '1.95 KiB']);
  assert.deepEqual(formatTicks([], 'none'), []);
});
