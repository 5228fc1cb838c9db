/**
 * A cohort collects requests for its window (a timer), then assigns them at once through the mentors' capacity
 * update, falls back to the next best mentor when capacity refuses the optimiser's pick, and reports. On the
 * time-skipping server, alone in its file (see mentorship-optimiser-fakes.ts): every wait is on a query or the
 * recorded texts, never on result(), and nothing is terminated before the window's skip.
 */
import { describe, expect, it } from 'vitest';
import { mentorshipCohortWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { mentorStateQuery, reserveSlotUpdate } from '../../workflows/mentor/definitions.js';
import { cohortStateQuery, joinCohortUpdate } from '../../workflows/mentorship-cohort/definitions.js';
import { mentorshipCohortWorkflow } from '../../workflows/mentorship-cohort/workflow.js';
import { matchStateQuery } from '../../workflows/mentorship-match/definitions.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, waitFor } from '../helpers/temporal.js';
import { H, optimiserScenario, WAIT_MS } from './mentorship-optimiser-fakes.js';

const s = optimiserScenario();

describe('cohort matching', () => {
  it('assigns the cohort at the end of its window through the capacity update, with fallback and report', async () => {
    await s.toMorning();
    const xan = await s.startMentor('xan', 1);
    const yul = await s.startMentor('yul', 2);
    // Xan's only slot is taken by an accept the plan did not know of (its data was read before).
    await xan.executeUpdate(reserveSlotUpdate, { args: [{ matchId: 'someone-else' }] });
    const cohortId = '0c0c0c0c-0000-4000-8000-000000000001';
    const ids = [
      '0c0c0c0c-0000-4000-8000-0000000000c1',
      '0c0c0c0c-0000-4000-8000-0000000000c2',
      '0c0c0c0c-0000-4000-8000-0000000000c3',
    ];
    const closesAt = new Date((await s.t.env.currentTimeMs()) + 2 * H).toISOString();
    const cohort = await s.t.env.client.workflow.start(mentorshipCohortWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipCohortWorkflowId(cohortId),
      args: [{ cohortId, closesAt }],
    });
    await expect(
      cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: 'not-a-uuid' }] }),
    ).rejects.toThrow();
    const matches: Array<Awaited<ReturnType<typeof s.startMatch>>> = [];
    for (const [i, id] of ids.entries()) {
      await cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: id }] });
      matches.push(
        await s.startMatch({ matchId: id, menteeMemberId: `mentee-c${i + 1}`, shareRisk: false, cohortId }),
      );
    }
    // Joining twice is one request.
    expect((await cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId: ids[0]! }] })).requests).toEqual(
      ids,
    );
    s.plans.set(cohortId, [
      {
        matchId: ids[0]!,
        choices: [s.candidate('xan', 0.9), s.candidate('yul', 0.8)],
        firstChoiceScore: 0.9,
      },
      { matchId: ids[1]!, choices: [s.candidate('yul', 0.85)], firstChoiceScore: 0.85 },
      { matchId: ids[2]!, choices: [], firstChoiceScore: 0.4 },
    ]);
    // Nothing is offered while the window is open.
    expect((await matches[0]!.query(matchStateQuery)).status).toBe('requested');
    expect((await cohort.query(cohortStateQuery)).status).toBe('collecting');
    expect(s.planCalls).toEqual([]);

    // The window's timer closes it.
    await skipTo(s.t.env, new Date(Date.parse(closesAt) + 60_000));
    const c = await waitFor(
      async () => {
        const x = await cohort.query(cohortStateQuery);
        return x.status === 'assigned' && x;
      },
      'the cohort assigned',
      WAIT_MS,
    );
    expect(s.planCalls).toEqual([{ cohortId, matchIds: ids }]);
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

    const s1 = await waitFor(
      async () => {
        const x = await matches[0]!.query(matchStateQuery);
        return x.status === 'active' && x;
      },
      'c1 active',
      WAIT_MS,
    );
    expect(s1.mentorId).toBe('yul');
    expect(s1.offers.map((o) => [o.mentorId, o.status, o.reason])).toEqual([
      ['yul', 'accepted', `assigned by cohort ${cohortId}`],
    ]);
    const s3 = await waitFor(
      async () => {
        const x = await matches[2]!.query(matchStateQuery);
        return x.status === 'unmatched' && x;
      },
      'c3 in the operator queue',
      WAIT_MS,
    );
    expect(s3.unmatchedReason).toBe(c.assignments[2]!.reason);
    await waitFor(
      () =>
        s.kindsTo('mentee-c1').length > 0 &&
        s.kindsTo('mentee-c2').length > 0 &&
        s.kindsTo('mentee-c3').length > 0 &&
        s.kindsTo('member-of-yul').length === 2,
      'the texts',
      WAIT_MS,
    );
    expect(s.kindsTo('mentee-c1')).toEqual(['mentorship_matched']);
    expect(s.kindsTo('mentee-c2')).toEqual(['mentorship_matched']);
    expect(s.kindsTo('mentee-c3')).toEqual(['mentorship_unmatched']);
    expect(s.kindsTo('member-of-yul')).toEqual(['mentorship_matched', 'mentorship_matched']);
    expect(s.kindsTo('member-of-xan')).toEqual([]);
    // A closed cohort takes no more requests.
    await expect(
      cohort.executeUpdate(joinCohortUpdate, {
        args: [{ matchId: '0c0c0c0c-0000-4000-8000-0000000000c4' }],
      }),
    ).rejects.toThrow();
    await captureHistory('mentorship-cohort', cohort);
    await captureHistory('mentorship-match-cohort', matches[0]!);
  }, 300_000);
});
