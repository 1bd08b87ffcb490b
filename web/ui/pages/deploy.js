// #/deploy/<id>: one event's facts, then "what did this deploy do": the first dashboard (by
// name) with a `service` variable, its queries for the event's service evaluated 30 min
// before the event and 30 min after it (after its end, for a region; up to now), a table of
// per-series changes worst first, and each panel's graph over the window with the event.

import { getDashboard, getEvent, labelValues, listDashboards, queryRange, isAbort } from '/ui/lib/api.js';
import { changeRows, formatChange, pairSeries } from '/ui/lib/changes.js';
import { firstLine } from '/ui/lib/events.js';
import { legendFor } from '/ui/lib/legend.js';
import { chooseStep, alignRange } from '/ui/lib/step.js';
import { formatAgo, formatTime } from '/ui/lib/time.js';
import { formatValue } from '/ui/lib/units.js';
import { formatRoute } from '/ui/lib/url.js';
import { defaultValue, substitute } from '/ui/lib/vars.js';
import { h, message, spinner, typeBadge } from '/ui/components/dom.js';
import { createPanel } from '/ui/components/panel.js';
import { fetchEvents, runPanel } from '/ui/components/query-panel.js';
import { renderTimer } from '/ui/components/render-timer.js';

const WINDOW = 1800; // seconds before and after
const POINTS = 60; // per window: a 30 min window gives a 30 s step; graphs get twice as many

