// The app shell: a hash router that mounts one page module per route and hands it every
// later change of its URL (the URL is a page's whole state), and the top navigation.

import { parseRoute } from '/ui/lib/url.js';
import { h } from '/ui/components/dom.js';
import * as dashboards from '/ui/pages/dashboards.js';
import * as dashboard from '/ui/pages/dashboard.js';
import * as explore from '/ui/pages/explore.js';
import * as deploys from '/ui/pages/deploys.js';
import * as deploy from '/ui/pages/deploy.js';

const notfound = {
  mount(root, route) {
    document.title = 'Not found — Plumbline';
    root.append(h('h1', {}, 'Page not found'),
      h('p', {}, `Nothing lives at #${route.path}. `, h('a', { href: '#/' }, 'See the dashboards.')));
    return { update() {}, unmount() {} };
  },
};

const PAGES = { dashboards, dashboard, explore, deploys, deploy, notfound };
// The top navigation entry of each page.
const SECTIONS = { dashboards: 'dashboards', dashboard: 'dashboards', explore: 'explore', deploys: 'deploys', deploy: 'deploys' };

// Read by the benchmark: bumped by a dashboard when all its panels have drawn after a navigation.
window.__plumbline = { renders: 0, lastRenderMs: null };

const main = document.getElementById('main');
const app = {
  /** Goes to a hash; the router then updates the page. */
  navigate(hash) {
    if (location.hash !== hash) location.hash = hash;
  },
  /** Rewrites the URL without a navigation, e.g. to spell out defaults. */
  replace(hash) {
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  },
};
let current = null;

function route(navStart) {
  const r = parseRoute(location.hash);
  const key = `${r.page}:${r.arg ?? ''}`;
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === SECTIONS[r.page]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (current?.key === key) {
    current.view.update(r, navStart);
    return;
  }
  current?.view.unmount();
  main.replaceChildren();
  current = { key, view: PAGES[r.page].mount(main, r, app, navStart) };
}

window.addEventListener('hashchange', () => route(performance.now()));
route(0); // the first view is timed from the page's own navigation start
