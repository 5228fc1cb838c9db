import { createRequire } from 'node:module';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { SMS_TASK_QUEUE, TASK_QUEUE } from '../workflows/ids.js';
import { createOpenAIClient } from '../activities/ai/index.js';
import type { WorkerMetrics } from '../activities/metrics.js';
import type { Db } from '../db/client.js';
import type { Config } from './config.js';
import { sanitizingActivityInterceptors } from './interceptors.js';
import type { tracingWorkerOptions } from './tracing.js';
import type { Logger } from './logger.js';
import { compliancePolicy, createSmsProvider } from './sms.js';

const require = createRequire(import.meta.url);
type WorkerTracing = ReturnType<typeof tracingWorkerOptions>;
export const workflowsPath = require.resolve('../workflows/index.ts');

/** The SDK's logs through the project's logger (worker/runtime.ts); re-exported for the entry points. */
export { installRuntime, sdkLogLevel } from './runtime.js';

export interface WorkerDeps extends ActivityDeps {
  temporalAddress: string;
  namespace: string;
  logger: Logger;
  /** The sender's messages (segments) per second, enforced by the server across all workers. */
  smsPerSecond: number;
}

/** Both workers of a process: workflows + activities on the main queue, and the paced SMS sender pool. */
export interface Workers {
  run(): Promise<void>;
  shutdown(): void;
  getState(): ReturnType<Worker['getState']>;
}

export async function createWorkers(opts: {
  connection: NativeConnection;
  namespace?: string;
  activities: object;
  smsPerSecond: number;
  /** Tests only: a workflow module that re-exports workflows/index.ts plus probes of its own. */
  workflowsPath?: string;
  /** OpenTelemetry on (worker/tracing.ts `tracingWorkerOptions`): interceptors, workflow module and span sink. */
  tracing?: WorkerTracing | undefined;
}): Promise<Workers> {
  const otel = opts.tracing;
  const activityInterceptors = [...(otel?.activity ?? []), sanitizingActivityInterceptors];
  const main = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowsPath: opts.workflowsPath ?? workflowsPath,
    activities: opts.activities,
    interceptors: {
      activity: activityInterceptors,
      ...(otel && { workflowModules: otel.workflowModules }),
    },
    ...(otel && { sinks: otel.sinks }),
  });
  const sms = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: SMS_TASK_QUEUE,
    activities: opts.activities,
    interceptors: { activity: activityInterceptors },
    // A coarse server-side guard with headroom; the exact spacing is the Postgres slot reservation in sendSms.
    maxTaskQueueActivitiesPerSecond: opts.smsPerSecond * 2,
    // Activities waiting for their slot hold an execution slot: this bounds the wait, and the rest of the
    // backlog stays in Temporal's queue.
    maxConcurrentActivityTaskExecutions: Math.max(4, Math.ceil(opts.smsPerSecond * 2)),
  });
  return {
    run: async () => {
      await Promise.all([main.run(), sms.run()]);
    },
    shutdown: () => {
      for (const w of [main, sms]) if (w.getState() === 'RUNNING') w.shutdown();
    },
    getState: () => main.getState(),
  };
}

export async function createWorker(deps: WorkerDeps & { tracing?: WorkerTracing | undefined }) {
  const connection = await NativeConnection.connect({ address: deps.temporalAddress });
  const worker = await createWorkers({
    connection,
    namespace: deps.namespace,
    activities: createActivities(deps),
    smsPerSecond: deps.smsPerSecond,
    tracing: deps.tracing,
  });
  return { worker, connection };
}

/** The worker as configured: SMS provider (credentials checked first), compliance policy, pacing, AI. */
export async function createWorkerFromConfig(
  config: Config,
  db: Db,
  temporalAddress: string,
  logger: Logger,
  metrics?: WorkerMetrics,
  tracing?: WorkerTracing,
) {
  const sms = createSmsProvider(config);
  await sms.verify?.();
  return createWorker({
    db,
    sms,
    temporalAddress,
    namespace: config.temporal.namespace,
    logger,
    policy: compliancePolicy(config),
    defaultTimezone: config.defaultTimezone,
    smsPerSecond: config.smsPerSecond,
    ai: { openai: createOpenAIClient(config.openai), model: config.openai.model },
    ...(metrics && { metrics }),
    tracing,
  });
}
