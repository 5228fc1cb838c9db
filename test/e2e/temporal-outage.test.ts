/**
 * Temporal stops while a member's reply arrives: the webhook still answers Twilio at once and keeps the reply;
 * when Temporal is back (same dev server, same SQLite file), the worker's inbox drainer delivers it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createSandboxProvider } from '../../activities/sms/sandbox.js';
import { createApp } from '../../api/app.js';
import { inboundMessages, messages } from '../../db/schema.js';
import { freePort, startTemporalDevServer, type RunningTemporal } from '../../worker/infra.js';
import { startInboxDrainer } from '../../api/inbox-drainer.js';
import { createWorkers, type Workers } from '../../worker/worker.js';

import { API_KEY, BRAND, json } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { confirmMember, sandboxInbound } from '../helpers/members.js';
import { waitFor } from '../helpers/temporal.js';

let dbFile: string;
let port: number;
let uiPort: number;
let server: RunningTemporal | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Workers;
let running: Promise<void>;
let connection: Connection;
let stopDrainer: () => Promise<void>;
let app: ReturnType<typeof createApp>;
let temporal: Client;

const startServer = () => startTemporalDevServer({ dbFile, port, uiPort, namespace: 'default' });

beforeAll(async () => {
  dbFile = path.join(await mkdtemp(path.join(tmpdir(), 'crewline-temporal-')), 'temporal.db');
  [port, uiPort] = [await freePort(), await freePort()];
  [server, database] = await Promise.all([startServer(), createTestDatabase()]);
  const address = `127.0.0.1:${port}`;
  worker = await createWorkers({
    connection: await NativeConnection.connect({ address }),
    activities: createActivities({ db: database.db, sms: createSandboxProvider() }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  temporal = new Client({ connection });
  const logger = pino({ level: 'silent' });
  stopDrainer = startInboxDrainer({ db: database.db, temporal, brand: BRAND }, logger, 300);
  app = createApp({
    db: database.db,
    temporal,
    logger,
    config: { apiKeys: [API_KEY], publicBaseUrl: 'http://localhost', twilio: undefined, brand: BRAND },
  });
});

afterAll(async () => {
  await stopDrainer?.();
  worker?.shutdown();
  await running?.catch(() => {});
  await connection?.close();
  await server?.stop();
  await database?.close();
});

it('the webhook answers 200 while Temporal is down, and the reply reaches the workflow when it is back', async () => {
  const created = await app.request('/members', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      name: 'Oli',
      phone: '+14155557777',
      timezone: 'Europe/London',
      checkInTime: '07:00',
    }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  // A confirmed member (replied YES to the welcome), whose confirmation text has gone out.
  await confirmMember(temporal, { id, phone: '+14155557777' }, sandboxInbound(app), 30_000);
  await waitFor(
    async () =>
      (
        await database.db
          .select()
          .from(messages)
          .where(eq(messages.idempotencyKey, `member:${id}:confirmed`))
      )[0]?.status === 'delivered',
    'the confirmation text',
    30_000,
  );

  await server!.stop();
  server = undefined;

  const started = Date.now();
  const res = await app.request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      MessageSid: 'SMoutage1',
      From: '+14155557777',
      To: '+15005550006',
      Body: 'what time is it?',
    }).toString(),
  });
  expect(res.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(10_000); // Twilio gives up after 15 s
  const [kept] = await database.db
    .select()
    .from(inboundMessages)
    .where(eq(inboundMessages.providerSid, 'SMoutage1'));
  expect(kept?.routeStatus).toBe('pending');

  server = await startServer();
  // Delivered by the drainer: the workflow answers the unclear reply with a clarification (sandbox outbox).
  const routed = await waitFor(
    async () => {
      const [row] = await database.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.providerSid, 'SMoutage1'));
      return row?.routeStatus === 'routed' && row;
    },
    'the reply routed after the outage',
    90_000,
  );
  expect(routed.routedTo).toBe(`member-${id}`);
  await waitFor(
    async () =>
      (
        await database.db
          .select()
          .from(messages)
          .where(eq(messages.idempotencyKey, `member:${id}:clarify:${routed.id}`))
      ).length === 1,
    'the workflow handled the reply',
    60_000,
  );
}, 180_000);
