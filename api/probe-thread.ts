/**
 * The probe server's thread (started by api/probe-server.ts in the API process): `GET /livez` and `GET /readyz`
 * on PROBE_PORT, answered on this thread's own event loop, so they never queue behind the API's request handlers.
 *
 * - Liveness means "the API's main event loop runs": the main thread adds 1 to a shared counter every 250 ms
 *   (`heartbeat`); this thread notes, on its own monotonic clock, when it last saw the counter change. `/livez`
 *   is 503 once that is `livenessStallMs` ago (the loop is stuck: restart the process). Only the counter crosses
 *   threads, never a time, so no clock step can fake a stall.
 * - Readiness is the same dependency check as the API's (`dependencyCheck`: PostgreSQL `select 1`, Temporal
 *   `GetSystemInfo`, at most one in flight, at most one a second), run from here over connections of its own (one
 *   PostgreSQL connection, one gRPC channel), AND the main loop silent for less than `readinessStallMs`.
 *
 * Messages: the thread posts `{ type: 'listening', port }` or `{ type: 'failed', code }` once; the main thread
 * posts `{ type: 'close' }` to stop it (server closed, connections ended, thread exits with 0).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { dependencyCheck, READY_TIMEOUT_MS, type ProbeResult } from './dependency-check.js';
import type { ProbeThreadData } from './probe-server.js';

const data = workerData as ProbeThreadData;
const parent = parentPort!;

// ---- the main loop's heartbeat, seen from here
const beat = new Int32Array(data.heartbeat);
let seen = Atomics.load(beat, 0);
let seenAt = performance.now();
/** How long the main loop has not stamped (as seen by this thread: at most SAMPLE_MS less than the truth). */
const mainLoopSilentMs = (): number => {
  const value = Atomics.load(beat, 0);
  const now = performance.now();
  if (value !== seen) {
    seen = value;
    seenAt = now;
  }
  return Math.round(now - seenAt);
};
const SAMPLE_MS = 100;
const sampler = setInterval(mainLoopSilentMs, SAMPLE_MS);

// ---- the dependencies, over connections of this thread's own
const bytes = (b: Uint8Array | undefined) => (b ? Buffer.from(b) : undefined); // structured clone drops Buffer
const tls = data.temporal.tls && {
  ...(data.temporal.tls.serverNameOverride && { serverNameOverride: data.temporal.tls.serverNameOverride }),
  ...(data.temporal.tls.serverRootCACertificate && {
    serverRootCACertificate: bytes(data.temporal.tls.serverRootCACertificate),
  }),
  ...(data.temporal.tls.clientCertPair && {
    clientCertPair: {
      crt: bytes(data.temporal.tls.clientCertPair.crt)!,
      key: bytes(data.temporal.tls.clientCertPair.key)!,
    },
  }),
};
const connection = Connection.lazy({
  address: data.temporal.address,
  ...(tls && { tls }),
  ...(data.temporal.apiKey && { apiKey: data.temporal.apiKey }),
  ...(data.temporal.metadata && { metadata: data.temporal.metadata }),
});
const sql = postgres(data.databaseUrl, {
  max: 1,
  connect_timeout: 2,
  idle_timeout: 60,
  onnotice: () => {},
});
const check = dependencyCheck(
  {
    db: { execute: () => sql`select 1` },
    temporal: {
      workflowService: {
        // A deadline of the call's own: a Temporal that does not answer leaves no call pending behind the check.
        getSystemInfo: () =>
          connection.withDeadline(Date.now() + READY_TIMEOUT_MS, () =>
            connection.workflowService.getSystemInfo({}),
          ),
      },
    },
  },
  READY_TIMEOUT_MS,
);

// ---- the server
const send = (res: ServerResponse, status: number, body: unknown) =>
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET only' });
  if (path === '/livez') {
    const silent = mainLoopSilentMs();
    return silent < data.livenessStallMs
      ? send(res, 200, { status: 'ok', mainLoopSilentMs: silent })
      : send(res, 503, { status: 'stalled', mainLoopSilentMs: silent });
  }
  if (path === '/readyz') {
    Promise.resolve(check()).then(
      (deps) => {
        const silent = mainLoopSilentMs();
        const mainLoop: ProbeResult =
          silent < data.readinessStallMs
            ? { ok: true }
            : { ok: false, error: `the main event loop has not run for ${silent} ms` };
        const ok = deps.status === 'ok' && mainLoop.ok;
        send(res, ok ? 200 : 503, { ...deps, status: ok ? 'ok' : 'degraded', mainLoop });
      },
      () => send(res, 500, { error: 'check failed' }),
    );
    return;
  }
  send(res, 404, { error: 'not found: GET /livez or GET /readyz' });
});
server.once('error', (err: NodeJS.ErrnoException) => {
  // The main thread ends this thread when it reads this.
  parent.postMessage({ type: 'failed', code: err.code ?? 'ERROR' });
});
server.listen(data.port, data.host, () =>
  parent.postMessage({ type: 'listening', port: (server.address() as AddressInfo).port }),
);

parent.on('message', (message: { type: string }) => {
  if (message.type !== 'close') return;
  clearInterval(sampler);
  server.close();
  server.closeAllConnections();
  void Promise.allSettled([sql.end({ timeout: 1 }), connection.close()]).then(() => process.exit(0));
});
