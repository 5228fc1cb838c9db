/**
 * Revocation in plain words end to end through the webhook (real Postgres, time-skipping Temporal, the twilio SDK
 * against the fake Twilio): a phrase opts the number out everywhere — ledger, suppression, member row and the
 * member's workflow — with exactly one confirmation; a second phrase confirms nothing more.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { consentState } from '../../db/consent.js';
import { consentEvents, inboundMessages, members, suppressions } from '../../db/schema.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { REVOCATION_KEYWORD } from '../../workflows/lib/revocation.js';
import { keywordReply } from '../../workflows/lib/texts.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
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
let apps: Record<'crewline' | 'twilio', ReturnType<typeof testApp>>;
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
  apps = {
    crewline: testApp(database.db, env.client, {
      twilio,
      publicBaseUrl: PUBLIC,
      optOutManagedBy: 'crewline',
    }),
    twilio: testApp(database.db, env.client, { twilio, publicBaseUrl: PUBLIC, optOutManagedBy: 'twilio' }),
  };
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

const newPhone = () => `+1415556${String(3000 + phoneSeq++).padStart(4, '0')}`;

async function text(from: string, body: string, mode: 'crewline' | 'twilio' = 'crewline') {
  const params = {
    MessageSid: `SM${String(++sidSeq).padStart(32, '7')}`,
    AccountSid: fake.accountSid,
    From: from,
    To: OUR_NUMBER,
    Body: body,
    NumMedia: '0',
  };
  const res = await apps[mode].request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': fake.signInbound(`${PUBLIC}/webhooks/twilio/sms`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
  return (await database.db.query.inboundMessages.findFirst({
    where: eq(inboundMessages.providerSid, params.MessageSid),
  }))!;
}

async function member(phone: string) {
  const id = crypto.randomUUID();
  await database.db
    .insert(members)
    .values({ id, name: 'R', phone, timezone: 'America/New_York', checkInTime: '19:00' });
  await env.client.workflow.start(memberWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: memberWorkflowId(id),
    args: [{ memberId: id, timezone: 'America/New_York', checkInTime: '19:00' }],
  });
  return id;
}

const settle = () => new Promise((r) => setTimeout(r, 700));
const optOutReplies = (phone: string) =>
  fake.byTo(phone).filter((m) => m.body === keywordReply('opt_out', BRAND));

describe('revocation in plain words through the webhook', () => {
  it('"Please stop texting me" opts a member out everywhere with exactly one confirmation', async () => {
    const phone = newPhone();
    const id = await member(phone);

    const row = await text(phone, 'Please stop texting me.');
    expect(row).toMatchObject({ kind: 'opt_out', keyword: REVOCATION_KEYWORD });
    expect(await consentState(database.db, phone)).toMatchObject({ optedOut: true, transactional: false });
    const events = await database.db.select().from(consentEvents).where(eq(consentEvents.phone, phone));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      purpose: 'all',
      action: 'opt_out',
      source: 'sms_keyword',
      changed: true,
    });
    expect(events[0]!.evidence).toMatchObject({ inboundMessageId: row.id, keyword: REVOCATION_KEYWORD });
    const [supp] = await database.db.select().from(suppressions).where(eq(suppressions.phone, phone));
    expect(supp).toMatchObject({ reason: 'opt_out', detail: REVOCATION_KEYWORD });

    // The member's workflow learns it and the member row says so.
    await waitFor(
      async () =>
        (await env.client.workflow.getHandle(memberWorkflowId(id)).query(memberStateQuery)).status ===
        'opted_out',
      'member workflow opted out',
    );
    expect((await database.db.query.members.findFirst({ where: eq(members.id, id) }))?.status).toBe(
      'opted_out',
    );
    await waitFor(() => optOutReplies(phone).length === 1, 'one confirmation');

    // Said again in other words: nothing changes, no second confirmation.
    const again = await text(phone, 'no more messages!');
    expect(again.kind).toBe('opt_out');
    await settle();
    expect(fake.byTo(phone)).toHaveLength(1);
    expect(optOutReplies(phone)).toHaveLength(1);
  });

  it('a Spanish phrase gets Crewline’s confirmation even when Twilio manages keywords (Twilio did not answer it)', async () => {
    const phone = newPhone();
    const row = await text(phone, 'por favor dejen de enviarme mensajes', 'twilio');
    expect(row.kind).toBe('opt_out');
    expect((await consentState(database.db, phone)).optedOut).toBe(true);
    await waitFor(() => optOutReplies(phone).length === 1, 'one confirmation');
    await settle();
    expect(fake.byTo(phone)).toHaveLength(1);
  });

  it('a check-in answer that mentions stopping stays a message and changes no consent', async () => {
    const phone = newPhone();
    await member(phone);
    const row = await text(phone, 'N stopped early');
    expect(row.kind).toBe('message');
    expect((await consentState(database.db, phone)).optedOut).toBe(false);
    await settle();
    expect(optOutReplies(phone)).toHaveLength(0);
  });
});
