/**
 * Group goal, milestones, leaderboard and raising k in the crew challenge workflow, on the time-skipping server
 * with the real workers over a fake sendSms that behaves like the outbox (one text per idempotency key):
 * the same contribution posted concurrently counts once; two contributions crossing the target together give
 * one "goal reached" text per member, even when the first send attempt dies after the provider took it;
 * check-in and 7-day streak milestones fire once from published pulses; the leaderboard shows aliases with
 * their contributions and loses only a leaver's row; a raised k withholds a pulse the old k would have published;
 * the dedupe keys survive continue-as-new (a run started with the carried-over state).
 */
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  answerUpdate,
  cancelChallengeSignal,
  challengeStateQuery,
  contributeUpdate,
  joinChallengeSignal,
  leaderboardAliasUpdate,
  leaderboardQuery,
  leaveChallengeSignal,
  raiseKUpdate,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import {
  CHALLENGE_MEMBER_IDS_SA,
  CHALLENGE_STATUS_SA,
  CREW_ID_SA,
} from '../../workflows/crew-challenge/search-attributes.js';
import { initialState } from '../../workflows/crew-challenge/state.js';
import { addedText, milestoneText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { fieldErrorsOf } from '../../workflows/lib/failures.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { fakeOutbox, memberIdOf, withSmsBatch } from '../helpers/sms-batch.js';

interface Sent {
  key: string;
  memberId: string;
  kind: string;
  body: string;
  at: string;
}
/** What the provider took: one per idempotency key, like the real outbox. */
const outbox = fakeOutbox((input): Sent => ({
  key: input.idempotencyKey,
  memberId: memberIdOf(input),
  kind: input.kind,
  body: input.body,
  at: new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString().slice(0, 16),
}));
const { sent } = outbox;
const attempts: string[] = [];
/** Keys whose first attempt dies right after the provider took the text (a worker killed mid-send). */
const dieAfterSend = new Set<string>();
const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    attempts.push(input.idempotencyKey);
    const result = await outbox.sendSms(input);
    if (result.outcome === 'sent' && dieAfterSend.delete(input.idempotencyKey))
      throw new Error('worker died after the provider took it');
    return result;
  },
} satisfies Partial<{ sendSms: (input: SendSmsInput) => Promise<SendSmsResult> }>);

const t = timeSkippingWorkers(activities);

const textsOf = (challengeId: string, memberId: string, kind?: string) =>
  sent.filter(
    (s) =>
      s.memberId === memberId &&
      s.key.startsWith(`crew-challenge:${challengeId}:`) &&
      (kind === undefined || s.kind === kind),
  );

function start(input: CrewChallengeInput) {
  return t.env.client.workflow.start(crewChallengeWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: crewChallengeWorkflowId(input.challengeId),
    args: [input],
    typedSearchAttributes: [
      { key: CREW_ID_SA, value: input.crewId },
      { key: CHALLENGE_STATUS_SA, value: 'gathering' },
      { key: CHALLENGE_MEMBER_IDS_SA, value: input.members.map((m) => m.memberId).sort() },
    ],
  });
}

async function refusal(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return fieldErrorsOf(err)?.[0];
}

const london = 'Europe/London';
const members = (ids: string[]) => ids.map((memberId) => ({ memberId, timezone: london }));

