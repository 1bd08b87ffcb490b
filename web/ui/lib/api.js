// The server's read API, same origin and GET only: Prometheus queries and label lookups, the
// deploy log and the dashboards. Every call takes an AbortSignal; a failed call throws an
// ApiError carrying the server's message.

export class ApiError extends Error {
  constructor(message, status = 0, errorType = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errorType = errorType;
  }
}

/** Whether an error is a request that was aborted on purpose. */
export function isAbort(err) {
  return err?.name === 'AbortError';
}

/** path?query from {name: value}; arrays repeat the name, and null, undefined and "" are left out. */
export function apiUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== null && v !== undefined && v !== '') q.append(name, String(v));
    }
  }
  const query = q.toString();
  return query ? `${path}?${query}` : path;
}

/** The `data` of a successful answer. */
export async function apiGet(path, params, signal) {
  const res = await fetch(apiUrl(path, params), { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try {
    body = await res.json();
  } catch (err) {
    if (isAbort(err)) throw err;
  }
  if (!res.ok || body?.status !== 'success') {
    throw new ApiError(body?.error || `HTTP ${res.status} ${res.statusText}`.trim(), res.status, body?.errorType ?? '');
  }
  return body.data;
}

const label = (name) => `/api/v1/label/${encodeURIComponent(name)}/values`;

export const queryRange = (query, start, end, step, signal) =>
  apiGet('/api/v1/query_range', { query, start, end, step }, signal);
export const labelNames = (match, signal) => apiGet('/api/v1/labels', { 'match[]': match }, signal);
export const labelValues = (name, match, signal) => apiGet(label(name), { 'match[]': match }, signal);
export const listEvents = (params, signal) => apiGet('/api/v1/events', params, signal);
export const getEvent = (id, signal) => apiGet(`/api/v1/events/${encodeURIComponent(id)}`, {}, signal);
export const listDashboards = (signal) => apiGet('/api/v1/dashboards', {}, signal);
export const getDashboard = (name, signal) => apiGet(`/api/v1/dashboards/${encodeURIComponent(name)}`, {}, signal);
