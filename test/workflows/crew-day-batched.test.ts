/**
 * A crew day in few history events (issue 9's benchmark; runs with `crew-day-batched`), on the time-skipping
 * server with a fake sendSms behind the batch: ten members without member workflows of their own (the challenge
 * asks them itself, as in `bench/crews.ts`) are asked in ONE `sendSmsBatch` activity, answer by the `answer`
 * update without a timer being cancelled and restarted per answer, get the pulse and the summary in one batch
 * each — and every member still gets exactly one question, one pulse and one summary. A member the gate defers
 * is asked again on their own once the deferral ends (still one question); one it drops is not retried.
 */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  answerUpdate,
  challengeStateQuery,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import {
  CHALLENGE_MEMBER_IDS_SA,
  CHALLENGE_STATUS_SA,
  CREW_ID_SA,
} from '../../workflows/crew-challenge/search-attributes.js';
import { askText, pulseText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { withSmsBatch } from '../helpers/sms-batch.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

interface Sent {
  key: string;
  memberId: string;
  kind: string;
  body: string;
  atMs: number;
}
const sent: Sent[] = [];
/** memberId → what the gate does with their crew question: defer it (until an instant) once, or drop it. */
const gate = new Map<string, { defer: number } | 'drop'>();

const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const atMs = Context.current().info.currentAttemptScheduledTimestampMs;
    const memberId = 'memberId' in input.to ? input.to.memberId : '';
    const before = sent.findIndex((s) => s.key === input.idempotencyKey);
    if (before >= 0)
      return { outcome: 'already_sent', messageId: before + 1, providerSid: `SM${before + 1}` };
    const rule = input.kind === 'crew_ask' ? gate.get(memberId) : undefined;
    if (rule === 'drop') return { outcome: 'dropped', messageId: null, reason: 'suppressed:opt_out' };
    if (rule && atMs < rule.defer) return { outcome: 'deferred', untilMs: rule.defer, reason: 'daily_cap' };
    sent.push({ key: input.idempotencyKey, memberId, kind: input.kind, body: input.body, atMs });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
});
const t = timeSkippingWorkers(activities);

const BERLIN = 'Europe/Berlin';
const TITLE = 'Walk';

async function start(challengeId: string, ids: string[], startDate: string) {
  const input: CrewChallengeInput = {
    challengeId,
    crewId: `crew-${challengeId}`,
    title: TITLE,
    days: 1,
    startDate,
    timezone: BERLIN,
    minSize: 5,
    k: 5,
    members: ids.map((memberId) => ({ memberId, timezone: BERLIN })),
    goal: null,
  };
  return t.env.client.workflow.start(crewChallengeWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: crewChallengeWorkflowId(challengeId),
    args: [input],
    typedSearchAttributes: [
      { key: CREW_ID_SA, value: input.crewId },
      { key: CHALLENGE_STATUS_SA, value: 'gathering' },
      { key: CHALLENGE_MEMBER_IDS_SA, value: [...ids].sort() },
    ],
  });
}

/** The run's history as its JSON form (event types by name, e.g. `EVENT_TYPE_TIMER_CANCELED`). */
async function events(handle: WorkflowHandle) {
  const { events: list } = JSON.parse(historyToJSON(await handle.fetchHistory())) as {
    events: Array<{
      eventType: string;
      activityTaskScheduledEventAttributes?: { activityType: { name: string } };
    }>;
  };
  const activityNames = list
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType.name)
    .filter((n): n is string => !!n);
  const count = (type: string) => list.filter((e) => e.eventType === type).length;
  // The server wakes the workflow for the failed member-workflow signals as they come back: one workflow task for
  // all ten, or more when they straddle one (load). Those extra tasks (3 events each) are scheduling noise.
  const signalTasks = list.filter(
    (e, i) =>
      e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED' &&
      list[i - 1]?.eventType === 'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
  ).length;
  return { total: list.length, activityNames, count, steady: list.length - 3 * Math.max(0, signalTasks - 1) };
}

const textsOf = (challengeId: string, kind: string) =>
  sent.filter((s) => s.kind === kind && s.key.startsWith(`crew-challenge:${challengeId}:`));

