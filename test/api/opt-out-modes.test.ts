/**
 * The two opt-out modes against the fake Twilio, which behaves as Twilio does by default: it blocks a number that
 * texted STOP, answers keywords itself and refuses later sends with 21610 (test/fakes/twilio.ts). Inbound texts
 * go through the fake (signed, with its own keyword handling first) to the API served over HTTP; outbound texts
 * go through the official SDK to the fake. Real Postgres, the time-skipping Temporal server and the workers.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { OptOutManagedBy } from '../../activities/sms/provider.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { consentHistory, consentState } from '../../db/consent.js';
import { inboundMessages, members } from '../../db/schema.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { confirmedText, welcomeText } from '../../workflows/member/texts.js';
import { TWILIO_MODE_CONFIRM_WORD } from '../../workflows/member/values.js';
import { keywordReply } from '../../workflows/lib/texts.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { startFakeTwilio, TWILIO_AUTO_REPLIES, type FakeTwilio } from '../fakes/twilio.js';
import { auth, BRAND, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const OUR_NUMBER = '+15005550006';
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeTwilio;
let worker: Workers;
let running: Promise<void>;
const servers: ServerType[] = [];
const urls = {} as Record<OptOutManagedBy, string>;
let phoneSeq = 0;

/** The API served over HTTP (Twilio posts to it), its public URL being where it listens. */
async function serveApp(mode: OptOutManagedBy): Promise<string> {
  const late: { app?: ReturnType<typeof testApp> } = {};
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: (req) => late.app!.fetch(req), port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s),
    );
  });
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const twilio = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: OUR_NUMBER,
    apiBaseUrl: fake.baseUrl,
  };
  late.app = testApp(database.db, env.client, { twilio, publicBaseUrl: url, optOutManagedBy: mode });
  return url;
}

beforeAll(async () => {
  [env, database, fake] = await Promise.all([timeSkippingEnv(), createTestDatabase(), startFakeTwilio()]);
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({
      db: database.db,
      sms: createTwilioProvider({
        accountSid: fake.accountSid,
        authToken: fake.authToken,
        from: OUR_NUMBER,
        apiBaseUrl: fake.baseUrl,
        publicBaseUrl: 'https://crewline.example.com',
      }),
    }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  urls.twilio = await serveApp('twilio');
  urls.crewline = await serveApp('crewline');
});
afterAll(async () => {
  for (const s of servers) s.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});
beforeEach(() => fake.configureOptOut('default'));

const newPhone = () => `+1415558${String(1000 + phoneSeq++).padStart(4, '0')}`;
const settle = () => new Promise((r) => setTimeout(r, 800));

/** The person texts our number: Twilio handles its keywords, then posts the webhook to the API. */
async function text(mode: OptOutManagedBy, from: string, body: string) {
  const res = await fake.postInbound(`${urls[mode]}/webhooks/twilio/sms`, {
    From: from,
    To: OUR_NUMBER,
    Body: body,
  });
  expect(res.status).toBe(200);
  const sid = fake.inbound[fake.inbound.length - 1]!.params.MessageSid!;
  return (await database.db.query.inboundMessages.findFirst({
    where: eq(inboundMessages.providerSid, sid),
  }))!;
}

async function member(phone: string, opts: { onboarding?: boolean } = {}) {
  const id = crypto.randomUUID();
  await database.db.insert(members).values({
    id,
    name: 'O',
    phone,
    timezone: 'America/New_York',
    checkInTime: '19:00',
    status: opts.onboarding ? 'pending_confirmation' : 'active',
  });
  const handle = await env.client.workflow.start(memberWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: memberWorkflowId(id),
    args: [{ memberId: id, timezone: 'America/New_York', checkInTime: '19:00', onboarding: opts.onboarding }],
  });
  return { id, handle };
}

const liveStatus = async (id: string) =>
  (await env.client.workflow.getHandle(memberWorkflowId(id)).query(memberStateQuery)).status;
const rowStatus = async (id: string) =>
  (await database.db.query.members.findFirst({ where: eq(members.id, id) }))?.status;

