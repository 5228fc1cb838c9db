/**
 * Erasure reaches every mentorship match and the erased mentor (issue 12 §2), on the time-skipping server with the
 * real erasure, match and mentor workflows (activities: fakes typed against the real ones; the slot reservation is
 * the real activity). A mentee erased while their request waits (`requested`) or while an offer is live (`offered`)
 * ends it: the offered mentor gets the plain "ended" text, nobody else is offered, the erased mentee is never
 * texted. A mentor erased with an active match and a pending offer: their `mentor-<id>` workflow ends, the active
 * match ends with the mentee told neutrally, and the pending offer is withdrawn so that request goes on to the next
 * mentor and is matched.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createErasureActivities } from '../../activities/erasure.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { Db } from '../../db/client.js';
import type { ErasureInput } from '../../workflows/erasure/definitions.js';
import { erasureWorkflow } from '../../workflows/erasure/workflow.js';
import { erasureWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { mentorStateQuery } from '../../workflows/mentor/definitions.js';
import {
  answerOfferUpdate,
  endMatchUpdate,
  matchStateQuery,
  type Candidate,
} from '../../workflows/mentorship-match/definitions.js';
import { ERASED_END_REASON } from '../../workflows/mentorship-match/erasure.js';
import { ENDED_EARLY_TEXT } from '../../workflows/mentorship-match/texts.js';
import { captureHistory } from '../helpers/histories.js';
import { mentorshipStarters } from '../helpers/mentorship.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type Mentorship = ReturnType<typeof createMentorshipActivities>;
type Erasure = ReturnType<typeof createErasureActivities>;

const sent: Array<SendSmsInput & { memberId: string | null }> = [];
const statuses: Array<Parameters<Mentorship['setMatchStatus']>[0]> = [];
const candidatesOf = new Map<string, Candidate[]>();
const shredded: string[] = [];
const real = createMentorshipActivities({ db: null as unknown as Db });
const realErasure = createErasureActivities({ db: null as unknown as Db });

const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push({ ...input, memberId: 'memberId' in input.to ? input.to.memberId : null });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async rankMentorsForMatch(input: Parameters<Mentorship['rankMentorsForMatch']>[0]): Promise<Candidate[]> {
    return candidatesOf.get(input.matchId) ?? [];
  },
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  async recordOffer(): Promise<null> {
    return null; // no clock: the offer's zone is plain here
  },
  async setMatchStatus(input: Parameters<Mentorship['setMatchStatus']>[0]): Promise<void> {
    statuses.push(input);
  },
  // The real activity: an update on mentor-<id> through the worker's client.
  async reserveMentorSlot(input: Parameters<Mentorship['reserveMentorSlot']>[0]) {
    return real.reserveMentorSlot(input);
  },
  async recordErasureStep(): Promise<void> {},
  async eraseMemberRows(): Promise<boolean> {
    return true;
  },
  // The real waits: the erasure shreds only once the matches it told no longer involve the member and the
  // mentor workflows it told have closed.
  async awaitWorkflowClosed(r: Parameters<Erasure['awaitWorkflowClosed']>[0]): Promise<void> {
    return realErasure.awaitWorkflowClosed(r);
  },
  async awaitMatchReleased(r: Parameters<Erasure['awaitMatchReleased']>[0]): Promise<void> {
    return realErasure.awaitMatchReleased(r);
  },
  async shredErasedSubject(r: Parameters<Erasure['shredErasedSubject']>[0]): Promise<void> {
    shredded.push(`member:${r.memberId}`);
  },
} satisfies Partial<Mentorship & Erasure> & { sendSms: unknown };

const t = timeSkippingWorkers(activities);

const candidate = (mentorId: string): Candidate => ({
  mentorId,
  mentorMemberId: `member-of-${mentorId}`,
  mentorTimezone: 'UTC',
  score: 0.9,
  breakdown: { focus: 0.9, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
});
const { startMentor, startMatch } = mentorshipStarters(t);
const erase = (memberId: string, r: Pick<ErasureInput, 'matchIds'> & Partial<ErasureInput>) =>
  t.env.client.workflow.start(erasureWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: erasureWorkflowId(memberId),
    args: [{ erasureId: memberId, memberId, requestedBy: 'operator:test', challengeIds: [], ...r }],
  });
const textsTo = (memberId: string) => sent.filter((s) => s.memberId === memberId);
const textsOf = (matchId: string) =>
  sent.filter((s) => s.idempotencyKey.startsWith(`mentorship-match:${matchId}:`));
/**
 * The workflow has processed everything so far: no activity in flight and no workflow task outstanding (so the
 * offer text's completion has reached the workflow before the erasure does).
 */
