/**
 * Runs only the HTTP API against an existing Temporal cluster and Postgres (production style). A composition
 * root: it wires the worker-side modules (config, logger, process, search attributes) into `createApp`, so api/
 * itself imports nothing from worker/.
 */
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/client.js';
import { createPayloadCodec } from '../db/payload-codec.js';
import { loadMasterKeys } from '../db/subject-keys.js';
import { loadConfig } from '../worker/config.js';
import { createLogger } from '../worker/logger.js';
import { onShutdown, requireExternal } from '../worker/process.js';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { temporalConnectionOptions } from '../worker/temporal-connection.js';
import { createApp } from '../api/app.js';
import { startInboxDrainer } from '../api/inbox-drainer.js';
import { createApiMetrics } from '../api/metrics.js';
import { startConfiguredProbeServer } from '../api/probe-server.js';
import { listen } from '../api/server.js';
import { withTokenSecret } from '../api/tokens.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'crewline-api');
const { databaseUrl } = requireExternal(config);
const { db, close: closeDb } = createDb(databaseUrl);
const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
// Member workflows are started with search attributes: do not wait for a worker to register them.
const added = await ensureSearchAttributes(connection, config.temporal.namespace);
if (added.length) logger.info({ added }, 'registered search attributes');
// Traces only with OTEL_EXPORTER_OTLP_ENDPOINT: the OpenTelemetry SDK is not even loaded otherwise.
const otel = config.tracing ? await import('../worker/tracing.js') : undefined;
const tracing = otel && config.tracing ? otel.startTracing('crewline-api', config.tracing) : undefined;
// Personal data in payloads is sealed with its subject's key before it leaves the process (README "Privacy").
const payloadCodec = createPayloadCodec(
  db,
  await loadMasterKeys({
    env: process.env,
    production: config.env === 'production',
    dataDir: config.dataDir,
  }),
);
const temporal = new Client({
  connection,
  namespace: config.temporal.namespace,
  dataConverter: { payloadCodecs: [payloadCodec] },
  ...(otel && { interceptors: otel.tracingClientInterceptors() }),
});
const metrics = createApiMetrics({ processMetrics: config.processMetrics, temporal });
const stopDrainer = startInboxDrainer(
  { db, temporal, brand: config.brand, optOutManagedBy: config.optOutManagedBy, metrics: metrics.inbound },
  logger,
);
const http = await listen(
  createApp({ db, temporal, config: await withTokenSecret(config), logger, metrics, payloadCodec }),
  config.port,
  config.host,
);
logger.info({ url: http.url }, 'API listening');
// Orchestrators probe PROBE_PORT: /livez and /readyz on a thread of their own (api/probe-server.ts), started once
// the API listens (so ready means ready to serve) and stopped first on shutdown (not ready while draining).
const probes = await startConfiguredProbeServer(
  config.probes,
  { host: config.host, databaseUrl, temporal: temporalConnectionOptions(config.temporal) },
  logger,
);
onShutdown(logger, async () => {
  await probes?.close();
  await http.close();
  await stopDrainer();
  await connection.close();
  await tracing?.shutdown();
  await closeDb();
});
