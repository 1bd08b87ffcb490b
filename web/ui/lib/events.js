// Deploy-log events on graphs: which events a view shows, their colours by type, and the
// grouping of events drawn closer than a few pixels into one marker with a count.

export const EVENT_COLORS = {
  deploy: '#2563eb',
  flag: '#9333ea',
  config: '#0d9488',
  incident: '#dc2626',
  note: '#6b7280',
};
const OTHER_COLOR = '#9ca3af';
export const KNOWN_TYPES = Object.keys(EVENT_COLORS);

/** The colour of an event type (grey for notes and for types the UI does not know). */
export function eventColor(type) {
  return EVENT_COLORS[type] ?? OTHER_COLOR;
}

/** The first line of an event's `what`. */
export function firstLine(text) {
  return String(text ?? '').split('\n', 1)[0];
}

/** Events of the listed types only; no list, or an empty one, keeps every type. */
export function filterByTypes(events, types) {
  if (!types || types.length === 0) return events;
  const wanted = new Set(types);
  return events.filter((e) => wanted.has(e.type));
}

/** Events that show in [min, max]: points inside it, regions overlapping it. */
export function visibleEvents(events, min, max) {
  return events.filter((e) => e.time <= max && (e.end ?? e.time) >= min);
}

/**
 * Markers for events at pixel positions: `points` is [{x, event}]; sorted by x (then time,
 * then id, so the result is stable), an event joins the current group while it is less than
 * `minPx` from the group's first event. Each group is {x (centre), ids, count, events, type}
 * with type "mixed" when its events differ in type.
 */
export function groupByPixel(points, minPx = 6) {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.event.time - b.event.time || a.event.id - b.event.id);
  const groups = [];
  let current = null;
  for (const p of sorted) {
    if (current && p.x - current.first < minPx) {
      current.last = p.x;
      current.events.push(p.event);
    } else {
      current = { first: p.x, last: p.x, events: [p.event] };
      groups.push(current);
    }
  }
  return groups.map((g) => {
    const types = new Set(g.events.map((e) => e.type));
    return {
      x: (g.first + g.last) / 2,
      ids: g.events.map((e) => e.id),
      count: g.events.length,
      events: g.events,
      type: types.size === 1 ? g.events[0].type : 'mixed',
    };
  });
}
