// Test data for the browser tests: Prometheus text (millisecond timestamps) for the service
// dashboard's metrics around one api deploy, the deploy-log events, the broken and the
// 12-panel dashboards, and the benchmark's 24 h data set. Everything is deterministic given
// the end time.

export const STEP_S = 10;

/** Times of the service data set, aligned to the 10 s grid: [start, end], deploy time T. */
export function serviceTimes(nowS) {
  const end = Math.floor(nowS / STEP_S) * STEP_S - STEP_S;
  return { start: end - 3 * 3600, end, deployT: end - 90 * 60 };
}

/**
 * The service data set over [start, end] every 10 s:
 *  statsd_requests_total{service="api",host=h1|h2}: counter, 10/s until T then 20/s
 *  statsd_requests_total{service="web",host=h1|h2}: counter, 5/s
 *  statsd_errors{service=api|web,host="h1"}: counter, 1/s
 *  statsd_latency_ms{service="api",host="h1"}: 100 before T, 150 from T on; web: 100
 *  statsd_queue_depth{service=api|web,host="h1"}: 5
 */
export function serviceData({ start, end, deployT }) {
  const lines = [];
  const put = (name, labels, fn) => {
    const sel = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    for (let t = start; t <= end; t += STEP_S) lines.push(`${sel} ${fn(t)} ${t * 1000}`);
  };
  const apiCounter = (t) => (t <= deployT ? 10 * (t - start) : 10 * (deployT - start) + 20 * (t - deployT));
  for (const host of ['h1', 'h2']) {
    put('statsd_requests_total', { service: 'api', host }, apiCounter);
    put('statsd_requests_total', { service: 'web', host }, (t) => 5 * (t - start));
  }
  for (const service of ['api', 'web']) {
    put('statsd_errors', { service, host: 'h1' }, (t) => t - start);
    put('statsd_latency_ms', { service, host: 'h1' }, (t) => (service === 'api' && t >= deployT ? 150 : 100));
    put('statsd_queue_depth', { service, host: 'h1' }, () => 5);
  }
  return `${lines.join('\n')}\n`;
}

/** The deploy-log events of the service data set, keyed by role. */
export function serviceEvents({ end, deployT }) {
  return {
    deploy: {
      type: 'deploy', service: 'api', who: 'alice', what: 'a1b2c3 fix login', env: 'prod',
      url: 'https://ci.example/1', time: deployT,
    },
    flag: { type: 'flag', service: 'api', who: 'bob', what: 'checkout_v2 → 10 %', env: 'prod', time: end - 60 * 60 },
    incident: { type: 'incident', service: 'web', who: 'carol', what: 'web 502s', env: 'prod', time: end - 30 * 60 },
    region: {
      type: 'config', service: 'web', who: 'dave', what: 'cdn config push', env: 'prod',
      time: end - 150 * 60, end: end - 140 * 60,
    },
  };
}

export const BROKEN_DASHBOARD = 'panels:\n  - type: pie\n';

// The benchmark: 50 series (5 services × 4 hosts of a counter, 5 × 3 of two gauges) over
// 24 h every 10 s, and a dashboard of 12 panels over them.
const BENCH_SERVICES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

/** 24 h of the benchmark's 50 series ending at `end`, as Prometheus text in chunks of series. */
export function* benchData(end, hours = 24) {
  const start = end - hours * 3600;
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const series = [];
  BENCH_SERVICES.forEach((service, si) => {
    for (let h = 1; h <= 4; h++) series.push({ name: 'bench_requests_total', service, host: `h${h}`, kind: 'counter', base: 5 + 10 * si + h });
    for (let h = 1; h <= 3; h++) series.push({ name: 'bench_latency_ms', service, host: `h${h}`, kind: 'gauge', base: 50 + 20 * si + h });
    for (let h = 1; h <= 3; h++) series.push({ name: 'bench_queue_depth', service, host: `h${h}`, kind: 'walk', base: 10 + si });
  });
  for (const s of series) {
    const lines = [];
    let v = s.kind === 'walk' ? s.base : 0;
    for (let t = start; t <= end; t += STEP_S) {
      const diurnal = 1 + 0.5 * Math.sin((2 * Math.PI * (t - start)) / 86400);
      if (s.kind === 'counter') v += Math.round(s.base * STEP_S * diurnal * (0.8 + 0.4 * rand()));
      else if (s.kind === 'gauge') v = Math.round(s.base * diurnal * (0.7 + 0.6 * rand()));
      else v = Math.max(0, v + Math.round((rand() - 0.5) * 4));
      lines.push(`${s.name}{service="${s.service}",host="${s.host}"} ${v} ${t * 1000}`);
    }
    yield `${lines.join('\n')}\n`;
  }
}

export const BENCH_SERIES = 50;

/** 50 deploys of the benchmark's services spread over the 24 h before `end`. */
export function benchEvents(end, count = 50, hours = 24) {
  const span = hours * 3600 - 1200;
  return Array.from({ length: count }, (_, i) => ({
    type: 'deploy',
    service: BENCH_SERVICES[i % BENCH_SERVICES.length],
    who: `bench-${i % 7}`,
    what: `bench deploy ${i}`,
    env: 'prod',
    time: end - hours * 3600 + 600 + Math.round((span * i) / (count - 1)),
  }));
}

/** The 12-panel benchmark dashboard (no "service" variable, so deploy pages ignore it). */
export const BENCH_DASHBOARD = `title: Benchmark (12 panels)
description: The browser tests' render benchmark.
time: 24h
panels:
  - title: Requests by service
    type: lines
    unit: ops/s
    expr: sum by (service) (rate(bench_requests_total[5m]))
    legend: "{{service}}"
  - title: Requests, total
    type: lines
    unit: ops/s
    expr: sum(rate(bench_requests_total[5m]))
    legend: total
  - title: Requests by series
    type: lines
    unit: ops/s
    expr: rate(bench_requests_total[5m])
    legend: "{{service}} {{host}}"
  - title: Requests by host
    type: stacked
    unit: ops/s
    expr: sum by (host) (rate(bench_requests_total[5m]))
    legend: "{{host}}"
  - title: Top 3 series
    type: lines
    unit: ops/s
    expr: topk(3, rate(bench_requests_total[5m]))
    legend: "{{service}} {{host}}"
  - title: Latency by service (avg)
    type: lines
    unit: seconds
    expr: avg by (service) (bench_latency_ms) / 1000
    legend: "{{service}}"
  - title: Latency by service (max)
    type: lines
    unit: seconds
    expr: max by (service) (bench_latency_ms) / 1000
    legend: "{{service}}"
  - title: Latency by series
    type: lines
    unit: seconds
    expr: bench_latency_ms / 1000
    legend: "{{service}} {{host}}"
  - title: Latency p90 across series
    type: lines
    unit: seconds
    expr: quantile(0.9, bench_latency_ms) / 1000
    legend: p90
  - title: Queue depth by service
    type: stacked
    unit: none
    expr: sum by (service) (bench_queue_depth)
    legend: "{{service}}"
  - title: Queue depth by series
    type: lines
    unit: none
    expr: bench_queue_depth
    legend: "{{service}} {{host}}"
  - title: Requests now
    type: single
    unit: ops/s
    expr: sum(rate(bench_requests_total[5m]))
    legend: now
`;
