// Tests for lib/legend.js: legend templates and default series names.
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatLabels, legendFor } from '../lib/legend.js';

test('formatLabels prints name and sorted labels as Prometheus does', () => {
  assert.equal(formatLabels({ b: '2', a: '1' }), '{a="1", b="2"}');
  assert.equal(formatLabels({ __name__: 'up', job: 'api' }), 'up{job="api"}');
  assert.equal(formatLabels({}), '{}');
  assert.equal(formatLabels({ a: 'say "hi"\\' }), '{a="say \\"hi\\"\\\\"}');
});

test('legendFor fills {{label}} and falls back to the labels', () => {
  const m = { __name__: 'http_requests_total', service: 'api', code: '500' };
  assert.equal(legendFor('{{service}}', m), 'api');
  assert.equal(legendFor('{{ service }} {{code}}', m), 'api 500');
  assert.equal(legendFor('{{service}}/{{missing}}', m), 'api/');
  assert.equal(legendFor('p99', m), 'p99');
  assert.equal(legendFor('', m), 'http_requests_total{code="500", service="api"}');
  assert.equal(legendFor(undefined, { a: 'b' }), '{a="b"}');
  assert.equal(legendFor('{{missing}}', { a: 'b' }), '{a="b"}');
});
