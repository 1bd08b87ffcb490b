// Time graphs with uPlot: lines or stacked areas with gaps left as gaps, axis and legend in
// the panel's unit, deploy-log events drawn over them (events-plugin.js), a drag across
// the graph reported as a new time range, and resizing with the page.

import uPlot from '/ui/vendor/uPlot.esm.js';
import { h } from '/ui/components/dom.js';
import { eventsPlugin } from '/ui/components/events-plugin.js';
import { isolatedPoints, plottable, stack } from '/ui/lib/series.js';
import { formatTicks, formatValue } from '/ui/lib/units.js';

const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#dc2626', '#ca8a04', '#db2777', '#4f46e5', '#65a30d'];
const AXIS = { stroke: '#4b5563', grid: { stroke: '#eef0f3', width: 1 }, ticks: { stroke: '#e5e7eb', width: 1 } };

// The colour of the i-th series.
const seriesColor = (i) => PALETTE[i % PALETTE.length];

function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Draws `series` ([{label, values}], values on the grid `xs`) into `host`, replacing what
 * was there. options: type ("lines" or "stacked"), unit, height, events (deploy log
 * objects), tooltipHost (positioned element for event tooltips), navigate(hash),
 * onZoom(from, to) (optional: dragging selects a range), onDraw() (after each draw).
 * Returns {destroy()}.
 */
export function drawGraph(host, xs, series, options) {
  const { type, unit, height, events, tooltipHost, navigate, onZoom, onDraw } = options;
  const raw = series.map((s) => plottable(s.values));
  const stacked = type === 'stacked';
  const data = [xs, ...(stacked ? stack(raw) : raw)];
  const lonely = data.slice(1).map(isolatedPoints);
  const legend = h('div', { class: 'legend' });
  const format = (v) => formatValue(v, unit);

  const opts = {
    width: host.clientWidth || 600,
    height,
    scales: { x: { time: true }, y: stacked ? { range: (u, min, max) => [0, max > 0 ? max : 1] } : {} },
    axes: [
      { ...AXIS },
      {
        ...AXIS,
        values: (u, splits) => formatTicks(splits, unit),
        size: (u, values) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length)),
      },
    ],
    series: [
      { value: (u, t) => (t === null ? '—' : new Date(t * 1000).toLocaleString()) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: seriesColor(i),
        width: 1.5,
        fill: stacked ? withAlpha(seriesColor(i), 0.35) : undefined,
        spanGaps: false,
        points: { filter: (u, si, show) => (show || lonely[si - 1].length === 0 ? null : lonely[si - 1]) },
        value: (u, v, si, di) => (di === null || di === undefined ? '—' : format(raw[si - 1][di])),
      })),
    ],
    bands: stacked ? series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] })) : [],
    legend: { mount: (u, el) => legend.append(el) },
    cursor: { drag: { x: Boolean(onZoom), y: false, setScale: false } },
    hooks: {
      setSelect: [(u) => {
        if (onZoom && u.select.width > 2) {
          const from = u.posToVal(u.select.left, 'x');
          const to = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(Math.floor(from), Math.ceil(to));
        }
      }],
      draw: [(u) => {
        // For browser tests: the x range and the plot area's width, to check event positions.
        host.dataset.xMin = String(u.scales.x.min);
        host.dataset.xMax = String(u.scales.x.max);
        host.dataset.plotWidth = String(u.bbox.width / devicePixelRatio);
        onDraw?.();
      }],
    },
    plugins: [eventsPlugin(events, tooltipHost, navigate)],
  };

  host.replaceChildren();
  const plot = new uPlot(opts, data, host);
  host.append(legend);

  let width = opts.width;
  let destroyed = false;
  const resize = new ResizeObserver(() => {
    const w = host.clientWidth;
    if (w > 0 && w !== width) {
      width = w;
      requestAnimationFrame(() => destroyed || plot.setSize({ width, height }));
    }
  });
  resize.observe(host);

  return {
    destroy() {
      destroyed = true;
      resize.disconnect();
      plot.destroy();
    },
  };
}