function facts(e, now) {
  const rows = [
    ['Type', typeBadge(e.type)],
    ['Service', e.service],
    ['Env', e.env],
    ['Who', e.who],
    ['When', `${formatTime(e.time)} (${formatAgo(e.time, now)})`],
    e.end !== undefined ? ['Until', `${formatTime(e.end)} (${Math.round((e.end - e.time) / 60)} min)`] : null,
    ['What', h('span', { class: 'pre' }, e.what ?? '')],
    e.url ? ['Link', h('a', { href: e.url, target: '_blank', rel: 'noopener noreferrer' }, e.url)] : null,
    Object.keys(e.tags ?? {}).length > 0
      ? ['Tags', Object.entries(e.tags).map(([k, v]) => h('code', { class: 'tag' }, `${k}=${v}`))] : null,
    ['Event', `#${e.id}`],
  ].filter((r) => r && r[1] !== undefined && r[1] !== '');
  return h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// The first dashboard by name that has a variable named "service", or null.
async function serviceDashboard(signal) {
  const list = (await listDashboards(signal)).filter((d) => !d.error).sort((a, b) => a.name.localeCompare(b.name));
  for (const d of list) {
    const dash = await getDashboard(d.name, signal);
    if ((dash.variables ?? []).some((v) => v.name === 'service')) return dash;
  }
  return null;
}

// Variable values for the event: its service, and every other variable's default.
async function valuesFor(dash, service, signal) {
  const values = {};
  for (const v of dash.variables ?? []) {
    if (v.name === 'service') values.service = service;
    else values[v.name] = defaultValue(v, v.default || v.all ? [] : await labelValues(v.label || v.name, v.match || undefined, signal));
  }
  return values;
}

function changesTable(rows) {
  return h('table', { class: 'data', id: 'deploy-changes' },
    h('caption', {}, 'Mean over 30 minutes before and after, largest change first'),
    h('thead', {}, h('tr', {}, ['Panel', 'Series', 'Before', 'After', 'Change']
      .map((c, i) => h('th', { scope: 'col', class: i >= 2 ? 'num' : null }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {
      'data-panel-title': r.panel,
      'data-series': r.series,
      'data-change': String(Math.round(r.change * 1e6) / 1e4), // percent, 4 decimals
      class: r.change === Infinity || Math.abs(r.change) >= 0.2 ? 'big-change' : null,
    },
    h('td', {}, r.panel),
    h('td', { class: 'labels' }, r.series),
    h('td', { class: 'num' }, formatValue(r.before, r.unit)),
    h('td', { class: 'num' }, formatValue(r.after, r.unit)),
    h('td', { class: `num ${r.change > 0 ? 'up' : r.change < 0 ? 'down' : ''}` }, formatChange(r.change))))));
}

class DeployView {
  constructor(root, id, app) {
    this.id = id;
    this.app = app;
    this.controller = new AbortController();
    this.panels = [];
    this.root = root;
    root.append(spinner('Loading the event'));
    document.title = `Event ${id} — Plumbline`;
  }

  async load(navStart) {
    const signal = this.controller.signal;
    let event;
    try {
      event = await getEvent(this.id, signal);
    } catch (err) {
      if (isAbort(err)) return;
      const text = err.status === 404 ? `There is no event #${this.id}.` : `Could not read event #${this.id}: ${err.message}`;
      this.root.replaceChildren(h('h1', {}, 'Event not found'), message('error', text),
        h('p', {}, h('a', { href: '#/deploys' }, 'The deploy log')));
      return;
    }
    const now = Date.now() / 1000;
    const title = `${event.service ? `${event.service}: ` : ''}${firstLine(event.what) || event.type}`;
    document.title = `${title} — Plumbline`;
    const body = h('div', { class: 'impact-body' }, spinner('Finding a dashboard'));
    this.root.replaceChildren(
      h('p', { class: 'crumbs' }, h('a', { href: '#/deploys' }, 'Deploy log'), ` › #${event.id}`),
      h('h1', {}, title), facts(event, now),
      h('section', { class: 'impact', 'aria-labelledby': 'impact-title' },
        h('h2', { id: 'impact-title' }, 'What did this deploy do?'), body));
    try {
      await this.impact(event, body, signal, navStart);
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(message('error', err.message));
    }
  }

  async impact(event, body, signal, navStart) {
    if (!event.service) {
      body.replaceChildren(message('info', 'This event names no service, so there is nothing to compare.'));
      return;
    }
    const dash = await serviceDashboard(signal);
    if (!dash) {
      body.replaceChildren(message('info', 'No dashboard has a "service" variable, so there is nothing to compare.'));
      return;
    }
    const values = await valuesFor(dash, event.service, signal);
    const afterFrom = event.end ?? event.time;
    const from = event.time - WINDOW;
    const to = afterFrom + WINDOW;
    const step = chooseStep(to - from, POINTS * 2, 1);
    const plan = { ...alignRange(from, to, step), step };
    const eventsPromise = fetchEvents(plan.start, plan.end, event.service, dash.events?.types, signal, () => {})
      .then((events) => (events.some((e) => e.id === event.id) ? events : [...events, event]));

    const link = h('a', {
      href: formatRoute('dashboard', dash.name, { from: String(Math.floor(from)), to: String(Math.ceil(to)), 'var-service': event.service }),
    }, dash.title || dash.name);
    const summary = h('div', {}, spinner('Comparing'));
    const grid = h('div', { class: 'grid' });
    body.replaceChildren(h('p', {}, 'Panels of ', link, ` for service "${event.service}", 30 minutes before and after.`), summary, grid);

    const panels = (dash.panels ?? []).map((p) => ({
      ...p,
      exprs: (p.queries ?? []).map((q) => ({ expr: substitute(q.expr, values), legend: q.legend })),
    }));
    this.panels = panels.map((p, i) => createPanel(i, p.title, p.width));
    grid.append(...this.panels.map((p) => p.el));
    const done = renderTimer(panels.length, navStart);
    panels.forEach((p, i) => runPanel({
      ui: this.panels[i], type: p.type === 'single' ? 'lines' : p.type, unit: p.unit, exprs: p.exprs,
      plan, eventsPromise, signal, navigate: this.app.navigate, done,
    }));

    const now = Date.now() / 1000;
    if (now <= afterFrom) {
      summary.replaceChildren(message('info', 'This change is still in progress or in the future: there is no "after" yet.'));
      return;
    }
    const windowStep = chooseStep(WINDOW, POINTS, 1);
    const afterTo = Math.min(to, now);
    let failed = 0;
    const compared = await Promise.all(panels.flatMap((p) => p.exprs.map(async (q) => {
      try {
        const [before, after] = await Promise.all([
          // Range queries include their end: the "before" window stops a step short of the
          // event, so a sample taken at the deploy itself is not counted as before it.
          queryRange(q.expr, event.time - WINDOW, event.time - windowStep, windowStep, signal),
          queryRange(q.expr, afterFrom, afterTo, windowStep, signal),
        ]);
        return pairSeries(before.result ?? [], after.result ?? []).map((s) => ({
          panel: p.title, unit: p.unit, series: legendFor(q.legend, s.metric), before: s.before, after: s.after,
        }));
      } catch (err) {
        if (isAbort(err)) throw err;
        failed += 1;
        return [];
      }
    })));
    const rows = changeRows(compared.flat());
    summary.replaceChildren(
      rows.length > 0 ? h('div', { class: 'table-wrap' }, changesTable(rows)) : message('empty', 'No data before or after this deploy.'));
    if (failed > 0) summary.append(message('info', `${failed} of the dashboard's queries failed; see the panels below.`));
  }

  update() {}

  unmount() {
    this.controller.abort();
    for (const p of this.panels) p.destroy();
  }
}

export function mount(root, route, app, navStart) {
  const view = new DeployView(root, route.arg, app);
  view.load(navStart);
  return view;
}
