/**
 * Bad input never poisons a member: texts that reach the workflow without passing the API or the webhook's
 * clean-up (signalled directly) are refused for good — by the workflow's validator (control characters) or by
 * the store (`storeGoal`: characters Postgres cannot hold, non-retryable InvalidInput) — answered, and the
 * member's days go on: the next prompts still come. Real activities, Postgres and the time-skipping server.
 */
import { and, eq, like } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { goals, messages } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { memberStateQuery, replySignal } from '../../workflows/member/definitions.js';
import { json } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';
import { finishMember, skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

it('a goal title with NUL or a lone surrogate is refused and answered; nothing is stored; the prompts go on', async () => {
  await skipTo(t.env, '2029-01-08T12:00:00Z'); // Monday 07:00 EST
  const res = await t.app.request('/members', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      name: 'Bo',
      phone: '+14155550177',
      timezone: 'America/New_York',
      checkInTime: '19:00',
    }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const handle = t.env.client.workflow.getHandle(memberWorkflowId(id));
  let inboundId = 7_000_000;
  const say = (body: string) => handle.signal(replySignal, { inboundId: inboundId++, body, receivedAtMs: 0 });
  const sent = async (kind: string) =>
    t.database.db
      .select({ key: messages.idempotencyKey, body: messages.body })
      .from(messages)
      .where(and(eq(messages.memberId, id), eq(messages.kind, kind)));

  await say('YES');
  await waitFor(async () => (await handle.query(memberStateQuery)).status === 'active', 'confirmation');

  await say('GOAL read\u0000 daily'); // a control character: the workflow's validator refuses it
  await say('GOAL read \uD800 daily'); // passes the validator; Postgres cannot store it: storeGoal refuses
  const rejected = await waitFor(async () => {
    const rows = await sent('goal_rejected');
    return rows.length === 2 && rows;
  }, 'both goals answered as rejected');
  expect(rejected.map((r) => r.body).sort()).toEqual([
    'Could not add that goal: title: cannot be stored.',
    'Could not add that goal: title: must not contain control characters.',
  ]);
  expect(await t.database.db.select().from(goals).where(eq(goals.memberId, id))).toEqual([]);
  expect((await handle.query(memberStateQuery)).goals).toEqual([]);

  // A good goal after that is taken as usual, and the member is prompted that evening and the next.
  await say('GOAL stretch daily');
  await waitFor(async () => (await sent('goal_added')).length === 1, 'the good goal');
  await skipTo(t.env, '2029-01-09T00:01:00Z'); // 19:01 EST Jan 8
  await waitFor(async () => (await sent('checkin_prompt')).length === 1, 'the first prompt');
  await skipTo(t.env, '2029-01-10T00:01:00Z'); // 19:01 EST Jan 9
  await waitFor(async () => (await sent('checkin_prompt')).length === 2, "the next day's prompt");
  const prompts = await t.database.db
    .select({ key: messages.idempotencyKey, body: messages.body })
    .from(messages)
    .where(like(messages.idempotencyKey, `member:${id}:checkin:%`));
  expect(prompts.map((p) => p.key).sort()).toEqual([
    `member:${id}:checkin:2029-01-08`,
    `member:${id}:checkin:2029-01-09`,
  ]);
  expect(prompts[0]!.body).toContain('stretch today?');
  await finishMember(handle);
});
