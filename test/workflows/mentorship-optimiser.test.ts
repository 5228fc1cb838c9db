/**
 * The optimiser paths of the mentorship workflows on the time-skipping test server (the optimiser's own
 * activities are faked here; their Postgres and HiGHS side is tested in test/api/mentorship-optimiser.test.ts and
 * test/unit/mentorship-solver.test.ts):
 * - a match whose ranked list runs out is re-matched from the pool by the optimiser, offers its pick, and only
 *   when nothing fits goes to the operator queue with the reason;
 * - a cohort collects requests for its window (a timer), assigns them at once through the mentors' capacity
 *   update, falls back to the next best mentor when capacity refuses the optimiser's pick, and reports.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import {
  mentorshipCohortWorkflowId,
  mentorshipMatchWorkflowId,
  mentorWorkflowId,
  TASK_QUEUE,
} from '../../workflows/ids.js';
import { mentorStateQuery, reserveSlotUpdate } from '../../workflows/mentor/definitions.js';
import { mentorWorkflow } from '../../workflows/mentor/workflow.js';
import {
  assignCohortUpdate,
  cohortStateQuery,
  joinCohortUpdate,
  type CohortPlanEntry,
} from '../../workflows/mentorship-cohort/definitions.js';
import { mentorshipCohortWorkflow } from '../../workflows/mentorship-cohort/workflow.js';
import {
  answerOfferUpdate,
  matchStateQuery,
  replySignal,
  type Candidate,
  type MatchWorkflowInput,
} from '../../workflows/mentorship-match/definitions.js';
import { mentorshipMatchWorkflow } from '../../workflows/mentorship-match/workflow.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

interface Sent extends SendSmsInput {
  memberId: string | null;
}
const sent: Sent[] = [];
const candidatesOf = new Map<string, Candidate[]>();
/** What the fake optimiser answers, per match, in order (undefined: nothing fits; 'fail': it fails). */
const picksOf = new Map<string, Array<Candidate | 'fail'>>();
const optimiserCalls: Array<{ matchId: string; exclude: string[] }> = [];
const plans = new Map<string, CohortPlanEntry[]>();
const planCalls: Array<{ cohortId: string; matchIds: string[] }> = [];

const real = createMentorshipActivities({ db: null as unknown as Db });
const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push({ ...input, memberId: 'memberId' in input.to ? input.to.memberId : null });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async rankMentorsForMatch(input: { matchId: string }) {
    return candidatesOf.get(input.matchId) ?? [];
  },
  async optimiseForMatch(input: { matchId: string; exclude: string[] }) {
    optimiserCalls.push(input);
    const next = picksOf.get(input.matchId)?.shift();
    if (next === 'fail') throw ApplicationFailure.nonRetryable('solver broke', 'SolverError');
    return next
      ? { candidate: next, reason: null }
      : {
          candidate: null,
          reason: 'optimiser: no mentor with a free slot and not yet offered scores at least 0.5',
        };
  },
  async planCohort(input: { cohortId: string; matchIds: string[] }) {
    planCalls.push(input);
    return plans.get(input.cohortId) ?? [];
  },
  async recordOffer(): Promise<void> {},
  async setMatchStatus(): Promise<void> {},
  // The real activity: an update on mentor-<id> (check and reserve in one step) through the worker's client.
  async reserveMentorSlot(input: { mentorId: string; matchId: string }) {
    return real.reserveMentorSlot(input);
  },
};

const t = timeSkippingWorkers(activities);

const startMentor = (mentorId: string, capacity: number) =>
  t.env.client.workflow.start(mentorWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: mentorWorkflowId(mentorId),
    args: [{ mentorId, capacity }],
  });
/**
 * Waits for a workflow to close by polling its status, not `result()`: awaiting a result lets the time-skipping
 * server skip ahead, and once the workflow has closed the next timer it finds is the mentors' 10-year execution
 * timeout (they then end TIMED_OUT and every later step of the file waits for nothing).
 */
const closed = (h: { describe(): Promise<{ status: { name: string } }> }) =>
  waitFor(async () => (await h.describe()).status.name !== 'RUNNING', 'the workflow to close', 60_000);
const startMatch = (input: MatchWorkflowInput) =>
  t.env.client.workflow.start(mentorshipMatchWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: mentorshipMatchWorkflowId(input.matchId),
    args: [input],
  });
