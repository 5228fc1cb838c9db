/**
 * Probes that do not share the request handlers' event loop: the API process starts this small HTTP server on
 * PROBE_PORT inside a `worker_threads` Worker (api/probe-thread.ts) with its own event loop, its own PostgreSQL
 * connection and its own Temporal channel. Under load the API's one event loop queues `/livez` behind the request
 * handlers (BENCHMARKS.md "Health"); on the probe port a probe waits only for its own thread.
 *
 * Liveness still means "the main loop is alive": the main thread adds 1 to a counter in a SharedArrayBuffer every
 * HEARTBEAT_MS; the thread answers `/livez` 503 once the counter has not moved for `livenessStallMs` and
 * `/readyz` 503 once it has not moved for `readinessStallMs` (or a dependency does not answer).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AppDeps } from './deps.js';

/** How often the main thread stamps its heartbeat. */
export const HEARTBEAT_MS = 250;
/** `/livez` on the probe port is 503 once the main loop has not run for this long (PROBE_LIVENESS_STALL_MS). */
export const DEFAULT_LIVENESS_STALL_MS = 10_000;
/** `/readyz` on the probe port is 503 once the main loop has not run for this long (or the liveness bound, if less). */
export const READINESS_STALL_MS = 2_000;

/** Connection settings for Temporal, as `temporalConnectionOptions` gives them (plain data: they cross threads). */
export interface ProbeTemporalOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Uint8Array;
    clientCertPair?: { crt: Uint8Array; key: Uint8Array };
  };
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface ProbeServerOptions {
  /** 0 = a free port (see `ProbeServer.port`). */
  port: number;
  host: string;
  databaseUrl: string;
  temporal: ProbeTemporalOptions;
  livenessStallMs?: number;
  readinessStallMs?: number;
}

/** What the thread receives (api/probe-thread.ts). */
export interface ProbeThreadData {
  port: number;
  host: string;
  databaseUrl: string;
  temporal: ProbeTemporalOptions;
  heartbeat: SharedArrayBuffer;
  livenessStallMs: number;
  readinessStallMs: number;
}

export interface ProbeServer {
  url: string;
  port: number;
  /** Stops the heartbeat and the thread (its server and connections); resolves with the thread's exit code. */
  close(): Promise<number>;
}

/** The probe port is taken by another process (`EADDRINUSE`). */
export class ProbePortInUseError extends Error {
  constructor(port: number) {
    super(`PROBE_PORT ${port} is in use`);
    this.name = 'ProbePortInUseError';
  }
}

/**
 * From the compiled image the thread is dist/api/probe-thread.js; from source (tsx, vitest) it is the .ts file,
 * loaded through tsx's ESM API registered inside the thread (`--import tsx` does not reach worker threads:
 * privatenumber/tsx#354).
 */
function spawnThread(workerData: ProbeThreadData): Worker {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  const thread = new URL(`./probe-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(thread, { workerData });
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const tsxApi = pathToFileURL(path.join(path.dirname(manifest), pkg.exports['./esm/api']!.import.default));
  const boot = `import(${JSON.stringify(tsxApi.href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(thread.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** Starts the probe thread and the heartbeat; resolves once the probe port listens. */
export async function startProbeServer(
  opts: ProbeServerOptions,
  onError: (err: Error) => void = () => {},
): Promise<ProbeServer> {
  const heartbeat = new SharedArrayBuffer(4);
  const beat = new Int32Array(heartbeat);
  const livenessStallMs = opts.livenessStallMs ?? DEFAULT_LIVENESS_STALL_MS;
  const worker = spawnThread({
    port: opts.port,
    host: opts.host,
    databaseUrl: opts.databaseUrl,
    temporal: opts.temporal,
    heartbeat,
    livenessStallMs,
    readinessStallMs: Math.min(opts.readinessStallMs ?? READINESS_STALL_MS, livenessStallMs),
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const stamp = setInterval(() => Atomics.add(beat, 0, 1), HEARTBEAT_MS);
  stamp.unref(); // the API's server keeps the process up; the heartbeat must not

  let started = false;
  const bound = await new Promise<number>((resolve, reject) => {
    const fail = (err: Error) => {
      if (started) return;
      clearInterval(stamp);
      void worker.terminate();
      reject(err);
    };
    worker.once('message', (m: { type: 'listening'; port: number } | { type: 'failed'; code: string }) =>
      m.type === 'listening'
        ? ((started = true), resolve(m.port))
        : fail(
            m.code === 'EADDRINUSE'
              ? new ProbePortInUseError(opts.port)
              : new Error(`the probe server could not listen (${m.code})`),
          ),
    );
    worker.once('error', fail);
    void exited.then((code) => fail(new Error(`the probe thread exited (${code}) before listening`)));
  });
  // After the start: a thread that fails leaves the probe port closed, so the orchestrator restarts the process.
  worker.on('error', onError);

  const shownHost =
    opts.host === '0.0.0.0' || opts.host === '::'
      ? '127.0.0.1'
      : opts.host.includes(':')
        ? `[${opts.host}]`
        : opts.host;
  let closing: Promise<number> | undefined;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: () =>
      (closing ??= (async () => {
        clearInterval(stamp);
        worker.postMessage({ type: 'close' });
        const timer = setTimeout(() => void worker.terminate(), 5_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })()),
  };
}

/**
 * The API process's probe server from its configuration (`config.probes`, worker/config.ts): none when PROBE_PORT
 * is `off`. A PROBE_PORT that is taken stops the process (ProbePortInUseError); the *default* port taken — a second
 * API process on the same host — only logs a warning, and that process keeps the probes on its API port.
 */
export async function startConfiguredProbeServer(
  probes: { port: number | undefined; defaultPort: boolean; livenessStallMs: number },
  opts: Omit<ProbeServerOptions, 'port' | 'livenessStallMs'>,
  logger: AppDeps['logger'],
): Promise<ProbeServer | undefined> {
  if (probes.port === undefined) return undefined;
  try {
    const server = await startProbeServer(
      { ...opts, port: probes.port, livenessStallMs: probes.livenessStallMs },
      (err) => logger.error({ errorName: err.name }, 'probe thread failed'),
    );
    logger.info({ url: server.url }, 'probes listening');
    return server;
  } catch (err) {
    if (!(err instanceof ProbePortInUseError && probes.defaultPort)) throw err;
    logger.warn({ port: probes.port }, 'default PROBE_PORT in use: no probe server (set PROBE_PORT)');
    return undefined;
  }
}
