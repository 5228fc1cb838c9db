/**
 * The per-phone daily cap on the time-skipping server: the real `sendSms` gate (real Postgres, the sandbox
 * provider) with MAX_TEXTS_PER_DAY = 3, one `messageWorkflow` per text (each a different workflow, as the member's,
 * a crew challenge's and a match's texts are). A member's prompt, nudge and weekly summary go out; the crew's
 * question and a mentorship reminder that day are held (never dropped) and go out at 08:00 local the next day,
 * ahead of that day's newer texts; a direct reply is never held. Time moves only through skipTo(); state is polled.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendSmsInput } from '../../activities/messaging.js';
import { members, messages } from '../../db/schema.js';
import { messageWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { messageWorkflow } from '../../workflows/messaging/message.js';
import { localDate } from '../../workflows/lib/time.js';
import type { createTestDatabase } from '../helpers/db.js';
import { timeSkippingStack } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const NY = 'America/New_York';
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let stack: Awaited<ReturnType<typeof timeSkippingStack>>;

beforeAll(async () => {
  stack = await timeSkippingStack({ textsPerDay: 3 });
  ({ env, database } = stack);
});
afterAll(async () => {
  await stack?.close();
});

const row = (key: string) =>
  database.db.query.messages.findFirst({ where: eq(messages.idempotencyKey, key) });

async function text(memberId: string, key: string, kind: string): Promise<void> {
  const input: SendSmsInput = {
    idempotencyKey: key,
    to: { memberId },
    kind,
    purpose: 'transactional',
    body: `a ${kind} text`,
  };
  await env.client.workflow.start(messageWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: messageWorkflowId(key),
    args: [input],
  });
}

const sent = (key: string, what: string) =>
  waitFor(
    async () => {
      const r = await row(key);
      return r?.providerSid ? r : undefined;
    },
    what,
    120_000,
  );

const held = (key: string, what: string) =>
  waitFor(
    async () => {
      const r = await row(key);
      return r?.status === 'deferred' ? r : undefined;
    },
    what,
    120_000,
  );

describe('MAX_TEXTS_PER_DAY = 3 across workflows', () => {
  it("holds the 4th and 5th non-reply texts of a member's day and sends them at 08:00 local the next day, before newer texts", async () => {
    const memberId = crypto.randomUUID();
    await database.db
      .insert(members)
      .values({ id: memberId, name: 'M', phone: '+12125550199', timezone: NY, checkInTime: '09:00' });

    await skipTo(env, '2027-02-01T14:00:00Z'); // 09:00 EST
    await text(memberId, 'cap:prompt', 'checkin_prompt');
    await sent('cap:prompt', 'the check-in prompt');
    await text(memberId, 'cap:nudge', 'nudge');
    await sent('cap:nudge', 'the nudge');
    await text(memberId, 'cap:summary', 'weekly_summary');
    await sent('cap:summary', 'the weekly summary');

    // The crew's question is the 4th text of the day: held, not dropped. Then a mentorship reminder: held too.
    await text(memberId, 'cap:crew', 'crew_ask');
    const crew = await held('cap:crew', 'the crew question held');
    expect(crew.errorMessage).toBe('daily_cap');
    expect(crew.sentAt).toBeNull();
    await skipTo(env, '2027-02-01T15:00:00Z');
    await text(memberId, 'cap:mentor', 'mentorship_session_reminder');
    await held('cap:mentor', 'the mentorship reminder held');

    // A direct reply (an answer to the member's own text) is never held, and does not count.
    await text(memberId, 'cap:clarify', 'clarify');
    await sent('cap:clarify', 'the clarification');

    // Nothing held goes out during the rest of the local day, nor before 08:00 the next day. A new day's
    // prompt at 07:00 goes out (1 + the 2 held = 3), but the nudge after it is held: it may not take the
    // place of the texts held yesterday.
    await skipTo(env, '2027-02-02T12:00:00Z'); // 07:00 EST
    await text(memberId, 'cap:prompt2', 'checkin_prompt');
    await sent('cap:prompt2', "the next day's prompt");
    await text(memberId, 'cap:nudge2', 'nudge');
    await held('cap:nudge2', "the next day's nudge held behind the older held texts");
    expect((await row('cap:crew'))?.status).toBe('deferred');
    expect((await row('cap:mentor'))?.status).toBe('deferred');

    // At 08:00 EST the two texts held yesterday go out; the newer nudge waits for the day after.
    await skipTo(env, '2027-02-02T13:05:00Z');
    const crewOut = await sent('cap:crew', 'the crew question sent the next day');
    const mentorOut = await sent('cap:mentor', 'the reminder sent the next day');
    for (const r of [crewOut, mentorOut]) {
      expect(r.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse('2027-02-02T13:00:00Z'));
      expect(localDate(r.sentAt!.getTime(), NY)).toBe('2027-02-02');
      expect(r.errorMessage).toBeNull();
    }

    await new Promise((r) => setTimeout(r, 500));
    expect((await row('cap:nudge2'))?.status).toBe('deferred');
    await skipTo(env, '2027-02-03T13:05:00Z');
    const nudgeOut = await sent('cap:nudge2', 'the held nudge sent on the third day');
    expect(nudgeOut.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse('2027-02-03T13:00:00Z'));

    // Per local day, never more than 3 texts that are not direct replies; every text went out exactly once.
    const all = await database.db.query.messages.findMany({ where: eq(messages.memberId, memberId) });
    expect(all).toHaveLength(8);
    expect(all.every((m) => m.providerSid !== null && m.status !== 'dropped')).toBe(true);
    const perDay = new Map<string, number>();
    for (const m of all.filter((m) => m.kind !== 'clarify')) {
      const day = localDate(m.sentAt!.getTime(), NY);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    expect(Object.fromEntries(perDay)).toEqual({ '2027-02-01': 3, '2027-02-02': 3, '2027-02-03': 1 });
  }, 300_000);
});
