import { createRequire } from 'node:module';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { drainInbox, type InboundDeps } from '../api/inbound.js';
import { TASK_QUEUE } from '../workflows/ids.js';
import type { Logger } from './logger.js';

const require = createRequire(import.meta.url);
export const workflowsPath = require.resolve('../workflows/index.ts');

/** The SDK's own logs: warnings and errors only, unless LOG_LEVEL asks for debug. Call once per process. */
export function installRuntime(logLevel: string): void {
  const level = logLevel === 'debug' || logLevel === 'trace' ? 'DEBUG' : 'WARN';
  Runtime.install({ logger: new DefaultLogger(level) });
}

export interface WorkerDeps extends ActivityDeps {
  temporalAddress: string;
  namespace: string;
  logger: Logger;
}

export async function createWorker(deps: WorkerDeps) {
  const connection = await NativeConnection.connect({ address: deps.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: deps.namespace,
    taskQueue: TASK_QUEUE,
    workflowsPath,
    activities: createActivities(deps),
  });
  return { worker, connection };
}

/** Delivers inbound replies that arrived while Temporal was unreachable. */
export function startInboxDrainer(deps: InboundDeps, logger: Logger, everyMs = 5_000) {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      const { routed } = await drainInbox(deps);
      if (routed) logger.info({ routed }, 'inbox drained');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'inbox drain failed');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick);
  }, everyMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
