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

// The benchmark: the standard data set (bench/gen_dataset.py: 1,000 series of 4 StatsD-like
// families, 50 hosts x 5 services, every 10 s) over 24 h, and a dashboard of 12 panels over it:
// the six standard queries (../shared/bench) and six more of the same families.
const BENCH_SERVICES = ['api', 'web', 'worker', 'db', 'cache'];
export const BENCH_SERIES = 1000;
// The standard set's series (hosts h001..h050), not the service tests' (hosts h1, h2).
export const BENCH_SELECTOR = '{__name__=~"statsd_.*",host=~"h[0-9]{3}"}';

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
export const BENCH_DASHBOARD = `title: Benchmark (12 panels, the standard data set)
description: The browser tests' render benchmark.
time: 24h
panels:
  - title: Requests by service (Q2)
    unit: ops/s
    expr: sum by (service) (rate(statsd_requests_total{host=~"h[0-9]{3}"}[5m]))
    legend: "{{service}}"
  - title: Requests, total
    unit: ops/s
    expr: sum(rate(statsd_requests_total{host=~"h[0-9]{3}"}[5m]))
    legend: total
  - title: Requests of h000-h029 (Q3)
    unit: ops/s
    expr: sum(rate(statsd_requests_total{host=~"h0[0-2].*"}[5m]))
    legend: h00-h02
  - title: Queue depth by service, 10 m average (Q4)
    type: stacked
    expr: sum by (service) (avg_over_time(statsd_queue_depth{host=~"h[0-9]{3}"}[10m]))
    legend: "{{service}}"
  - title: Worst latency by host (Q5)
    unit: seconds
    expr: max by (host) (statsd_latency_ms{host=~"h[0-9]{3}"}) / 1000
    legend: "{{host}}"
  - title: One series (Q6)
    expr: statsd_requests_total{host="h007",service="api"}
    legend: h007 api
  - title: Errors by service
    type: stacked
    expr: sum by (service) (statsd_errors{host=~"h[0-9]{3}"})
    legend: "{{service}}"
  - title: Latency by service (average)
    unit: seconds
    expr: avg by (service) (statsd_latency_ms{host=~"h[0-9]{3}"}) / 1000
    legend: "{{service}}"
  - title: Top 5 request rates
    unit: ops/s
    expr: topk(5, rate(statsd_requests_total{host=~"h[0-9]{3}"}[5m]))
    legend: "{{service}} {{host}}"
  - title: Latency p90 across series
    unit: seconds
    expr: quantile(0.9, statsd_latency_ms{host=~"h[0-9]{3}"}) / 1000
    legend: p90
  - title: Queue depth by service
    expr: sum by (service) (statsd_queue_depth{host=~"h[0-9]{3}"})
    legend: "{{service}}"
  - title: Requests now
    type: single
    unit: ops/s
    expr: sum(rate(statsd_requests_total{host=~"h[0-9]{3}"}[5m]))
    legend: now
`;
