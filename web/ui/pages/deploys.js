// #/deploys?type=&service=&env=: the deploy log, newest first, filtered by type, service and
// env (kept in the URL); every row links to its event's page.

import { labelValues, listEvents, isAbort } from '/ui/lib/api.js';
import { KNOWN_TYPES, firstLine } from '/ui/lib/events.js';
import { formatTime } from '/ui/lib/time.js';
import { formatRoute } from '/ui/lib/url.js';
import { h, message, select, spinner, typeBadge } from '/ui/components/dom.js';

const LIMIT = 500;
const FILTERS = ['type', 'service', 'env'];
// Where the filters' choices come from: the labels of the deploy log's counter.
const EVENTS_METRIC = 'plumbline_events_total';

function row(e) {
  const page = formatRoute('deploy', e.id);
  return h('tr', { 'data-event-id': e.id },
    h('td', { class: 'nowrap' }, h('a', { href: page }, formatTime(e.time))),
    h('td', {}, typeBadge(e.type)),
    h('td', {}, e.service ?? ''),
    h('td', {}, e.env ?? ''),
    h('td', {}, e.who ?? ''),
    h('td', { class: 'what' }, h('a', { href: page }, firstLine(e.what) || `event ${e.id}`)),
    h('td', {}, e.url ? h('a', { href: e.url, target: '_blank', rel: 'noopener noreferrer' }, 'link') : ''));
}

class DeploysView {
  constructor(root, app) {
    this.app = app;
    this.params = {};
    this.controller = null;
    this.choices = { type: KNOWN_TYPES, service: [], env: [] };
    this.filters = h('form', { class: 'filters', onsubmit: (ev) => ev.preventDefault() });
    this.body = h('div', { class: 'table-wrap' });
    root.append(h('h1', {}, 'Deploy log'), this.filters, this.body);
    document.title = 'Deploy log — Plumbline';
    this.lookups = new AbortController();
    this.loadChoices();
  }

  async loadChoices() {
    const lists = await Promise.all(FILTERS.map((label) =>
      labelValues(label, EVENTS_METRIC, this.lookups.signal).catch(() => [])));
    if (this.lookups.signal.aborted) return;
    FILTERS.forEach((f, i) => {
      this.choices[f] = [...new Set([...(f === 'type' ? KNOWN_TYPES : []), ...lists[i]])];
    });
    this.renderFilters();
  }

  renderFilters() {
    const go = (name, value) => this.app.navigate(formatRoute('deploys', null, { ...this.params, [name]: value || undefined }));
    this.filters.replaceChildren(...FILTERS.map((name) => {
      const current = this.params[name] ?? '';
      const values = this.choices[name].includes(current) || !current ? this.choices[name] : [...this.choices[name], current];
      return h('div', { class: 'field' },
        h('label', { for: `filter-${name}` }, name),
        select({ id: `filter-${name}`, onchange: (ev) => go(name, ev.target.value) },
          [{ value: '', label: 'any' }, ...values.map((v) => ({ value: v, label: v }))], current));
    }));
  }

  async update(route) {
    this.params = Object.fromEntries(FILTERS.filter((f) => route.params[f]).map((f) => [f, route.params[f]]));
    this.app.replace(formatRoute('deploys', null, this.params));
    this.renderFilters();
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.body.replaceChildren(spinner('Loading the deploy log'));
    try {
      const events = await listEvents({ ...this.params, limit: LIMIT }, controller.signal);
      if (events.length === 0) {
        const filtered = Object.keys(this.params).length > 0;
        this.body.replaceChildren(message('empty', filtered ? 'No events match these filters.' : 'The deploy log is empty.'));
        return;
      }
      this.body.replaceChildren(h('table', { class: 'data', id: 'deploy-log' },
        h('caption', {}, events.length === LIMIT ? `The newest ${LIMIT} events` : `${events.length} events, newest first`),
        h('thead', {}, h('tr', {}, ['Time', 'Type', 'Service', 'Env', 'Who', 'What', 'Link'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, events.map(row))));
    } catch (err) {
      if (!isAbort(err)) this.body.replaceChildren(message('error', `Could not read the deploy log: ${err.message}`));
    }
  }

  unmount() {
    this.lookups.abort();
    this.controller?.abort();
  }
}

export function mount(root, route, app) {
  const view = new DeploysView(root, app);
  view.update(route);
  return view;
}
