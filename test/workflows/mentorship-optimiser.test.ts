/**
 * The optimiser paths of the mentorship workflows on the time-skipping test server (the optimiser's own
 * activities are faked here; their Postgres and HiGHS side is tested in test/api/mentorship-optimiser.test.ts and
 * test/unit/mentorship-solver.test.ts):
 * - a match whose ranked list runs out is re-matched from the pool by the optimiser and offers its pick;
 * - a failing optimiser sends the request to the operator queue;
 * - an operator assigns a cohort early.
 * The scenarios that skip time have their own files (mentorship-optimiser-queue.test.ts: nothing fits any more →
 * operator queue; mentorship-cohort-window.test.ts: the cohort assigned when its window ends), see
 * mentorship-optimiser-fakes.ts for why.
 */
import { describe, expect, it } from 'vitest';
import { mentorshipCohortWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { mentorStateQuery } from '../../workflows/mentor/definitions.js';
import { assignCohortUpdate } from '../../workflows/mentorship-cohort/definitions.js';
import { mentorshipCohortWorkflow } from '../../workflows/mentorship-cohort/workflow.js';
import {
  answerOfferUpdate,
  matchStateQuery,
  replySignal,
} from '../../workflows/mentorship-match/definitions.js';
import { waitFor } from '../helpers/temporal.js';
import { H, optimiserScenario, WAIT_MS } from './mentorship-optimiser-fakes.js';

const {
  t,
  candidatesOf,
  picksOf,
  optimiserCalls,
  planCalls,
  startMentor,
  startMatch,
  closed,
  candidate,
  kindsTo,
  toMorning,
} = optimiserScenario();

describe('the optimiser re-matches the pool when the ranked list runs out', () => {
  it("offers the optimiser's pick after the last ranked candidate declines; it accepts", async () => {
    await toMorning();
    const ola = await startMentor('ola', 1);
    const pia = await startMentor('pia', 1);
    candidatesOf.set('o1', [candidate('ola', 0.9)]);
    picksOf.set('o1', [candidate('pia', 0.7)]);
    const match = await startMatch({ matchId: 'o1', menteeMemberId: 'mentee-o1', shareRisk: false });
    await waitFor(() => kindsTo('member-of-ola').length === 1, 'the ranked offer', WAIT_MS);
    await match.signal(replySignal, {
      inboundId: 1,
      body: 'no',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:ola',
    });
    await waitFor(() => kindsTo('member-of-pia').length === 1, "the optimiser's offer", WAIT_MS);
    expect(optimiserCalls.filter((c) => c.matchId === 'o1')).toEqual([{ matchId: 'o1', exclude: ['ola'] }]);
    const s = await match.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'pia', accept: true }] });
    expect(s.status).toBe('active');
    expect(s.mentorId).toBe('pia');
    expect(s.offers.map((o) => [o.mentorId, o.rank, o.status])).toEqual([
      ['ola', 1, 'declined'],
      ['pia', 2, 'accepted'],
    ]);
    expect((await pia.query(mentorStateQuery)).active).toEqual(['o1']);
    await waitFor(() => kindsTo('mentee-o1').length > 0, 'the mentee told', WAIT_MS);
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
