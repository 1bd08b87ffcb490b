// Autocomplete for a PromQL textarea: metric and function names, label names, and label
// values inside {name=", read from the label APIs (each list fetched once), shown as an
// ARIA listbox driven by the arrow keys, Enter or Tab, and Escape.

import { labelNames, labelValues } from '/ui/lib/api.js';
import { FUNCTIONS, completionContext, filterCompletions } from '/ui/lib/promql.js';
import { h } from '/ui/components/dom.js';

export class Completer {
  constructor(textarea, listbox) {
    this.textarea = textarea;
    this.listbox = listbox;
    this.cache = new Map();
    this.items = [];
    this.active = -1;
    this.context = null;
    this.seq = 0;
    textarea.setAttribute('role', 'combobox');
    textarea.setAttribute('aria-autocomplete', 'list');
    textarea.setAttribute('aria-controls', listbox.id);
    textarea.setAttribute('aria-expanded', 'false');
    listbox.setAttribute('role', 'listbox');
    listbox.hidden = true;
    textarea.addEventListener('input', () => this.refresh());
    textarea.addEventListener('blur', () => this.close());
    // Keep the focus in the textarea when an option is clicked.
    listbox.addEventListener('mousedown', (ev) => ev.preventDefault());
  }

  // A list, fetched once per key; a failed lookup completes nothing.
  list(key, load) {
    if (!this.cache.has(key)) this.cache.set(key, load().catch(() => []));
    return this.cache.get(key);
  }

  itemsFor(ctx) {
    const match = ctx.metric ?? undefined;
    if (ctx.kind === 'metric') return this.list('metrics', () => labelValues('__name__')).then((names) => [...names, ...FUNCTIONS]);
    if (ctx.kind === 'label') return this.list(`labels:${match ?? ''}`, () => labelNames(match));
    return this.list(`values:${ctx.label}:${match ?? ''}`, () => labelValues(ctx.label, match));
  }

  async refresh() {
    const seq = ++this.seq;
    const { value, selectionStart, selectionEnd } = this.textarea;
    const ctx = selectionStart === selectionEnd ? completionContext(value, selectionStart) : null;
    if (!ctx) {
      this.close();
      return;
    }
    const all = await this.itemsFor(ctx);
    if (seq !== this.seq) return;
    const items = filterCompletions(all, ctx.prefix);
    if (items.length === 0 || (items.length === 1 && items[0] === ctx.prefix)) this.close();
    else this.open(items, ctx);
  }

  open(items, ctx) {
    this.items = items;
    this.context = ctx;
    this.active = 0;
    this.listbox.replaceChildren(...items.map((item, i) => h('li', {
      id: `${this.listbox.id}-${i}`,
      role: 'option',
      class: FUNCTIONS.includes(item) && ctx.kind === 'metric' ? 'fn' : null,
      onclick: () => this.accept(i),
    }, item)));
    this.listbox.hidden = false;
    this.textarea.setAttribute('aria-expanded', 'true');
    this.highlight();
  }

  close() {
    this.seq++;
    this.items = [];
    this.listbox.hidden = true;
    this.textarea.setAttribute('aria-expanded', 'false');
    this.textarea.removeAttribute('aria-activedescendant');
  }

  highlight() {
    [...this.listbox.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === this.active)));
    const li = this.listbox.children[this.active];
    if (li) {
      this.textarea.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  accept(i) {
    const item = this.items[i];
    const ctx = this.context;
    const ta = this.textarea;
    const cursor = ta.selectionStart;
    let insert = item;
    if (ctx.kind === 'value') insert = item.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + (ta.value[cursor] === '"' ? '' : '"');
    else if (ctx.kind === 'metric' && FUNCTIONS.includes(item) && ta.value[cursor] !== '(') insert = `${item}(`;
    ta.setRangeText(insert, ctx.from, cursor, 'end');
    this.close();
    ta.focus();
  }

  /** Handles a keydown in the textarea; true when it was the completer's. */
  keydown(ev) {
    if (this.listbox.hidden) return false;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      const n = this.items.length;
      this.active = (this.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.highlight();
    } else if ((ev.key === 'Enter' && !ev.ctrlKey && !ev.metaKey) || ev.key === 'Tab') {
      this.accept(this.active);
    } else if (ev.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    ev.preventDefault();
    return true;
  }
}
