/**
 * Runs only the Temporal worker against an existing cluster and Postgres. (The inbox drainer runs with the API:
 * `npm run api`.)
 */
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/client.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createWorkerRegistry, serveMetrics } from './metrics.js';
import { onShutdown, requireExternal } from './process.js';
import { ensureRetentionPurge } from './retention.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { describeTemporalSecurity, temporalConnectionOptions } from './temporal-connection.js';
import { createWorkerFromConfig, installRuntime } from './worker.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'crewline-worker');
const { databaseUrl } = requireExternal(config);
installRuntime(config.logLevel, undefined, { metricsAddress: config.workerMetricsAddress });
const { db, close: closeDb } = createDb(databaseUrl);
// Traces only with OTEL_EXPORTER_OTLP_ENDPOINT: the OpenTelemetry SDK is not even loaded otherwise.
const otel = config.tracing ? await import('./tracing.js') : undefined;
const tracing = otel && config.tracing ? otel.startTracing('crewline-worker', config.tracing) : undefined;
const metrics = createWorkerRegistry({ processMetrics: true });
// The metrics port also answers /livez and /readyz from the worker's state (worker/metrics.ts workerProbe).
const probed: { state?: () => string } = {};
const metricsServer = config.workerAppMetricsAddress
  ? await serveMetrics(metrics.registry, config.workerAppMetricsAddress, () => probed.state?.())
  : undefined;
if (metricsServer) logger.info({ url: metricsServer.url }, 'worker metrics');
const created = await createWorkerFromConfig(
  config,
  db,
  undefined,
  logger,
  metrics,
  tracing && otel?.tracingWorkerOptions(tracing),
);
probed.state = () => created.worker.getState();
const { connection, payloadCodec } = created;
const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
const added = await ensureSearchAttributes(clientConnection, config.temporal.namespace);
if (added.length) logger.info({ added }, 'registered search attributes');
await ensureRetentionPurge(
  new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    dataConverter: { payloadCodecs: [payloadCodec] },
  }),
  config.retention,
  logger,
);
// On SIGTERM: stop polling, let the tasks in flight finish (the SDK drains them), then close as below. The
// process exits only once the run loop has ended, never in the middle of a task.
const run: { stopped?: Promise<void> } = {};
onShutdown(logger, async () => {
  created.worker.shutdown(); // stops each of its workers that still runs
  await run.stopped;
});
logger.info(
  { namespace: config.temporal.namespace, temporal: describeTemporalSecurity(config.temporal.security) },
  'worker running',
);
run.stopped = (async () => {
  await created.worker.run();
  await connection.close();
  await clientConnection.close();
  await metricsServer?.close();
  await tracing?.shutdown();
  await closeDb();
})();
await run.stopped;
process.exit(0);
