/**
 * The daily retention purge (issue 12) on the time-skipping server with real Postgres and the real activity:
 * it runs at the purge hour (UTC) by its own clock and removes exactly what the policy says — bodies blanked
 * (rows kept), sign-in codes, reflections and AI usage deleted — and nothing younger.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aiUsage,
  auditEvents,
  crewChallenges,
  crewReflections,
  crews,
  inboundMessages,
  members,
  messages,
  signInCodes,
} from '../../db/schema.js';
import { TASK_QUEUE } from '../../workflows/ids.js';
import { purgeNowSignal, retentionStateQuery } from '../../workflows/retention/definitions.js';
import type { RetentionPolicy } from '../../workflows/retention/values.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const POLICY: RetentionPolicy = {
  message_bodies: 30,
  inbound_texts: 10,
  sign_in_codes: 1,
  reflections: 60,
  ai_usage: 100,
  audit: 365,
};

let stack: TimeSkippingStack;
beforeAll(async () => {
  stack = await timeSkippingStack({ retention: { policy: POLICY, purgeHourUtc: 3 } });
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('retention purge', () => {
  it('runs at 03:00 UTC and removes exactly what the policy says, then again a day later and on demand', async () => {
    const { db } = stack.database;
    const handle = await stack.env.client.workflow.start('retentionPurgeWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: `retention-${randomUUID()}`,
      args: [{ hourUtc: 3 }],
    });
    const first = await waitFor(
      async () => (await handle.query(retentionStateQuery)).nextRunAt ?? undefined,
      'the first purge time',
    );
    const r1 = new Date(first).getTime();
    expect(new Date(r1).getUTCHours()).toBe(3);
    expect(r1 - (await stack.env.currentTimeMs())).toBeLessThanOrEqual(DAY);
    const at = (msBeforeRun1: number) => new Date(r1 - msBeforeRun1);

    // The data, aged relative to the first run.
    const memberId = randomUUID();
    await db.insert(members).values({
      id: memberId,
      name: 'Ana',
      phone: '+14155550100',
      timezone: 'UTC',
      checkInTime: '19:00',
      status: 'active',
    });
    const msg = (key: string, age: number, kind = 'checkin_prompt') => ({
      idempotencyKey: key,
      memberId,
      toPhone: '+14155550100',
      body: `the body of ${key}`,
      kind,
      provider: 'sandbox' as const,
      status: 'delivered',
      createdAt: at(age),
    });
    await db.insert(messages).values([
      msg('old', 31 * DAY), // > 30 days at run 1
      msg('ages-in', 29.5 * DAY), // 29.5 days at run 1, 30.5 at run 2
      msg('young', HOUR),
      msg('code-old', 2 * DAY, 'sign_in_code'), // sign-in texts go after 1 day
      msg('code-young', 12 * HOUR, 'sign_in_code'),
    ]);
    const inbound = (sid: string, age: number) => ({
      providerSid: sid,
      fromPhone: '+14155550100',
      toPhone: '+15005550006',
      body: `reply ${sid}`,
      memberId,
      receivedAt: at(age),
    });
    await db.insert(inboundMessages).values([inbound('SMold', 11 * DAY), inbound('SMyoung', 8 * DAY)]);
    const code = (age: number) => ({
      id: randomUUID(),
      memberId,
      codeHash: 'x'.repeat(64),
      expiresAt: at(age - 600_000),
      createdAt: at(age),
    });
    const [codeOld, codeYoung] = [code(2 * DAY), code(6 * HOUR)];
    await db.insert(signInCodes).values([codeOld, codeYoung]);
    const crewId = randomUUID();
    const challengeId = randomUUID();
    await db.insert(crews).values({
      id: crewId,
      name: 'Walkers',
      purpose: 'walk',
      maxSize: 10,
      joinable: true,
      joinCode: `W${crewId.slice(0, 7)}`,
      timezone: 'UTC',
    });
    await db.insert(crewChallenges).values({
      id: challengeId,
      crewId,
      title: '30 days',
      days: 30,
      startDate: '2026-01-01',
      minSize: 3,
    });
    const reflection = (day: number, age: number) => ({
      id: randomUUID(),
      challengeId,
      memberId,
      day,
      text: 'a walk by the river',
      status: 'shared' as const,
      createdAt: at(age),
      reviewBy: at(age - DAY),
    });
    const [reflOld, reflYoung] = [reflection(1, 61 * DAY), reflection(2, 58 * DAY)];
    await db.insert(crewReflections).values([reflOld, reflYoung]);
    const usageDay = (age: number) => at(age).toISOString().slice(0, 10);
    await db.insert(aiUsage).values([
      { memberId, day: usageDay(102 * DAY), requests: 1 },
      { memberId, day: usageDay(98 * DAY), requests: 1 },
    ]);

    const audit = (age: number) => ({
      actorKind: 'env_key' as const,
      actorId: 'env',
      action: 'member.read' as const,
      subjectKind: 'member' as const,
      subjectId: memberId,
      at: at(age),
    });
    await db.insert(auditEvents).values([audit(366 * DAY), audit(363 * DAY)]);
    const auditAges = async () =>
      (await db.select().from(auditEvents).where(eq(auditEvents.subjectId, memberId))).map((e) =>
        Math.round((r1 - e.at.getTime()) / DAY),
      );

    const bodies = async () =>
      Object.fromEntries(
        (await db.select().from(messages).where(eq(messages.memberId, memberId))).map((m) => [
          m.idempotencyKey,
          m.bodyPurgedAt ? '' : m.body,
        ]),
      );

    // Nothing happens before 03:00.
    await skipTo(stack.env, new Date(r1 - 60_000));
    expect((await handle.query(retentionStateQuery)).runs).toBe(0);
    expect(Object.values(await bodies()).every(Boolean)).toBe(true);

    await skipTo(stack.env, new Date(r1 + 1_000));
    const run1 = await waitFor(async () => {
      const s = await handle.query(retentionStateQuery);
      return s.runs === 1 ? s : undefined;
    }, 'the first purge');
    // Its clock: the timer fired at 03:00 (the time-skipping server may have moved on a few seconds since).
    const asOf1 = new Date(run1.last!.asOf).getTime();
    expect(asOf1).toBeGreaterThanOrEqual(r1);
    expect(asOf1).toBeLessThan(r1 + 60_000);
    expect(run1.last?.purged).toEqual({
      sign_in_codes: 2, // one code row, one code text
      message_bodies: 1,
      inbound_texts: 1,
      reflections: 1,
      ai_usage: 1,
      audit: 1,
    });
    // The append-only audit log lost only its row past a year, through the purge's own transaction.
    expect(await auditAges()).toEqual([363]);
    expect(await bodies()).toEqual({
      old: '',
      'ages-in': 'the body of ages-in',
      young: 'the body of young',
      'code-old': '',
      'code-young': 'the body of code-young',
    });
    // Rows stay, bodies go: the blanked text is really blank in the table.
    const [old] = await db.select().from(messages).where(eq(messages.idempotencyKey, 'old'));
    expect(old).toMatchObject({ body: '', status: 'delivered', kind: 'checkin_prompt' });
    const inboundRows = await db
      .select()
      .from(inboundMessages)
      .where(inArray(inboundMessages.providerSid, ['SMold', 'SMyoung']));
    expect(Object.fromEntries(inboundRows.map((r) => [r.providerSid, r.body]))).toEqual({
      SMold: '',
      SMyoung: 'reply SMyoung',
    });
    expect((await db.select().from(signInCodes)).map((c) => c.id)).toEqual([codeYoung.id]);
    expect((await db.select().from(crewReflections)).map((r) => r.id)).toEqual([reflYoung.id]);
    expect((await db.select().from(aiUsage)).map((u) => u.day)).toEqual([usageDay(98 * DAY)]);
    expect(run1.nextRunAt).toBe(new Date(r1 + DAY).toISOString());

    // A day later what aged past its retention goes (the 29.5-day text, the sign-in text and code of the day
    // before), and nothing else does.
    await skipTo(stack.env, new Date(r1 + DAY + 1_000));
    const run2 = await waitFor(async () => {
      const s = await handle.query(retentionStateQuery);
      return s.runs === 2 ? s : undefined;
    }, 'the second purge');
    expect(run2.last?.purged).toEqual({
      sign_in_codes: 2,
      message_bodies: 1,
      inbound_texts: 0,
      reflections: 0,
      ai_usage: 0,
      audit: 0,
    });
    expect((await bodies())['ages-in']).toBe('');
    expect((await bodies()).young).toBe('the body of young');

    // On demand: runs at once (an idempotent pass with nothing left to do).
    await handle.signal(purgeNowSignal);
    const run3 = await waitFor(async () => {
      const s = await handle.query(retentionStateQuery);
      return s.runs === 3 ? s : undefined;
    }, 'the purge on demand');
    expect(Object.values(run3.last!.purged).every((n) => n === 0)).toBe(true);
    await captureHistory('retention-purge', handle);
    await handle.terminate('test over');
  });

  it('one purge workflow per namespace: a second start finds the running one', async () => {
    const id = `retention-${randomUUID()}`;
    const start = () =>
      stack.env.client.workflow.start('retentionPurgeWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: id,
        args: [{ hourUtc: 3 }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
    const a = await start();
    const b = await start();
    expect(b.firstExecutionRunId).toBe(a.firstExecutionRunId);
    await a.terminate('test over');
  });
});
