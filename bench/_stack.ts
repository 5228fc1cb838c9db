/**
 * Shared by the production-shape benchmarks (inbound, density, health, pacing, campaign): the stack as a new user runs it on one
 * machine — embedded PostgreSQL, the Temporal CLI dev server (SQLite, WAL), the fake Twilio on loopback — and the
 * production entry points as their own processes (`worker/main.ts`, `scripts/api.ts`), any number of each.
 * Not a benchmark itself (files starting with `_` are skipped by bench/index.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { temporalCliExecutable } from '../scripts/tools.js';
import { startFakeTwilio, type FakeTwilio, type FakeTwilioOptions } from '../test/fakes/twilio.js';
import { DEV_SERVER_SQLITE_PRAGMAS, freePort, startEmbeddedPostgres } from '../worker/infra.js';
import { installRuntime } from '../worker/worker.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const FROM = '+15005550006';
export const PUBLIC_BASE_URL = 'https://bench.example.com';
export const KEY = 'bench-api-key-0123456789';
export const log = (s: string) => process.stdout.write(`[bench] ${s}\n`);

installRuntime('warn');

export interface Stack {
  /** The stack's temporary directory (PostgreSQL data, the dev server's database file when kept on disk). */
  dir: string;
  pgUrl: string;
  db: ReturnType<typeof createDb>['db'];
  env: TestWorkflowEnvironment;
  fake: FakeTwilio;
  workers: ChildProcess[];
  apis: Array<{ url: string; child: ChildProcess }>;
  startWorker(extra?: Record<string, string>): Promise<ChildProcess>;
  startApi(extra?: Record<string, string>): Promise<{ url: string; child: ChildProcess }>;
  stop(): Promise<void>;
}

export async function startStack(
  opts: {
    workers?: number;
    apis?: number;
    workerEnv?: Record<string, string>;
    apiEnv?: Record<string, string>;
    sqlitePragmas?: string[];
    /** Keep the dev server's SQLite database in this file (as `npm start` does) instead of in memory. */
    temporalDbFile?: string;
    /** Run the worker and API processes under `node --cpu-prof` into this directory (written on stop). */
    cpuProfileDir?: string;
    /** The fake Twilio's options (e.g. `mps`, its carrier-style token bucket); opt-out handling is off. */
    fake?: FakeTwilioOptions;
    /**
     * Bundle the workflow code once here and start the workers with it (`WORKFLOW_BUNDLE_PATH`), as the
     * production image does (`npm run build`): a worker's memory then does not include bundling at start.
     */
    prebuiltBundle?: boolean;
    /** Overrides of the environment of every worker and API process (e.g. `SMS_MPS`). */
    env?: Record<string, string>;
    /** Postgres pool of the benchmark's own connection (default 10). */
    dbMax?: number;
  } = {},
): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'crewline-bench-'));
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), persistent: false });
  await runMigrations(pg.url);
  const { db, close } = createDb(pg.url, { max: opts.dbMax ?? 10 });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: await temporalCliExecutable(),
      ip: '127.0.0.1',
      ...(opts.temporalDbFile && { dbFilename: path.join(dir, opts.temporalDbFile) }),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: [
        '--log-level',
        'error',
        ...(opts.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).flatMap((p) => ['--sqlite-pragma', p]),
      ],
    },
  });
  const fake = await startFakeTwilio({ optOut: 'off', ...opts.fake });
  let bundleEnv: Record<string, string> = {};
  if (opts.prebuiltBundle) {
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(ROOT, 'workflows/index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    });
    await writeFile(bundlePath, code);
    bundleEnv = { WORKFLOW_BUNDLE_PATH: bundlePath };
  }
  const baseEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    API_KEYS: KEY,
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: env.address,
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_FROM_NUMBER: FROM,
    TWILIO_API_BASE_URL: fake.baseUrl,
    PUBLIC_BASE_URL,
    SMS_OPT_OUT_MANAGED_BY: 'crewline',
    SMS_MPS: '1000',
    RATE_LIMIT_PER_KEY_PER_MINUTE: '0',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    ...opts.env,
  };
  const workers: ChildProcess[] = [];
  const apis: Array<{ url: string; child: ChildProcess }> = [];
  const spawnEntry = (entry: string, extra: Record<string, string>) =>
    spawn(
      process.execPath,
      [
        ...(opts.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfileDir] : []),
        '--import',
        'tsx',
        entry,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...baseEnv, ...extra },
      },
    );

  const startWorker = async (extra: Record<string, string> = {}) => {
    const child = spawnEntry('worker/main.ts', {
      LOG_LEVEL: 'info',
      ...bundleEnv,
      ...opts.workerEnv,
      ...extra,
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out = (out + d.toString()).slice(-4000);
        if (out.includes('"worker running"')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
    });
    child.stdout.removeAllListeners('data');
    child.stdout.resume();
    workers.push(child);
    return child;
  };
  const startApi = async (extra: Record<string, string> = {}) => {
    const port = await freePort();
    const child = spawnEntry('scripts/api.ts', { PORT: String(port), ...opts.apiEnv, ...extra });
    child.stdout.resume();
    const url = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 120_000; ;) {
      if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('API did not come up');
      await new Promise((r) => setTimeout(r, 200));
    }
    const api = { url, child };
    apis.push(api);
    return api;
  };
  await Promise.all([
    ...Array.from({ length: opts.workers ?? 1 }, () => startWorker()),
    ...Array.from({ length: opts.apis ?? 1 }, () => startApi()),
  ]);
  return {
    dir,
    pgUrl: pg.url,
    db,
    env,
    fake,
    workers,
    apis,
    startWorker,
    startApi,
    stop: async () => {
      const children = [...workers, ...apis.map((a) => a.child)];
      if (opts.cpuProfileDir)
        // A graceful exit writes the CPU profile; SIGKILL below only for a process that does not stop in time.
        await Promise.all(
          children.map(
            (c) =>
              new Promise<void>((resolve) => {
                if (c.exitCode !== null) return resolve();
                const timer = setTimeout(resolve, 30_000);
                c.once('exit', () => {
                  clearTimeout(timer);
                  resolve();
                });
                c.kill('SIGTERM');
              }),
          ),
        );
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await env.teardown();
      await fake.close();
      await close();
      await pg.stop();
    },
  };
}

