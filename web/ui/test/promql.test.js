// Tests for lib/promql.js: parse error positions and autocomplete contexts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseErrorPosition, locateError, completionContext, filterCompletions, FUNCTIONS } from '../lib/promql.js';

test('parseErrorPosition reads line:col', () => {
  assert.deepEqual(parseErrorPosition('1:6: parse error: unclosed left parenthesis'),
    { line: 1, col: 6, message: 'parse error: unclosed left parenthesis' });
  assert.deepEqual(parseErrorPosition('invalid parameter "query": 1:35: parse error: unclosed left parenthesis'),
    { line: 1, col: 35, message: 'parse error: unclosed left parenthesis' });
  assert.deepEqual(parseErrorPosition('2:1: parse error: unexpected end of input').line, 2);
  assert.equal(parseErrorPosition('query processing would load too many samples'), null);
  assert.equal(parseErrorPosition(undefined), null);
});

test('locateError maps byte columns to string positions', () => {
  assert.deepEqual(locateError('sum(x', 1, 6), { lineText: 'sum(x', column: 5, offset: 5 });
  assert.deepEqual(locateError('up\n  foo bar', 2, 7), { lineText: '  foo bar', column: 6, offset: 9 });
  // "é" is two bytes: byte column 8 is string column 6
  assert.deepEqual(locateError('x{a="é"', 1, 8), { lineText: 'x{a="é"', column: 6, offset: 6 });
  assert.equal(locateError('a', 5, 1).lineText, 'a');
});

const at = (text) => completionContext(text.replace('|', ''), text.indexOf('|'));

test('completion of metric and function names', () => {
  assert.deepEqual(at('http_re|'), { kind: 'metric', prefix: 'http_re', from: 0 });
  assert.deepEqual(at('rate(http_|[5m])'), { kind: 'metric', prefix: 'http_', from: 5 });
  assert.equal(at('|'), null);
  assert.equal(at('x[5|'), null);
  assert.equal(at('1e|'), null);
  assert.equal(at('x # comm|'), null);
  assert.deepEqual(at('x # c\nup|'), { kind: 'metric', prefix: 'up', from: 6 });
});

test('completion of label names', () => {
  assert.deepEqual(at('up{|'), { kind: 'label', prefix: '', from: 3, metric: 'up' });
  assert.deepEqual(at('up{job="a", ins|'), { kind: 'label', prefix: 'ins', from: 12, metric: 'up' });
  assert.deepEqual(at('{jo|'), { kind: 'label', prefix: 'jo', from: 1, metric: null });
  assert.deepEqual(at('sum by (ser|) (x)'), { kind: 'label', prefix: 'ser', from: 8, metric: null });
  assert.equal(at('up{job=|'), null);
});

test('completion of label values inside {name="', () => {
  assert.deepEqual(at('up{job="a|'), { kind: 'value', prefix: 'a', from: 8, label: 'job', metric: 'up' });
  assert.deepEqual(at('rate(http_requests_total{a="1", service=~"ap|"}[5m])'),
    { kind: 'value', prefix: 'ap', from: 42, label: 'service', metric: 'http_requests_total' });
  assert.deepEqual(at('x{a="b\\"|'), { kind: 'value', prefix: 'b\\"', from: 5, label: 'a', metric: 'x' });
  assert.equal(at('label_replace(x, "a|'), null);
});

test('filterCompletions puts prefix matches first', () => {
  assert.deepEqual(filterCompletions(['irate', 'rate', 'rad', 'sort'], 'ra'), ['rate', 'rad', 'irate']);
  assert.deepEqual(filterCompletions(['a', 'b', 'c'], '', 2), ['a', 'b']);
  assert.ok(FUNCTIONS.includes('rate') && FUNCTIONS.includes('sum'));
});
