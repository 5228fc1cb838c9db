/**
 * A forced continue-as-new of the crew challenge (every decided day, `continueAsNewEveryDays: 1`) on the
 * time-skipping server with the real workers over a fake sendSms that behaves like the outbox: the challenge runs
 * in three runs and behaves as one — answers given in one run count in the pulses decided in the next, a
 * contribution key counted in the first run is a duplicate in the third, the goal milestone texted in the first
 * run is never sent (or tried) again, and the summary (checked against every release of every run) is exact.
 */
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  answerUpdate,
  challengeStateQuery,
  contributeUpdate,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { shouldContinueAsNew } from '../../workflows/crew-challenge/continue-as-new.js';
import { milestoneText, summaryText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { fakeOutbox, memberIdOf, withSmsBatch } from '../helpers/sms-batch.js';

const outbox = fakeOutbox((input) => ({
  key: input.idempotencyKey,
  memberId: memberIdOf(input),
  kind: input.kind,
  body: input.body,
}));
const { sent } = outbox;
const attempts: string[] = [];
const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    attempts.push(input.idempotencyKey);
    return outbox.sendSms(input);
  },
});

const t = timeSkippingWorkers(activities);
const london = 'Europe/London';
const ids = ['a', 'b', 'c', 'd', 'e', 'f'];

/** The run a run continued as new into, if it did. */
async function nextRun(workflowId: string, runId: string): Promise<string | undefined> {
  const events = (await t.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  return events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
}

describe('shouldContinueAsNew', () => {
  it('follows the suggestion or the forced period, never after the last day', () => {
    const input = { days: 3, continueAsNewEveryDays: 2 };
    expect([1, 2, 3].map((d) => shouldContinueAsNew(false, input, d))).toEqual([false, true, false]);
    expect([1, 2, 3].map((d) => shouldContinueAsNew(true, { days: 3 }, d))).toEqual([true, true, false]);
    expect([1, 2, 3].map((d) => shouldContinueAsNew(false, { days: 3 }, d))).toEqual([false, false, false]);
  });
});

describe('crew challenge: forced continue-as-new', () => {
  it('three runs behave as one: pulses, goal keys, milestones and the summary', async () => {
    await skipTo(t.env, '2027-09-01T12:00:00Z');
    const input: CrewChallengeInput = {
      challengeId: 'can-2',
      crewId: 'crew-can-2',
      title: 'Cycle',
      days: 3,
      startDate: '2027-09-06',
      timezone: london,
      minSize: 3,
      k: 5,
      members: ids.map((memberId) => ({ memberId, timezone: london })),
      goal: { target: 10, unit: 'km' },
      continueAsNewEveryDays: 1,
    };
    const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [input],
    });
    const answer = (memberId: string, localDate: string) =>
      handle.executeUpdate(answerUpdate, { args: [{ memberId, localDate, done: true }] });

    // Run 1. Day 1: all six answer; the goal is reached by one contribution (one milestone text each).
    await skipTo(t.env, '2027-09-06T10:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
    for (const m of ids) await answer(m, '2027-09-06');
    expect(
      await handle.executeUpdate(contributeUpdate, { args: [{ memberId: 'a', amount: 10, key: 'sms:ONE' }] }),
    ).toMatchObject({ counted: true, total: 10, reached: true });
    await waitFor(() => sent.filter((s) => s.kind === 'crew_milestone').length === 6, 'the goal texts');
    // Day 2: four answer (below k). Day 1 is decided at 2027-09-07T23:00Z (its London end plus the 24 h grace):
    // run 2 begins; day 3's five answers go to run 2, day 2 is decided at 2027-09-08T23:00Z: run 3 begins.
    await skipTo(t.env, '2027-09-07T10:00:00Z');
    for (const m of ids.slice(0, 4)) await answer(m, '2027-09-07');
    await skipTo(t.env, '2027-09-08T10:00:00Z');
    for (const m of ids.slice(0, 5)) await answer(m, '2027-09-08');
    const firstRun = handle.firstExecutionRunId;

    // Run 3: the key counted in run 1 is a duplicate; a new one counts.
    await skipTo(t.env, '2027-09-09T12:00:00Z');
    await waitFor(async () => (await handle.describe()).runId !== firstRun, 'the second run');
    const second = t.env.client.workflow.getHandle<typeof crewChallengeWorkflow>(handle.workflowId);
    expect(
      await second.executeUpdate(contributeUpdate, { args: [{ memberId: 'a', amount: 10, key: 'sms:ONE' }] }),
    ).toMatchObject({ counted: false, duplicate: true, total: 10 });
    expect(
      await second.executeUpdate(contributeUpdate, { args: [{ memberId: 'b', amount: 2, key: 'sms:TWO' }] }),
    ).toMatchObject({ counted: true, total: 12 });

    // Run 3 decides day 3 (2027-09-09T23:00Z) and closes.
    await skipTo(t.env, '2027-09-12T00:00:00Z');
    const result = await second.result();
    expect((await t.env.client.workflow.getHandle(handle.workflowId, firstRun).describe()).status.name).toBe(
      'CONTINUED_AS_NEW',
    );
    // Follow the chain of runs from the first: it continued as new twice (after days 1 and 2).
    let runs = 1;
    for (
      let runId = await nextRun(handle.workflowId, firstRun);
      runId;
      runId = await nextRun(handle.workflowId, runId)
    )
      runs++;
    expect(runs).toBe(3);

    expect(result.status).toBe('completed');
    expect(
      result.pulses.map((p) => [p.day, p.published, p.figures?.responded ?? null, p.suppressed ?? null]),
    ).toEqual([
      [1, true, 6, null],
      [2, false, null, 'below_k'],
      [3, true, 5, null],
    ]);
    expect(result.goal).toMatchObject({ total: 12, reached: true, contributions: 2 });
    expect(result.milestones.map((m) => m.id)).toEqual(['goal']);
    // The goal text went once per member, and no later run even tried it again.
    for (const m of ids) {
      expect(sent.filter((s) => s.memberId === m && s.kind === 'crew_milestone').map((s) => s.body)).toEqual([
        milestoneText('Cycle', 'goal', { target: 10, unit: 'km' }),
      ]);
      expect(attempts.filter((k) => k === `crew-challenge:can-2:milestone:goal:member:${m}`)).toHaveLength(1);
    }
    // 15 done check-ins, but day 2's 4 answers are fewer than k: the summary shows the published days' 11.
    const summary = summaryText('Cycle', 3, { done: 11, responded: 11, atLeast: true, publishedDays: 2 });
    expect(result.summary).toBe(summary);
    for (const m of ids)
      expect(sent.filter((s) => s.memberId === m && s.kind === 'crew_summary').map((s) => s.body)).toEqual([
        summary,
      ]);
    await captureHistory('crew-challenge-continued', second);
  }, 600_000);
});
