/**
 * The whole slice on real parts: Temporal CLI dev server, worker, HTTP API, PostgreSQL, and the official twilio
 * SDK talking to a fake Twilio REST server on loopback. Create a member whose check-in is a minute ahead →
 * the welcome text reaches "Twilio" → the member replies YES (signed webhook) → the prompt reaches "Twilio" →
 * a signed reply hits the webhook → GET /members/:id shows the check-in.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { listen } from '../../api/server.js';
import { messages } from '../../db/schema.js';
import { freePort } from '../../worker/infra.js';
import { createSmsProvider } from '../../worker/sms.js';
import { createWorkers, type Workers } from '../../worker/worker.js';

import { localParts } from '../../workflows/lib/time.js';
import { confirmedText, PROMPT_TEXT, welcomeText } from '../../workflows/member/texts.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { API_KEY, BRAND } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { confirmMember } from '../helpers/members.js';
import { devServerEnv, waitFor } from '../helpers/temporal.js';

const FROM = '+15005550006';
const PHONE = '+14155550199';
const TZ = 'America/New_York';

let fake: FakeTwilio;
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Workers;
let running: Promise<void>;
let http: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  [fake, env, database] = await Promise.all([startFakeTwilio(), devServerEnv(), createTestDatabase()]);
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const twilio = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: FROM,
    apiBaseUrl: fake.baseUrl,
  };
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({ db: database.db, sms: createSmsProvider({ twilio, publicBaseUrl }) }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  const app = createApp({
    db: database.db,
    temporal: env.client,
    logger: pino({ level: 'silent' }),
    config: { apiKeys: [API_KEY], publicBaseUrl, twilio, brand: BRAND },
  });
  http = await listen(app, port, '127.0.0.1');
});

afterAll(async () => {
  await http?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${http.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers },
  });

it('prompt by SMS at the local check-in time → reply by webhook → check-in recorded', async () => {
  // The next whole minute in New York, with room for the request and the YES.
  const now = Date.now();
  const p = localParts(now + (new Date(now).getUTCSeconds() > 45 ? 120_000 : 60_000), TZ);
  const checkInTime = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;

  const created = await api('/members', {
    method: 'POST',
    body: JSON.stringify({ name: 'Ana', phone: PHONE, timezone: TZ, checkInTime }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };

  // Onboarding: the welcome text asks for YES; the member answers by SMS (signed) before the check-in time.
  await waitFor(() => fake.byTo(PHONE).find((m) => m.body === welcomeText(checkInTime)), 'the welcome text');
  await confirmMember(env.client, { id, phone: PHONE }, (text) =>
    fake.postInbound(`${http.url}/webhooks/twilio/sms`, { ...text }),
  );

  // The prompt arrives at the fake Twilio through the real SDK, from our number, with a status callback.
  const prompt = await waitFor(
    () => fake.byTo(PHONE).find((m) => m.body === PROMPT_TEXT),
    'the prompt at Twilio',
    150_000,
  );
  expect(prompt.from).toBe(FROM);
  expect(prompt.statusCallback).toMatch(new RegExp(`^${http.url}/webhooks/twilio/status\\?outboxId=\\d+$`));
  const sentLocal = localParts(prompt.createdAt.getTime(), TZ);
  expect(`${String(sentLocal.hour).padStart(2, '0')}:${String(sentLocal.minute).padStart(2, '0')}`).toBe(
    checkInTime,
  );

  // An unsigned (forged) reply is refused and changes nothing.
  const forged = await fetch(`${http.url}/webhooks/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ MessageSid: 'SMforged', From: PHONE, To: FROM, Body: 'Y' }).toString(),
  });
  expect(forged.status).toBe(403);

  // Twilio posts the member's reply, signed.
  const reply = await fake.postInbound(`${http.url}/webhooks/twilio/sms`, {
    From: PHONE,
    To: FROM,
    Body: 'Y felt great',
  });
  expect(reply.status).toBe(200);
  expect(reply.text).toContain('<Response>');

  const member = await waitFor(async () => {
    const res = await api(`/members/${id}`);
    const body = (await res.json()) as {
      currentStreak: number;
      lastCheckIn: { status: string; localDate: string } | null;
    };
    return body.currentStreak === 1 && body;
  }, 'the recorded check-in');
  expect(member.lastCheckIn).toMatchObject({
    status: 'done',
    localDate: new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(prompt.createdAt),
  });

  // And the member hears back, once.
  const day = member.lastCheckIn!.localDate;
  const [ack] = await waitFor(async () => {
    const rows = await database.db
      .select()
      .from(messages)
      .where(eq(messages.idempotencyKey, `member:${id}:ack:${day}`));
    return rows.length > 0 && rows;
  }, 'the acknowledgement');
  await waitFor(() => fake.byTo(PHONE).some((m) => m.body === ack!.body), 'the acknowledgement at Twilio');
  expect(fake.byTo(PHONE).map((m) => m.body)).toEqual([
    welcomeText(checkInTime),
    confirmedText(checkInTime),
    PROMPT_TEXT,
    ack!.body,
  ]);
}, 240_000);
