/**
 * Automatic replies limited (workflows/lib/auto-replies.ts, the send gate in activities/messaging.ts): an
 * auto-responder fake that answers every text we send cannot make Crewline ping-pong — after the hourly budget of
 * clarifications the conversation stops, every inbound is still stored, and HELP keeps its own budget.
 * Real Postgres, time-skipping Temporal, the twilio SDK against the fake Twilio, the signed webhook.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { inboundMessages, members, messages } from '../../db/schema.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { keywordReply } from '../../workflows/lib/texts.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { BRAND, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const PUBLIC = 'https://crewline.example.com';
const OUR_NUMBER = '+15005550006';
const LIMITS = { perPhonePerHour: 3, helpPerPhonePerHour: 1 };
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeTwilio;
let worker: Workers;
let running: Promise<void>;
let app: ReturnType<typeof testApp>;
let sidSeq = 0;
let phoneSeq = 0;

beforeAll(async () => {
  [env, database, fake] = await Promise.all([timeSkippingEnv(), createTestDatabase(), startFakeTwilio()]);
  const twilio = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: OUR_NUMBER,
    apiBaseUrl: fake.baseUrl,
  };
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({
      db: database.db,
      sms: createTwilioProvider({ ...twilio, publicBaseUrl: PUBLIC }),
      autoReplies: LIMITS,
    }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  app = testApp(database.db, env.client, { twilio, publicBaseUrl: PUBLIC, optOutManagedBy: 'crewline' });
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

const newPhone = () => `+1415557${String(4000 + phoneSeq++).padStart(4, '0')}`;

async function text(from: string, body: string) {
  const params = {
    MessageSid: `SM${String(++sidSeq).padStart(32, '5')}`,
    AccountSid: fake.accountSid,
    From: from,
    To: OUR_NUMBER,
    Body: body,
    NumMedia: '0',
  };
  const res = await app.request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': fake.signInbound(`${PUBLIC}/webhooks/twilio/sms`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
}

/** A zone where it is daytime now (10:00–17:59), so the welcome and hints are not held for quiet hours. */
function daytimeZone(): string {
  const zones = [
    'Pacific/Auckland',
    'Asia/Tokyo',
    'Asia/Kolkata',
    'Europe/Berlin',
    'America/Sao_Paulo',
    'America/New_York',
    'America/Los_Angeles',
    'Pacific/Honolulu',
  ];
  const hour = (tz: string) =>
    Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(
        new Date(),
      ),
    );
  return zones.find((tz) => hour(tz) >= 10 && hour(tz) < 18)!;
}

async function member(phone: string) {
  const id = crypto.randomUUID();
  const timezone = daytimeZone();
  await database.db.insert(members).values({ id, name: 'A', phone, timezone, checkInTime: '19:00' });
  await env.client.workflow.start(memberWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: memberWorkflowId(id),
    args: [{ memberId: id, timezone, checkInTime: '19:00', onboarding: true }],
  });
  return id;
}

/**
 * The other side is an auto-responder: it answers every text it receives, at once, forever. Runs until no new
 * text has reached the phone for `quietMs` (or a generous round limit, which the test then fails on).
 */
async function autoResponder(phone: string, quietMs = 4_000, maxRounds = 30) {
  let answered = 0;
  let lastNewAt = Date.now();
  while (answered < maxRounds) {
    const received = fake.byTo(phone).length;
    if (received > answered) {
      for (; answered < received; answered++)
        await text(phone, "Auto-reply: I'm driving, I'll text you later");
      lastNewAt = Date.now();
    } else if (Date.now() - lastNewAt > quietMs) {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return answered;
}

const storedFrom = (phone: string) =>
  database.db.select().from(inboundMessages).where(eq(inboundMessages.fromPhone, phone));

describe('automatic replies limited per phone per hour', () => {
  it('an auto-responder gets the welcome and 3 hints, then silence: the conversation stops', async () => {
    const phone = newPhone();
    await member(phone);
    await waitFor(() => fake.byTo(phone).length === 1, 'welcome');

    const answered = await autoResponder(phone);
    const sent = fake.byTo(phone);
    // The welcome, then exactly the hourly budget of hints; each of our texts was answered by the responder.
    expect(sent).toHaveLength(1 + LIMITS.perPhonePerHour);
    expect(answered).toBe(sent.length);
    const hints = await database.db
      .select()
      .from(messages)
      .where(and(eq(messages.toPhone, phone), eq(messages.kind, 'confirm_hint')));
    expect(hints.filter((m) => m.status !== 'dropped')).toHaveLength(LIMITS.perPhonePerHour);
    // The one over the limit is recorded as dropped (not sent), with its reason.
    expect(hints.filter((m) => m.status === 'dropped').map((m) => m.errorMessage)).toEqual([
      'auto_reply_limit',
    ]);
    // Every inbound text is stored, including the one answered by silence.
    expect(await storedFrom(phone)).toHaveLength(answered);
  });

  it('HELP is answered once per hour per phone, whatever else was limited, and again after the hour', async () => {
    const phone = newPhone();
    const helps = () => fake.byTo(phone).filter((m) => m.body === keywordReply('help', BRAND));
    await text(phone, 'HELP');
    await waitFor(() => helps().length === 1, 'first HELP answered');
    await text(phone, 'help');
    await text(phone, 'INFO');
    await waitFor(
      async () =>
        (await database.db.select().from(messages).where(eq(messages.toPhone, phone))).filter(
          (m) => m.errorMessage === 'auto_reply_limit',
        ).length === 2,
      'the two repeated HELPs dropped',
    );
    expect(helps()).toHaveLength(1);
    expect(await storedFrom(phone)).toHaveLength(3);

    await env.sleep('61 minutes'); // the time-skipping server's clock: the hour has passed
    await text(phone, 'HELP');
    await waitFor(() => helps().length === 2, 'HELP answered again after an hour');
  });
});