// The server's clock only moves forward: the tests run in chronological order.
describe('crew challenge: group goal, leaderboard, raised k', () => {
  it('counts each contribution once, reaches the goal once, ranks aliases and loses only a leaver’s row', async () => {
    await skipTo(t.env, '2027-05-01T12:00:00Z');
    const input: CrewChallengeInput = {
      challengeId: 'goal-1',
      crewId: 'crew-goal',
      title: 'Run 20 km',
      days: 2,
      startDate: '2027-05-03',
      timezone: london,
      minSize: 5,
      k: 5,
      members: members(['a', 'b', 'c', 'd', 'e', 'f']),
      goal: { target: 20, unit: 'km' },
    };
    const handle = await start(input);
    const contribute = (memberId: string, amount: number, key: string, unit?: string) =>
      handle.executeUpdate(contributeUpdate, { args: [{ memberId, amount, key, unit: unit ?? null }] });

    // Operators find every workflow of a member: the challenge lists every member it holds (g joins).
    await handle.signal(joinChallengeSignal, { memberId: 'g', timezone: london });
    await waitFor(
      async () => (await handle.describe()).typedSearchAttributes.get(CHALLENGE_MEMBER_IDS_SA)?.length === 7,
      'the member ids attribute',
    );
    expect((await handle.describe()).typedSearchAttributes.get(CHALLENGE_MEMBER_IDS_SA)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
    ]);
    // Not before the start.
    expect(await refusal(contribute('a', 1, 'api:early'))).toMatchObject({ field: 'status' });
    await skipTo(t.env, '2027-05-03T08:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'the start');

    // The same contribution posted three times at once (a retried API call, a redelivered text): counted once.
    const same = await Promise.all([1, 2, 3].map(() => contribute('a', 5, 'api:dup-1')));
    expect(same.filter((r) => r.counted)).toHaveLength(1);
    expect(same.filter((r) => r.duplicate)).toHaveLength(2);
    expect(same.map((r) => r.total)).toEqual([5, 5, 5]);
    expect(await contribute('b', 3, 'sms:SM-b-1', 'KM')).toMatchObject({ counted: true, total: 8 });
    expect(await contribute('c', 4, 'sms:SM-c-1')).toMatchObject({ counted: true, total: 12 });
    expect(await refusal(contribute('c', 4, 'sms:SM-c-2', 'miles'))).toMatchObject({ field: 'unit' });
    // Twilio delivers b's text again: not counted, not answered twice. Each counted text is answered.
    expect(await contribute('b', 3, 'sms:SM-b-1', 'KM')).toMatchObject({ duplicate: true, total: 12 });
    await waitFor(() => textsOf('goal-1', 'c', 'crew_added').length === 1, 'the answer to c');
    expect(textsOf('goal-1', 'b', 'crew_added').map((s) => s.body)).toEqual([addedText(3, 'km', 8, 20)]);
    expect(textsOf('goal-1', 'c', 'crew_added').map((s) => s.body)).toEqual([addedText(4, 'km', 12, 20)]);
    expect(textsOf('goal-1', 'a', 'crew_added')).toEqual([]); // by API: the API call has its answer
    expect(await refusal(contribute('zz', 4, 'sms:SM-zz'))).toMatchObject({ field: 'memberId' });

    // Leaderboard: opt-in by alias; d never opts in.
    for (const [m, alias] of [
      ['a', 'Ant'],
      ['b', 'Bee'],
      ['c', 'Cat'],
    ] as const)
      await handle.executeUpdate(leaderboardAliasUpdate, { args: [{ memberId: m, alias }] });
    expect(
      await refusal(
        handle.executeUpdate(leaderboardAliasUpdate, { args: [{ memberId: 'd', alias: 'ant' }] }),
      ),
    ).toMatchObject({ field: 'alias', message: 'is already taken in this challenge' });

    // Two contributions cross the target together; the first "goal" send to a dies after the provider took it.
    dieAfterSend.add('crew-challenge:goal-1:milestone:goal:member:a');
    const crossing = await Promise.all([contribute('d', 4, 'api:d-1'), contribute('e', 4, 'api:e-1')]);
    expect(crossing.map((r) => r.total).sort()).toEqual([16, 20]);
    expect(crossing.filter((r) => r.reached)).toHaveLength(1);
    expect(await contribute('b', 2, 'api:b-2')).toMatchObject({ total: 22, reached: true });
    const goalText = milestoneText('Run 20 km', 'goal', input.goal);
    for (const m of ['a', 'b', 'c', 'd', 'e', 'f'])
      await waitFor(() => textsOf('goal-1', m, 'crew_milestone').length === 1, `the goal text to ${m}`);
    const board = await handle.query(leaderboardQuery);
    expect(board.map((r) => [r.rank, r.alias, r.total])).toEqual([
      [1, 'Ant', 5],
      [1, 'Bee', 5],
      [3, 'Cat', 4],
    ]);
    expect(board[1]!.contributions.map((c) => c.amount)).toEqual([3, 2]);
    // Ant leaves: their row goes, nobody else's numbers change; the goal keeps their kilometres.
    await handle.signal(leaveChallengeSignal, { memberId: 'a' });
    await waitFor(async () => (await handle.query(leaderboardQuery)).length === 2, 'the row to go');
    const after = await handle.query(leaderboardQuery);
    const noRank = (rows: typeof board) => rows.map(({ rank: _, ...r }) => r);
    expect(noRank(after)).toEqual(noRank(board).filter((r) => r.alias !== 'Ant'));
    expect(after.map((r) => r.rank)).toEqual([1, 2]);

    // The leaver stays in the member ids (the challenge still holds their data).
    expect((await handle.describe()).typedSearchAttributes.get(CHALLENGE_MEMBER_IDS_SA)).toContain('a');

    // Raise k to 6: day 1 with five answers is withheld (k 5 would have published it).
    expect(await handle.executeUpdate(raiseKUpdate, { args: [{ k: 6 }] })).toEqual({ k: 6 });
    expect(await refusal(handle.executeUpdate(raiseKUpdate, { args: [{ k: 5 }] }))).toMatchObject({
      field: 'k',
      message: 'can only be raised: it is 6',
    });
    for (const m of ['b', 'c', 'd', 'e', 'f'])
      await handle.executeUpdate(answerUpdate, {
        args: [{ memberId: m, localDate: '2027-05-03', done: true }],
      });

    // Closes at London's 2027-05-05 midnight (23:00Z on the 4th) plus 24 h. (Not handle.result(): waiting on a
    // result lets the time-skipping server run its clock freely, and the next test needs it where it is.)
    await skipTo(t.env, '2027-05-06T00:00:00Z');
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the close');
    const result = await handle.query(challengeStateQuery);
    expect(result.k).toBe(6);
    expect(result.pulses[0]).toEqual({ day: 1, published: false, figures: null, suppressed: 'below_k' });
    expect(result.goal).toMatchObject({ unit: 'km', target: 20, total: 22, percent: 100, reached: true });
    expect(result.goal!.contributions).toBe(6);
    expect(result.milestones.map((m) => m.id)).toEqual(['goal']);
    for (const m of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const texts = textsOf('goal-1', m, 'crew_milestone');
      expect(texts.map((s) => s.body)).toEqual([goalText]);
    }
    // The dying send was retried and found the text already taken: one text each (above), two attempts.
    expect(attempts.filter((k) => k === 'crew-challenge:goal-1:milestone:goal:member:a')).toHaveLength(2);
    await captureHistory('crew-challenge-goal', handle);
  });
});

