// Tests for lib/events.js: colours, filters and grouping of event markers by pixel distance.
import test from 'node:test';
import assert from 'node:assert/strict';
import { eventColor, firstLine, filterByTypes, visibleEvents, groupByPixel } from '../lib/events.js';

const ev = (id, time, type = 'deploy', end) => ({ id, time, type, ...(end ? { end } : {}) });

test('colours by type, grey for others', () => {
  assert.equal(eventColor('deploy'), '#2563eb');
  assert.equal(eventColor('incident'), '#dc2626');
  assert.equal(eventColor('rollout'), eventColor('whatever'));
  assert.notEqual(eventColor('rollout'), eventColor('deploy'));
});

test('firstLine and filters', () => {
  assert.equal(firstLine('a1b2 fix\nlong body'), 'a1b2 fix');
  assert.equal(firstLine(undefined), '');
  const events = [ev(1, 10), ev(2, 20, 'flag'), ev(3, 30, 'note')];
  assert.deepEqual(filterByTypes(events, ['deploy', 'note']).map((e) => e.id), [1, 3]);
  assert.equal(filterByTypes(events, []).length, 3);
  assert.equal(filterByTypes(events, undefined).length, 3);
  assert.deepEqual(visibleEvents([ev(1, 5), ev(2, 15), ev(3, 0, 'deploy', 12), ev(4, 25)], 10, 20).map((e) => e.id), [2, 3]);
});

test('events closer than 6 px make one marker with a count', () => {
  const points = [
    { x: 100, event: ev(3, 300) },
    { x: 10, event: ev(1, 100) },
    { x: 14, event: ev(2, 140, 'flag') },
    { x: 15.9, event: ev(4, 159) },
    { x: 16, event: ev(5, 160) },
  ];
  const groups = groupByPixel(points, 6);
  assert.deepEqual(groups.map((g) => g.ids), [[1, 2, 4], [5], [3]]);
  assert.deepEqual(groups.map((g) => g.count), [3, 1, 1]);
  assert.deepEqual(groups.map((g) => g.x), [12.95, 16, 100]);
  assert.deepEqual(groups.map((g) => g.type), ['mixed', 'deploy', 'deploy']);
});

test('grouping is stable for events at the same pixel', () => {
  const a = groupByPixel([{ x: 5, event: ev(9, 50) }, { x: 5, event: ev(8, 50) }, { x: 5, event: ev(7, 49) }]);
  const b = groupByPixel([{ x: 5, event: ev(7, 49) }, { x: 5, event: ev(8, 50) }, { x: 5, event: ev(9, 50) }]);
  assert.deepEqual(a.map((g) => g.ids), [[7, 8, 9]]);
  assert.deepEqual(a, b);
  assert.deepEqual(groupByPixel([]), []);
});
