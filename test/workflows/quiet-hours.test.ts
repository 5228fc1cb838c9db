/**
 * Quiet hours and frequency caps on the time-skipping server: the real `sendSms` activity (real Postgres, the
 * sandbox provider) inside `messageWorkflow`; a deferral is a durable timer in the workflow. The send instant is
 * the outbox row's `sent_at`, stamped with the server's (skipped) clock.
 */
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConsent } from '../../db/consent.js';
import { members, messages } from '../../db/schema.js';
import { messageWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { messageWorkflow } from '../../workflows/messaging/message.js';
import type { createTestDatabase } from '../helpers/db.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingStack } from '../helpers/stack.js';
import { skipTo } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let stack: Awaited<ReturnType<typeof timeSkippingStack>>;
let phoneSeq = 0;
/**
 * A plain client: its result() does not unlock time skipping. (The testing client's does, and an idle server
 * then races ahead to the next far-away deadline.) Time here moves only through skipTo().
 */
let client: Client;
const resultOf = (h: WorkflowHandle<typeof messageWorkflow>) =>
  client.workflow.getHandle(h.workflowId).result() as ReturnType<typeof messageWorkflow>;

beforeAll(async () => {
  stack = await timeSkippingStack();
  ({ env, database } = stack);
  client = new Client({ connection: env.connection });
});
afterAll(async () => {
  await stack?.close();
});

/** A member who gave marketing consent, with a number in the given area code. */
async function consentingMember(timezone: string, areaCode = '212') {
  const id = crypto.randomUUID();
  const phone = `+1${areaCode}555${String(1000 + phoneSeq++).padStart(4, '0')}`;
  await database.db.insert(members).values({ id, name: 'M', phone, timezone, checkInTime: '19:00' });
  await recordConsent(database.db, {
    phone,
    purpose: 'marketing',
    action: 'opt_in',
    source: 'api',
    evidence: { note: 'test' },
  });
  return id;
}

async function sendMarketing(memberId: string, key: string) {
  return env.client.workflow.start(messageWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: messageWorkflowId(key),
    args: [
      {
        idempotencyKey: key,
        to: { memberId },
        kind: 'promo',
        purpose: 'marketing',
        body: 'Join the spring challenge!',
      },
    ],
  });
}

const sentAt = async (key: string) =>
  (
    await database.db.query.messages.findFirst({ where: eq(messages.idempotencyKey, key) })
  )?.sentAt?.toISOString() ?? null;

// The server clock only moves forward: cases are in chronological order.
describe('a marketing text due in quiet hours goes out when the window opens, local time', () => {
  const cases = [
    // zone, due instant (UTC), expected send (UTC), what it is locally
    ['America/New_York', '2027-01-20T07:00:00Z', '2027-01-20T13:00:00.000Z', '02:00 EST → 08:00 EST'],
    [
      'America/New_York',
      '2027-03-14T06:30:00Z',
      '2027-03-14T12:00:00.000Z',
      'spring-forward night 01:30 EST → 08:00 EDT',
    ],
    [
      'Europe/Berlin',
      '2027-03-28T01:00:00Z',
      '2027-03-28T06:00:00.000Z',
      'DST night 03:00 CEST → 08:00 CEST',
    ],
    ['Asia/Kolkata', '2027-05-01T20:30:00Z', '2027-05-02T02:30:00.000Z', '02:00 IST → 08:00 IST'],
    [
      'Asia/Tokyo',
      '2027-06-01T13:30:00Z',
      '2027-06-01T23:00:00.000Z',
      '22:30 JST (after 21:00) → 08:00 next day',
    ],
    [
      'Europe/Berlin',
      '2027-10-31T01:30:00Z',
      '2027-10-31T07:00:00.000Z',
      'fall-back night 02:30 CET → 08:00 CET',
    ],
    [
      'America/New_York',
      '2027-11-07T06:00:00Z',
      '2027-11-07T13:00:00.000Z',
      'fall-back night 01:00 EST → 08:00 EST',
    ],
  ] as const;

  for (const [tz, due, expected, what] of cases) {
    it(`${tz}: ${what}`, async () => {
      const memberId = await consentingMember(tz);
      await skipTo(env, due);
      const key = `test:quiet:${tz}:${due}`;
      const handle = await sendMarketing(memberId, key);
      // Nothing before the window opens…
      await skipTo(env, new Date(Date.parse(expected) - 60_000));
      await new Promise((r) => setTimeout(r, 300));
      expect(await sentAt(key)).toBeNull();
      // …and it goes out at the opening.
      await skipTo(env, new Date(Date.parse(expected) + 60_000));
      const result = await resultOf(handle);
      expect(result.outcome).toBe('sent');
      const at = Date.parse((await sentAt(key))!);
      expect(at - Date.parse(expected)).toBeGreaterThanOrEqual(0);
      expect(at - Date.parse(expected)).toBeLessThan(5_000);
    });
  }

  it('a transactional text (e.g. a reply to the member) is not held by quiet hours', async () => {
    const memberId = await consentingMember('America/New_York');
    await skipTo(env, '2027-11-10T08:00:00Z'); // 03:00 EST
    const key = 'test:quiet:transactional';
    const handle = await env.client.workflow.start(messageWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: messageWorkflowId(key),
      args: [
        { idempotencyKey: key, to: { memberId }, kind: 'ack', purpose: 'transactional', body: 'Thanks!' },
      ],
    });
    expect((await resultOf(handle)).outcome).toBe('sent');
    expect(Date.parse((await sentAt(key))!) - Date.parse('2027-11-10T08:00:00Z')).toBeLessThan(5_000);
  });
});

