// Drives the real hot-shots client (DogStatsD) for test_statsd.py.
//
// Reads a JSON plan on stdin:
//   {"host": "127.0.0.1", "port": 8125, "protocol": "udp" | "tcp",
//    "options": {...more hot-shots options...},
//    "align_ms": 1000,             // optional: start just after the next multiple of align_ms
//    "calls": [["increment", "name", 1, null, ["tag:v"]], ["event", "title", "text", {...}, [...]], ...]}
// Each call is client[method](...args, callback); null stands for "not given". Calls run one
// after another, each waiting for its send callback, so the server sees them in order. Exits 0
// after close(), non-zero with a message on any client error.
'use strict';

const StatsD = require('hot-shots');
const { alignToGrid, readPlan } = require('./common');

async function main() {
  const plan = await readPlan();
  const client = new StatsD({
    host: plan.host,
    port: plan.port,
    protocol: plan.protocol || 'udp',
    // Nothing from the environment: no Datadog mode, no telemetry lines, no DD_* tags.
    datadog: false,
    includeDatadogTelemetry: false,
    includeDataDogTags: false,
    errorHandler: (err) => {
      console.error('hot-shots error: ' + err.stack);
      process.exit(2);
    },
    ...(plan.options || {}),
  });
  await alignToGrid(plan.align_ms);
  for (const [method, ...rawArgs] of plan.calls) {
    const args = rawArgs.map((a) => (a === null ? undefined : a));
    await new Promise((resolve, reject) => {
      client[method](...args, (err) => (err ? reject(err) : resolve()));
    });
  }
  await new Promise((resolve, reject) => client.close((err) => (err ? reject(err) : resolve())));
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
