// Browser tests of the read-only UI: Debian's Chromium (driven by playwright-core, which never
// downloads a browser) against the real plumbline binary on a loopback port, with data and
// deploy-log events written through the HTTP API. Screenshots and the render benchmark go to
// $PLUMBLINE_ARTIFACTS. Every wait is bounded; the server and the browser are stopped in
// after(), also when a test failed.
//
//   PLUMBLINE_BIN=build/plumbline PLUMBLINE_ARTIFACTS=tests/artifacts \
//     node --test --test-concurrency=1 tests/browser/ui.test.mjs

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';
import { startVictoria } from './victoria.mjs';
import {
  BENCH_DASHBOARD, BENCH_SELECTOR, BENCH_SERIES, BROKEN_DASHBOARD, benchEvents, serviceData, serviceEvents, serviceTimes,
} from './fixtures.mjs';

const BIN = process.env.PLUMBLINE_BIN;
const GEN_DATASET = fileURLToPath(new URL('../../bench/gen_dataset.py', import.meta.url));
const ARTIFACTS = process.env.PLUMBLINE_ARTIFACTS || path.resolve('artifacts');
const WAIT_MS = 30_000; // any one wait in the page (2 shared cores: generous, always bounded)
const BENCH_WAIT_MS = 90_000;
const X_TOLERANCE_PX = 3;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const ctx = {
  server: null,
  browser: null,
  page: null,
  times: null,
  ids: {}, // event id by role: deploy, flag, incident, region
  problems: [], // console errors and page errors, with the page they happened on
};

// ---------------------------------------------------------------------------------------------
// Helpers

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh load of the UI at `hash` (a full page load, so window.__plumbline starts at 0). */
async function open(hash) {
  const { page, server } = ctx;
  await page.goto('about:blank');
  await page.goto(`${server.url}/${hash}`, { waitUntil: 'load' });
}

