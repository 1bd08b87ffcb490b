// Shared by the Node senders of test_statsd.py.
'use strict';

// The JSON plan the test writes on stdin.
function readPlan() {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { text += chunk; });
    process.stdin.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(err);
      }
    });
    process.stdin.on('error', reject);
  });
}

// Waits until 30 ms after the next multiple of `alignMs` on the wall clock (the server's flush
// grid), so that everything sent right after lands in one flush window. No-op without it.
function alignToGrid(alignMs) {
  if (!alignMs) return Promise.resolve();
  const now = Date.now();
  const start = (Math.floor(now / alignMs) + 1) * alignMs + 30;
  return new Promise((resolve) => setTimeout(resolve, start - now));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { alignToGrid, readPlan, sleep };
