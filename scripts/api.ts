/**
 * Runs only the HTTP API against an existing Temporal cluster and Postgres (production style). A composition
 * root: it wires the worker-side modules (config, logger, process, search attributes) into `createApp`, so api/
 * itself imports nothing from worker/.
 */
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/client.js';
import { loadConfig } from '../worker/config.js';
import { createLogger } from '../worker/logger.js';
import { onShutdown, requireExternal } from '../worker/process.js';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { temporalConnectionOptions } from '../worker/temporal-connection.js';
import { createApp } from '../api/app.js';
import { startInboxDrainer } from '../api/inbox-drainer.js';
import { listen } from '../api/server.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'crewline-api');
const { databaseUrl } = requireExternal(config);
const { db, close: closeDb } = createDb(databaseUrl);
const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
// Member workflows are started with search attributes: do not wait for a worker to register them.
const added = await ensureSearchAttributes(connection, config.temporal.namespace);
if (added.length) logger.info({ added }, 'registered search attributes');
const temporal = new Client({ connection, namespace: config.temporal.namespace });
const stopDrainer = startInboxDrainer(
  { db, temporal, brand: config.brand, optOutManagedBy: config.optOutManagedBy },
  logger,
);
const http = await listen(createApp({ db, temporal, config, logger }), config.port, config.host);
logger.info({ url: http.url }, 'API listening');
onShutdown(logger, async () => {
  await http.close();
  await stopDrainer();
  await connection.close();
  await closeDb();
});
