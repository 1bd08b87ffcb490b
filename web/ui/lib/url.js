// The URL is the whole state of a page: the hash "#/<path>?<params>" parsed into a route
// (page, its argument, params) and written back, so that parse(format(x)) is x.

const ROUTES = [
  [/^\/?$/, 'dashboards'],
  [/^\/dashboards\/?$/, 'dashboards'],
  [/^\/d\/([^/]+)\/?$/, 'dashboard'],
  [/^\/explore\/?$/, 'explore'],
  [/^\/deploys\/?$/, 'deploys'],
  [/^\/deploy\/([^/]+)\/?$/, 'deploy'],
];

// Characters left as they are in a parameter value; the rest is percent-encoded. "+" is
// encoded so that no reader can take it for a space.
const KEEP = /%(2F|3A|40|2C|24|5B|5D)/g;

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Parameters "a=1&b=x%20y" as {a: "1", b: "x y"}; the last of repeated names wins. */
export function parseParams(query) {
  const params = {};
  for (const part of String(query ?? '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    params[name] = eq < 0 ? '' : decode(part.slice(eq + 1));
  }
  return params;
}

/** {a: "1", b: "x y"} as "a=1&b=x%20y", in the object's order; null and undefined are left out. */
export function formatParams(params) {
  return Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v)).replace(KEEP, decode)}`)
    .join('&');
}

/**
 * A location hash as {page, arg, params, path}: page is one of dashboards, dashboard,
 * explore, deploys, deploy or notfound; arg is the dashboard name or event id.
 */
export function parseRoute(hash) {
  const text = String(hash ?? '').replace(/^#/, '');
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const params = parseParams(q < 0 ? '' : text.slice(q + 1));
  for (const [re, page] of ROUTES) {
    const m = re.exec(path);
    if (m) return { page, arg: m[1] === undefined ? null : decode(m[1]), params, path };
  }
  return { page: 'notfound', arg: null, params, path };
}

const PATHS = {
  dashboards: () => '/',
  dashboard: (arg) => `/d/${encodeURIComponent(arg)}`,
  explore: () => '/explore',
  deploys: () => '/deploys',
  deploy: (arg) => `/deploy/${encodeURIComponent(arg)}`,
};

/** The hash of a page: formatRoute('dashboard', 'svc', {from: 'now-1h'}) = "#/d/svc?from=now-1h". */
export function formatRoute(page, arg = null, params = {}) {
  const query = formatParams(params);
  return `#${PATHS[page](arg)}${query ? `?${query}` : ''}`;
}
