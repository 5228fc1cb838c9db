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
import { mentorStateQuery } from '../../workflows/mentor/definitions.js';
import { mentorWorkflow } from '../../workflows/mentor/workflow.js';
import { assignCohortUpdate, type CohortPlanEntry } from '../../workflows/mentorship-cohort/definitions.js';
import { mentorshipCohortWorkflow } from '../../workflows/mentorship-cohort/workflow.js';
import {
  answerOfferUpdate,
  matchStateQuery,
  replySignal,
  type Candidate,
  type MatchWorkflowInput,
} from '../../workflows/mentorship-match/definitions.js';
import { mentorshipMatchWorkflow } from '../../workflows/mentorship-match/workflow.js';
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