const settled = (handle: WorkflowHandle) =>
  waitFor(async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    let tasks = 0;
    let activities = 0;
    for (const e of events) {
      if (e.workflowTaskScheduledEventAttributes) tasks++;
      if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes) tasks--;
      if (e.workflowTaskTimedOutEventAttributes) tasks--;
      if (e.activityTaskScheduledEventAttributes) activities++;
      if (
        e.activityTaskCompletedEventAttributes ||
        e.activityTaskFailedEventAttributes ||
        e.activityTaskTimedOutEventAttributes ||
        e.activityTaskCanceledEventAttributes
      )
        activities--;
    }
    return tasks === 0 && activities === 0;
  }, `${handle.workflowId} settled`);
const closed = (workflowId: string) =>
  waitFor(async () => {
    const d = await t.env.client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'COMPLETED';
  }, `${workflowId} completed`);

describe('erasing a mentee whose match is not active yet', () => {
  it('a request still waiting (requested) ends; nobody is texted', async () => {
    await skipTo(t.env, '2028-07-03T12:00:00Z');
    // A request that joined a cohort waits for the cohort's answer: status `requested`, no offer yet.
    const match = await startMatch({
      matchId: 'req-1',
      menteeMemberId: 'mentee-req',
      shareRisk: false,
      cohortId: 'cohort-never',
    });
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'requested', 'requested');

    await erase('mentee-req', { matchIds: ['req-1'] });
    await closed(match.workflowId);
    const s = await match.query(matchStateQuery);
    expect(s.status).toBe('ended_early');
    expect(s.offers).toEqual([]);
    expect(statuses.filter((x) => x.matchId === 'req-1')).toEqual([
      { matchId: 'req-1', status: 'ended_early', mentorId: null, reason: ERASED_END_REASON },
    ]);
    // No "no mentor is free" text, nor anything else, to the erased mentee.
    expect(textsOf('req-1')).toEqual([]);
    await waitFor(() => shredded.includes('member:mentee-req'), 'the shred');
  }, 120_000);

  it('a live offer is withdrawn: the mentor gets the plain ended text, nobody else is offered', async () => {
    await skipTo(t.env, '2028-07-04T12:00:00Z');
    const mentorA = await startMentor('mo-a', 1);
    await startMentor('mo-b', 1);
    candidatesOf.set('off-1', [candidate('mo-a'), candidate('mo-b')]);
    const match = await startMatch({ matchId: 'off-1', menteeMemberId: 'mentee-off', shareRisk: false });
    await waitFor(() => textsTo('member-of-mo-a').length === 1, 'the offer to mo-a');
    expect((await mentorA.query(mentorStateQuery)).pending).toEqual(['off-1']);
    await settled(match);

    await erase('mentee-off', { matchIds: ['off-1'] });
    await closed(match.workflowId);
    const s = await match.query(matchStateQuery);
    expect(s.status).toBe('ended_early');
    expect(s.offers.map((o) => [o.mentorId, o.status, o.reason])).toEqual([
      ['mo-a', 'withdrawn', ERASED_END_REASON],
    ]);
    // The mentor who had the offer: told it ended, without any detail.
    expect(textsTo('member-of-mo-a').map((x) => [x.kind, x.body])).toEqual([
      ['mentorship_offer', expect.any(String)],
      ['mentorship_ended_early', ENDED_EARLY_TEXT],
    ]);
    expect(textsTo('member-of-mo-b')).toEqual([]);
    expect(textsTo('mentee-off')).toEqual([]);
    // The mentor's workflow no longer counts the offer.
    await waitFor(async () => (await mentorA.query(mentorStateQuery)).pending.length === 0, 'offer closed');
    expect((await mentorA.query(mentorStateQuery)).free).toBe(1);
    await captureHistory('mentorship-match-erased-offered', match);
  }, 120_000);
});

