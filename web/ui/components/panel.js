// A panel card: title, a canvas wrapper showing a graph, one big number, "No data" or an
// error, and a spinner while loading. It keeps the attributes browser tests read:
// data-panel and data-state on the card, data-rendered and data-series-count on the wrapper.

import { h, message, spinner } from '/ui/components/dom.js';
import { drawGraph } from '/ui/components/graph.js';

const GRAPH_HEIGHT = 220;

/** A panel numbered `index`, `width` grid columns (1–12) wide. */
export function createPanel(index, title, width = 12) {
  const columns = Math.min(12, Math.max(1, Math.round(width) || 12));
  const heading = h('h2', { class: 'panel-title' }, title || 'Untitled');
  const status = h('span', { class: 'panel-status' });
  const plot = h('div', { class: 'panel-plot', 'data-rendered': 'false' });
  const el = h('section', { class: 'panel', 'data-panel': index, 'data-state': 'loading', style: `--span: ${columns}` },
    h('header', { class: 'panel-head' }, heading, status), plot);
  let graph = null;

  function reset(state, seriesCount) {
    graph?.destroy();
    graph = null;
    status.replaceChildren();
    el.removeAttribute('aria-busy');
    el.dataset.state = state;
    plot.dataset.seriesCount = String(seriesCount);
  }

  return {
    el,
    /** Pixels available for the graph. */
    width: () => plot.clientWidth || 600,
    loading() {
      el.setAttribute('aria-busy', 'true');
      el.dataset.state = 'loading';
      plot.dataset.rendered = 'false';
      status.replaceChildren(spinner(`Loading ${title || 'panel'}`));
    },
    /** A graph of series [{label, values}] over xs; see drawGraph for the options. */
    graph(xs, series, options) {
      reset('ok', series.length);
      graph = drawGraph(plot, xs, series, {
        ...options,
        height: GRAPH_HEIGHT,
        tooltipHost: el,
        onDraw: () => {
          plot.dataset.rendered = 'true';
          options.onDraw?.();
        },
      });
    },
    /** One big number with what it is below. */
    single(text, caption) {
      reset('ok', 1);
      plot.replaceChildren(h('div', { class: 'single' },
        h('div', { class: 'single-value' }, text), h('div', { class: 'single-caption' }, caption)));
      plot.dataset.rendered = 'true';
    },
    empty(text = 'No data') {
      reset('empty', 0);
      plot.replaceChildren(h('div', { class: 'panel-message' }, message('empty', text)));
      plot.dataset.rendered = 'true';
    },
    error(text) {
      reset('error', 0);
      plot.replaceChildren(h('div', { class: 'panel-message' }, message('error', text)));
      plot.dataset.rendered = 'true';
    },
    destroy() {
      graph?.destroy();
    },
  };
}
