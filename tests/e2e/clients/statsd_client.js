// Drives the real statsd-client package (UDP or TCP) for test_statsd.py.
//
// Reads a JSON plan on stdin:
//   {"host": "127.0.0.1", "port": 8125, "tcp": false, "options": {...more statsd-client options...},
//    "align_ms": 1000,   // optional: start just after the next multiple of align_ms
//    "calls": [["increment", "name", 1, {"tag": "v"}], ["sleep", 100], ...]}
// Each call is client[method](...args) ("sleep" waits). statsd-client buffers lines (up to
// maxBufferSize bytes, '\n'-joined) and sends them every socketTimeout ms and on close; it has no
// send callbacks, so this waits for the socket timer before closing.
//
// Its TCP socket connects on the first flush and, until connected, re-sends the same buffer on
// every flush that overflows it (duplicating lines): a plan for TCP should send one line and
// sleep before the rest.
'use strict';

const SDC = require('statsd-client');
const { alignToGrid, readPlan, sleep } = require('./common');

async function main() {
  const plan = await readPlan();
  const socketTimeout = 50;
  const client = new SDC({
    host: plan.host,
    port: plan.port,
    tcp: !!plan.tcp,
    socketTimeout,
    ...(plan.options || {}),
  });
  await alignToGrid(plan.align_ms);
  for (const [method, ...args] of plan.calls) {
    if (method === 'sleep') {
      await sleep(args[0]);
    } else {
      client[method](...args.map((a) => (a === null ? undefined : a)));
    }
  }
  await sleep(4 * socketTimeout);  // the socket timer flushes the last buffer
  client.close();
  await sleep(100);                // close() ends the socket 10 ms later
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
