/**
 * The worker's own Prometheus endpoint (WORKER_APP_METRICS_ADDRESS): the domain metrics the activities record
 * (activities/metrics.ts: SMS sent/failed/deferred/dropped, pacing lag, AI calls/tokens/cost) and the worker's
 * Node process metrics (`crewline_worker_…`). The Temporal SDK's metrics are served by its native runtime on a
 * port of their own (WORKER_METRICS_ADDRESS, worker/runtime.ts): the SDK's exporter cannot take extra series.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createWorkerMetrics, type WorkerMetrics } from '../activities/metrics.js';

export function createWorkerRegistry(opts: { processMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'crewline_worker_' });
  return createWorkerMetrics(registry);
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The worker's state as its probes read it: the Temporal SDK's `Worker.getState()`, or `undefined` while the
 * worker is still being created (bundle loaded, connection made).
 */
export type WorkerStateSource = () => string | undefined;

/**
 * One state for a process that runs several Temporal workers (the main and the SMS task queue): FAILED if any
 * failed; RUNNING or STOPPED only if all are; otherwise the transition one of them is in (starting or draining).
 * A worker that has drained while the other still drains a send is DRAINING for the process, not STOPPED; one
 * stopped while the other runs (outside a shutdown, which stops both at once) is STOPPED: restart it.
 */
export function combinedWorkerState(states: readonly string[]): string {
  if (states.includes('FAILED')) return 'FAILED';
  if (states.every((st) => st === 'RUNNING')) return 'RUNNING';
  if (states.every((st) => st === 'STOPPED')) return 'STOPPED';
  return states.find((st) => st !== 'RUNNING' && st !== 'STOPPED') ?? 'STOPPED';
}

/**
 * Liveness and readiness of a worker process, for an orchestrator (the worker has no HTTP API of its own).
 * - Live unless the worker has failed (its run loop ended with an error; the process is about to exit) or has
 *   stopped. While it is created, running or draining on SIGTERM it is live: restarting it then would only cut
 *   the drain short. A worker whose event loop is stuck does not answer at all, which the probe counts as a
 *   failure.
 * - Ready only while running (polling its task queues); not while starting or draining.
 */
export function workerProbe(state: string | undefined): { live: boolean; ready: boolean; state: string } {
  const s = state ?? 'STARTING';
  return { live: s !== 'FAILED' && s !== 'STOPPED', ready: s === 'RUNNING', state: s };
}

/**
 * Serves `GET /metrics` (Prometheus text) at `address` (`host:port`; port 0 picks a free one), and with `state`
 * also `GET /livez` and `GET /readyz` (200 or 503, `{"status": …, "worker": <state>}`; see `workerProbe`).
 */
export async function serveMetrics(
  registry: Registry,
  address: string,
  state?: WorkerStateSource,
): Promise<MetricsServer> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && state && (path === '/livez' || path === '/readyz')) {
      const probe = workerProbe(state());
      const ok = path === '/livez' ? probe.live : probe.ready;
      const status = ok ? 'ok' : path === '/livez' ? 'failed' : 'not ready';
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ status, worker: probe.state }));
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
