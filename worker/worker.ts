import { existsSync } from 'node:fs';
import { useErasureHashKey } from '../db/erasure.js';
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createPayloadCodec } from '../db/payload-codec.js';
import { loadMasterKeys } from '../db/subject-keys.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { SMS_TASK_QUEUE, TASK_QUEUE } from '../workflows/ids.js';
import { createOpenAIClient } from '../activities/ai/index.js';
import type { WorkerMetrics } from '../activities/metrics.js';
import type { Db } from '../db/client.js';
import type { Config } from './config.js';
import { sanitizingActivityInterceptors } from './interceptors.js';
import type { tracingWorkerOptions } from './tracing.js';
import type { Logger } from './logger.js';
import { compliancePolicy, createSecondarySmsProvider, createSmsProvider } from './sms.js';
import { temporalConnectionOptions, type TemporalConnectionOptions } from './temporal-connection.js';
import { combinedWorkerState } from './metrics.js';

type WorkerTracing = ReturnType<typeof tracingWorkerOptions>;
/** The workflow sources: `.ts` when run from the repository (tsx), `.js` in the compiled image (dist/). */
const sourceFile = (name: string) => fileURLToPath(new URL(`../workflows/${name}`, import.meta.url));
export const workflowsPath = existsSync(sourceFile('index.ts'))
  ? sourceFile('index.ts')
  : sourceFile('index.js');

/** Where `npm run build` writes the pre-built workflow bundle: dist/workflow-bundle.js. */
/**
 * After SIGTERM, how long the activities in flight may run before the SDK cancels them: a text already at Twilio
 * gets its answer recorded instead of being cut off and reconciled on a retry. Within Kubernetes' default
 * 30-second termination grace.
 */
export const SHUTDOWN_GRACE = '10 seconds';
export const DEFAULT_WORKFLOW_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/**
 * How the main worker gets its workflow code: a pre-built bundle (`WORKFLOW_BUNDLE_PATH`, or
 * `workflow-bundle.js` next to the compiled worker, as in the image) is loaded as is; otherwise the workflow
 * sources are bundled at start (development, tests). `WORKFLOW_BUNDLE_PATH` naming a missing file is an error.
 */
export function workflowCodeOptions(
  opts: { bundlePath?: string | undefined; defaultBundle?: string; workflowsPath?: string } = {},
):
  | { source: 'bundle'; codePath: string; options: Pick<WorkerOptions, 'workflowBundle'> }
  | {
      source: 'sources';
      options: Pick<WorkerOptions, 'workflowsPath'>;
    } {
  if (opts.bundlePath) {
    if (!existsSync(opts.bundlePath))
      throw new Error('WORKFLOW_BUNDLE_PATH names a file that does not exist (run `npm run build`)');
    return {
      source: 'bundle',
      codePath: opts.bundlePath,
      options: { workflowBundle: { codePath: opts.bundlePath } },
    };
  }
  const fallback = opts.defaultBundle ?? DEFAULT_WORKFLOW_BUNDLE;
  if (!opts.workflowsPath && existsSync(fallback))
    return { source: 'bundle', codePath: fallback, options: { workflowBundle: { codePath: fallback } } };
  return { source: 'sources', options: { workflowsPath: opts.workflowsPath ?? workflowsPath } };
}

/** The SDK's logs through the project's logger (worker/runtime.ts); re-exported for the entry points. */
export { installRuntime, sdkLogLevel } from './runtime.js';

export interface WorkerDeps extends ActivityDeps {
  temporal: TemporalConnectionOptions;
  namespace: string;
  logger: Logger;
  /** The sender's messages (segments) per second, enforced by the server across all workers. */
  smsPerSecond: number;
  workflowBundlePath?: string | undefined;
  maxCachedWorkflows?: number | undefined;
  /** Seals subject-marked personal data in payloads (db/payload-codec.ts); absent = plaintext payloads. */
  payloadCodec?: PayloadCodec | undefined;
}

