// #/d/<name>?from=&to=&refresh=&var-<name>=: a dashboard's grid of panels with its variables,
// time range and auto refresh, all kept in the URL. Each panel queries at a step fitted to
// its width; the deploy log of the range is fetched once per view and drawn on every graph.

import { getDashboard, labelValues, listDashboards, isAbort } from '/ui/lib/api.js';
import { planRange } from '/ui/lib/step.js';
import { parseDuration, parseTime } from '/ui/lib/time.js';
import { formatRoute } from '/ui/lib/url.js';
import { dashboardParams, eventService, substitute, variableChoices, variableValues, varParam } from '/ui/lib/vars.js';
import { h, message, select, spinner } from '/ui/components/dom.js';
import { createPanel } from '/ui/components/panel.js';
import { fetchEvents, runPanel } from '/ui/components/query-panel.js';
import { renderTimer } from '/ui/components/render-timer.js';
import { refreshPicker, timeRangePicker } from '/ui/components/timepicker.js';

class DashboardView {
  constructor(root, name, app) {
    this.name = name;
    this.app = app;
    this.loadController = new AbortController();
    this.passController = null;
    this.timer = 0;
    this.dash = null;
    this.pending = null;
    this.options = {};
    this.panels = [];
    this.title = h('h1', {}, name);
    this.controls = h('div', { class: 'controls' });
    this.loadNotes = h('div', { class: 'notes' });
    this.passNotes = h('div', { class: 'notes' });
    this.grid = h('div', { class: 'grid' }, spinner('Loading dashboard'));
    root.append(this.title, this.controls, this.loadNotes, this.passNotes, this.grid);
    document.title = `${name} — Plumbline`;
  }

  async load(route, navStart) {
    this.pending = [route, navStart];
    const signal = this.loadController.signal;
    try {
      // The list first: it names a broken or unknown dashboard without an error answer
      // (which the browser would log in its console).
      const entry = (await listDashboards(signal)).find((d) => d.name === this.name);
      if (!entry || entry.error) {
        this.grid.replaceChildren(message('error', entry ? entry.error : `There is no dashboard named "${this.name}".`),
          h('p', {}, h('a', { href: '#/dashboards' }, 'All dashboards')));
        return;
      }
      const dash = await getDashboard(this.name, signal);
      const lists = await Promise.all((dash.variables ?? []).map((v) =>
        labelValues(v.label || v.name, v.match || undefined, signal).catch((err) => {
          if (isAbort(err)) throw err;
          this.loadNotes.append(message('info', `Values of variable "${v.name}" could not be read: ${err.message}`));
          return [];
        })));
      (dash.variables ?? []).forEach((v, i) => { this.options[v.name] = lists[i]; });
      this.dash = dash;
    } catch (err) {
      if (isAbort(err)) return;
      this.grid.replaceChildren(message('error', err.message), h('p', {}, h('a', { href: '#/dashboards' }, 'All dashboards')));
      return;
    }
    this.title.textContent = this.dash.title || this.name;
    document.title = `${this.title.textContent} — Plumbline`;
    if (this.dash.description) this.title.after(h('p', { class: 'description' }, this.dash.description));
    const panels = this.dash.panels ?? [];
    this.panels = panels.map((p, i) => ({ def: p, ui: createPanel(i, p.title, p.width) }));
    this.grid.replaceChildren(...this.panels.map((p) => p.ui.el));
    if (panels.length === 0) this.grid.append(message('empty', 'This dashboard has no panels.'));
    this.update(...this.pending);
  }

  update(route, navStart) {
    if (!this.dash) {
      this.pending = [route, navStart];
      return;
    }
    this.params = dashboardParams(this.dash, route.params, this.options);
    this.app.replace(formatRoute('dashboard', this.name, this.params));
    this.values = variableValues(this.dash, this.params);
    this.renderControls();
    this.setTimer(this.params.refresh);
    this.run(navStart);
  }

  go(changes) {
    this.app.navigate(formatRoute('dashboard', this.name, { ...this.params, ...changes }));
  }

  renderControls() {
    const vars = (this.dash.variables ?? []).map((v) => {
      const key = varParam(v.name);
      const id = `var-${v.name}`;
      return h('div', { class: 'variable' },
        h('label', { for: id }, v.name),
        select({ id, onchange: (ev) => this.go({ [key]: ev.target.value }) },
          variableChoices(v, this.options[v.name] ?? [], this.params[key]), this.params[key]));
    });
    this.controls.replaceChildren(
      h('div', { class: 'variables' }, vars),
      timeRangePicker(this.params.from, this.params.to, (range) => this.go(range)),
      refreshPicker(this.params.refresh, (refresh) => this.go({ refresh })));
  }

  setTimer(refresh) {
    clearInterval(this.timer);
    const seconds = refresh === 'off' ? null : parseDuration(refresh);
    if (seconds) this.timer = setInterval(() => document.hidden || this.run(null), Math.max(1, seconds) * 1000);
  }

  // One pass over every panel; navStart is null for an auto refresh, which is not timed.
  run(navStart) {
    this.passController?.abort();
    this.passNotes.replaceChildren();
    const controller = new AbortController();
    this.passController = controller;
    const now = Date.now() / 1000;
    const from = parseTime(this.params.from, now);
    const to = parseTime(this.params.to, now);
    if (from === null || to === null || from >= to) {
      for (const p of this.panels) p.ui.error(`Bad time range: from "${this.params.from}" to "${this.params.to}".`);
      return;
    }
    const plans = this.panels.map((p) => planRange(from, to, p.ui.width()));
    const cfg = this.dash.events ?? {};
    const eventsPromise = fetchEvents(
      Math.min(from, ...plans.map((p) => p.start)), Math.max(to, ...plans.map((p) => p.end)),
      eventService(cfg, this.values), cfg.types, controller.signal,
      (err) => this.passNotes.append(message('info', `The deploy log could not be read: ${err.message}`)));
    const done = renderTimer(this.panels.length, navStart);
    const onZoom = (a, b) => this.go({ from: String(a), to: String(b) });
    this.panels.forEach((p, i) => {
      const exprs = (p.def.queries ?? []).map((q) => ({ expr: substitute(q.expr, this.values), legend: q.legend }));
      runPanel({
        ui: p.ui, type: p.def.type, unit: p.def.unit, exprs, plan: plans[i], eventsPromise,
        signal: controller.signal, navigate: this.app.navigate, onZoom, done,
      });
    });
  }

  unmount() {
    this.loadController.abort();
    this.passController?.abort();
    clearInterval(this.timer);
    for (const p of this.panels) p.ui.destroy();
  }
}

export function mount(root, route, app, navStart) {
  const view = new DashboardView(root, route.arg, app);
  view.load(route, navStart);
  return view;
}
