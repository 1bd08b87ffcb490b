// The real plumbline binary for browser tests: started on a free loopback port with its own
// temporary data and dashboards directories, waited for (/-/ready, bounded), and stopped by
// its PID (SIGTERM, then SIGKILL after a bound). Every wait here is bounded.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 120_000;

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `bin serve` with `dashboards` ({"<file name>": "<text>"}) in its dashboards
 * directory and `extraArgs` after the others (e.g. ['--query-backend', url]). Resolves to
 * {url, port, pid, dir, dashboardsDir, log(), post(), get(), stop()}.
 * On a failed start everything it made is removed again before it throws.
 */
export async function startServer(bin, dashboards = {}, extraArgs = []) {
  const dir = await mkdtemp(path.join(tmpdir(), 'plumbline-ui-'));
  const dataDir = path.join(dir, 'data');
  const dashboardsDir = path.join(dir, 'dashboards');
  await mkdir(dashboardsDir);
  for (const [name, text] of Object.entries(dashboards)) await writeFile(path.join(dashboardsDir, name), text);

  let child = null;
  let exited = null;
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };

  const stop = async () => {
    if (child && exited === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exitedPromise.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!done && exited === null) {
        child.kill('SIGKILL');
        await Promise.race([exitedPromise, sleep(KILL_TIMEOUT_MS)]);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  let exitedPromise = Promise.resolve();
  let lastError = null;
  // A port picked by freePort can be taken by someone else before the server binds it:
  // a few attempts, each with a new port.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    exited = null;
    output = '';
    child = spawn(bin, [
      'serve', '--data-dir', dataDir, '--http-listen', `127.0.0.1:${port}`,
      '--statsd-listen', 'off', '--graphite-listen', 'off', '--self-scrape-interval', 'off',
      '--dashboards-dir', dashboardsDir, ...extraArgs,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    exitedPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }));
    child.once('error', (err) => { exited = { error: err }; });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    while (Date.now() < deadline && exited === null) {
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (ready) {
      const server = {
        url,
        port,
        pid: child.pid,
        dir,
        dashboardsDir,
        log: () => output,
        stop,
        /** POST `body` (string, or an object sent as JSON); resolves to {status, json, text}. */
        async post(p, body, contentType) {
          const json = typeof body !== 'string';
          const res = await fetch(url + p, {
            method: 'POST',
            headers: { 'Content-Type': contentType ?? (json ? 'application/json' : 'text/plain') },
            body: json ? JSON.stringify(body) : body,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const text = await res.text();
          let parsed = null;
          try { parsed = JSON.parse(text); } catch { /* not JSON (e.g. a 204) */ }
          return { status: res.status, json: parsed, text };
        },
        /** GET a JSON API path; resolves to its parsed body. */
        async get(p) {
          const res = await fetch(url + p, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
          return { status: res.status, json: await res.json() };
        },
      };
      return server;
    }
    lastError = exited ? `exited early (${JSON.stringify(exited)})` : `not ready within ${READY_TIMEOUT_MS} ms`;
    if (exited === null) {
      child.kill('SIGKILL');
      await Promise.race([exitedPromise, sleep(KILL_TIMEOUT_MS)]);
    }
    if (!/address already in use|bind/i.test(output)) break;
  }
  const log = output;
  await stop();
  throw new Error(`plumbline ${lastError}; its output:\n${log}`);
}
