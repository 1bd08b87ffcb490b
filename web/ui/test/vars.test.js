// Tests for lib/vars.js: substitution, variable choices and a dashboard view's full URL state.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL, varParam, substitute, variableChoices, defaultValue, dashboardParams, variableValues, eventService,
} from '../lib/vars.js';

test('substitute replaces $name and ${name}, and leaves unknown names', () => {
  const v = { service: 'api', env: 'prod' };
  assert.equal(substitute('rate(x{service=~"$service"}[5m])', v), 'rate(x{service=~"api"}[5m])');
  assert.equal(substitute('${service}_${env}', v), 'api_prod');
  assert.equal(substitute('$services $service', v), '$services api');
  assert.equal(substitute('label_replace(x, "a", "$1", "b", "(.*)")', v), 'label_replace(x, "a", "$1", "b", "(.*)")');
  assert.equal(substitute('$unknown ${unknown}', v), '$unknown ${unknown}');
  assert.equal(substitute('{s=~"$service"}', { service: ALL }), '{s=~".*"}');
  assert.equal(substitute(undefined, v), '');
});

test('variableChoices puts All first and keeps a linked value', () => {
  const all = { name: 'service', all: true };
  assert.deepEqual(variableChoices(all, ['api', 'web'], 'api'), [
    { value: '.*', label: 'All' }, { value: 'api', label: 'api' }, { value: 'web', label: 'web' },
  ]);
  assert.deepEqual(variableChoices({ name: 's', all: false }, ['api'], 'gone').map((c) => c.value), ['api', 'gone']);
});

test('defaultValue prefers the default, then All, then the first value', () => {
  assert.equal(defaultValue({ default: 'web', all: true }, ['api']), 'web');
  assert.equal(defaultValue({ default: '', all: true }, ['api']), ALL);
  assert.equal(defaultValue({ default: '', all: false }, ['api', 'web']), 'api');
  assert.equal(defaultValue({ default: '', all: false }, []), '');
});

const dash = {
  name: 'service', time: '6h', refresh: '30s',
  variables: [{ name: 'service', label: 'service', match: 'm', default: '', all: true }, { name: 'env', label: 'env', default: '', all: false }],
  events: { types: ['deploy'], service: '$service' },
};

test('dashboardParams fills every part of the state', () => {
  assert.deepEqual(dashboardParams(dash, {}, { service: ['api'], env: ['prod', 'dev'] }), {
    from: 'now-6h', to: 'now', refresh: '30s', 'var-service': '.*', 'var-env': 'prod',
  });
  const fromUrl = { from: '1700000000', to: '1700003600', refresh: 'off', 'var-service': 'api', 'var-env': 'dev' };
  assert.deepEqual(dashboardParams(dash, fromUrl, {}), fromUrl);
  assert.equal(dashboardParams({ ...dash, refresh: '' }, {}, {}).refresh, 'off');
  assert.equal(varParam('service'), 'var-service');
});

test('variableValues and eventService', () => {
  const values = variableValues(dash, { 'var-service': 'api' });
  assert.deepEqual(values, { service: 'api', env: '' });
  assert.equal(eventService(dash.events, values), 'api');
  assert.equal(eventService(dash.events, { service: ALL }), null);
  assert.equal(eventService({ service: '' }, values), null);
  assert.equal(eventService(undefined, values), null);
});