/** Both workers of a process: workflows + activities on the main queue, and the paced SMS sender pool. */
export interface Workers {
  run(): Promise<void>;
  shutdown(): void;
  /** The least healthy of its workers' states (combinedWorkerState). */
  getState(): string;
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
  /** A pre-built workflow bundle (WORKFLOW_BUNDLE_PATH); see workflowCodeOptions. */
  workflowBundlePath?: string | undefined;
  /** WORKER_MAX_CACHED_WORKFLOWS; unset = the SDK's default. */
  maxCachedWorkflows?: number | undefined;
  logger?: Logger;
  /** The payload codec (db/payload-codec.ts): every payload the workers write or read goes through it. */
  payloadCodec?: PayloadCodec | undefined;
}): Promise<Workers> {
  const dataConverter = opts.payloadCodec && { dataConverter: { payloadCodecs: [opts.payloadCodec] } };
  const otel = opts.tracing;
  const activityInterceptors = [...(otel?.activity ?? []), sanitizingActivityInterceptors];
  // A pre-built bundle has its workflow interceptor modules baked in (none): with tracing on, the sources are
  // bundled at start so that OpenTelemetry's workflow interceptor module is part of the bundle.
  const code = workflowCodeOptions(
    otel
      ? { workflowsPath: opts.workflowsPath ?? workflowsPath }
      : {
          bundlePath: opts.workflowBundlePath,
          ...(opts.workflowsPath && { workflowsPath: opts.workflowsPath }),
        },
  );
  opts.logger?.info(
    { workflowCode: code.source, ...(code.source === 'bundle' && { bundle: code.codePath }) },
    code.source === 'bundle'
      ? 'loading the pre-built workflow bundle'
      : otel
        ? 'bundling workflow code at start (tracing adds its workflow interceptor module)'
        : 'bundling workflow code at start',
  );
  const main = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    shutdownGraceTime: SHUTDOWN_GRACE,
    ...code.options,
    ...(opts.maxCachedWorkflows !== undefined && { maxCachedWorkflows: opts.maxCachedWorkflows }),
    activities: opts.activities,
    ...dataConverter,
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
    shutdownGraceTime: SHUTDOWN_GRACE,
    activities: opts.activities,
    ...dataConverter,
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
    getState: () => combinedWorkerState([main.getState(), sms.getState()]),
  };
}

export async function createWorker(deps: WorkerDeps & { tracing?: WorkerTracing | undefined }) {
  const connection = await NativeConnection.connect(deps.temporal);
  const worker = await createWorkers({
    connection,
    namespace: deps.namespace,
    activities: createActivities(deps),
    smsPerSecond: deps.smsPerSecond,
    tracing: deps.tracing,
    workflowBundlePath: deps.workflowBundlePath,
    maxCachedWorkflows: deps.maxCachedWorkflows,
    logger: deps.logger,
    payloadCodec: deps.payloadCodec,
  });
  return { worker, connection };
}

/** The worker as configured: SMS provider (credentials checked first), compliance policy, pacing, AI. */
export async function createWorkerFromConfig(
  config: Config,
  db: Db,
  /** npm start's own dev server when TEMPORAL_ADDRESS is unset. */
  devServerAddress: string | undefined,
  logger: Logger,
  metrics?: WorkerMetrics,
  tracing?: WorkerTracing,
) {
  // The erasure records' keyed hashes must match the API's (api/audit.ts auditHashKey): same key, same fallback.
  useErasureHashKey(config.privacy.hashKey ?? config.auth.tokenSecret);
  const sms = createSmsProvider(config);
  await sms.verify?.();
  const secondarySms = createSecondarySmsProvider(config);
  const payloadCodec = createPayloadCodec(
    db,
    await loadMasterKeys({
      env: process.env,
      production: config.env === 'production',
      dataDir: config.dataDir,
    }),
  );
  const created = await createWorker({
    payloadCodec,
    db,
    sms,
    ...(secondarySms && { secondarySms }),
    temporal: temporalConnectionOptions(config.temporal, devServerAddress),
    namespace: config.temporal.namespace,
    workflowBundlePath: config.workflowBundlePath,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    logger,
    policy: compliancePolicy(config),
    defaultTimezone: config.defaultTimezone,
    smsPerSecond: config.smsPerSecond,
    autoReplies: config.autoReplies,
    textsPerDay: config.brand.textsPerDay,
    ai: { openai: createOpenAIClient(config.openai), model: config.openai.model },
    retention: config.retention,
    ...(metrics && { metrics }),
    tracing,
  });
  return { ...created, payloadCodec };
}
