// Running a panel: its queries at a planned step, shown as a graph, one number, "No data"
// or an error, with the view's deploy-log events (fetched once per view) on graphs.

import { listEvents, queryRange, isAbort } from '/ui/lib/api.js';
import { filterByTypes } from '/ui/lib/events.js';
import { legendFor } from '/ui/lib/legend.js';
import { fillGaps, lastValue, timestamps } from '/ui/lib/series.js';
import { formatValue } from '/ui/lib/units.js';

const EVENT_LIMIT = 10000;

/** Fetches a view's deploy-log events once; a failure shows as a note and draws none. */
export function fetchEvents(start, end, service, types, signal, onError) {
  return listEvents({ start, end, service, limit: EVENT_LIMIT }, signal)
    .then((events) => filterByTypes(events, types))
    .catch((err) => {
      if (!isAbort(err)) onError(err);
      return [];
    });
}

/**
 * Queries `exprs` ([{expr, legend}], variables already substituted) over `plan` {start, end,
 * step} and shows the result in `ui` (a createPanel) as `type` (lines, stacked or single) in
 * `unit`, with the events `eventsPromise` yields on a graph. Calls done(), if given, once it is drawn,
 * unless `signal` aborted it first; navigate and onZoom are passed on to the graph.
 * Never rejects: resolves to {series: [{label, values}], xs} or {error}, or null if aborted.
 */
export async function runPanel({ ui, type, unit, exprs, plan, eventsPromise, signal, navigate, onZoom, done }) {
  const finish = () => signal.aborted || done?.();
  ui.loading();
  try {
    if (exprs.length === 0) {
      ui.empty('This panel has no queries.');
      finish();
      return { series: [], xs: [] };
    }
    const results = await Promise.all(exprs.map((q) => queryRange(q.expr, plan.start, plan.end, plan.step, signal)));
    const events = await eventsPromise;
    if (signal.aborted) return null;
    const xs = timestamps(plan.start, plan.end, plan.step);
    const series = results.flatMap((data, i) => (data.result ?? []).map((s) => ({
      label: legendFor(exprs[i].legend, s.metric),
      values: fillGaps(s.values ?? [], plan.start, plan.end, plan.step),
    })));
    if (series.length === 0) {
      ui.empty();
      finish();
    } else if (type === 'single') {
      ui.single(formatValue(lastValue(series[0].values), unit), series[0].label);
      finish();
    } else {
      let drawn = false;
      ui.graph(xs, series, {
        type,
        unit,
        events,
        navigate,
        onZoom,
        onDraw: () => {
          if (!drawn) {
            drawn = true;
            finish();
          }
        },
      });
    }
    return { series, xs };
  } catch (err) {
    if (isAbort(err) || signal.aborted) return null;
    ui.error(err.message);
    finish();
    return { error: err };
  }
}
