/**
 * Compliance keywords end to end through the webhook: real Postgres, a real Temporal server (time-skipping) and
 * worker, and the official twilio SDK sending to a fake Twilio. Webhooks are signed as Twilio signs them.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { consentState } from '../../db/consent.js';
import { consentEvents, inboundMessages, members } from '../../db/schema.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { keywordReply } from '../../workflows/lib/texts.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { BRAND, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const PUBLIC = 'https://crewline.example.com';
const OUR_NUMBER = '+15005550006';
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
    }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  // Crewline-managed keywords: a Twilio number with its opt-out handling turned off (test/api/opt-out-modes.test.ts
  // covers the Twilio-managed default).
  app = testApp(database.db, env.client, { twilio, publicBaseUrl: PUBLIC, optOutManagedBy: 'crewline' });
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

const newPhone = () => `+1415555${String(2000 + phoneSeq++).padStart(4, '0')}`;

/** Twilio posting an inbound SMS, signed over our public URL. */
async function text(from: string, body: string) {
  const params = {
    MessageSid: `SM${String(++sidSeq).padStart(32, '0')}`,
    AccountSid: fake.accountSid,
    From: from,
    To: OUR_NUMBER,
    Body: body,
    NumMedia: '0',
  };
  const url = `${PUBLIC}/webhooks/twilio/sms`;
  const res = await app.request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': fake.signInbound(url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
  return (await database.db.query.inboundMessages.findFirst({
    where: eq(inboundMessages.providerSid, params.MessageSid),
  }))!;
}

const repliesTo = (phone: string, kind: 'opt_out' | 'opt_in' | 'help') =>
  fake.byTo(phone).filter((m) => m.body === keywordReply(kind, BRAND));
/** Let workflows started by the last webhook finish their sends. */
const settle = () => new Promise((r) => setTimeout(r, 700));

async function member(phone: string) {
  const id = crypto.randomUUID();
  await database.db
    .insert(members)
    .values({ id, name: 'K', phone, timezone: 'America/New_York', checkInTime: '19:00' });
  await env.client.workflow.start(memberWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: memberWorkflowId(id),
    args: [{ memberId: id, timezone: 'America/New_York', checkInTime: '19:00' }],
  });
  return id;
}

describe('opt-out keywords (any case, whitespace, punctuation)', () => {
  const optOuts = [
    'STOP',
    'stop',
    ' Stop. ',
    'STOP!',
    'STOP ALL',
    'stopall',
    'Unsubscribe',
    'cancel',
    'END',
    'quit',
    'Revoke',
    'OPTOUT',
    'opt-out',
  ];
  it.each(optOuts)('%j opts the number out everywhere and confirms exactly once', async (body) => {
    const phone = newPhone();
    const row = await text(phone, body);
    expect(row.kind).toBe('opt_out');
    const state = await consentState(database.db, phone);
    expect(state).toMatchObject({ optedOut: true, transactional: false, marketing: false });
    const [event] = await database.db.select().from(consentEvents).where(eq(consentEvents.phone, phone));
    expect(event).toMatchObject({ purpose: 'all', action: 'opt_out', source: 'sms_keyword' });
    expect(event!.evidence).toMatchObject({ inboundMessageId: row.id, providerSid: row.providerSid });
    // The confirmation is sent although the number is now suppressed, and only once.
    await waitFor(() => repliesTo(phone, 'opt_out').length === 1, 'opt-out confirmation');
    await settle();
    expect(fake.byTo(phone)).toHaveLength(1);
  });

  it.each(['stop texting me so early', 'stop by later', 'Yes I ran', 'helpful tip'])(
    '%j is a normal message, not a keyword',
    async (body) => {
      const phone = newPhone();
      await member(phone);
      const row = await text(phone, body);
      expect(row.kind).toBe('message');
      expect(row.routeStatus).toBe('routed');
      expect((await consentState(database.db, phone)).optedOut).toBe(false);
    },
  );
});

describe('a member texting STOP, STOP, Y, HELP, START', () => {
  it('one confirmation per change, HELP always answered, the workflow learns, and START resumes', async () => {
    const phone = newPhone();
    const id = await member(phone);

    await text(phone, 'STOP');
    await waitFor(() => repliesTo(phone, 'opt_out').length === 1, 'opt-out confirmation');
    await waitFor(
      async () =>
        (await env.client.workflow.getHandle(memberWorkflowId(id)).query(memberStateQuery)).status ===
        'opted_out',
      'workflow opted out',
    );
    expect((await database.db.query.members.findFirst({ where: eq(members.id, id) }))?.status).toBe(
      'opted_out',
    );

    // A second STOP changes nothing: no second confirmation.
    const again = await text(phone, 'stop');
    await settle();
    expect(repliesTo(phone, 'opt_out')).toHaveLength(1);
    const [secondEvent] = await database.db
      .select()
      .from(consentEvents)
      .where(and(eq(consentEvents.phone, phone), eq(consentEvents.dedupeKey, `inbound:${again.id}`)));
    expect(secondEvent?.changed).toBe(false);

    // HELP is answered even while opted out, naming the brand and a contact.
    await text(phone, 'help');
    await waitFor(() => repliesTo(phone, 'help').length === 1, 'help reply');
    expect(repliesTo(phone, 'help')[0]!.body).toContain(BRAND.name);
    expect(repliesTo(phone, 'help')[0]!.body).toContain(BRAND.support);

    // START: opted back in, one confirmation, the workflow resumes.
    await text(phone, 'Start');
    await waitFor(() => repliesTo(phone, 'opt_in').length === 1, 'opt-in confirmation');
    expect(await consentState(database.db, phone)).toMatchObject({ optedOut: false, transactional: true });
    await waitFor(
      async () =>
        (await env.client.workflow.getHandle(memberWorkflowId(id)).query(memberStateQuery)).status ===
        'active',
      'workflow active',
    );
    await settle();
    expect(fake.byTo(phone).map((m) => m.body)).toEqual([
      keywordReply('opt_out', BRAND),
      keywordReply('help', BRAND),
      keywordReply('opt_in', BRAND),
    ]);
  });

  it('YES opts back in only a number that is opted out; otherwise it belongs to the conversation', async () => {
    const phone = newPhone();
    await member(phone);
    expect((await text(phone, 'YES')).kind).toBe('message');
    await text(phone, 'STOP');
    expect((await text(phone, 'yes')).kind).toBe('opt_in');
    await waitFor(() => repliesTo(phone, 'opt_in').length === 1, 'opt-in confirmation');
    expect((await consentState(database.db, phone)).optedOut).toBe(false);
  });

  it('STOP from a number we do not know is still honoured and confirmed', async () => {
    const phone = newPhone();
    const row = await text(phone, 'STOP');
    expect(row.memberId).toBeNull();
    expect(row.routeStatus).toBe('routed');
    await waitFor(() => repliesTo(phone, 'opt_out').length === 1, 'confirmation');
    expect((await consentState(database.db, phone)).optedOut).toBe(true);
  });
});