describe('crew challenge: check-in and streak milestones', () => {
  it('fires 50 check-ins and a 7-day streak once each, from published pulses, when the day closes', async () => {
    await skipTo(t.env, '2027-06-01T12:00:00Z');
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const handle = await start({
      challengeId: 'streak-1',
      crewId: 'crew-streak',
      title: 'Stretch',
      days: 7,
      startDate: '2027-06-07',
      timezone: london,
      minSize: 5,
      k: 5,
      members: members(ids),
    });
    for (let d = 0; d < 7; d++) {
      const date = `2027-06-${String(7 + d).padStart(2, '0')}`;
      await skipTo(t.env, `${date}T10:00:00Z`);
      await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
      // Everyone answers; the eighth does not do it (9 done a day).
      for (const [i, m] of ids.entries())
        await handle.executeUpdate(answerUpdate, { args: [{ memberId: m, localDate: date, done: i !== 7 }] });
    }
    await skipTo(t.env, '2027-06-16T00:00:00Z');
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the close');
    const result = await handle.query(challengeStateQuery);
    expect(result.pulses.every((p) => p.published)).toBe(true);
    // 9 done a day: 54 after day 6. A London day closes at the next local midnight (23:00Z) plus 24 h.
    expect(result.milestones).toEqual([
      { id: 'checkins:50', reachedAt: expect.stringMatching(/^2027-06-13T23:00:/) },
      { id: 'streak:7', reachedAt: expect.stringMatching(/^2027-06-14T23:00:/) },
    ]);
    for (const m of ids)
      expect(textsOf('streak-1', m, 'crew_milestone').map((s) => [s.body, s.at])).toEqual([
        [milestoneText('Stretch', 'checkins:50', null), '2027-06-13T23:00'],
        [milestoneText('Stretch', 'streak:7', null), '2027-06-14T23:00'],
      ]);
    await captureHistory('crew-challenge-milestones', handle);
  });
});

describe('crew challenge: continue-as-new', () => {
  it('a run started with the carried-over state still knows the keys it counted', async () => {
    const nowMs = await t.env.currentTimeMs();
    const input: CrewChallengeInput = {
      challengeId: 'can-1',
      crewId: 'crew-can',
      title: 'Push-ups',
      days: 30,
      startDate: new Date(nowMs - 86_400_000).toISOString().slice(0, 10),
      timezone: london,
      minSize: 3,
      k: 5,
      members: members(['p', 'q', 'r']),
      goal: { target: 100, unit: 'reps' },
    };
    // The state as the previous run handed it over: active, 10 reps counted under one key.
    const state = { ...initialState(input, nowMs - 2 * 86_400_000), status: 'active' as const };
    state.goal = {
      totalHundredths: 1000,
      reachedAtMs: null,
      contributions: [{ memberId: 'p', hundredths: 1000, atMs: nowMs - 3_600_000 }],
      seenKeys: ['sms:SM-before'],
    };
    state.totals = { p: { hundredths: 1000, count: 1 } };
    const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [{ ...input, state }],
    });
    const again = await handle.executeUpdate(contributeUpdate, {
      args: [{ memberId: 'p', amount: 10, key: 'sms:SM-before' }],
    });
    expect(again).toMatchObject({ counted: false, duplicate: true, total: 10 });
    expect(
      await handle.executeUpdate(contributeUpdate, {
        args: [{ memberId: 'q', amount: 5, key: 'sms:SM-new' }],
      }),
    ).toMatchObject({ counted: true, total: 15 });
    await handle.signal(cancelChallengeSignal, { reason: 'test over' });
    expect((await handle.result()).goal).toMatchObject({ total: 15, contributions: 2 });
  });
});
