/**
 * `npm start`: the whole stack on one machine.
 * Postgres: DATABASE_URL, or an embedded PostgreSQL with its data under .data/postgres.
 * Temporal: TEMPORAL_ADDRESS, or the Temporal CLI dev server (Web UI included) persisting to .data/temporal.db.
 * Then migrations, the worker, the inbox drainer and the API. Ctrl-C stops everything cleanly.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app.js';
import { startInboxDrainer } from '../api/inbox-drainer.js';
import { createApiMetrics } from '../api/metrics.js';
import { listen } from '../api/server.js';
import { withTokenSecret } from '../api/tokens.js';
import { createDb } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { DEV_API_KEY, loadConfig } from '../worker/config.js';
import {
  startEmbeddedPostgres,
  startTemporalDevServer,
  type RunningPostgres,
  type RunningTemporal,
} from '../worker/infra.js';
import { createLogger } from '../worker/logger.js';
import { onShutdown } from '../worker/process.js';
import { ensureRetentionPurge } from '../worker/retention.js';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { createWorkerRegistry, serveMetrics } from '../worker/metrics.js';
import { describeTemporalSecurity, temporalConnectionOptions } from '../worker/temporal-connection.js';
import { createWorkerFromConfig, installRuntime } from '../worker/worker.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'crewline');
installRuntime(config.logLevel, logger, { metricsAddress: config.workerMetricsAddress });
const say = (msg: string) => process.stdout.write(`[crewline] ${msg}\n`);

let pg: RunningPostgres | undefined;
let temporalServer: RunningTemporal | undefined;

const pgDir = path.resolve(config.dataDir, 'postgres');
const temporalDb = path.resolve(config.dataDir, 'temporal.db');
let databaseUrl = config.databaseUrl;
if (!databaseUrl) {
  say(`starting embedded PostgreSQL (data in ${pgDir})…`);
  pg = await startEmbeddedPostgres({
    dir: pgDir,
    persistent: true,
    ownSignals: true, // onShutdown below stops it, after the worker and the API
  });
  databaseUrl = pg.url;
}
let temporalAddress = config.temporal.address;
let devServerAddress: string | undefined;
if (!temporalAddress) {
  say(`starting Temporal dev server (data in ${temporalDb})…`);
  temporalServer = await startTemporalDevServer({
    dbFile: temporalDb,
    port: config.temporal.devPort,
    uiPort: config.temporal.uiPort,
    namespace: config.temporal.namespace,
    // The Web UI decodes payloads through the API's codec endpoint (README "Privacy").
    codecEndpoint: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}/codec`,
  });
  temporalAddress = devServerAddress = temporalServer.address;
}

await runMigrations(databaseUrl);
const { db, close: closeDb } = createDb(databaseUrl);
// Traces only with OTEL_EXPORTER_OTLP_ENDPOINT: the OpenTelemetry SDK is not even loaded otherwise.
const otel = config.tracing ? await import('../worker/tracing.js') : undefined;
const tracing = otel && config.tracing ? otel.startTracing('crewline', config.tracing) : undefined;
const workerMetrics = createWorkerRegistry({ processMetrics: true });
const probed: { state?: () => string } = {}; // the worker's /livez and /readyz on its metrics port
const workerMetricsServer = config.workerAppMetricsAddress
  ? await serveMetrics(workerMetrics.registry, config.workerAppMetricsAddress, () => probed.state?.())
  : undefined;
const {
  worker,
  connection: workerConnection,
  payloadCodec,
} = await createWorkerFromConfig(
  config,
  db,
  devServerAddress,
  logger,
  workerMetrics,
  tracing && otel?.tracingWorkerOptions(tracing),
);
probed.state = () => worker.getState();
const connection = await Connection.connect(temporalConnectionOptions(config.temporal, devServerAddress));
const addedAttributes = await ensureSearchAttributes(connection, config.temporal.namespace);
if (addedAttributes.length) say(`registered search attributes ${addedAttributes.join(', ')}`);
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
  createApp({
    db,
    temporal,
    // The dev server's Web UI cannot send an API key: its codec calls from loopback are let in (README "Privacy").
    // Only for the dev server this script started, and never in production.
    config: {
      ...(await withTokenSecret(config)),
      codecDevLoopback: !!temporalServer && config.env !== 'production',
    },
    logger,
    metrics,
    payloadCodec,
  }),
  config.port,
  config.host,
);
const workerRun = worker.run();
await ensureRetentionPurge(temporal, config.retention, logger);

say(`API:              ${http.url}  (try: curl ${http.url}/health)`);
say(`Temporal Web UI:  ${temporalServer ? temporalServer.uiUrl : '(external cluster: use its UI)'}`);
say(
  `Temporal:         ${temporalAddress}, namespace ${config.temporal.namespace}` +
    (devServerAddress ? '' : ` (${describeTemporalSecurity(config.temporal.security)})`),
);
say(
  `PostgreSQL data:  ${
    pg
      ? pg.linkedFrom
        ? `${pg.dataDir}  (${pg.linkedFrom} links here: PostgreSQL runs as the postgres user, which cannot reach a private DATA_DIR)`
        : pg.dataDir
      : '(external: DATABASE_URL)'
  }`,
);
say(`Temporal data:    ${temporalServer ? temporalDb : '(external cluster)'}`);
say(`SMS:              ${config.twilio ? 'Twilio' : `sandbox (GET ${http.url}/dev/outbox)`}`);
if (config.apiKeys.includes(DEV_API_KEY))
  say(`API key:          ${DEV_API_KEY}  (development default; set API_KEYS)`);
say('Ctrl-C to stop.');

onShutdown(logger, async () => {
  await http.close();
  await stopDrainer();
  // The SDK's runtime may already have begun shutdown on the same signal.
  worker.shutdown(); // stops each of its workers that still runs
  await workerRun.catch(() => {});
  await workerConnection.close();
  await connection.close();
  await workerMetricsServer?.close();
  await tracing?.shutdown();
  await closeDb();
  await temporalServer?.stop();
  await pg?.stop();
  say('stopped.');
});
await workerRun.catch((err: unknown) => {
  logger.error({ err }, 'worker failed');
  process.kill(process.pid, 'SIGTERM');
});