/** Twilio's signed POST of an inbound text to one API process (signature over the public URL). */
export async function postInbound(
  stack: Stack,
  apiUrl: string,
  params: Record<string, string>,
): Promise<number> {
  const signature = stack.fake.signInbound(`${PUBLIC_BASE_URL}/webhooks/twilio/sms`, params);
  const res = await fetch(`${apiUrl}/webhooks/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

/** POST /members through the API (the workflow starts and texts the welcome). */
export async function createMember(apiUrl: string, i: number, checkInTime = '23:59'): Promise<string> {
  const res = await fetch(`${apiUrl}/members`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `B${i}`, phone: benchPhone(i), timezone: 'UTC', checkInTime }),
  });
  if (res.status !== 201) throw new Error(`POST /members answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
export const benchPhone = (i: number) => `+1415${String(2_000_000 + i).padStart(7, '0')}`;

/** Runs `fn` for i in [0, n) with at most `concurrency` at once. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;

/** CPU seconds (user + system) per process of this process's tree, labelled by role. */
export async function cpuByRole(): Promise<Record<string, number>> {
  const tick = 100; // USER_HZ on Linux
  const procs: Array<{ pid: number; ppid: number; cpu: number; cmd: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      procs.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        cpu: (Number(fields[11]) + Number(fields[12])) / tick,
        cmd,
      });
    } catch {
      // gone
    }
  }
  const children = new Map<number, typeof procs>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const roleOf = (cmd: string) =>
    cmd.includes('worker/main.ts')
      ? 'worker'
      : cmd.includes('scripts/api.ts')
        ? 'api'
        : /temporal|server start-dev/.test(cmd)
          ? 'temporal dev server'
          : /postgres/.test(cmd)
            ? 'postgres'
            : 'other';
  const out: Record<string, number> = {};
  const me = procs.find((p) => p.pid === process.pid);
  if (me) out['bench (load + fake Twilio)'] = me.cpu;
  const walk = (pid: number, inherited?: string) => {
    for (const c of children.get(pid) ?? []) {
      const role = roleOf(c.cmd) === 'other' && inherited ? inherited : roleOf(c.cmd);
      out[role] = (out[role] ?? 0) + c.cpu;
      walk(c.pid, role);
    }
  };
  walk(process.pid);
  return out;
}

/** Samples the resident memory (VmRSS) of processes every `everyMs`; `peak(pid)` is the highest seen, in MiB. */
export function rssSampler(pids: () => number[], everyMs = 500) {
  const peaks = new Map<number, number>();
  const timer = setInterval(() => {
    for (const pid of pids())
      rssMiB(pid)
        .then((mib) => peaks.set(pid, Math.max(peaks.get(pid) ?? 0, mib)))
        .catch(() => undefined);
  }, everyMs);
  return { peak: (pid: number) => peaks.get(pid) ?? NaN, stop: () => clearInterval(timer) };
}

/** Resident memory of a process (VmRSS), in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}
export const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
