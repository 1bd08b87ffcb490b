// Small DOM helpers shared by the pages: an element builder, the loading, empty and error
// states every view uses, selects, and event-type badges.

import { eventColor } from '/ui/lib/events.js';

/**
 * h('a', {href: '#/', class: 'x', onclick: fn, 'data-id': 7}, 'text', child) builds an
 * element: "on…" props add listeners, class/text set className/textContent, true booleans
 * become bare attributes, and null/undefined/false props and children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name === 'value') el.value = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A spinner announced to screen readers. */
export function spinner(label = 'Loading') {
  return h('div', { class: 'spinner', role: 'status', 'aria-label': label });
}

/** A message block: kind is "empty", "error" or "info". */
export function message(kind, text) {
  return h('p', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : null }, text);
}

/** A select of [{value, label}] with the current value chosen. */
export function select(props, choices, current) {
  return h('select', props, choices.map((c) => h('option', { value: c.value, selected: c.value === current }, c.label)));
}

/** An event type as a badge in its colour. */
export function typeBadge(type) {
  return h('span', { class: 'badge type-badge', style: `--type-color: ${eventColor(type)}` }, type);
}