describe('crew challenge: a crew day in few history events', () => {
  it('asks, hears and tells ten members in three activities and at most 10 events per member-day', async () => {
    // Started on its first day, before the prompt time, as the benchmark starts them: no start-gate timer.
    await skipTo(t.env, '2027-06-08T10:00:00Z');
    const ids = Array.from({ length: 10 }, (_, i) => `b${i}`);
    const handle = await start('batched-1', ids, '2027-06-08');

    // 19:00 Berlin (CEST) = 17:00Z: every member is asked, in one activity.
    await skipTo(t.env, '2027-06-08T17:01:00Z');
    await waitFor(() => textsOf('batched-1', 'crew_ask').length === 10, 'the ten questions', 60_000);
    const before = await events(handle);
    expect(before.activityNames).toEqual(['sendSmsBatch']);

    for (const [i, memberId] of ids.entries())
      await handle.executeUpdate(answerUpdate, {
        args: [{ memberId, localDate: '2027-06-08', done: i % 3 !== 0, energy: (i % 5) + 1 }],
      });
    const answered = await events(handle);
    // Ten answers: each is its update's two events and one workflow task; no timer is cancelled or restarted.
    expect(answered.count('EVENT_TYPE_TIMER_CANCELED')).toBe(0);
    expect(answered.count('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toBe(10);
    expect(answered.total - before.total).toBeLessThanOrEqual(10 * 5);
    // Issue 9's target: at most 10 events per member-day (99 here, for ten members, before the pulse).
    expect(answered.steady / 10).toBeLessThanOrEqual(10);

    // The pulse: 24 h after Berlin's day ended (2027-06-08T22:00Z); then the summary, and the run completes.
    await skipTo(t.env, '2027-06-09T22:01:00Z');
    await waitFor(
      async () => (await handle.describe()).status.name === 'COMPLETED',
      'the challenge to complete',
      60_000,
    );
    const whole = await events(handle);
    expect(whole.activityNames).toEqual(['sendSmsBatch', 'sendSmsBatch', 'sendSmsBatch']);
    // Told of the question (in parallel, none reachable: the challenge asked them itself); not told of its end.
    expect(whole.count('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')).toBe(10);
    expect(whole.count('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED')).toBe(10);
    expect(whole.steady / 10).toBeLessThanOrEqual(12);
    // Done by 6 of 10 (i % 3 !== 0), energies 1–5 twice.
    const figures = { responded: 10, done: 6, energyCount: 10, energySum: 30 };
    expect(await handle.query(challengeStateQuery)).toMatchObject({
      status: 'completed',
      pulses: [{ day: 1, published: true, figures }],
    });
    // One question, one pulse, one summary per member: the rule of one crew text a day held.
    for (const memberId of ids)
      expect(
        sent.filter((s) => s.memberId === memberId && s.key.startsWith('crew-challenge:batched-1:')),
      ).toMatchObject([
        { kind: 'crew_ask', body: askText(TITLE, 1, 1) },
        { kind: 'crew_pulse', body: pulseText(TITLE, 1, figures) },
        { kind: 'crew_summary' },
      ]);
    await captureHistory('crew-day-batched', handle);
  }, 180_000);

  it('a deferred question waits alone for its instant and goes once; a dropped one is not retried', async () => {
    await skipTo(t.env, '2027-07-05T12:00:00Z');
    const ids = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
    const askAt = Date.parse('2027-07-06T17:00:00Z');
    gate.set('d4', { defer: askAt + 30 * 60_000 });
    gate.set('d5', 'drop');
    const handle = await start('batched-2', ids, '2027-07-06');

    await skipTo(t.env, '2027-07-06T17:01:00Z');
    await waitFor(() => textsOf('batched-2', 'crew_ask').length === 4, 'the four questions sent at 19:00');
    await skipTo(t.env, '2027-07-06T17:31:00Z');
    await waitFor(() => textsOf('batched-2', 'crew_ask').length === 5, 'the deferred question');
    const asks = textsOf('batched-2', 'crew_ask');
    expect(asks.filter((s) => s.atMs < askAt + 60_000).map((s) => s.memberId)).toEqual([
      'd0',
      'd1',
      'd2',
      'd3',
    ]);
    expect(asks.filter((s) => s.memberId === 'd4')).toHaveLength(1);
    expect(asks.find((s) => s.memberId === 'd4')!.atMs).toBeGreaterThanOrEqual(askAt + 30 * 60_000);
    expect(asks.some((s) => s.memberId === 'd5')).toBe(false);
    // The first batch asked all six; the second only the deferred one (the dropped one is settled).
    const { activityNames } = await events(handle);
    expect(activityNames).toEqual(['sendSmsBatch', 'sendSmsBatch']);
    expect((await handle.query(challengeStateQuery)).status).toBe('active');
  }, 120_000);
});
