// #/explore?expr=&from=&to=: a PromQL editor with autocomplete; Run (or Ctrl+Enter) puts the
// query in the URL, and the result shows as a graph with deploy lines and as a table of
// series and last values. A parse error is shown with a caret under its position.

import { lastValue } from '/ui/lib/series.js';
import { planRange } from '/ui/lib/step.js';
import { parseErrorPosition, locateError } from '/ui/lib/promql.js';
import { parseTime } from '/ui/lib/time.js';
import { formatRoute, parseRoute } from '/ui/lib/url.js';
import { h, message } from '/ui/components/dom.js';
import { Completer } from '/ui/components/completer.js';
import { createPanel } from '/ui/components/panel.js';
import { fetchEvents, runPanel } from '/ui/components/query-panel.js';
import { timeRangePicker } from '/ui/components/timepicker.js';

const DEFAULT_FROM = 'now-1h';

// The error under the query box: the offending line with a caret under the position.
function errorView(expr, err) {
  const pos = parseErrorPosition(err.message);
  if (!pos) return message('error', err.message);
  const { lineText, column } = locateError(expr, pos.line, pos.col);
  const pad = lineText.slice(0, column).replace(/[^\t]/g, ' ');
  return h('div', { class: 'query-error', role: 'alert', 'data-line': pos.line, 'data-col': pos.col },
    h('pre', { class: 'caret-view', 'aria-hidden': 'true' }, `${lineText}\n${pad}^`),
    h('p', { class: 'msg msg-error' }, `Line ${pos.line}, column ${pos.col}: ${pos.message}`));
}

// A sample as Prometheus writes it, unrounded.
function rawValue(v) {
  if (v === null) return '';
  if (v === Infinity) return '+Inf';
  return v === -Infinity ? '-Inf' : String(v);
}

function resultTable(series) {
  return h('table', { class: 'data', id: 'explore-table' },
    h('caption', {}, `${series.length} series`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Series'), h('th', { scope: 'col', class: 'num' }, 'Last value'))),
    h('tbody', {}, series.map((s) => h('tr', {},
      h('td', { class: 'labels' }, s.label), h('td', { class: 'num' }, rawValue(lastValue(s.values)))))));
}

class ExploreView {
  constructor(root, app) {
    this.app = app;
    this.controller = null;
    this.params = {};
    this.textarea = h('textarea', {
      id: 'expr', rows: 3, spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off',
      placeholder: 'e.g. sum by (service) (rate(http_requests_total[5m]))',
      onkeydown: (ev) => this.keydown(ev),
    });
    const listbox = h('ul', { id: 'expr-completions', class: 'completions' });
    this.completer = new Completer(this.textarea, listbox);
    this.errors = h('div', { class: 'query-errors' });
    this.range = h('div', { class: 'controls' });
    this.panel = createPanel(0, 'Result', 12);
    this.table = h('div', { class: 'table-wrap' });
    this.result = h('div', { class: 'result', hidden: true }, h('div', { class: 'grid' }, this.panel.el), this.table);
    const form = h('form', { class: 'query-form', onsubmit: (ev) => { ev.preventDefault(); this.submit(); } },
      h('label', { for: 'expr' }, 'PromQL query'),
      h('div', { class: 'editor' }, this.textarea, listbox),
      this.errors,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Run'),
        h('span', { class: 'hint' }, 'Ctrl+Enter runs the query')));
    root.append(h('h1', {}, 'Explore'), form, this.range, this.result);
    document.title = 'Explore — Plumbline';
  }

  keydown(ev) {
    if (this.completer.keydown(ev)) return;
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      this.submit();
    }
  }

  submit() {
    const hash = formatRoute('explore', null, { ...this.params, expr: this.textarea.value.trim() });
    const here = parseRoute(location.hash);
    if (hash === formatRoute(here.page, here.arg, here.params)) this.run();
    else this.app.navigate(hash);
  }

  update(route) {
    const { expr = '', from = DEFAULT_FROM, to = 'now' } = route.params;
    this.params = { expr, from, to };
    this.app.replace(formatRoute('explore', null, this.params));
    if (this.textarea.value !== expr) this.textarea.value = expr;
    this.range.replaceChildren(timeRangePicker(from, to, (r) => this.app.navigate(formatRoute('explore', null, { ...this.params, ...r }))));
    this.run();
  }

  async run() {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    this.errors.replaceChildren();
    const { expr, from: fromText, to: toText } = this.params;
    if (!expr) {
      this.result.hidden = true;
      return;
    }
    const now = Date.now() / 1000;
    const from = parseTime(fromText, now);
    const to = parseTime(toText, now);
    if (from === null || to === null || from >= to) {
      this.errors.replaceChildren(message('error', `Bad time range: from "${fromText}" to "${toText}".`));
      return;
    }
    this.result.hidden = false;
    const plan = planRange(from, to, this.panel.width());
    const eventsPromise = fetchEvents(plan.start, plan.end, null, null, signal,
      (err) => this.errors.append(message('info', `The deploy log could not be read: ${err.message}`)));
    const res = await runPanel({
      ui: this.panel, type: 'lines', unit: 'none', exprs: [{ expr, legend: '' }], plan, eventsPromise, signal,
      navigate: this.app.navigate,
      onZoom: (a, b) => this.app.navigate(formatRoute('explore', null, { ...this.params, from: String(a), to: String(b) })),
    });
    if (!res) return;
    if (res.error) {
      this.errors.replaceChildren(errorView(expr, res.error));
      this.result.hidden = true;
    } else {
      this.table.replaceChildren(res.series.length > 0 ? resultTable(res.series) : '');
    }
  }

  unmount() {
    this.controller?.abort();
    this.completer.close();
    this.panel.destroy();
  }
}

export function mount(root, route, app) {
  const view = new ExploreView(root, app);
  view.update(route);
  return view;
}
