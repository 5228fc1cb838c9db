/**
 * The floor under the inbound target: how many texts a second this machine's Temporal dev server and one worker
 * can hand to member workflows when everything Crewline does around a text is taken away.
 *
 *   npm run bench -- signal-floor [--rate 225] [--seconds 10] [--members 2250] [--concurrency 0]
 *
 * The dev server is started as the other benchmarks start it (SQLite in a file, WAL, `synchronous=NORMAL`). One
 * worker process (`bench/_floor-worker.ts`) runs `--members` workflows that only wait; each text is one signal
 * whose handler does nothing (`bench/_floor-workflows.ts`) — one signal and one workflow task, 4 history events,
 * the same Temporal work a text costs in Crewline (BENCHMARKS.md: 4.00 events per text) and no HTTP, no
 * signature check, no PostgreSQL, no activity. Signals go to the members in turn (one text per member per
 * round), open loop at `--rate` for `--seconds`, or, with `--concurrency N`, closed loop from N callers.
 *
 * Reports the signals accepted per second, signal → handled latency (sent → the workflow task that ran the
 * handler completed, measured on the worker through a sink), the time until all were handled, and the CPU per
 * signal of the dev server, the worker and the load generator, with the ceiling that CPU implies on this machine.
 */
import { fork } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalCliExecutable } from '../scripts/tools.js';
import { DEV_SERVER_SQLITE_PRAGMAS } from '../worker/infra.js';
import { installRuntime } from '../worker/worker.js';
import { cpuByRole, load, log, machine, percentile, pool } from './_stack.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '225' },
    seconds: { type: 'string', default: '10' },
    members: { type: 'string', default: '2250' },
    concurrency: { type: 'string', default: '0' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const MEMBERS = Number(values.members);
const CONCURRENCY = Number(values.concurrency);
const TASK_QUEUE = 'signal-floor';

installRuntime('warn');
const loadBefore = load();
const dir = await mkdtemp(path.join(tmpdir(), 'crewline-floor-'));
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: await temporalCliExecutable(),
    ip: '127.0.0.1',
    dbFilename: path.join(dir, 'temporal.db'),
    extraArgs: ['--log-level', 'error', ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p])],
  },
});
const worker = fork(path.join(import.meta.dirname, '_floor-worker.ts'), [], {
  execArgv: ['--import', 'tsx'],
  env: { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: env.address },
});
const ask = <T>(msg: string) =>
  new Promise<T>((resolve) => {
    worker.once('message', (m) => resolve(m as T));
    worker.send(msg);
  });
await new Promise<void>((resolve, reject) => {
  worker.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(JSON.stringify(m)))));
  worker.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
});

const client = env.client;
const id = (i: number) => `floor-${i}`;
const t0 = Date.now();
await pool(MEMBERS, 32, async (i) => {
  await client.workflow.start('floorMember', { workflowId: id(i), taskQueue: TASK_QUEUE });
});
log(
  `${MEMBERS} waiting workflows started in ${((Date.now() - t0) / 1000).toFixed(1)} s; load average ${load()}`,
);
await new Promise((r) => setTimeout(r, 5000)); // their first workflow tasks done

const cpuBefore = await cpuByRole();
const callMs: number[] = [];
let sent = 0;
let failed = 0;
const signal = async () => {
  const i = sent++;
  const at = Date.now();
  try {
    await client.workflow.getHandle(id(i % MEMBERS)).signal('text', at);
    callMs.push(Date.now() - at);
  } catch {
    failed += 1;
  }
};
const start = Date.now();
const until = start + SECONDS * 1000;
const inFlight = new Set<Promise<void>>();
if (CONCURRENCY > 0) {
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) await signal();
    }),
  );
} else {
  // Open loop: each 10 ms tick sends what is due, whether or not earlier calls have been answered.
  while (Date.now() < until) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE);
    while (sent < due) {
      const p = signal().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inFlight);
}
const postedAfter = (Date.now() - start) / 1000;
const accepted = sent - failed;
let handled = 0;
for (const deadline = Date.now() + 600_000; Date.now() < deadline;) {
  handled = (await ask<{ count: number }>('count')).count;
  if (handled >= accepted) break;
  await new Promise((r) => setTimeout(r, 100));
}
const allHandledAfter = (Date.now() - start) / 1000;
const cpuAfter = await cpuByRole();
const { latencies } = await ask<{ latencies: number[] }>('report');
const loadAfter = load();

const roles: Record<string, string> = {
  'temporal dev server': 'dev server',
  other: 'worker',
  'bench (load + fake Twilio)': 'load generator',
};
const perSignal = Object.fromEntries(
  Object.entries(roles).map(([role, name]) => [
    name,
    (((cpuAfter[role] ?? 0) - (cpuBefore[role] ?? 0)) * 1000) / Math.max(1, handled),
  ]),
);
const serverAndWorker = perSignal['dev server']! + perSignal['worker']!;
const sortedCall = [...callMs].sort((a, b) => a - b);
const sortedLat = [...latencies].sort((a, b) => a - b);
const f = (n: number) => n.toFixed(1);
console.log(`
## Signal floor (${machine()})
command: npm run bench -- signal-floor --rate ${RATE} --seconds ${SECONDS} --members ${MEMBERS} --concurrency ${CONCURRENCY}
load average before → after: ${loadBefore} → ${loadAfter}
${CONCURRENCY > 0 ? `closed loop, ${CONCURRENCY} callers` : `open loop, offered ${RATE}/s`}: ${sent} signals sent in ${f(postedAfter)} s (${f(sent / postedAfter)}/s), ${failed} failed
signal call p50 / p99: ${f(percentile(sortedCall, 0.5))} / ${f(percentile(sortedCall, 0.99))} ms
signal → handled p50 / p99 / max: ${f(percentile(sortedLat, 0.5))} / ${f(percentile(sortedLat, 0.99))} / ${f(sortedLat.at(-1) ?? NaN)} ms
handled: ${handled} of ${accepted} accepted, all after ${f(allHandledAfter)} s (handled rate ${f(handled / allHandledAfter)}/s)
CPU per signal (ms): dev server ${f(perSignal['dev server']!)}, worker ${f(perSignal['worker']!)}, load generator ${f(perSignal['load generator']!)}
ceiling of the dev server + worker alone on ${cpus().length} cores: ${f((cpus().length * 1000) / serverAndWorker)} signals/s
`);
worker.send('stop');
await new Promise((r) => worker.once('exit', r));
await env.teardown();
process.exit(0);
