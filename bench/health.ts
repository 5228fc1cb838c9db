/**
 * Health and readiness under load: 16 concurrent keep-alive connections calling `GET /livez`, `GET /readyz` and
 * `GET /health` (one endpoint at a time, `--seconds` each, in one-second slices taken in turn) on one API process
 * of the real stack (embedded PostgreSQL, Temporal CLI dev server, one worker). Target: p99 < 50 ms, no timeout and no 503 while healthy.
 *
 *   npm run bench -- health [--seconds 20] [--connections 16] [--interval-ms 0] [--background 0] [--probe-port]
 *
 * `--interval-ms 0` is a closed loop (each connection sends its next request as soon as the answer is in: the
 * latency then includes queueing behind the other 15); `--interval-ms 100` paces each connection at 10/s, as
 * probes and a load balancer's health checks do. `--background 8` keeps 8 `POST /members` in flight against the
 * same API process for the whole measurement (onboarding traffic: each request writes a row and starts a member
 * workflow, whose welcome the worker sends), so the probes share the process, PostgreSQL and Temporal with real work.
 *
 * `/health` and `/readyz` answer from the last dependency check (at most one check in flight, re-checked at most
 * once a second: api/routes/health.ts), so their latency is the process's, not the dependencies'.
 *
 * `--probe-port` also measures `/livez` and `/readyz` on the API's probe port (PROBE_PORT: a thread of their own
 * with its own event loop and connections, api/probe-server.ts), after the three on the API's port; without it
 * the API runs with PROBE_PORT=off, as the figures before the probe port were measured.
 */
import { parseArgs } from 'node:util';
import { freePort } from '../worker/infra.js';
import { createMember, load, log, machine, percentile, startStack } from './_stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    connections: { type: 'string', default: '16' },
    'interval-ms': { type: 'string', default: '0' },
    background: { type: 'string', default: '0' },
    'probe-port': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const INTERVAL_MS = Number(values['interval-ms']);
const BACKGROUND = Number(values.background);
const PROBE_PORT = values['probe-port'];
const TIMEOUT_MS = 5_000;

const loadBefore = load();
const stack = await startStack({ workers: 1, apis: 0 });
const probePort = PROBE_PORT ? await freePort() : undefined;
const api = (await stack.startApi({ PROBE_PORT: probePort === undefined ? 'off' : String(probePort) })).url;
const targets = [
  ...['/livez', '/readyz', '/health'].map((route) => ({ label: `\`GET ${route}\``, url: `${api}${route}` })),
  ...(probePort === undefined
    ? []
    : ['/livez', '/readyz'].map((route) => ({
        label: `\`GET ${route}\` (probe port)`,
        url: `http://127.0.0.1:${probePort}${route}`,
      }))),
];
const rows: string[] = [];
let backgroundDone = 0;
let backgroundFailed = 0;
let stopBackground = false;
let nextMember = 0; // each loop takes its own member number (one phone each), so no two loops create the same one
const background = Promise.all(
  Array.from({ length: BACKGROUND }, async () => {
    while (!stopBackground) {
      const i = nextMember++;
      try {
        await createMember(api, i);
        backgroundDone++;
      } catch {
        backgroundFailed++;
      }
    }
  }),
);
try {
  // One-second slices, the routes in turn, SECONDS rounds: a change of load during the run (other processes on the
  // machine) then touches every row alike, and rows can be compared.
  const results = targets.map(() => ({ latencies: [] as number[], statuses: new Map<string, number>() }));
  for (let round = 0; round < SECONDS; round++) {
    for (const [i, { url }] of targets.entries()) {
      const { latencies, statuses } = results[i]!;
      // Not counted: after the other routes' slices, `/readyz` and `/health` would first wait for a fresh
      // dependency check (a quiet spell of more than 2 s, api/dependency-check.ts); measured as while probed on.
      await (
        await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => undefined)
      )?.arrayBuffer();
      const end = Date.now() + 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (Date.now() < end) {
            const t0 = performance.now();
            let status: string;
            try {
              const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
              await res.arrayBuffer();
              status = String(res.status);
            } catch {
              status = 'timeout/error';
            }
            const took = performance.now() - t0;
            latencies.push(took);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (INTERVAL_MS > took) await new Promise((r) => setTimeout(r, INTERVAL_MS - took));
          }
        }),
      );
    }
  }
  for (const [i, { label }] of targets.entries()) {
    const { latencies, statuses } = results[i]!;
    latencies.sort((a, b) => a - b);
    const ms = (p: number) => percentile(latencies, p).toFixed(1);
    const row = `| ${label} | ${latencies.length} | ${(latencies.length / SECONDS).toFixed(0)} | ${ms(0.5)} | ${ms(0.99)} | ${latencies.at(-1)!.toFixed(1)} | ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')} |`;
    log(row);
    rows.push(row);
  }
} finally {
  stopBackground = true;
  await background;
  await stack.stop();
}
console.log(
  [
    '',
    `Command: \`npm run bench -- health --seconds ${SECONDS} --connections ${CONNECTIONS} --interval-ms ${INTERVAL_MS} --background ${BACKGROUND}${PROBE_PORT ? ' --probe-port' : ''}\``,
    ...(BACKGROUND > 0
      ? [
          `Background: ${backgroundDone} members created through POST /members meanwhile (${BACKGROUND} in flight, ${(backgroundDone / (targets.length * SECONDS)).toFixed(1)}/s), ${backgroundFailed} failed`,
        ]
      : []),
    `Machine: ${machine()}; date ${new Date().toISOString()}; load average before ${loadBefore}, after ${load()}`,
    '',
    `| route | requests | per second | p50 ms | p99 ms | max ms | statuses |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);
process.exit(0);
