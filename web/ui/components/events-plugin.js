// A uPlot plugin drawing deploy-log events on a time graph: a vertical line per event (a
// shaded band for regions), coloured by type, with a hover target per marker (events closer
// than 6 px share one, labelled with the count) and a tooltip with who, what, when and links.

import { h, typeBadge } from '/ui/components/dom.js';
import { eventColor, firstLine, groupByPixel, visibleEvents } from '/ui/lib/events.js';
import { formatTime } from '/ui/lib/time.js';
import { formatRoute } from '/ui/lib/url.js';

const GROUP_PX = 6;
const TARGET_PX = 9;
const TOOLTIP_MAX = 8;
const HIDE_DELAY_MS = 250;

function eventDetails(e) {
  const where = [e.service, e.env].filter(Boolean).join(' · ');
  return h('li', { class: 'tip-event' },
    typeBadge(e.type),
    ' ', h('a', { href: formatRoute('deploy', e.id) }, firstLine(e.what) || `event ${e.id}`),
    h('div', { class: 'tip-meta' },
      [e.who && `by ${e.who}`, formatTime(e.time), where].filter(Boolean).join(' — ')),
    e.url ? h('a', { class: 'tip-link', href: e.url, target: '_blank', rel: 'noopener noreferrer' }, e.url) : null);
}

/**
 * The plugin for `events` (the deploy log's objects). `tooltipHost` is a positioned element
 * around the graph, where the tooltip goes; `navigate(hash)` opens an event's page.
 */
export function eventsPlugin(events, tooltipHost, navigate) {
  let layer = null;
  let tooltip = null;
  let hideTimer = 0;

  const cancelHide = () => clearTimeout(hideTimer);
  const hide = () => tooltip?.remove();
  const scheduleHide = () => {
    cancelHide();
    hideTimer = setTimeout(hide, HIDE_DELAY_MS);
  };

  function show(u, group, marker) {
    cancelHide();
    hide();
    const shown = group.events.slice(0, TOOLTIP_MAX);
    const more = group.count - shown.length;
    tooltip = h('div', { class: 'event-tooltip', role: 'tooltip', onmouseenter: cancelHide, onmouseleave: scheduleHide },
      group.count > 1 ? h('div', { class: 'tip-title' }, `${group.count} events`) : null,
      h('ul', {}, shown.map(eventDetails)),
      more > 0 ? h('div', { class: 'tip-meta' }, `and ${more} more`) : null);
    tooltipHost.append(tooltip);
    const hostBox = tooltipHost.getBoundingClientRect();
    const markerBox = marker.getBoundingClientRect();
    const width = tooltip.offsetWidth;
    let left = markerBox.left - hostBox.left + TARGET_PX;
    if (left + width > hostBox.width) left = Math.max(0, markerBox.left - hostBox.left - width);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${u.over.getBoundingClientRect().top - hostBox.top + 4}px`;
  }

  function open(u, group, marker) {
    if (group.count === 1) navigate(formatRoute('deploy', group.ids[0]));
    else show(u, group, marker);
  }

  function drawLines(u, visible) {
    const { ctx, bbox } = u;
    const dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    for (const e of visible) {
      const color = eventColor(e.type);
      const x = Math.round(u.valToPos(e.time, 'x', true));
      if (e.end !== undefined && e.end > e.time) {
        const x2 = u.valToPos(e.end, 'x', true);
        ctx.globalAlpha = 0.12;
        ctx.fillStyle = color;
        ctx.fillRect(x, bbox.top, Math.max(1, x2 - x), bbox.height);
      }
      ctx.globalAlpha = 0.9;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  }

  function placeMarkers(u, visible) {
    const min = u.scales.x.min;
    const points = visible.map((e) => ({ x: u.valToPos(Math.max(e.time, min), 'x'), event: e }));
    layer.replaceChildren(...groupByPixel(points, GROUP_PX).map((group) => {
      const label = group.count === 1
        ? `${group.events[0].type} ${group.events[0].service ?? ''}: ${firstLine(group.events[0].what)}`
        : `${group.count} events`;
      const marker = h('div', {
        class: `event-marker type-${group.type}`,
        style: `left: ${group.x - TARGET_PX / 2}px; width: ${TARGET_PX}px; --type-color: ${eventColor(group.type)}`,
        tabindex: 0,
        role: 'button',
        'aria-label': label,
        'data-event-ids': group.ids.join(','),
        'data-count': group.count,
        'data-x': group.x.toFixed(2),
      }, h('span', { class: 'event-flag' }, group.count > 1 ? String(group.count) : ''));
      marker.addEventListener('mouseenter', () => show(u, group, marker));
      marker.addEventListener('focus', () => show(u, group, marker));
      marker.addEventListener('mouseleave', scheduleHide);
      marker.addEventListener('blur', scheduleHide);
      marker.addEventListener('click', () => open(u, group, marker));
      marker.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          open(u, group, marker);
        } else if (ev.key === 'Escape') {
          hide();
        }
      });
      return marker;
    }));
  }

  return {
    hooks: {
      init: (u) => {
        layer = h('div', { class: 'event-layer' });
        u.over.append(layer);
      },
      draw: (u) => {
        const visible = visibleEvents(events, u.scales.x.min, u.scales.x.max);
        drawLines(u, visible);
        placeMarkers(u, visible);
      },
      destroy: () => {
        cancelHide();
        hide();
      },
    },
  };
}
