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

/** Serves `GET /metrics` (Prometheus text) at `address` (`host:port`; port 0 picks a free one). */
export async function serveMetrics(registry: Registry, address: string): Promise<MetricsServer> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
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
