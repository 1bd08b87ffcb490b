// #/ and #/dashboards: the list of dashboards, each a link to its view; a dashboard whose
// file does not load shows the server's error instead.

import { listDashboards, isAbort } from '/ui/lib/api.js';
import { formatRoute } from '/ui/lib/url.js';
import { h, message, spinner } from '/ui/components/dom.js';

function item(d) {
  if (d.error) {
    return h('li', { class: 'dash-item broken', 'data-dashboard': d.name },
      h('span', { class: 'dash-title' }, d.title || d.name), ' ', h('span', { class: 'badge badge-error' }, 'broken'),
      h('div', { class: 'dash-error' }, d.error));
  }
  return h('li', { class: 'dash-item', 'data-dashboard': d.name },
    h('a', { class: 'dash-title', href: formatRoute('dashboard', d.name) }, d.title || d.name),
    d.title && d.title !== d.name ? h('span', { class: 'dash-name' }, d.name) : null);
}

export function mount(root) {
  document.title = 'Dashboards — Plumbline';
  const body = h('div', {}, spinner('Loading dashboards'));
  root.append(h('h1', {}, 'Dashboards'), body);
  const controller = new AbortController();

  (async () => {
    try {
      const list = await listDashboards(controller.signal);
      if (list.length === 0) {
        body.replaceChildren(message('empty', 'No dashboards yet.'));
        return;
      }
      const sorted = [...list].sort((a, b) => (a.title || a.name).localeCompare(b.title || b.name));
      body.replaceChildren(h('ul', { class: 'dash-list' }, sorted.map(item)));
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(message('error', `Could not list the dashboards: ${err.message}`));
    }
  })();

  return {
    update() {},
    unmount: () => controller.abort(),
  };
}