describe('erasing a mentor with an active match and a pending offer', () => {
  it('their workflow ends, the active mentee is told neutrally, the pending request is matched again', async () => {
    await skipTo(t.env, '2028-07-05T12:00:00Z');
    const mentorC = await startMentor('mo-c', 2);
    const mentorD = await startMentor('mo-d', 1);
    // An active match with mo-c (accepted by API).
    candidatesOf.set('act-1', [candidate('mo-c')]);
    const active = await startMatch({ matchId: 'act-1', menteeMemberId: 'mentee-act', shareRisk: false });
    await waitFor(() => textsOf('act-1').some((x) => x.kind === 'mentorship_offer'), 'the offer of act-1');
    await settled(active);
    expect(
      (await active.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'mo-c', accept: true }] })).status,
    ).toBe('active');
    // Another request whose live offer waits on mo-c; mo-d is next in its list.
    candidatesOf.set('pend-1', [candidate('mo-c'), candidate('mo-d')]);
    const pending = await startMatch({ matchId: 'pend-1', menteeMemberId: 'mentee-pend', shareRisk: false });
    await waitFor(() => textsOf('pend-1').some((x) => x.kind === 'mentorship_offer'), 'the offer of pend-1');
    expect(await mentorC.query(mentorStateQuery)).toMatchObject({ active: ['act-1'], pending: ['pend-1'] });
    const mentorTextsBefore = textsTo('member-of-mo-c').length;
    await settled(pending);
    await settled(active);

    const erasure = await erase('member-of-mo-c', { matchIds: ['act-1', 'pend-1'], mentorIds: ['mo-c'] });

    // The mentor's own workflow ends.
    await closed(mentorC.workflowId);
    // The active match ends; the mentee is told without detail; the erased mentor is not texted.
    await closed(active.workflowId);
    expect((await active.query(matchStateQuery)).status).toBe('ended_early');
    expect(textsTo('mentee-act').at(-1)).toMatchObject({
      kind: 'mentorship_ended_early',
      body: ENDED_EARLY_TEXT,
    });
    expect(statuses.filter((x) => x.matchId === 'act-1').at(-1)).toMatchObject({
      status: 'ended_early',
      reason: ERASED_END_REASON,
    });
    // The pending offer is withdrawn and passed on to mo-d, as after a NO; its mentee hears nothing of it.
    await waitFor(
      () => textsTo('member-of-mo-d').some((x) => x.kind === 'mentorship_offer'),
      'the offer to mo-d',
    );
    let p = await pending.query(matchStateQuery);
    expect(p.status).toBe('offered');
    expect(p.offers.map((o) => [o.mentorId, o.status, o.reason])).toEqual([
      ['mo-c', 'withdrawn', 'mentor erased'],
      ['mo-d', 'offered', null],
    ]);
    expect(textsTo('mentee-pend')).toEqual([]);
    expect(textsTo('member-of-mo-c')).toHaveLength(mentorTextsBefore);
    // … and is matched again: mo-d accepts. (Each step waits until the match has taken in the offer text's
    // completion: a held text cancelled while its completion is on the way can wedge the time-skipping server.)
    await settled(pending);
    p = await pending.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'mo-d', accept: true }] });
    expect(p).toMatchObject({ status: 'active', mentorId: 'mo-d' });
    expect((await mentorD.query(mentorStateQuery)).active).toEqual(['pend-1']);
    await waitFor(() => textsTo('mentee-pend').length > 0, 'the matched text');
    expect(textsTo('mentee-pend').map((x) => x.kind)).toEqual(['mentorship_matched']);

    await waitFor(async () => (await erasure.describe()).status.name === 'COMPLETED', 'the erasure done');
    expect(await erasure.result()).toMatchObject({
      matchesTold: 2,
      mentorsTold: 1,
      challengesNotDropped: [],
    });
    expect(shredded).toContain('member:member-of-mo-c');
    await captureHistory('mentor-erased', mentorC);
    await captureHistory('erasure-mentor', erasure);
    await settled(pending);
    await pending.executeUpdate(endMatchUpdate, { args: [{ reason: 'test over' }] });
    await closed(pending.workflowId);
    await captureHistory('mentorship-match-mentor-erased', pending);
  }, 180_000);

  it('a mentor workflow that never started is no obstacle', async () => {
    const erasure = await erase('member-of-mo-none', { matchIds: [], mentorIds: ['mo-none'] });
    await waitFor(async () => (await erasure.describe()).status.name === 'COMPLETED', 'the erasure done');
    expect(await erasure.result()).toMatchObject({ mentorsTold: 0 });
    await expect(
      t.env.client.workflow.getHandle(mentorWorkflowId('mo-none')).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }, 60_000);
});
