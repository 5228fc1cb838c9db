/**
 * The `sendSms` activity with the official twilio SDK against the fake Twilio: exactly-once per idempotency key,
 * provider failures classified (retry what is safe, never what can double-send), ambiguous creates reconciled.
 */
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { consentHistory, consentState, recordConsent } from '../../db/consent.js';
import { members, messages } from '../../db/schema.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { activityEnvironment } from '../helpers/activity.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeTwilio;
let acts: ReturnType<typeof createActivities>;
let seq = 0;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeTwilio()]);
  const sms = createTwilioProvider({
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: '+15005550006',
    apiBaseUrl: fake.baseUrl,
    publicBaseUrl: 'https://crewline.example.com',
  });
  acts = createActivities({ db: database.db, sms });
});
afterAll(async () => {
  await database?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function newMember() {
  const id = crypto.randomUUID();
  const phone = `+1415555${String(3000 + seq++).padStart(4, '0')}`;
  await database.db
    .insert(members)
    .values({ id, name: 'S', phone, timezone: 'America/New_York', checkInTime: '19:00' });
  return { id, phone };
}
const input = (memberId: string, key: string): SendSmsInput => ({
  idempotencyKey: key,
  to: { memberId },
  kind: 'checkin_prompt',
  purpose: 'transactional',
  body: `Check-in ${key}`,
});
/** One activity attempt, as Temporal would run it. */
const attempt = (i: SendSmsInput, n = 1): Promise<SendSmsResult> =>
  activityEnvironment({ attempt: n }).run(acts.sendSms, i);
const row = (key: string) =>
  database.db.query.messages.findFirst({ where: eq(messages.idempotencyKey, key) });

async function expectFailure(p: Promise<unknown>) {
  const err = await p.then(
    () => {
      throw new Error('expected the activity to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('exactly once per idempotency key', () => {
  it('sends, records the provider sid, and never sends the same key again', async () => {
    const m = await newMember();
    const first = await attempt(input(m.id, 'k:once'));
    expect(first.outcome).toBe('sent');
    const again = await attempt(input(m.id, 'k:once'), 2);
    expect(again).toMatchObject({ outcome: 'already_sent' });
    expect(fake.byTo(m.phone)).toHaveLength(1);
    const r = await row('k:once');
    expect(r).toMatchObject({ status: 'queued', providerSid: fake.byTo(m.phone)[0]!.sid, attempts: 1 });
    // The status callback URL carries the outbox id, so callbacks can be tied to the row even without the sid.
    expect(fake.byTo(m.phone)[0]!.statusCallback).toBe(
      `https://crewline.example.com/webhooks/twilio/status?outboxId=${r!.id}`,
    );
  });

  it('an ambiguous create (Twilio accepted, the connection dropped) is reconciled, not sent twice', async () => {
    const m = await newMember();
    fake.dropAfterAcceptNext(1);
    const failure = await expectFailure(attempt(input(m.id, 'k:ambiguous')));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('ProviderAmbiguous');
    expect(fake.byTo(m.phone)).toHaveLength(1); // Twilio has it
    expect((await row('k:ambiguous'))?.status).toBe('attempting');
    // Temporal retries: the retry finds the message at Twilio and records it instead of sending again.
    const retry = await attempt(input(m.id, 'k:ambiguous'), 2);
    expect(retry).toMatchObject({ outcome: 'already_sent', providerSid: fake.byTo(m.phone)[0]!.sid });
    expect(fake.byTo(m.phone)).toHaveLength(1);
  });

  it('a 5xx where Twilio did not keep the message: the retry finds nothing and sends once', async () => {
    const m = await newMember();
    fake.failNext(1, { status: 500, code: 20500, message: 'Internal Server Error' });
    const failure = await expectFailure(attempt(input(m.id, 'k:5xx')));
    expect(failure.nonRetryable).toBe(false);
    expect(fake.byTo(m.phone)).toHaveLength(0);
    expect((await attempt(input(m.id, 'k:5xx'), 2)).outcome).toBe('sent');
    expect(fake.byTo(m.phone)).toHaveLength(1);
  });
});

describe('provider failures are classified', () => {
  it('429 (never processed) is retried: the row goes back to pending, and the retry sends once', async () => {
    const m = await newMember();
    fake.failNext(1, { status: 429, code: 20429, message: 'Too Many Requests' });
    const failure = await expectFailure(attempt(input(m.id, 'k:429')));
    expect(failure).toMatchObject({ nonRetryable: false, type: 'ProviderTransient' });
    expect((await row('k:429'))?.status).toBe('pending');
    expect((await attempt(input(m.id, 'k:429'), 2)).outcome).toBe('sent');
    expect(fake.byTo(m.phone)).toHaveLength(1);
  });

  it('21610 (recipient unsubscribed) is never retried and suppresses the number', async () => {
    const m = await newMember();
    fake.failFor(m.phone, { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const failure = await expectFailure(attempt(input(m.id, 'k:21610')));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'Provider_suppress' });
    expect(await row('k:21610')).toMatchObject({ status: 'failed', errorCode: 21610 });
    expect((await consentState(database.db, m.phone)).suppressed).toContain('carrier_unsubscribed');
    const history = await consentHistory(database.db, m.phone);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'opt_out', source: 'carrier' });
    // Later texts to that number are dropped before reaching Twilio.
    const creates = fake.creates;
    expect(await attempt(input(m.id, 'k:21610:later'))).toMatchObject({ outcome: 'dropped' });
    expect(fake.creates).toBe(creates);
  });

  it.each([
    [21211, 'invalid To number'],
    [21614, 'not a mobile number'],
  ])('%i (%s) marks the number invalid and is never retried', async (code) => {
    const m = await newMember();
    fake.failFor(m.phone, { status: 400, code, message: 'bad number' });
    const failure = await expectFailure(attempt(input(m.id, `k:${code}`)));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'Provider_invalid_number' });
    expect((await consentState(database.db, m.phone)).suppressed).toContain('invalid_number');
  });
});

describe('the gate', () => {
  it('drops a text to an opted-out number without calling Twilio, and keeps the reason', async () => {
    const m = await newMember();
    await recordConsent(database.db, { phone: m.phone, purpose: 'all', action: 'opt_out', source: 'api' });
    const creates = fake.creates;
    expect(await attempt(input(m.id, 'k:optedout'))).toMatchObject({
      outcome: 'dropped',
      reason: 'suppressed:opt_out',
    });
    expect(fake.creates).toBe(creates);
    expect(await row('k:optedout')).toMatchObject({ status: 'dropped', providerSid: null });
  });

  it('lets a keyword reply through to a number that has just opted out', async () => {
    const m = await newMember();
    await recordConsent(database.db, { phone: m.phone, purpose: 'all', action: 'opt_out', source: 'api' });
    const res = await attempt({ ...input(m.id, 'k:confirm'), kind: 'opt_out_reply', keywordReply: true });
    expect(res.outcome).toBe('sent');
  });
});

describe('start-up check of the provider', () => {
  it('passes with the right credentials and fails fast, naming the variables, with a wrong token', async () => {
    const opts = {
      accountSid: fake.accountSid,
      from: '+15005550006',
      apiBaseUrl: fake.baseUrl,
      publicBaseUrl: 'https://x.example',
    };
    await expect(
      createTwilioProvider({ ...opts, authToken: fake.authToken }).verify!(),
    ).resolves.toBeUndefined();
    await expect(createTwilioProvider({ ...opts, authToken: 'wrong-token' }).verify!()).rejects.toThrow(
      /TWILIO_AUTH_TOKEN/,
    );
  });
});
