// Tests for lib/step.js: step choice from pixel width and range alignment.
import test from 'node:test';
import assert from 'node:assert/strict';
import { NICE_STEPS, chooseStep, alignRange, planRange } from '../lib/step.js';

test('chooseStep gives about one point per 2 px, rounded up to a nice step', () => {
  assert.equal(chooseStep(3600, 1200), 10); // 600 points: 6 s, rounded up to 10 s
  assert.equal(chooseStep(3600, 1800), 5); // 900 points: 4 s → 5 s
  assert.equal(chooseStep(6 * 3600, 600), 120); // 300 points: 72 s → 2 m
  assert.equal(chooseStep(7 * 86400, 1000), 1800); // 500 points: 1209.6 s → 30 m
  assert.equal(chooseStep(900, 2000), 1); // more pixels than seconds: 1 s
  assert.equal(chooseStep(60, 0), 60); // no width: one point
  assert.equal(chooseStep(400 * 86400, 100), 8 * 86400); // beyond a day: whole days
});

test('every nice step is chosen for an exact fit and the list is ascending', () => {
  for (const s of NICE_STEPS) assert.equal(chooseStep(s * 500, 1000), s);
  assert.deepEqual([...NICE_STEPS].sort((a, b) => a - b), NICE_STEPS);
});

test('alignRange aligns start down and end up', () => {
  assert.deepEqual(alignRange(1003, 1057, 10), { start: 1000, end: 1060 });
  assert.deepEqual(alignRange(1000, 1060, 10), { start: 1000, end: 1060 });
  assert.deepEqual(alignRange(1000.5, 1059.9, 60), { start: 960, end: 1080 });
});

test('planRange asks the same query for the same view a moment later', () => {
  const a = planRange(1764130000 - 21600, 1764130000, 800);
  const b = planRange(1764130003 - 21600, 1764130003, 800);
  assert.deepEqual(a, b);
  assert.equal(a.step, 60);
  assert.equal(a.start % a.step, 0);
  assert.equal(a.end % a.step, 0);
  assert.ok(a.start <= 1764130000 - 21600 && a.end >= 1764130000);
});
