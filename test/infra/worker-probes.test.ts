/**
 * The worker's probe rule (worker/metrics.ts `workerProbe`) and its HTTP answers on the metrics port, for every
 * state the Temporal SDK's worker reports (and before the worker exists).
 */
import { Registry } from 'prom-client';
import { afterEach, expect, it } from 'vitest';
import { combinedWorkerState, serveMetrics, workerProbe, type MetricsServer } from '../../worker/metrics.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it.each([
  [undefined, { live: true, ready: false, state: 'STARTING' }],
  ['INITIALIZED', { live: true, ready: false, state: 'INITIALIZED' }],
  ['RUNNING', { live: true, ready: true, state: 'RUNNING' }],
  ['STOPPING', { live: true, ready: false, state: 'STOPPING' }],
  ['DRAINING', { live: true, ready: false, state: 'DRAINING' }],
  ['DRAINED', { live: true, ready: false, state: 'DRAINED' }],
  ['STOPPED', { live: false, ready: false, state: 'STOPPED' }],
  ['FAILED', { live: false, ready: false, state: 'FAILED' }],
])('state %s → %o', (state, expected) => {
  expect(workerProbe(state)).toEqual(expected);
});

it.each([
  [['RUNNING', 'RUNNING'], 'RUNNING'],
  [['INITIALIZED', 'INITIALIZED'], 'INITIALIZED'],
  [['RUNNING', 'INITIALIZED'], 'INITIALIZED'],
  // The main worker has drained; the SMS worker still waits for a send at Twilio: the process is draining.
  [['STOPPED', 'DRAINING'], 'DRAINING'],
  [['DRAINED', 'STOPPED'], 'DRAINED'],
  [['STOPPING', 'STOPPING'], 'STOPPING'],
  [['STOPPED', 'STOPPED'], 'STOPPED'],
  // One worker stopped while the other runs: not a shutdown, the process is broken.
  [['RUNNING', 'STOPPED'], 'STOPPED'],
  [['DRAINING', 'FAILED'], 'FAILED'],
  [['FAILED', 'RUNNING'], 'FAILED'],
])('the process of workers in %o is %s', (states, expected) => {
  expect(combinedWorkerState(states)).toBe(expected);
});

it('the metrics port answers /livez and /readyz from the state it reads at each request', async () => {
  let state: string | undefined;
  server = await serveMetrics(new Registry(), '127.0.0.1:0', () => state);
  const base = server.url.replace(/\/metrics$/, '');
  const get = async (route: string) => {
    const res = await fetch(`${base}${route}`);
    return {
      status: res.status,
      body: await res.json(),
      cache: res.headers.get('cache-control'),
    };
  };
  expect(await get('/readyz')).toEqual({
    status: 503,
    body: { status: 'not ready', worker: 'STARTING' },
    cache: 'no-store',
  });
  expect((await get('/livez')).status).toBe(200);
  state = 'RUNNING';
  expect(await get('/readyz')).toEqual({
    status: 200,
    body: { status: 'ok', worker: 'RUNNING' },
    cache: 'no-store',
  });
  state = 'FAILED';
  expect(await get('/livez')).toEqual({
    status: 503,
    body: { status: 'failed', worker: 'FAILED' },
    cache: 'no-store',
  });
  expect((await fetch(`${base}/metrics`)).status).toBe(200);
});

it('without a state source the port serves /metrics only (404 for the probes)', async () => {
  server = await serveMetrics(new Registry(), '127.0.0.1:0');
  const base = server.url.replace(/\/metrics$/, '');
  expect((await fetch(`${base}/livez`)).status).toBe(404);
  expect((await fetch(`${base}/readyz`)).status).toBe(404);
  expect((await fetch(`${base}/metrics`)).status).toBe(200);
});