async function screenshot(name) {
  await ctx.page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Waits until the view at hand has `n` panels, all drawn, and (for a dashboard, `reported`)
 * has counted its render in window.__plumbline.
 */
async function waitForPanels(n, reported = true) {
  await ctx.page.waitForFunction(([count, counted]) => {
    const panels = document.querySelectorAll('#main [data-panel]');
    return panels.length === count
      && [...panels].every((p) => p.querySelector('.panel-plot')?.dataset.rendered === 'true')
      && (!counted || window.__plumbline?.renders >= 1);
  }, [n, reported], { timeout: WAIT_MS, polling: 100 });
}

/** Every panel of the view at hand, its plot's x range and size and its event markers, read at one instant. */
function readPanels() {
  return ctx.page.evaluate(() => [...document.querySelectorAll('#main [data-panel]')].map((panel) => {
    const plot = panel.querySelector('.panel-plot');
    const over = plot.querySelector('.u-over');
    const overBox = over ? over.getBoundingClientRect() : null;
    return {
      index: Number(panel.dataset.panel),
      title: panel.querySelector('.panel-title')?.textContent ?? '',
      state: panel.dataset.state,
      rendered: plot.dataset.rendered,
      seriesCount: plot.dataset.seriesCount === undefined ? null : Number(plot.dataset.seriesCount),
      xMin: plot.dataset.xMin === undefined ? null : Number(plot.dataset.xMin),
      xMax: plot.dataset.xMax === undefined ? null : Number(plot.dataset.xMax),
      plotWidth: plot.dataset.plotWidth === undefined ? null : Number(plot.dataset.plotWidth),
      overWidth: overBox ? overBox.width : null,
      canvas: Boolean(plot.querySelector('canvas')),
      markers: [...plot.querySelectorAll('.event-marker')].map((m) => {
        const b = m.getBoundingClientRect();
        return {
          ids: m.dataset.eventIds.split(',').map(Number),
          count: Number(m.dataset.count),
          x: Number(m.dataset.x),
          domX: overBox ? b.left + b.width / 2 - overBox.left : null,
        };
      }),
    };
  }));
}

/**
 * The panels once their layout has settled: a graph is redrawn when its width changes (e.g.
 * when a scroll bar appears), so read until two readings 250 ms apart agree (bounded).
 */
async function settledPanels() {
  const deadline = Date.now() + WAIT_MS;
  let last = await readPanels();
  for (;;) {
    await sleep(250);
    const now = await readPanels();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    if (Date.now() > deadline) throw new Error('the graphs kept changing size or markers for 30 s');
    last = now;
  }
}

/** "2026-11-26 14:03:05" as the UI writes times (the browser runs in UTC). */
function formatUtc(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** PIDs of this process's children that run Chromium (the browser playwright launched). */
async function chromiumChildren() {
  const pids = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const exe = await readlink(`/proc/${entry}/exe`).catch(() => '');
      if (ppid === process.pid && exe.includes('chromium')) pids.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

async function postEvent(event) {
  const res = await ctx.server.post('/api/v1/events', event);
  assert.equal(res.status, 201, `POST /api/v1/events ${JSON.stringify(event)}: ${res.text}`);
  assert.equal(typeof res.json?.data?.id, 'number', res.text);
  return res.json.data.id;
}

async function importText(text) {
  const res = await ctx.server.post('/api/v1/import/prometheus', text);
  assert.ok(res.status === 204 || res.status === 200, `import: HTTP ${res.status} ${res.text.slice(0, 500)}`);
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

before(async () => {
  assert.ok(BIN, 'set PLUMBLINE_BIN to the plumbline binary');
  await mkdir(ARTIFACTS, { recursive: true });
  ctx.server = await startServer(BIN, { 'broken.yaml': BROKEN_DASHBOARD, 'bench12.yaml': BENCH_DASHBOARD });

  ctx.times = serviceTimes(Date.now() / 1000);
  await importText(serviceData(ctx.times));
  const events = serviceEvents(ctx.times);
  for (const [role, event] of Object.entries(events)) ctx.ids[role] = await postEvent(event);

  ctx.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  ctx.page = await context.newPage();
  ctx.page.setDefaultTimeout(WAIT_MS);
  ctx.page.setDefaultNavigationTimeout(WAIT_MS);
  ctx.page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    ctx.problems.push(`console error on ${ctx.page.url()}: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  ctx.page.on('pageerror', (err) => ctx.problems.push(`page error on ${ctx.page.url()}: ${err.stack || err.message}`));
});

after(async () => {
  // Each step on its own, bounded, so that one failing leaves nothing else running.
  try {
    if (ctx.browser) await withTimeout(ctx.browser.close(), 20_000, 'closing Chromium');
  } catch (err) {
    console.error(String(err));
    // Chromium did not close: kill the browser processes this test started, by their PIDs.
    for (const pid of await chromiumChildren()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
    }
  }
  if (ctx.server) {
    try {
      await writeFile(path.join(ARTIFACTS, 'plumbline-server.log'), ctx.server.log());
    } catch { /* the log is a convenience */ }
    await ctx.server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Tests

test('service dashboard for api: every panel drawn with one series, api deploy and flag marked at their times, tooltip', async () => {
  const dash = (await ctx.server.get('/api/v1/dashboards/service')).json.data;
  assert.deepEqual(dash.panels.map((p) => p.title), ['Requests', 'Errors', 'Latency', 'Queue depth']);

  // refresh=off: the dashboard's own 1m auto refresh would redraw the graphs under the test.
  await open('#/d/service?from=now-3h&to=now&var-service=api&refresh=off');
  await waitForPanels(dash.panels.length);
  const panels = await settledPanels();
  await screenshot('01-dashboard-service-api');

  const { deploy, flag } = ctx.ids;
  const events = serviceEvents(ctx.times);
  const timeOf = { [deploy]: events.deploy.time, [flag]: events.flag.time };
  for (const p of panels) {
    const where = `panel ${p.index} (${p.title})`;
    assert.equal(p.state, 'ok', `${where}: state`);
    assert.equal(p.seriesCount, 1, `${where}: series count`);
    assert.ok(p.canvas, `${where}: no canvas`);
    assert.ok(Number.isFinite(p.xMin) && Number.isFinite(p.xMax) && p.xMax > p.xMin, `${where}: x range ${p.xMin}..${p.xMax}`);
    assert.ok(p.plotWidth > 100, `${where}: plot width ${p.plotWidth}`);
    assert.ok(Math.abs(p.plotWidth - p.overWidth) <= 1, `${where}: data-plot-width ${p.plotWidth} but the plot area is ${p.overWidth} px wide`);
    // Only the api events (the web incident and region are filtered out by $service), each on its own.
    const ids = p.markers.flatMap((m) => m.ids).sort((a, b) => a - b);
    assert.deepEqual(ids, [deploy, flag].sort((a, b) => a - b), `${where}: marker event ids ${JSON.stringify(p.markers)}`);
    for (const m of p.markers) {
      assert.equal(m.count, 1, `${where}: marker ${m.ids} groups ${m.count} events`);
      const expected = ((timeOf[m.ids[0]] - p.xMin) / (p.xMax - p.xMin)) * p.plotWidth;
      assert.ok(Math.abs(m.x - expected) <= X_TOLERANCE_PX,
        `${where}: event ${m.ids[0]} data-x ${m.x}, expected ${expected.toFixed(2)} (x ${p.xMin}..${p.xMax}, ${p.plotWidth} px)`);
      assert.ok(Math.abs(m.domX - expected) <= X_TOLERANCE_PX,
        `${where}: event ${m.ids[0]} drawn at ${m.domX.toFixed(2)} px, expected ${expected.toFixed(2)}`);
    }
  }
  // The deploy (90 min ago) is left of the flag (60 min ago).
  const [m0, m1] = [...panels[0].markers].sort((a, b) => a.x - b.x);
  assert.deepEqual([m0.ids[0], m1.ids[0]], [deploy, flag]);

  // Hovering the deploy marker shows who, what, when, service and the link.
  const marker = `#main [data-panel="0"] .event-marker[data-event-ids="${deploy}"]`;
  await ctx.page.hover(marker);
  const tooltip = ctx.page.locator('#main [data-panel="0"] .event-tooltip');
  await tooltip.waitFor({ state: 'visible', timeout: WAIT_MS });
  const text = await tooltip.innerText();
  for (const want of ['alice', 'a1b2c3 fix login', formatUtc(events.deploy.time), 'api', 'prod']) {
    assert.ok(text.includes(want), `tooltip lacks "${want}": ${JSON.stringify(text)}`);
  }
  assert.equal(await tooltip.locator('a.tip-link').getAttribute('href'), 'https://ci.example/1');
  assert.equal(await tooltip.locator(`a[href="#/deploy/${deploy}"]`).count(), 1, 'tooltip links to the deploy page');
  await screenshot('01-dashboard-service-api-tooltip');
  await ctx.page.mouse.move(5, 5);
});

test('deploy page of the api deploy: Requests about +100 %, Latency about +50 %, worst first', async (t) => {
  const { deploy } = ctx.ids;
  await open(`#/deploy/${deploy}`);
  const rowsSel = '#deploy-changes tbody tr';
  await ctx.page.waitForSelector(rowsSel, { timeout: WAIT_MS });
  await waitForPanels(4, false);
  await screenshot('02-deploy-page');

  const facts = await ctx.page.locator('dl.facts').innerText();
  for (const want of ['alice', 'api', 'prod', 'a1b2c3 fix login', 'https://ci.example/1']) {
    assert.ok(facts.includes(want), `facts lack "${want}": ${JSON.stringify(facts)}`);
  }

  const rows = await ctx.page.$$eval(rowsSel, (trs) => trs.map((tr) => ({
    panel: tr.dataset.panelTitle,
    series: tr.dataset.series,
    change: Number(tr.dataset.change),
    shown: tr.cells[4].textContent,
  })));
  const table = JSON.stringify(rows);
  t.diagnostic(`changes: ${rows.map((r) => `${r.panel} ${r.change.toFixed(1)} %`).join(', ')}`);
  assert.deepEqual(rows.map((r) => r.series), ['api', 'api', 'api', 'api'], `one row per panel, all api: ${table}`);
  assert.deepEqual(rows.map((r) => r.panel).sort(), ['Errors', 'Latency', 'Queue depth', 'Requests'], table);
  for (let i = 1; i < rows.length; i++) {
    assert.ok(Math.abs(rows[i - 1].change) >= Math.abs(rows[i].change), `not worst first: ${table}`);
  }
  const byPanel = Object.fromEntries(rows.map((r) => [r.panel, r]));
  // Requests double at the deploy (20/s -> 40/s), but rate(...[5m]) ramps from 20 to 40 over
  // the first 5 of the 30 minutes after it: the mean after is 40 - 20 * (5 / 30) / 2 = 38.3/s,
  // +91.7 %. Hence ±10 % around that (rate() extrapolation at the window edges, the step).
  const requestsExpected = 100 * ((40 - (20 * (5 / 30)) / 2) / 20 - 1);
  assert.ok(Math.abs(byPanel.Requests.change - requestsExpected) <= 10, `Requests change ${byPanel.Requests.change} %: ${table}`);
  // Latency is a gauge: 100 ms before, 150 ms after, exactly (the before window stops short of
  // the deploy's own sample).
  assert.ok(Math.abs(byPanel.Latency.change - 50) <= 0.5, `Latency change ${byPanel.Latency.change} %: ${table}`);
  assert.ok(Math.abs(byPanel.Errors.change) <= 10, `Errors change ${byPanel.Errors.change} %: ${table}`);
  assert.ok(Math.abs(byPanel['Queue depth'].change) <= 10, `Queue depth change ${byPanel['Queue depth'].change} %: ${table}`);
  assert.deepEqual(rows.slice(0, 2).map((r) => r.panel), ['Requests', 'Latency'], table);
  assert.match(byPanel.Requests.shown, /^\+\d/, table);
});

test('broken dashboard shows its error; the list shows it too; other dashboards still open', async () => {
  await open('#/d/broken');
  const error = ctx.page.locator('#main .msg-error');
  await error.waitFor({ state: 'visible', timeout: WAIT_MS });
  const errorText = await error.innerText();
  assert.match(errorText, /broken\.yaml line 2/, errorText);
  assert.match(errorText, /pie/, errorText);
  await screenshot('03-dashboard-broken');

  await open('#/dashboards');
  const broken = ctx.page.locator('#main li[data-dashboard="broken"]');
  await broken.waitFor({ state: 'visible', timeout: WAIT_MS });
  assert.match(await broken.locator('.dash-error').innerText(), /broken\.yaml line 2/);
  assert.equal(await broken.locator('a').count(), 0, 'a broken dashboard is no link');
  for (const name of ['service', 'plumbline', 'bench12']) {
    assert.equal(await ctx.page.locator(`#main li[data-dashboard="${name}"] a.dash-title`).count(), 1, `${name} listed as a link`);
  }
  await screenshot('03-dashboards');

  // The service dashboard opens from the list: default variable All, so api and web.
  await ctx.page.click('#main li[data-dashboard="service"] a.dash-title');
  await waitForPanels(4);
  const panels = await settledPanels();
  for (const p of panels) {
    assert.equal(p.state, 'ok', `panel ${p.title}`);
    assert.equal(p.seriesCount, 2, `panel ${p.title}: api and web`);
  }
  assert.match(ctx.page.url(), /#\/d\/service\?.*var-service=\.\*/);
  await screenshot('03-dashboard-service-all');

  // The shipped "plumbline" dashboard opens too (no self-scrape here, so its panels are empty).
  const plumbline = (await ctx.server.get('/api/v1/dashboards/plumbline')).json.data;
  await open('#/d/plumbline?from=now-1h&to=now&refresh=off');
  await waitForPanels(plumbline.panels.length);
  for (const p of await readPanels()) assert.notEqual(p.state, 'error', `plumbline panel ${p.title}`);
});

test('deploy log lists the events newest first; explore runs a query and draws it', async () => {
  await open('#/deploys');
  await ctx.page.waitForSelector('#deploy-log tbody tr', { timeout: WAIT_MS });
  const rows = await ctx.page.$$eval('#deploy-log tbody tr', (trs) => trs.map((tr) => ({
    id: Number(tr.dataset.eventId),
    time: tr.cells[0].textContent,
    text: tr.innerText,
  })));
  await screenshot('04-deploys');
  const { deploy, flag, incident, region } = ctx.ids;
  assert.deepEqual(rows.map((r) => r.id), [incident, flag, deploy, region], JSON.stringify(rows));
  const events = serviceEvents(ctx.times);
  assert.deepEqual(rows.map((r) => r.time),
    [events.incident.time, events.flag.time, events.deploy.time, events.region.time].map(formatUtc));
  const deployRow = rows.find((r) => r.id === deploy).text;
  for (const want of ['alice', 'a1b2c3 fix login', 'api', 'prod', 'deploy']) assert.ok(deployRow.includes(want), deployRow);

  const expr = 'sum(rate(statsd_requests_total[5m]))';
  await open(`#/explore?expr=${encodeURIComponent(expr)}&from=now-3h&to=now`);
  await ctx.page.waitForFunction(() => document.querySelector('#main [data-panel="0"] .panel-plot')?.dataset.rendered === 'true'
    && document.querySelector('#explore-table tbody tr'), null, { timeout: WAIT_MS, polling: 100 });
  const [panel] = await settledPanels();
  await screenshot('04-explore');
  assert.equal(await ctx.page.inputValue('#expr'), expr);
  assert.equal(panel.state, 'ok');
  assert.equal(panel.seriesCount, 1);
  assert.ok(panel.canvas && panel.plotWidth > 100, JSON.stringify(panel));
  // Explore shows every event: the four of the range.
  assert.deepEqual(panel.markers.flatMap((m) => m.ids).sort((a, b) => a - b), [deploy, flag, incident, region].sort((a, b) => a - b));
  const table = await ctx.page.$$eval('#explore-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(table.length, 1, JSON.stringify(table));
  // Now: api 2 × 20/s + web 2 × 5/s = 50/s. The last step of the grid lies up to a step past
  // the data's end, where rate() covers less of its window (about -15 % at worst).
  const last = Number(table[0][1]);
  assert.ok(last >= 40 && last <= 55, `last value ${table[0][1]}`);

  // Running another query from the editor (Run button) updates the URL and the graph.
  const expr2 = 'sum by (service) (rate(statsd_requests_total[5m]))';
  await ctx.page.fill('#expr', expr2);
  await ctx.page.click('#main form.query-form button[type="submit"]');
  await ctx.page.waitForFunction(() => document.querySelector('#main [data-panel="0"] .panel-plot')?.dataset.seriesCount === '2'
    && document.querySelector('#main [data-panel="0"] .panel-plot')?.dataset.rendered === 'true', null, { timeout: WAIT_MS, polling: 100 });
  assert.ok(decodeURIComponent(ctx.page.url()).includes(expr2), ctx.page.url());
});

/**
 * Opens `hash` on the server at `url` and waits for `n` drawn panels. Resolves to the
 * panels as drawn, each panel's legend labels, and every query_range answer the page
 * received, by query text: {params, body}.
 */
async function renderAt(url, hash, n) {
  const answers = new Map();
  const reads = [];
  const onResponse = (res) => {
    const u = new URL(res.url());
    if (u.pathname !== '/api/v1/query_range') return;
    reads.push(res.json().then(
      (body) => answers.set(u.searchParams.get('query'), { params: Object.fromEntries(u.searchParams), body }),
      (err) => answers.set(u.searchParams.get('query'), { params: Object.fromEntries(u.searchParams), error: String(err) })));
  };
  ctx.page.on('response', onResponse);
  try {
    await ctx.page.goto('about:blank');
    await ctx.page.goto(`${url}/${hash}`, { waitUntil: 'load' });
    await waitForPanels(n);
    const panels = await settledPanels();
    await withTimeout(Promise.all(reads), WAIT_MS, 'reading the query_range answers');
    const legends = await ctx.page.evaluate(() => [...document.querySelectorAll('#main [data-panel]')]
      .map((p) => [...p.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent)));
    return { panels, legends, answers };
  } finally {
    ctx.page.off('response', onResponse);
  }
}

test('--query-backend: the service dashboard renders the same graphs from a VictoriaMetrics holding the same data', async (t) => {
  const problemsBefore = ctx.problems.length;
  const vm = await startVictoria();
  let remote = null;
  try {
    await vm.importText(serviceData(ctx.times));
    // Plumbline with an empty store of its own: every graph's data comes from VictoriaMetrics;
    // the deploy log is its own, holding the same events.
    remote = await startServer(BIN, {}, ['--query-backend', vm.url]);
    const events = serviceEvents(ctx.times);
    const timeByRemoteId = {};
    for (const event of Object.values(events)) {
      const res = await remote.post('/api/v1/events', event);
      assert.equal(res.status, 201, res.text);
      timeByRemoteId[res.json.data.id] = event.time;
    }
    const timeByLocalId = Object.fromEntries(Object.entries(ctx.ids).map(([role, id]) => [id, events[role].time]));

    // A fixed range on whole hours (a multiple of every step the UI picks), inside the data,
    // ending a minute or more before now (VictoriaMetrics holds back the last 30 s) and
    // starting 9 minutes or more after the data (so every rate() window is full on both sides).
    const to = Math.floor(Math.min(ctx.times.end, Date.now() / 1000 - 60) / 3600) * 3600;
    const from = to - 6600;
    const hash = `#/d/service?from=${from}&to=${to}&var-service=.*&refresh=off`;
    const local = await renderAt(ctx.server.url, hash, 4);
    const viaBackend = await renderAt(remote.url, hash, 4);

    // The same graphs: panels, series, legends, axes and deploy markers.
    const drawn = (r, timeById) => r.panels.map((p) => ({
      title: p.title, state: p.state, seriesCount: p.seriesCount, xMin: p.xMin, xMax: p.xMax, plotWidth: p.plotWidth,
      markers: p.markers.map((m) => ({ times: m.ids.map((id) => timeById[id]), count: m.count, x: Math.round(m.x) })),
    }));
    assert.deepEqual(drawn(viaBackend, timeByRemoteId), drawn(local, timeByLocalId));
    assert.deepEqual(viaBackend.legends, local.legends);
    for (const p of local.panels) {
      assert.equal(p.state, 'ok', `panel ${p.title}`);
      assert.equal(p.seriesCount, 2, `panel ${p.title}: api and web`);
      assert.ok(p.markers.length > 0, `panel ${p.title}: deploy markers`);
    }

    // The same data under them: each panel's query asked with the same range and step, the
    // same series and timestamps, values equal. rate() may differ by up to 1/60 while the
    // request rate changes at the deploy: Prometheus extrapolates the 290 s its samples span
    // to the 300 s window, VictoriaMetrics takes the sample before the window; hence 2 %.
    assert.deepEqual([...viaBackend.answers.keys()].sort(), [...local.answers.keys()].sort());
    assert.equal(local.answers.size, 4);
    let points = 0;
    let worst = 0;
    for (const [query, mine] of local.answers) {
      const theirs = viaBackend.answers.get(query);
      assert.deepEqual(theirs.params, mine.params, query);
      assert.equal(theirs.body?.status, 'success', `${query}: ${JSON.stringify(theirs).slice(0, 300)}`);
      assert.equal(mine.body?.status, 'success', `${query}: ${JSON.stringify(mine).slice(0, 300)}`);
      const bySeries = (body) => Object.fromEntries(body.data.result.map((s) => [JSON.stringify(s.metric), s.values]));
      const a = bySeries(mine.body);
      const b = bySeries(theirs.body);
      assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), query);
      const tolerance = query.includes('rate(') ? 0.02 : 1e-12;
      for (const [series, values] of Object.entries(a)) {
        assert.deepEqual(b[series].map(([ts]) => ts), values.map(([ts]) => ts), `${query} ${series}: timestamps`);
        values.forEach(([ts, v], i) => {
          const x = Number(v);
          const y = Number(b[series][i][1]);
          const diff = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-9);
          worst = Math.max(worst, diff);
          points += 1;
          assert.ok(diff <= tolerance, `${query} ${series} at ${ts}: local ${v}, VictoriaMetrics ${b[series][i][1]}`);
        });
      }
    }
    t.diagnostic(`${points} points compared over ${local.answers.size} panels; largest relative difference ${worst.toExponential(2)}`);
    assert.deepEqual(ctx.problems.slice(problemsBefore), [], 'console/page errors with --query-backend');
  } finally {
    if (remote) await remote.stop();
    await vm.stop();
  }
});

// Chromium logs "Failed to load resource" as a console error for any fetch answered 4xx/5xx
// (e.g. the 422 of GET /api/v1/dashboards/broken), so this also fails on such requests.
test('no console errors and no page errors on any of the pages above', () => {
  assert.deepEqual(ctx.problems, [], `console/page errors:\n${ctx.problems.join('\n')}`);
});

test('benchmark (reported, not asserted): first complete render of a 12-panel dashboard over 24 h', async () => {
  // The standard data set, ending now, loaded with the CLI's import over HTTP.
  const end = Math.floor(Date.now() / 1000 / 10) * 10 - 10;
  const file = path.join(ctx.server.dir, 'standard.prom');
  const gen = spawnSync('python3', [GEN_DATASET, '--hours', '24', '--end', String(end), '--prom', file,
    '--om', '/dev/null'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(gen.status, 0, `gen_dataset.py: ${gen.stderr}`);
  const load = spawnSync(BIN, ['import', '--server', ctx.server.url, file], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(load.status, 0, `plumbline import: ${load.stdout} ${load.stderr}`);
  await rm(file, { force: true });
  const series = (await ctx.server.get(`/api/v1/series?match[]=${encodeURIComponent(BENCH_SELECTOR)}`)).json.data;
  assert.equal(series.length, BENCH_SERIES);
  for (const e of benchEvents(end)) await postEvent(e);

  const problemsBefore = ctx.problems.length;
  // Cold: a full page load straight onto the dashboard (timed from the navigation start).
  await open('#/d/bench12?from=now-24h&to=now&refresh=off');
  await ctx.page.waitForFunction(() => window.__plumbline?.renders >= 1, null, { timeout: BENCH_WAIT_MS, polling: 50 });
  const cold = await ctx.page.evaluate(() => window.__plumbline.lastRenderMs);
  await waitForPanels(12);
  const panels = await settledPanels();
  await screenshot('06-bench-dashboard');

  // Warm: an in-app navigation away and back (the modules are loaded already).
  await ctx.page.evaluate(() => { location.hash = '#/deploys'; });
  await ctx.page.waitForSelector('#deploy-log', { timeout: WAIT_MS });
  const before = await ctx.page.evaluate(() => window.__plumbline.renders);
  await ctx.page.evaluate(() => { location.hash = '#/d/bench12?from=now-24h&to=now&refresh=off'; });
  await ctx.page.waitForFunction((n) => window.__plumbline.renders > n, before, { timeout: BENCH_WAIT_MS, polling: 50 });
  const warm = await ctx.page.evaluate(() => window.__plumbline.lastRenderMs);

  const line = `first complete render of a 12-panel dashboard: ${Math.round(cold)} ms`;
  const report = [
    line,
    `in-app navigation back to it: ${Math.round(warm)} ms`,
    `(the standard data set: ${BENCH_SERIES} series over 24 h at 10 s, ${benchEvents(end).length} deploys in the range, `
      + `Chromium ${ctx.browser.version()}, viewport 1280x900, ${new Date().toISOString()})`,
  ].join('\n');
  console.log(line);
  console.log(`in-app navigation back to it: ${Math.round(warm)} ms`);
  await writeFile(path.join(ARTIFACTS, 'render_benchmark.txt'), `${report}\n`);

  // Not timing: only that the figure is there and the dashboard is whole.
  assert.ok(Number.isFinite(cold) && cold > 0, `lastRenderMs ${cold}`);
  assert.equal(panels.length, 12);
  for (const p of panels) assert.equal(p.state, 'ok', `bench panel ${p.title}`);
  const counted = panels[0].markers.reduce((n, m) => n + m.count, 0);
  assert.equal(counted, benchEvents(end).length + Object.keys(ctx.ids).length, 'every event of the range on the first graph');
  assert.deepEqual(ctx.problems.slice(problemsBefore), [], 'console/page errors on the benchmark dashboard');
});

test('explore shows a parse error at the position the server gives, and autocompletes names', async () => {
  const problemsBefore = ctx.problems.length;
  const bad = 'sum(rate(statsd_requests_total[5m])';  // unclosed left parenthesis
  await open(`#/explore?expr=${encodeURIComponent(bad)}&from=now-1h&to=now`);
  const error = await ctx.page.waitForSelector('#main .query-error', { timeout: WAIT_MS });
  const where = await error.evaluate((e) => ({ line: e.dataset.line, col: e.dataset.col, text: e.textContent }));
  await screenshot('07-explore-error');
  // Prometheus' message and position for this expression: 1:36: unclosed left parenthesis.
  assert.equal(where.line, '1', JSON.stringify(where));
  assert.equal(where.col, '36', JSON.stringify(where));
  assert.match(where.text, /unclosed left parenthesis/);
  // The one console error is the browser logging the API's 400 for the bad query.
  const logged = ctx.problems.slice(problemsBefore);
  assert.ok(logged.every((p) => p.includes('400')), logged.join('\n'));
  ctx.problems.length = problemsBefore;

  // Autocomplete: typing the start of a metric name offers the names that begin with it.
  await ctx.page.fill('#expr', '');
  await ctx.page.type('#expr', 'statsd_req');
  await ctx.page.waitForFunction(() => document.querySelector('#expr-completions')?.textContent.includes('statsd_requests_total'),
    null, { timeout: WAIT_MS, polling: 100 });
  assert.deepEqual(ctx.problems.slice(problemsBefore), []);
});
