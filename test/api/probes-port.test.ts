/**
 * The probe port (issue 13): `/livez` and `/readyz` served by a thread of their own (api/probe-server.ts,
 * api/probe-thread.ts), with its own PostgreSQL connection and Temporal channel, so a probe never queues behind the
 * API's request handlers. Liveness still means "the API's main event loop runs" (a heartbeat in shared memory):
 * here the test process plays the API's main thread and blocks its own loop until a helper thread has seen the
 * probe thread answer 503 — no timing assertion, the block lasts exactly until the condition is seen.
 * Real PostgreSQL and the Temporal CLI dev server; the last case runs the production entry point, scripts/api.ts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProbePortInUseError,
  startConfiguredProbeServer,
  startProbeServer,
  type ProbeServer,
} from '../../api/probe-server.js';
import { freePort } from '../../worker/infra.js';
import { createTestDatabase } from '../helpers/db.js';
import { captureLogger } from '../helpers/logs.js';
import { devServerEnv, waitFor } from '../helpers/temporal.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const started: ProbeServer[] = [];

beforeAll(async () => {
  [env, database] = await Promise.all([devServerEnv(), createTestDatabase()]);
}, 180_000);
afterAll(async () => {
  await Promise.all(started.map((p) => p.close()));
  await env?.teardown();
  await database?.close();
});

async function start(
  opts: { databaseUrl?: string; livenessStallMs?: number; readinessStallMs?: number } = {},
) {
  const probes = await startProbeServer({
    port: 0,
    host: '127.0.0.1',
    databaseUrl: opts.databaseUrl ?? database.url,
    temporal: { address: env.address },
    ...(opts.livenessStallMs && { livenessStallMs: opts.livenessStallMs }),
    ...(opts.readinessStallMs && { readinessStallMs: opts.readinessStallMs }),
  });
  started.push(probes);
  return probes;
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the probe server, on a thread of its own', () => {
  it('answers /livez and /readyz 200 when the main loop runs and both dependencies answer; 404 elsewhere', async () => {
    const probes = await start();
    expect(probes.url).toBe(`http://127.0.0.1:${probes.port}`);
    const live = await get(`${probes.url}/livez`);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'ok' });
    const ready = await waitFor(
      async () => {
        const r = await get(`${probes.url}/readyz`);
        return r.status === 200 && r;
      },
      'the probe port ready',
      30_000,
    );
    expect(ready.body).toEqual({
      status: 'ok',
      postgres: { ok: true },
      temporal: { ok: true },
      mainLoop: { ok: true },
    });
    expect((await fetch(`${probes.url}/health`)).status).toBe(404);
  });

  it('/livez and /readyz turn 503 while the main event loop is blocked, and 200 again once it runs', async () => {
    const probes = await start({ livenessStallMs: 1_500, readinessStallMs: 1_000 });
    await waitFor(
      async () =>
        (await get(`${probes.url}/livez`)).status === 200 &&
        (await get(`${probes.url}/readyz`)).status === 200,
      'both probes 200 before the block',
      30_000,
    );

    // A helper thread polls the probe port while this thread's loop is blocked (Atomics.wait: nothing else runs
    // here, not even the heartbeat's timer), and wakes it once it has seen both probes answer 503.
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const helper = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const signal = new Int32Array(workerData.signal);
       const until = async (route) => {
         for (;;) {
           const res = await fetch(workerData.url + route).catch(() => undefined);
           if (res && res.status === 503) return { status: res.status, body: await res.json() };
           await new Promise((r) => setTimeout(r, 50));
         }
       };
       (async () => {
         const live = await until('/livez');
         const ready = await until('/readyz');
         parentPort.postMessage({ live, ready });
         Atomics.store(signal, 0, 1);
         Atomics.notify(signal, 0);
       })();`,
      { eval: true, workerData: { signal: signal.buffer, url: probes.url } },
    );
    const seen = once(helper, 'message');
    const woken = Atomics.wait(signal, 0, 0, 45_000); // the block: until the helper has seen both 503s
    expect(woken).toBe('ok');
    const [{ live, ready }] = (await seen) as [
      {
        live: { status: number; body: { status: string; mainLoopSilentMs: number } };
        ready: { status: number; body: Record<string, unknown> };
      },
    ];
    await helper.terminate();

    expect(live.status).toBe(503);
    expect(live.body.status).toBe('stalled');
    expect(live.body.mainLoopSilentMs).toBeGreaterThanOrEqual(1_500);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      postgres: { ok: true },
      temporal: { ok: true },
      mainLoop: { ok: false, error: expect.stringMatching(/^the main event loop has not run for \d+ ms$/) },
    });

    // The loop runs again: both recover without anything restarted.
    await waitFor(
      async () =>
        (await get(`${probes.url}/livez`)).status === 200 &&
        (await get(`${probes.url}/readyz`)).status === 200,
      'both probes 200 after the block',
      30_000,
    );
  }, 150_000);

  it('/readyz is 503 naming PostgreSQL when it is unreachable; /livez stays 200 (a database never restarts us)', async () => {
    const closedPort = await freePort(); // nothing listens there
    const probes = await start({
      databaseUrl: `postgres://crewline:crewline@127.0.0.1:${closedPort}/crewline`,
    });
    // A cold thread's first Temporal call may miss its 800 ms on a loaded machine: wait until Temporal answers,
    // then the answer must still be 503, for PostgreSQL.
    const ready = await waitFor(
      async () => {
        const r = await get(`${probes.url}/readyz`);
        return (r.body.temporal as { ok: boolean }).ok && r;
      },
      'Temporal answering the probe thread',
      30_000,
    );
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      postgres: { ok: false, error: expect.any(String) },
      temporal: { ok: true },
    });
    expect((await get(`${probes.url}/livez`)).status).toBe(200);
  });

  it('close() stops the thread: it exits by itself (code 0) and the port refuses connections', async () => {
    const probes = await start();
    await waitFor(
      async () => (await get(`${probes.url}/readyz`)).status === 200,
      'the probe port ready (its connections open)',
      30_000,
    );
    expect(await probes.close()).toBe(0);
    await expect(fetch(`${probes.url}/livez`)).rejects.toThrow();
    expect(await probes.close()).toBe(0); // idempotent
  });

  it('a port taken by another process is a ProbePortInUseError', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const { port } = squatter.address() as { port: number };
    try {
      await expect(
        startProbeServer({
          port,
          host: '127.0.0.1',
          databaseUrl: database.url,
          temporal: { address: env.address },
        }),
      ).rejects.toBeInstanceOf(ProbePortInUseError);
    } finally {
      squatter.close();
    }
  });
});

describe('startConfiguredProbeServer (PROBE_PORT as scripts/api.ts reads it)', () => {
  it('the default port taken: a warning and no probe server; the same port set explicitly: the start fails', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const { port } = squatter.address() as { port: number };
    const deps = { host: '127.0.0.1', databaseUrl: database.url, temporal: { address: env.address } };
    const { logger, lines } = captureLogger('info');
    try {
      const byDefault = { port, defaultPort: true, livenessStallMs: 10_000 };
      expect(await startConfiguredProbeServer(byDefault, deps, logger)).toBeUndefined();
      expect(lines.map((l) => JSON.parse(l) as { msg: string; port?: number })).toContainEqual(
        expect.objectContaining({ msg: 'default PROBE_PORT in use: no probe server (set PROBE_PORT)', port }),
      );
      await expect(
        startConfiguredProbeServer({ ...byDefault, defaultPort: false }, deps, logger),
      ).rejects.toBeInstanceOf(ProbePortInUseError);
      expect(
        await startConfiguredProbeServer(
          { port: undefined, defaultPort: false, livenessStallMs: 10_000 },
          deps,
          logger,
        ),
      ).toBeUndefined(); // PROBE_PORT=off
    } finally {
      squatter.close();
    }
    const free = await startConfiguredProbeServer(
      { port: 0, defaultPort: false, livenessStallMs: 10_000 },
      deps,
      logger,
    );
    started.push(free!);
    expect((await get(`${free!.url}/livez`)).status).toBe(200);
    expect(lines.map((l) => JSON.parse(l) as { msg: string; url?: string })).toContainEqual(
      expect.objectContaining({ msg: 'probes listening', url: free!.url }),
    );
  });
});

describe('scripts/api.ts (the API process)', () => {
  it('serves the probes on PROBE_PORT next to the API, and stops the probe thread on SIGTERM (exit 0)', async () => {
    const [port, probePort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/api.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        DATA_DIR: await mkdtemp(path.join(tmpdir(), 'crewline-probes-')),
        API_KEYS: 'probes-test-key-0123456789',
        DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: env.address,
        PORT: String(port),
        HOST: '127.0.0.1',
        PROBE_PORT: String(probePort),
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    try {
      const probeUrl = `http://127.0.0.1:${probePort}`;
      await waitFor(
        async () => (await fetch(`${probeUrl}/readyz`).catch(() => undefined))?.status === 200,
        'the probe port ready',
        120_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${out}`);
      });
      expect(out).toContain(`"url":"${probeUrl}"`);
      expect(out).toContain('"msg":"probes listening"');
      expect((await get(`${probeUrl}/livez`)).body).toMatchObject({ status: 'ok' });
      // The API's own probes stay where they were.
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code, out).toBe(0);
      await expect(fetch(`${probeUrl}/livez`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