const candidate = (mentorId: string, score: number): Candidate => ({
  mentorId,
  mentorMemberId: `member-of-${mentorId}`,
  mentorTimezone: 'UTC',
  mentorAvailability: [{ weekday: 2, from: '18:00', to: '20:00' }],
  score,
  breakdown: { focus: score, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
});
const kindsTo = (memberId: string) => sent.filter((s) => s.memberId === memberId).map((s) => s.kind);
const H = 3_600_000;

/** Offers wait for the mentor's daytime (UTC here): start each scenario at 10:00 UTC. */
async function toMorning() {
  const now = await t.env.currentTimeMs();
  const d = new Date(now);
  d.setUTCHours(10, 0, 0, 0);
  if (d.getTime() <= now) d.setUTCDate(d.getUTCDate() + 1);
  await skipTo(t.env, d);
}

describe('the optimiser re-matches the pool when the ranked list runs out', () => {
  it("offers the optimiser's pick after the last ranked candidate declines; it accepts", async () => {
    await toMorning();
    const ola = await startMentor('ola', 1);
    const pia = await startMentor('pia', 1);
    candidatesOf.set('o1', [candidate('ola', 0.9)]);
    picksOf.set('o1', [candidate('pia', 0.7)]);
    const match = await startMatch({ matchId: 'o1', menteeMemberId: 'mentee-o1', shareRisk: false });
    await waitFor(() => kindsTo('member-of-ola').length === 1, 'the ranked offer');
    await match.signal(replySignal, {
      inboundId: 1,
      body: 'no',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:ola',
    });
    await waitFor(() => kindsTo('member-of-pia').length === 1, "the optimiser's offer");
    expect(optimiserCalls.filter((c) => c.matchId === 'o1')).toEqual([{ matchId: 'o1', exclude: ['ola'] }]);
    const s = await match.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'pia', accept: true }] });
    expect(s.status).toBe('active');
    expect(s.mentorId).toBe('pia');
    expect(s.offers.map((o) => [o.mentorId, o.rank, o.status])).toEqual([
      ['ola', 1, 'declined'],
      ['pia', 2, 'accepted'],
    ]);
    expect((await pia.query(mentorStateQuery)).active).toEqual(['o1']);
    await waitFor(() => kindsTo('mentee-o1').length > 0, 'the mentee told');
    expect(kindsTo('mentee-o1')).toEqual(['mentorship_matched']);
    await match.terminate();
    await ola.terminate();
    await pia.terminate();
  }, 180_000);

  it('a failing optimiser sends the request to the operator queue instead of retrying for ever', async () => {
    candidatesOf.set('o3', []);
    picksOf.set('o3', ['fail']);
    const match = await startMatch({ matchId: 'o3', menteeMemberId: 'mentee-o3', shareRisk: false });
    await closed(match);
    const s = await match.query(matchStateQuery);
    expect(s.status).toBe('unmatched');
    expect(s.unmatchedReason).toBe(
      'no mentor has a free slot; optimiser failed; an operator should match this request',
    );
  }, 120_000);
});

