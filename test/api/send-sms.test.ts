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
import { conversationExpectations, members, messages } from '../../db/schema.js';
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

describe('Twilio error classes beyond the number', () => {
  it('21611 (sender queue full) is retried later, with a growing delay, and never suppresses', async () => {
    const m = await newMember();
    fake.failNext(2, { status: 400, code: 21611, message: 'queue full' });
    const first = await expectFailure(attempt(input(m.id, 'k:21611'), 1));
    expect(first).toMatchObject({ nonRetryable: false, type: 'ProviderQueueFull' });
    const second = await expectFailure(attempt(input(m.id, 'k:21611'), 2));
    // Minutes, not the 2 s of an ordinary retry: Twilio's queue holds hours of a sender's texts.
    expect(first.nextRetryDelay).toBe(60_000);
    expect(second.nextRetryDelay).toBe(120_000);
    expect(await row('k:21611')).toMatchObject({ status: 'pending', errorCode: 21611 });
    expect((await consentState(database.db, m.phone)).suppressed).toEqual([]);
    expect((await attempt(input(m.id, 'k:21611'), 3)).outcome).toBe('sent');
    expect(fake.byTo(m.phone)).toHaveLength(1);
  });

  it('21408 (no permission for that region) fails the message with its code but keeps the number', async () => {
    const m = await newMember();
    fake.failNext(1, { status: 400, code: 21408, message: 'region not enabled' });
    const failure = await expectFailure(attempt(input(m.id, 'k:21408')));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'Provider_region_blocked' });
    // Operators see it on the message (GET /messages/:id shows status, errorCode and errorMessage).
    const r = await row('k:21408');
    expect(r).toMatchObject({ status: 'failed', errorCode: 21408 });
    expect(r!.errorMessage).toMatch(/^region_blocked/);
    expect((await consentState(database.db, m.phone)).suppressed).toEqual([]);
    // Once the account setting is fixed, the number is texted again.
    expect((await attempt(input(m.id, 'k:21408:after'))).outcome).toBe('sent');
  });

  it("Twilio's own block (the person texted STOP at Twilio) surfaces as 21610 and suppresses", async () => {
    const m = await newMember();
    await fake.postInbound(`${fake.baseUrl}/webhook-not-listening`, {
      From: m.phone,
      To: '+15005550006',
      Body: 'stop',
    });
    expect(fake.isBlocked('+15005550006', m.phone)).toBe(true);
    expect(fake.autoReplies).toMatchObject([{ to: m.phone, type: 'STOP' }]);
    const failure = await expectFailure(attempt(input(m.id, 'k:blocked')));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'Provider_suppress' });
    expect((await consentState(database.db, m.phone)).suppressed).toContain('carrier_unsubscribed');
    expect(fake.byTo(m.phone)).toHaveLength(0);
  });
});

describe('ValidityPeriod from the purpose of the text', () => {
  // Instants after today, so the activity's clock (the later of the attempt's schedule time and now) is them.
  const NY_NOON = Date.parse('2030-01-15T17:00:00Z'); // 12:00 in New York (EST)
  const at = (i: SendSmsInput, nowMs: number) =>
    activityEnvironment({ attempt: 1, currentAttemptScheduledTimestampMs: nowMs }).run(acts.sendSms, i);

  it('a keyword reply is valid 15 minutes; a prompt at most 4 hours', async () => {
    const m = await newMember();
    await attempt({ ...input(m.id, 'k:v:kw'), kind: 'opt_out_reply', keywordReply: true });
    await attempt(input(m.id, 'k:v:prompt'));
    const [kw, prompt] = fake.byTo(m.phone);
    expect(kw!.validityPeriod).toBe(900);
    expect(prompt!.validityPeriod).toBeLessThanOrEqual(4 * 3600);
    expect((await row('k:v:prompt'))!.validitySeconds).toBe(prompt!.validityPeriod);
  });

  it('a prompt never outlives the local day; a text in a window never outlives the window', async () => {
    const m = await newMember();
    // 22:30 in New York: a check-in prompt queued now must not arrive after midnight.
    await at(input(m.id, 'k:v:late'), Date.parse('2030-01-16T03:30:00Z'));
    expect(fake.byTo(m.phone)[0]!.validityPeriod).toBe(90 * 60);
    // A nudge with a 08:00–21:00 window at 12:00: at most 4 h; at 20:00: at most the hour left.
    const nudge = { ...input(m.id, 'k:v:nudge'), kind: 'nudge', window: { start: '08:00', end: '21:00' } };
    await at(nudge, NY_NOON);
    await at({ ...nudge, idempotencyKey: 'k:v:nudge2' }, Date.parse('2030-01-16T01:00:00Z'));
    expect(fake.byTo(m.phone)[1]!.validityPeriod).toBe(4 * 3600);
    expect(fake.byTo(m.phone)[2]!.validityPeriod).toBe(3600);
  });

  it('the fake fails what is still queued past its validity with 30036, as Twilio does', async () => {
    const m = await newMember();
    await attempt({ ...input(m.id, 'k:v:expire'), kind: 'opt_in_reply', keywordReply: true });
    const [msg] = fake.byTo(m.phone);
    expect(fake.expireQueued(msg!.createdAt.getTime() + 899_000)).toHaveLength(0);
    expect(fake.expireQueued(msg!.createdAt.getTime() + 900_000)).toEqual([
      expect.objectContaining({ status: 'failed', errorCode: 30036 }),
    ]);
  });
});

describe('a text that expects an answer', () => {
  it('records who expects it (the calling workflow id), with the outbox row, once per key', async () => {
    const m = await newMember();
    const untilMs = Date.now() + 3_600_000;
    const send = (n: number): Promise<SendSmsResult> =>
      activityEnvironment({
        attempt: n,
        workflowExecution: { workflowId: 'crew-7', runId: `run-${n}` },
      }).run(acts.sendSms, { ...input(m.id, 'k:expect'), expectReply: { accepts: 'crew_vote', untilMs } });
    expect((await send(1)).outcome).toBe('sent');
    expect((await send(2)).outcome).toBe('already_sent');
    const rows = await database.db
      .select()
      .from(conversationExpectations)
      .where(eq(conversationExpectations.phone, m.phone));
    expect(rows).toEqual([
      expect.objectContaining({
        workflowId: 'crew-7',
        accepts: 'crew_vote',
        idempotencyKey: 'k:expect',
        expiresAt: new Date(untilMs),
      }),
    ]);
  });

  it('a dropped text records no expectation', async () => {
    const m = await newMember();
    await recordConsent(database.db, { phone: m.phone, purpose: 'all', action: 'opt_out', source: 'api' });
    await activityEnvironment({ workflowExecution: { workflowId: 'crew-8', runId: 'r' } }).run(acts.sendSms, {
      ...input(m.id, 'k:expect:dropped'),
      expectReply: { accepts: 'x', untilMs: Date.now() + 60_000 },
    });
    expect(
      await database.db
        .select()
        .from(conversationExpectations)
        .where(eq(conversationExpectations.phone, m.phone)),
    ).toEqual([]);
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
