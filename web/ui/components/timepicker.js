// The time range picker (presets and a custom from/to) and the auto-refresh select. They
// only report changes as URL parameters; the page navigates and the URL drives the view.

import { h, select } from '/ui/components/dom.js';
import { describeRange, fromDatetimeLocal, parseTime, toDatetimeLocal } from '/ui/lib/time.js';

const PRESETS = ['15m', '1h', '6h', '24h', '7d'];
const REFRESH_CHOICES = ['off', '10s', '30s', '1m', '5m'];

/** Range controls for URL times `from`/`to`; onChange({from, to}) with the new ones. */
export function timeRangePicker(from, to, onChange) {
  const now = Date.now() / 1000;
  const presets = h('div', { class: 'presets', role: 'group', 'aria-label': 'Time range presets' },
    PRESETS.map((p) => h('button', {
      type: 'button',
      class: 'preset',
      'aria-pressed': String(from === `now-${p}` && to === 'now'),
      onclick: () => onChange({ from: `now-${p}`, to: 'now' }),
    }, p)));

  const fromInput = h('input', { type: 'datetime-local', id: 'range-from', value: toDatetimeLocal(parseTime(from, now) ?? now - 3600) });
  const toInput = h('input', { type: 'datetime-local', id: 'range-to', value: toDatetimeLocal(parseTime(to, now) ?? now) });
  const problem = h('span', { class: 'field-error', role: 'alert' });
  const custom = h('form', {
    class: 'custom-range',
    onsubmit: (ev) => {
      ev.preventDefault();
      const a = fromDatetimeLocal(fromInput.value);
      const b = fromDatetimeLocal(toInput.value);
      if (a === null || b === null || a >= b) {
        problem.textContent = 'From must be before To.';
        return;
      }
      onChange({ from: String(a), to: String(b) });
    },
  },
  h('label', { for: 'range-from' }, 'From'), fromInput,
  h('label', { for: 'range-to' }, 'To'), toInput,
  h('button', { type: 'submit' }, 'Apply'), problem);

  return h('div', { class: 'time-range' },
    h('span', { class: 'range-label', 'aria-live': 'polite' }, describeRange(from, to, now)), presets, custom);
}

/** The auto-refresh select; onChange(value) with "off" or a duration. */
export function refreshPicker(current, onChange) {
  const choices = REFRESH_CHOICES.includes(current) ? REFRESH_CHOICES : [...REFRESH_CHOICES, current];
  return h('label', { class: 'refresh' }, 'Refresh ',
    select({ onchange: (ev) => onChange(ev.target.value) }, choices.map((c) => ({ value: c, label: c })), current));
}