describe('cohort matching', () => {
  it('assigns the cohort at the end of its window through the capacity update, with fallback and report', async () => {
    await toMorning();
    const xan = await startMentor('xan', 1);
    const yul = await startMentor('yul', 2);
    // Xan's only slot is taken by an accept the plan did not know of (its data was read before).
    await xan.executeUpdate(reserveSlotUpdate, { args: [{ matchId: 'someone-else' }] });
    const cohortId = '0c0c0c0c-0000-4000-8000-000000000001';
    const ids = [
      '0c0c0c0c-0000-4000-8000-0000000000c1',
      '0c0c0c0c-0000-4000-8000-0000000000c2',
      '0c0c0c0c-0000-4000-8000-0000000000c3',
    ];
    const closesAt = new Date((await t.env.currentTimeMs()) + 2 * H).toISOString();
    const cohort = await t.env.client.workflow.start(mentorshipCohortWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipCohortWorkflowId(cohortId),
      args: [{ cohortId, closesAt }],
    });
    await expect(
      cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: 'not-a-uuid' }] }),
    ).rejects.toThrow();
    const matches: Array<Awaited<ReturnType<typeof startMatch>>> = [];
    for (const [i, id] of ids.entries()) {
      await cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: id }] });
      matches.push(
        await startMatch({ matchId: id, menteeMemberId: `mentee-c${i + 1}`, shareRisk: false, cohortId }),
      );
    }
    // Joining twice is one request.
    expect((await cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: ids[0]! }] })).requests).toEqual(
      ids,
    );
    plans.set(cohortId, [
      { matchId: ids[0]!, choices: [candidate('xan', 0.9), candidate('yul', 0.8)], firstChoiceScore: 0.9 },
      { matchId: ids[1]!, choices: [candidate('yul', 0.85)], firstChoiceScore: 0.85 },
      { matchId: ids[2]!, choices: [], firstChoiceScore: 0.4 },
    ]);
    // Nothing is offered while the window is open.
    expect((await matches[0]!.query(matchStateQuery)).status).toBe('requested');
    expect(planCalls).toEqual([]);

    // The window's timer closes it. (Waiting by query, not result(): waiting on a result lets the test server
    // skip ahead to the active matches' next timers.)
    await skipTo(t.env, new Date(Date.parse(closesAt) + 60_000));
    const c = await waitFor(async () => {
      const x = await cohort.query(cohortStateQuery);
      return x.status === 'assigned' && x;
    }, 'the cohort assigned');
    expect(planCalls).toEqual([{ cohortId, matchIds: ids }]);
    expect(c.status).toBe('assigned');
    expect(c.assignments).toEqual([
      { matchId: ids[0], mentorId: 'yul', score: 0.8, firstChoice: false, fallback: true, reason: null },
      { matchId: ids[1], mentorId: 'yul', score: 0.85, firstChoice: true, fallback: false, reason: null },
      {
        matchId: ids[2],
        mentorId: null,
        score: null,
        firstChoice: false,
        fallback: false,
        reason: `cohort ${cohortId}: no mentor with a free slot scores at least 0.5 for this request, or every one that does fits others better`,
      },
    ]);
    expect(c.report).toEqual({
      requests: 3,
      assigned: 2,
      unplaced: 1,
      totalScore: 1.65,
      minScore: 0.8,
      medianScore: 0.825,
      firstChoiceShare: 0.5,
      fallbacks: 1,
    });
    // Capacity held by the mentors' own workflows: Xan never over-booked, Yul holds exactly its two.
    expect((await xan.query(mentorStateQuery)).active).toEqual(['someone-else']);
    expect((await yul.query(mentorStateQuery)).active.sort()).toEqual([ids[0], ids[1]].sort());

    await waitFor(async () => (await matches[0]!.query(matchStateQuery)).status === 'active', 'c1 active');
    const s1 = await matches[0]!.query(matchStateQuery);
    expect(s1.mentorId).toBe('yul');
    expect(s1.offers.map((o) => [o.mentorId, o.status, o.reason])).toEqual([
      ['yul', 'accepted', `assigned by cohort ${cohortId}`],
    ]);
    const s3 = await waitFor(async () => {
      const x = await matches[2]!.query(matchStateQuery);
      return x.status === 'unmatched' && x;
    }, 'c3 in the operator queue');
    await waitFor(
      () =>
        kindsTo('mentee-c1').length > 0 &&
        kindsTo('mentee-c3').length > 0 &&
        kindsTo('member-of-yul').length === 2,
      'the texts',
    );
    expect(s3.unmatchedReason).toBe(c.assignments[2]!.reason);
    expect(kindsTo('mentee-c1')).toEqual(['mentorship_matched']);
    expect(kindsTo('mentee-c3')).toEqual(['mentorship_unmatched']);
    expect(kindsTo('member-of-yul')).toEqual(['mentorship_matched', 'mentorship_matched']);
    expect(kindsTo('member-of-xan')).toEqual([]);
    // A closed cohort takes no more requests.
    await expect(
      cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: '0c0c0c0c-0000-4000-8000-0000000000c4' }] }),
    ).rejects.toThrow();
    await captureHistory('mentorship-cohort', cohort);
    await captureHistory('mentorship-match-cohort', matches[0]!);
    for (const m of matches.slice(0, 2)) await m.terminate();
    await xan.terminate();
    await yul.terminate();
  }, 240_000);

  it('an operator assigns early: the update answers with the report', async () => {
    const cohortId = '0c0c0c0c-0000-4000-8000-000000000002';
    const cohort = await t.env.client.workflow.start(mentorshipCohortWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipCohortWorkflowId(cohortId),
      args: [{ cohortId, closesAt: new Date((await t.env.currentTimeMs()) + 48 * H).toISOString() }],
    });
    const s = await cohort.executeUpdate(assignCohortUpdate, { args: [] });
    expect(s.status).toBe('assigned');
    expect(s.report).toMatchObject({ requests: 0, assigned: 0, minScore: null, medianScore: null });
    expect(planCalls.some((p) => p.cohortId === cohortId)).toBe(false);
    await closed(cohort);
  }, 120_000);
});