describe('Twilio-managed (a plain long code: Twilio blocks, answers, refuses with 21610)', () => {
  it('STOP: Twilio answers, Crewline records consent and tells the workflow, and sends nothing itself', async () => {
    const phone = newPhone();
    const m = await member(phone);
    const row = await text('twilio', phone, 'STOP');
    expect(row.kind).toBe('opt_out');
    expect(fake.isBlocked(OUR_NUMBER, phone)).toBe(true);
    expect(await consentState(database.db, phone)).toMatchObject({ optedOut: true });
    expect(await rowStatus(m.id)).toBe('opted_out');
    await waitFor(async () => (await liveStatus(m.id)) === 'opted_out', 'the workflow opted out');
    await settle();
    // One answer only, Twilio's.
    expect(fake.autoReplies.filter((r) => r.to === phone)).toMatchObject([
      { type: 'STOP', body: TWILIO_AUTO_REPLIES.STOP },
    ]);
    expect(fake.byTo(phone)).toEqual([]);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.status === 400)).toEqual([]);
  });

  it('HELP and START are answered by Twilio alone; START opts back in and resumes the workflow', async () => {
    const phone = newPhone();
    const m = await member(phone);
    await text('twilio', phone, 'STOP');
    await text('twilio', phone, 'help');
    await text('twilio', phone, 'start');
    expect(fake.isBlocked(OUR_NUMBER, phone)).toBe(false);
    expect((await consentState(database.db, phone)).optedOut).toBe(false);
    await waitFor(async () => (await liveStatus(m.id)) === 'active', 'the workflow active again');
    await settle();
    expect(fake.autoReplies.filter((r) => r.to === phone).map((r) => r.type)).toEqual([
      'STOP',
      'HELP',
      'START',
    ]);
    expect(fake.byTo(phone)).toEqual([]); // no doubled confirmations
  });

  it('a keyword only Crewline understands ("opt-out") gets Crewline\'s one confirmation', async () => {
    const phone = newPhone();
    const row = await text('twilio', phone, 'opt-out');
    expect(row.kind).toBe('opt_out');
    expect(fake.isBlocked(OUR_NUMBER, phone)).toBe(false); // Twilio did not act on it
    expect(fake.autoReplies.filter((r) => r.to === phone)).toEqual([]);
    await waitFor(() => fake.byTo(phone).length === 1, "Crewline's confirmation");
    expect(fake.byTo(phone)[0]!.body).toBe(keywordReply('opt_out', BRAND));
  });

  it('onboarding YES still confirms the member (Twilio also answers YES, its opt-in keyword)', async () => {
    const phone = newPhone();
    const m = await member(phone, { onboarding: true });
    await waitFor(() => fake.byTo(phone).length === 1, 'the welcome text');
    const row = await text('twilio', phone, 'YES');
    expect(row.kind).toBe('message');
    await waitFor(async () => (await liveStatus(m.id)) === 'active', 'the member confirmed');
    await waitFor(() => fake.byTo(phone).some((x) => x.body === confirmedText('19:00')), 'the confirmation');
    expect(await rowStatus(m.id)).toBe('active');
    await settle();
    expect(fake.byTo(phone).filter((x) => x.body === keywordReply('opt_in', BRAND))).toEqual([]);
  });
  it('a member created through the API is asked to reply GO (not a Twilio keyword); GO confirms, Twilio stays silent', async () => {
    const phone = newPhone();
    const res = await fetch(`${urls.twilio}/members`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'G', phone, timezone: 'America/New_York', checkInTime: '19:00' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await waitFor(() => fake.byTo(phone).length === 1, 'the welcome text');
    expect(fake.byTo(phone)[0]!.body).toBe(welcomeText('19:00', TWILIO_MODE_CONFIRM_WORD));
    await text('twilio', phone, TWILIO_MODE_CONFIRM_WORD);
    await waitFor(async () => (await liveStatus(id)) === 'active', 'the member confirmed');
    await waitFor(() => fake.byTo(phone).some((x) => x.body === confirmedText('19:00')), 'the confirmation');
    await settle();
    expect(fake.autoReplies.filter((r) => r.to === phone)).toEqual([]);
    expect(fake.byTo(phone)).toHaveLength(2);
  });
});

describe('Twilio-managed with Advanced Opt-Out (OptOutType on the webhook)', () => {
  it('OptOutType=STOP with a non-English body ("ARRET") opts out, overriding our own classifier', async () => {
    fake.configureOptOut('advanced', { STOP: ['ARRET'] });
    const phone = newPhone();
    const m = await member(phone);
    const row = await text('twilio', phone, 'Arret');
    expect(row).toMatchObject({ kind: 'opt_out', optOutType: 'STOP', keyword: 'STOP' });
    expect(await consentState(database.db, phone)).toMatchObject({ optedOut: true });
    const [event] = await consentHistory(database.db, phone);
    expect(event!.evidence).toMatchObject({ inboundMessageId: row.id, optOutType: 'STOP' });
    await waitFor(async () => (await liveStatus(m.id)) === 'opted_out', 'the workflow opted out');
    await settle();
    expect(fake.byTo(phone)).toEqual([]); // Twilio answered in the configured language
  });
});

describe('Crewline-managed (a number with Twilio opt-out handling turned off)', () => {
  it('STOP and START: Crewline confirms each change once; Twilio says nothing', async () => {
    fake.configureOptOut('off');
    const phone = newPhone();
    const m = await member(phone);
    await text('crewline', phone, 'STOP');
    await waitFor(() => fake.byTo(phone).length === 1, 'the opt-out confirmation');
    await waitFor(async () => (await liveStatus(m.id)) === 'opted_out', 'the workflow opted out');
    await text('crewline', phone, 'STOP');
    await text('crewline', phone, 'START');
    await waitFor(() => fake.byTo(phone).length === 2, 'the opt-in confirmation');
    await settle();
    expect(fake.byTo(phone).map((x) => x.body)).toEqual([
      keywordReply('opt_out', BRAND),
      keywordReply('opt_in', BRAND),
    ]);
    expect(fake.autoReplies.filter((r) => r.to === phone)).toEqual([]);
  });
});