describe('Florida (FTSA): at most 3 marketing texts per 24 h, 08:00–20:00', () => {
  it('sends three at once and defers the fourth until 24 h after the first', async () => {
    const memberId = await consentingMember('America/New_York', '305'); // Miami
    await skipTo(env, '2027-12-01T15:00:00Z'); // 10:00 EST
    const handles = [];
    for (let i = 1; i <= 4; i++) {
      handles.push(await sendMarketing(memberId, `test:fl:${i}`));
      await new Promise((r) => setTimeout(r, 200)); // keep them in order
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const first = await sentAt('test:fl:1');
    expect(first).not.toBeNull();
    expect(await sentAt('test:fl:2')).not.toBeNull();
    expect(await sentAt('test:fl:3')).not.toBeNull();
    expect(await sentAt('test:fl:4')).toBeNull();

    const expected = Date.parse(first!) + 24 * 60 * 60 * 1000;
    await skipTo(env, new Date(expected - 60_000));
    await new Promise((r) => setTimeout(r, 300));
    expect(await sentAt('test:fl:4')).toBeNull();
    await skipTo(env, new Date(expected + 60_000));
    for (const h of handles) expect((await resultOf(h)).outcome).toBe('sent');
    const fourth = Date.parse((await sentAt('test:fl:4'))!);
    expect(fourth - expected).toBeGreaterThanOrEqual(0);
    expect(fourth - expected).toBeLessThan(5_000);
  });

  it('a Florida number also keeps the stricter 20:00 end (20:30 local waits for 08:00)', async () => {
    const memberId = await consentingMember('America/New_York', '407'); // Orlando
    await skipTo(env, '2027-12-10T01:30:00Z'); // 20:30 EST on Dec 9
    const handle = await sendMarketing(memberId, 'test:fl:late');
    await skipTo(env, '2027-12-10T13:01:00Z');
    expect((await resultOf(handle)).outcome).toBe('sent');
    await captureHistory('messaging-message-deferred', handle);
    const at = Date.parse((await sentAt('test:fl:late'))!);
    expect(at - Date.parse('2027-12-10T13:00:00Z')).toBeGreaterThanOrEqual(0);
    expect(at - Date.parse('2027-12-10T13:00:00Z')).toBeLessThan(5_000);
  });
});

describe('consent', () => {
  it('a marketing text to a member without marketing consent is dropped, with the reason kept', async () => {
    const id = crypto.randomUUID();
    await database.db
      .insert(members)
      .values({ id, name: 'N', phone: '+12125559999', timezone: 'UTC', checkInTime: '09:00' });
    await skipTo(env, '2027-12-20T12:00:00Z');
    const result = await resultOf(await sendMarketing(id, 'test:noconsent'));
    expect(result).toMatchObject({ outcome: 'dropped', reason: 'no_marketing_consent' });
    const row = await database.db.query.messages.findFirst({
      where: eq(messages.idempotencyKey, 'test:noconsent'),
    });
    expect(row).toMatchObject({ status: 'dropped', errorMessage: 'no_marketing_consent', providerSid: null });
  });
});
