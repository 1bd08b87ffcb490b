// Tests for lib/api.js: URL building and error handling, with fetch replaced by a stub.
import test from 'node:test';
import assert from 'node:assert/strict';
import { apiUrl, apiGet, ApiError, isAbort, labelValues } from '../lib/api.js';

test('apiUrl repeats arrays and drops empty values', () => {
  assert.equal(apiUrl('/p'), '/p');
  assert.equal(apiUrl('/p', { a: 1, b: '', c: null, d: undefined, 'match[]': ['x', 'y{a="b"}'] }),
    '/p?a=1&match%5B%5D=x&match%5B%5D=y%7Ba%3D%22b%22%7D');
});

function stubFetch(t, status, body) {
  const calls = [];
  t.mock.method(globalThis, 'fetch', async (url) => {
    calls.push(url);
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  });
  return calls;
}

test('apiGet returns data and throws the server error', async (t) => {
  const calls = stubFetch(t, 200, { status: 'success', data: ['api'] });
  assert.deepEqual(await labelValues('service', 'up'), ['api']);
  assert.equal(calls[0], '/api/v1/label/service/values?match%5B%5D=up');
  t.mock.restoreAll();

  stubFetch(t, 400, { status: 'error', errorType: 'bad_data', error: '1:6: parse error: x' });
  await assert.rejects(apiGet('/api/v1/query_range', {}), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.message, '1:6: parse error: x');
    assert.equal(err.status, 400);
    assert.equal(err.errorType, 'bad_data');
    return true;
  });
  t.mock.restoreAll();

  stubFetch(t, 404, 'not json');
  await assert.rejects(apiGet('/nope', {}), /HTTP 404/);
});

test('isAbort', () => {
  assert.equal(isAbort(new DOMException('x', 'AbortError')), true);
  assert.equal(isAbort(new Error('x')), false);
  assert.equal(isAbort(undefined), false);
});
