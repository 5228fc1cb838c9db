/**
 * A request waiting for its cohort whose mentee is erased before the cohort answers must not hold a mentor's
 * capacity (issue 12). On the time-skipping server with the real cohort, match and mentor workflows (the slot is
 * reserved through the mentor's own capacity update); nothing here skips time, and every wait polls a query or
 * `describe()`.
 * - The request has ended when the cohort answers: the cohort's answer cannot reach it, so the cohort releases the
 *   slot it reserved (`patched('mentorship-cohort-release-unreachable')`).
 * - The answer reaches the request while it is still ending: the request releases the slot
 *   (`patched('mentorship-cohort-erased-release')`).
 * Either way the mentor's slot is free again for another mentee. Captures `mentorship-cohort-erased-release` and
 * `mentorship-match-cohort-erased` for the replay test.
 */
import { describe, expect, it } from 'vitest';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import { mentorshipCohortWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { mentorStateQuery, reserveSlotUpdate } from '../../workflows/mentor/definitions.js';
import {
  assignCohortUpdate,
  joinCohortUpdate,
  type CohortPlanEntry,
} from '../../workflows/mentorship-cohort/definitions.js';
import { mentorshipCohortWorkflow } from '../../workflows/mentorship-cohort/workflow.js';
import {
  cohortAssignedSignal,
  matchStateQuery,
  participantErasedSignal,
} from '../../workflows/mentorship-match/definitions.js';
import { sealCandidate } from '../../workflows/mentorship-match/sealed.js';
import { unmarked } from '../../workflows/lib/subject.js';
import { captureHistory } from '../helpers/histories.js';
import { mentorshipStarters, testCandidate } from '../helpers/mentorship.js';
import { timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type Real = ReturnType<typeof createMentorshipActivities>;
/** Generous: the CI runs several test files at once on 2 cores. */
const WAIT_MS = 120_000;

const sent: SendSmsInput[] = [];
const plans = new Map<string, CohortPlanEntry[]>();
const statuses: Array<{ matchId: string; status: string; reason: string | null }> = [];
/** Matches whose end (`setMatchStatus` ended_early) waits until the test opens it. */
const held = new Map<string, { open: () => void; opened: Promise<void> }>();
const hold = (matchId: string) => {
  let open = () => {};
  const opened = new Promise<void>((r) => (open = r));
  held.set(matchId, { open, opened });
  return open;
};

const real = createMentorshipActivities({ db: null as unknown as Db });
const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push(input);
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async rankMentorsForMatch(): ReturnType<Real['rankMentorsForMatch']> {
    return [];
  },
  async optimiseForMatch(): ReturnType<Real['optimiseForMatch']> {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  async planCohort(input: Parameters<Real['planCohort']>[0]): ReturnType<Real['planCohort']> {
    return plans.get(input.cohortId) ?? [];
  },
  async recordOffer(): Promise<null> {
    return null;
  },
  async setMatchStatus(input: { matchId: string; status: string; reason: string | null }): Promise<void> {
    statuses.push(input);
    if (input.status === 'ended_early') await held.get(input.matchId)?.opened;
  },
  reserveMentorSlot: (input: Parameters<Real['reserveMentorSlot']>[0]) => real.reserveMentorSlot(input),
};

const t = timeSkippingWorkers(activities);

const { startMentor, startMatch } = mentorshipStarters(t);
const closed = (h: { describe(): Promise<{ status: { name: string } }> }) =>
  waitFor(async () => (await h.describe()).status.name !== 'RUNNING', 'the workflow to close', WAIT_MS);
const candidate = testCandidate;
type Mentor = Awaited<ReturnType<typeof startMentor>>;
const slotsFree = (m: Mentor, what: string) =>
  waitFor(async () => (await m.query(mentorStateQuery)).active.length === 0, what, WAIT_MS);

describe('a cohort request whose mentee is erased before the cohort answers', () => {
  it('has ended when the cohort answers: the cohort releases the slot it reserved for it', async () => {
    const xan = await startMentor('xan', 1);
    const cohortId = '0e0e0e0e-0000-4000-8000-000000000001';
    const matchId = '0e0e0e0e-0000-4000-8000-0000000000a1';
    const closesAt = new Date((await t.env.currentTimeMs()) + 24 * 3_600_000).toISOString();
    const cohort = await t.env.client.workflow.start(mentorshipCohortWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipCohortWorkflowId(cohortId),
      args: [{ cohortId, closesAt }],
    });
    await cohort.executeUpdate(joinCohortUpdate, { args: [{ matchId }] });
    const match = await startMatch({ matchId, menteeMemberId: 'mentee-a', shareRisk: false, cohortId });
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'requested', 'the request');

    // The mentee is erased: the request ends at once (nobody told).
    await match.signal(participantErasedSignal, { memberId: 'mentee-a' });
    await closed(match);
    expect((await match.query(matchStateQuery)).status).toBe('ended_early');

    // The plan was made from rows read before the erasure: it still gives the request Xan.
    plans.set(cohortId, [
      { matchId, choices: [sealCandidate(candidate('xan', 0.9), 'mentee-a')], firstChoiceScore: 0.9 },
    ]);
    const assigned = await cohort.executeUpdate(assignCohortUpdate);
    // The answer is stored in the cohort's history: the assignment is sealed under Xan's and the mentee's keys.
    expect(assigned.assignments[0]).toMatchObject({
      subject: 'member:member-of-xan',
      alsoAbout: ['member:mentee-a'],
    });
    expect(assigned.assignments.map((a) => unmarked(a))).toEqual([
      { matchId, mentorId: 'xan', score: 0.9, firstChoice: true, fallback: false, reason: null },
    ]);
    await slotsFree(xan, "Xan's slot released by the cohort");
    // The slot is Xan's to give again.
    expect(
      (await xan.executeUpdate(reserveSlotUpdate, { args: [{ matchId: 'next-mentee' }] })).active,
    ).toEqual(['next-mentee']);
    expect(sent).toEqual([]); // the erased side is never texted, Xan was never told of the request
    await closed(cohort);
    await captureHistory('mentorship-cohort-erased-release', cohort);
  }, 300_000);

  it('is still ending when the cohort’s answer reaches it: the request releases the slot', async () => {
    const yul = await startMentor('yul', 1);
    const cohortId = '0e0e0e0e-0000-4000-8000-000000000002';
    const matchId = '0e0e0e0e-0000-4000-8000-0000000000b1';
    const openEnd = hold(matchId);
    const match = await startMatch({ matchId, menteeMemberId: 'mentee-b', shareRisk: false, cohortId });
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'requested', 'the request');

    await match.signal(participantErasedSignal, { memberId: 'mentee-b' });
    await waitFor(
      () => statuses.some((s) => s.matchId === matchId && s.status === 'ended_early'),
      'the request to be ending',
      WAIT_MS,
    );
    // Meanwhile the cohort reserves Yul's slot for the request and tells it (as mentorshipCohortWorkflow does).
    await yul.executeUpdate(reserveSlotUpdate, { args: [{ matchId }] });
    await match.signal(cohortAssignedSignal, {
      cohortId,
      candidate: sealCandidate(candidate('yul', 0.8), 'mentee-b'),
      reason: null,
    });
    openEnd();
    await closed(match);
    const end = await match.query(matchStateQuery);
    expect(end.status).toBe('ended_early');
    expect(end.mentorId).toBeNull();
    await slotsFree(yul, "Yul's slot released by the ending request");
    expect(
      (await yul.executeUpdate(reserveSlotUpdate, { args: [{ matchId: 'next-mentee' }] })).active,
    ).toEqual(['next-mentee']);
    expect(sent).toEqual([]);
    await captureHistory('mentorship-match-cohort-erased', match);
  }, 300_000);
});
