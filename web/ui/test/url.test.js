// Tests for lib/url.js: hash routes and their parameters, both ways.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseParams, formatParams, parseRoute, formatRoute } from '../lib/url.js';

test('parseRoute knows every page', () => {
  assert.deepEqual(parseRoute(''), { page: 'dashboards', arg: null, params: {}, path: '' });
  assert.equal(parseRoute('#/').page, 'dashboards');
  assert.equal(parseRoute('#/dashboards').page, 'dashboards');
  const d = parseRoute('#/d/service?from=now-6h&to=now&refresh=30s&var-service=api');
  assert.equal(d.page, 'dashboard');
  assert.equal(d.arg, 'service');
  assert.deepEqual(d.params, { from: 'now-6h', to: 'now', refresh: '30s', 'var-service': 'api' });
  assert.equal(parseRoute('#/explore?expr=up').params.expr, 'up');
  assert.deepEqual(parseRoute('#/deploys?type=deploy&service=').params, { type: 'deploy', service: '' });
  assert.equal(parseRoute('#/deploy/7').arg, '7');
  assert.equal(parseRoute('#/nope').page, 'notfound');
  assert.equal(parseRoute('#/d/a%20b').arg, 'a b');
});

test('a plus stays a plus and bad escapes are kept', () => {
  assert.equal(parseParams('expr=a+b').expr, 'a+b');
  assert.equal(parseParams('expr=100%').expr, '100%');
  assert.equal(parseParams('flag').flag, '');
});

test('routes round-trip', () => {
  const cases = [
    ['dashboard', 'service', { from: 'now-6h', to: 'now', refresh: '30s', 'var-service': '.*' }],
    ['explore', null, { expr: 'sum by (a) (rate(x{b=~"c|d", e!="f+g&h"}[5m])) / 2 # note', from: '1700000000', to: 'now' }],
    ['deploys', null, { type: 'deploy', service: 'api', env: 'prod' }],
    ['deploy', '42', {}],
    ['dashboards', null, {}],
    ['dashboard', 'weird/name?x', { 'var-a b': 'ü=1' }],
  ];
  for (const [page, arg, params] of cases) {
    const hash = formatRoute(page, arg, params);
    const back = parseRoute(hash);
    assert.equal(back.page, page, hash);
    assert.equal(back.arg, arg, hash);
    assert.deepEqual(back.params, params, hash);
    assert.equal(formatRoute(back.page, back.arg, back.params), hash);
  }
});

test('formatParams is readable and leaves out missing values', () => {
  assert.equal(formatParams({ from: 'now-6h', to: 'now', x: null, y: undefined }), 'from=now-6h&to=now');
  assert.equal(formatParams({ 'var-service': '.*' }), 'var-service=.*');
  assert.equal(formatParams({ expr: 'a+b' }), 'expr=a%2Bb');
  assert.equal(formatParams({ expr: 'x[5m]' }), 'expr=x[5m]');
  assert.equal(formatRoute('deploy', '7'), '#/deploy/7');
});
