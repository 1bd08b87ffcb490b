// Tests for lib/time.js: durations, URL times and local-time text.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDuration, parseTime, formatTime, toDatetimeLocal,
  fromDatetimeLocal, formatAgo, describeRange,
} from '../lib/time.js';

test('parseDuration reads Prometheus durations and bare seconds', () => {
  assert.equal(parseDuration('5m'), 300);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('6h'), 21600);
  assert.equal(parseDuration('7d'), 604800);
  assert.equal(parseDuration('1w'), 604800);
  assert.equal(parseDuration('500ms'), 0.5);
  assert.equal(parseDuration('90'), 90);
  assert.equal(parseDuration('1.5'), 1.5);
  for (const bad of ['', 'h', '5x', '-5m', '5 m', null, undefined]) assert.equal(parseDuration(bad), null, String(bad));
});

test('parseTime reads now, now-6h and unix seconds', () => {
  const now = 1764130000;
  assert.equal(parseTime('now', now), now);
  assert.equal(parseTime('now-6h', now), now - 21600);
  assert.equal(parseTime('now-15m', now), now - 900);
  assert.equal(parseTime('now+1h', now), now + 3600);
  assert.equal(parseTime('1764130000', now), 1764130000);
  assert.equal(parseTime('1764130000.25', now), 1764130000.25);
  assert.equal(parseTime('2025-11-26T04:06:40Z', now), 1764130000);
  for (const bad of ['', 'now-', 'now-6x', 'yesterday', '12abc', undefined]) assert.equal(parseTime(bad, now), null, String(bad));
});

test('local time text round-trips through datetime-local values', () => {
  const t = new Date(2026, 10, 26, 14, 3, 5).getTime() / 1000;
  assert.equal(formatTime(t), '2026-11-26 14:03:05');
  assert.equal(toDatetimeLocal(t), '2026-11-26T14:03');
  assert.equal(fromDatetimeLocal('2026-11-26T14:03'), t - 5);
  assert.equal(fromDatetimeLocal('2026-11-26T14:03:05'), t);
  assert.equal(fromDatetimeLocal(''), null);
  assert.equal(fromDatetimeLocal('garbage'), null);
});

test('formatAgo is rough and both ways', () => {
  assert.equal(formatAgo(1000, 1010), 'just now');
  assert.equal(formatAgo(1000, 1000 + 180), '3 min ago');
  assert.equal(formatAgo(1000, 1000 + 7200), '2 h ago');
  assert.equal(formatAgo(1000 + 3 * 86400, 1000), 'in 3 d');
});

test('describeRange names relative ranges and prints absolute ones', () => {
  assert.equal(describeRange('now-6h', 'now', 0), 'Last 6h');
  const a = new Date(2026, 0, 2, 3, 4, 5).getTime() / 1000;
  assert.equal(describeRange(String(a), String(a + 60), 0), '2026-01-02 03:04:05 to 2026-01-02 03:05:05');
  assert.equal(describeRange('bad', 'now', 0), 'bad to now');
});
