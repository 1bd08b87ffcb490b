// A real VictoriaMetrics (Debian's victoria-metrics) for the browser tests of
// `--query-backend`: started on a free loopback port with a temporary storage directory,
// loaded through its /api/v1/import/prometheus, stopped by its PID (SIGTERM, then SIGKILL
// after a bound). Every wait here is bounded.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './server.mjs';

const BIN = '/usr/bin/victoria-metrics';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;

/** Resolves to {url, pid, importText(text), stop()}. */
export async function startVictoria() {
  const dir = await mkdtemp(path.join(tmpdir(), 'plumbline-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let exited = null;
  // -search.disableCache: answers straight from the data just imported.
  const child = spawn(BIN, ['-httpListenAddr', `127.0.0.1:${port}`, '-storageDataPath', path.join(dir, 'data'),
    '-search.disableCache', '-loggerLevel', 'WARN'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exitedPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  child.once('error', (err) => { exited = { error: err }; });
  const keep = (chunk) => { output = (output + chunk.toString()).slice(-100_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exitedPromise.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!done && exited === null) {
        child.kill('SIGKILL');
        await Promise.race([exitedPromise, sleep(STOP_TIMEOUT_MS)]);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && exited === null) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        return {
          url,
          pid: child.pid,
          stop,
          /** Prometheus text with millisecond timestamps, searchable once this resolves. */
          async importText(text) {
            const res = await fetch(`${url}/api/v1/import/prometheus`, {
              method: 'POST', body: text, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            if (res.status !== 204) throw new Error(`VictoriaMetrics import: HTTP ${res.status} ${await res.text()}`);
            const flush = await fetch(`${url}/internal/force_flush`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
            await flush.arrayBuffer();
            if (flush.status !== 200) throw new Error(`VictoriaMetrics force_flush: HTTP ${flush.status}`);
          },
        };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const log = output;
  await stop();
  throw new Error(`victoria-metrics ${exited ? `exited (${JSON.stringify(exited)})` : 'not ready'}; its output:\n${log}`);
}
