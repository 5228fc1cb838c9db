/**
 * Mentors and mentorship matches on the time-skipping test server: the capacity invariant under 100 concurrent
 * accepts, and a match from request to end — decline by SMS, an expiry with reminders at 24 h and 4 h left,
 * an accept by API that reserves a slot in the mentor's own workflow, a risk rise from a real member workflow
 * reaching the mentor once, and the operator queue when nobody takes it.
 */
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import { memberWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import {
  mentorStateQuery,
  releaseSlotSignal,
  reserveSlotUpdate,
} from '../../workflows/mentor/definitions.js';
import {
  answerOfferUpdate,
  endMatchUpdate,
  matchStateQuery,
  replySignal,
  riskChangedSignal,
  type Candidate,
  type OfferView,
} from '../../workflows/mentorship-match/definitions.js';
import type { OfferRecord } from '../../workflows/mentorship-match/sealed.js';
import { captureHistory } from '../helpers/histories.js';
import { mentorshipStarters } from '../helpers/mentorship.js';
import { finishMember, skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

interface Sent extends SendSmsInput {
  memberId: string | null;
  at: string;
}
const sent: Sent[] = [];
const offersRecorded: Array<{ matchId: string; mentorId: string; status: string; weightsVersion: string }> =
  [];
const statuses: Array<{ matchId: string; status: string; reason: string | null }> = [];
const candidatesOf = new Map<string, Candidate[]>();
const scheduledAt = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString();

const real = createMentorshipActivities({ db: null as unknown as Db });
const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push({ ...input, memberId: 'memberId' in input.to ? input.to.memberId : null, at: scheduledAt() });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async rankMentorsForMatch(input: { matchId: string }) {
    return candidatesOf.get(input.matchId) ?? [];
  },
  // The optimiser re-match of the pool (test/workflows/mentorship-optimiser.test.ts): nothing fits here.
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  // The offer arrives sealed under both keys (no codec here: the marked object as it is).
  async recordOffer(input: OfferRecord) {
    offersRecorded.push({ ...(input.offer as OfferView), matchId: input.matchId });
    return input.clock ?? null;
  },
  async setMatchStatus(input: { matchId: string; status: string; reason: string | null }) {
    statuses.push(input);
  },
  // The real activity: an update on mentor-<id> through the worker's client.
  async reserveMentorSlot(input: { mentorId: string; matchId: string }) {
    // Mentor "racy": another match's accept takes the last slot just before this one.
    if (input.mentorId === 'racy') {
      await t.env.client.workflow
        .getHandle(mentorWorkflowId('racy'))
        .executeUpdate(reserveSlotUpdate, { args: [{ matchId: 'someone-else' }] });
    }
    return real.reserveMentorSlot(input);
  },
  // The mentee's member workflow (risk publication).
  async recordDay(): Promise<void> {},
  async recordRiskChange(): Promise<void> {},
  async setMemberStatus(): Promise<void> {},
  async storeGoal(): Promise<void> {},
  async writeMotivation() {
    return { source: 'template', prompt: 'motivation.template@1', text: 'Keep going.' };
  },
  async writeWeeklySummary() {
    return { source: 'template', prompt: 'weekly_summary.template@1', text: 'Your week.' };
  },
};

const t = timeSkippingWorkers(activities);

const { startMentor, startMatch } = mentorshipStarters(t);
const candidate = (mentorId: string, score: number, mentorTimezone = 'UTC'): Candidate => ({
  mentorId,
  mentorMemberId: `member-of-${mentorId}`,
  mentorTimezone,
  score,
  breakdown: { focus: score, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
});
const textsTo = (memberId: string) => sent.filter((s) => s.memberId === memberId);
const H = 3_600_000;

describe('mentor workflow: capacity is an invariant', () => {
  it('100 concurrent accepts against capacity 2 → exactly 2 reserved, the rest refused on capacity', async () => {
    const mentor = await startMentor('busy', 2);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        mentor.executeUpdate(reserveSlotUpdate, { args: [{ matchId: `match-${i}` }] }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(2);
    expect(refused).toHaveLength(98);
    for (const r of refused) expect(String(r.reason.cause?.message)).toBe('capacity: mentor is full');
    const state = await mentor.query(mentorStateQuery);
    expect(state.active).toHaveLength(2);
    expect(state.free).toBe(0);
    // Accepting a match that already holds a slot again is not a second reservation.
    const again = await mentor.executeUpdate(reserveSlotUpdate, { args: [{ matchId: state.active[0]! }] });
    expect(again.active).toEqual(state.active);
    // A released slot can be taken once more, by exactly one of the next ten.
    await mentor.signal(releaseSlotSignal, { matchId: state.active[0]! });
    const next = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        mentor.executeUpdate(reserveSlotUpdate, { args: [{ matchId: `late-${i}` }] }),
      ),
    );
    expect(next.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await mentor.query(mentorStateQuery)).active).toHaveLength(2);
    await captureHistory('mentor-capacity', mentor);
    await mentor.terminate();
  }, 120_000);
});

describe('mentorship match workflow', () => {
  it('declined by SMS, expired after two reminders, accepted by API; risk alert once; ended early', async () => {
    await skipTo(t.env, '2028-07-03T12:00:00Z'); // Monday 08:00 in New York
    const mentee = 'mentee-ana';
    for (const id of ['ada', 'bo', 'cy']) await startMentor(id, 1);
    const ny = 'America/New_York';
    candidatesOf.set('m1', [candidate('ada', 0.9, ny), candidate('bo', 0.8, ny), candidate('cy', 0.7, ny)]);
    const match = await startMatch({ matchId: 'm1', menteeMemberId: mentee, shareRisk: true });

    // 1. exactly one live offer: Ada's, by SMS expecting her reply
    await waitFor(() => textsTo('member-of-ada').length === 1, 'the first offer');
    const offer1 = textsTo('member-of-ada')[0]!;
    expect(offer1.kind).toBe('mentorship_offer');
    expect(offer1.idempotencyKey).toBe('mentorship-match:m1:offer:ada');
    let s = await match.query(matchStateQuery);
    expect(s.status).toBe('offered');
    expect(s.offers.map((o) => [o.mentorId, o.status])).toEqual([['ada', 'offered']]);
    const deadline = Date.parse(s.offers[0]!.deadlineAt);
    // Offered Monday 08:00 New York time: 72 h of the mentor's waking time (08:00–21:00, 13 h a day) end on
    // Saturday at 15:00 (5 × 13 h + 7 h), not on Thursday morning.
    const MON_0800 = Date.parse('2028-07-03T12:00:00Z');
    const sat1500 = Date.parse('2028-07-08T19:00:00Z');
    expect(deadline - Date.parse(s.offers[0]!.offeredAt)).toBe(sat1500 - MON_0800);
    expect(offer1.expectReply).toEqual({ accepts: 'mentorship_offer:ada', untilMs: deadline });
    // Operators see the live offer on the Web UI's workflow page (current details: ids and states only).
    const meta = await match.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain('**offered**');
    expect(meta.currentDetails).toContain('offer 1/5 to mentor ada');
    expect(textsTo('member-of-bo')).toEqual([]);

    // An answer by API from a mentor without the live offer is refused, naming the field.
    await expect(
      match.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'bo', accept: true }] }),
    ).rejects.toMatchObject({ cause: { message: 'mentorId: has no live offer in this match' } });

    // 2. Ada answers something else (hint), then "no thanks": Bo gets the offer at once
    await match.signal(replySignal, {
      inboundId: 1,
      body: 'maybe?',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:ada',
    });
    await waitFor(() => textsTo('member-of-ada').some((t) => t.kind === 'mentorship_offer_hint'), 'the hint');
    await match.signal(replySignal, {
      inboundId: 2,
      body: 'No thanks',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:ada',
    });
    await waitFor(() => textsTo('member-of-bo').length === 1, 'the second offer');
    expect(textsTo('member-of-ada').map((t) => t.kind)).toEqual([
      'mentorship_offer',
      'mentorship_offer_hint',
      'mentorship_declined_ack',
    ]);
    const boOfferedAt = Date.parse((await match.query(matchStateQuery)).offers[1]!.offeredAt);

    // 3. Bo stays silent: reminders at 24 h and 4 h of his waking time left — Thursday 17:00 (39 + 9 h) and
    // Saturday 11:00 (65 + 3 h) New York time —, then expiry on Saturday 15:00 and Cy's offer.
    const delta = boOfferedAt - MON_0800; // the few milliseconds Ada's decline took
    expect(delta).toBeGreaterThanOrEqual(0);
    expect(delta).toBeLessThan(60_000);
    const thu1700 = Date.parse('2028-07-06T21:00:00Z') + delta;
    const sat1100 = Date.parse('2028-07-08T15:00:00Z') + delta;
    await skipTo(t.env, new Date(thu1700 - 60_000));
    expect(textsTo('member-of-bo')).toHaveLength(1);
    await skipTo(t.env, new Date(thu1700 + 60_000));
    await waitFor(() => textsTo('member-of-bo').length === 2, 'the 24 h reminder');
    await skipTo(t.env, new Date(sat1100 + 60_000));
    await waitFor(() => textsTo('member-of-bo').length === 3, 'the 4 h reminder');
    const bo = textsTo('member-of-bo');
    expect(bo.map((t) => t.kind)).toEqual([
      'mentorship_offer',
      'mentorship_offer_reminder',
      'mentorship_offer_reminder',
    ]);
    expect(Date.parse(bo[1]!.at)).toBeGreaterThanOrEqual(thu1700);
    expect(Date.parse(bo[1]!.at)).toBeLessThan(thu1700 + 60_000);
    expect(Date.parse(bo[2]!.at)).toBeGreaterThanOrEqual(sat1100);
    expect(Date.parse(bo[2]!.at)).toBeLessThan(sat1100 + 60_000);
    expect(Date.parse((await match.query(matchStateQuery)).offers[1]!.deadlineAt)).toBe(sat1500 + delta);
    expect(bo[1]!.body).toContain('24 h left');
    expect(bo[2]!.body).toContain('4 h left');
    expect(textsTo('member-of-cy')).toEqual([]);
    await skipTo(t.env, new Date(sat1500 + delta - 60_000));
    expect(textsTo('member-of-cy')).toEqual([]);
    await skipTo(t.env, new Date(sat1500 + delta + 60_000));
    await waitFor(() => textsTo('member-of-cy').length === 1, 'the third offer');
    // Bo's late YES changes nothing: the offer has closed.
    await match.signal(replySignal, {
      inboundId: 3,
      body: 'YES',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:bo',
    });
    await waitFor(() => textsTo('member-of-bo').some((t) => t.kind === 'mentorship_offer_closed'), 'closed');

    // The mentee's own member workflow (started now, so their risk is low when the match begins).
    const member = await t.env.client.workflow.start(memberWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: memberWorkflowId(mentee),
      args: [{ memberId: mentee, timezone: 'America/New_York', checkInTime: '19:00' }],
    });

    // 4. Cy accepts by API: a slot is reserved in mentor-cy, both are told
    s = await match.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'cy', accept: true }] });
    expect(s.status).toBe('active');
    expect(s.mentorId).toBe('cy');
    expect(s.offers.map((o) => [o.mentorId, o.rank, o.status, o.reason])).toEqual([
      ['ada', 1, 'declined', 'declined by sms'],
      ['bo', 2, 'expired', 'no answer by the deadline'],
      ['cy', 3, 'accepted', 'accepted by api'],
    ]);
    expect(s.offers.every((o) => o.weightsVersion === 'default@1' && o.breakdown.language === 1)).toBe(true);
    expect(
      (await t.env.client.workflow.getHandle(mentorWorkflowId('cy')).query(mentorStateQuery)).active,
    ).toEqual(['m1']);
    await waitFor(() => textsTo(mentee).some((t) => t.kind === 'mentorship_matched'), 'mentee told');
    expect(offersRecorded.filter((o) => o.matchId === 'm1').map((o) => [o.mentorId, o.status])).toEqual([
      ['ada', 'offered'],
      ['ada', 'declined'],
      ['bo', 'offered'],
      ['bo', 'expired'],
      ['cy', 'offered'],
      ['cy', 'accepted'],
    ]);

    // 5. The mentee (a real member workflow) misses three check-ins: risk rises to high, the mentor hears once
    await waitFor(async () => {
      const { events } = await member.fetchHistory();
      return (events ?? []).some(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'subscribeRisk',
      );
    }, 'the match to subscribe to the mentee');
    const now = await t.env.currentTimeMs();
    const day = 86_400_000;
    for (let i = 1; i <= 4; i++) await skipTo(t.env, new Date(now + i * day));
    await waitFor(async () => (await member.query(memberStateQuery)).risk === 'high', 'high risk');
    await waitFor(
      () => textsTo('member-of-cy').some((t) => t.kind === 'mentorship_risk_alert'),
      'the risk alert',
    );
    await skipTo(t.env, new Date(now + 6 * day));
    const alerts = textsTo('member-of-cy').filter((t) => t.kind === 'mentorship_risk_alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.window).toEqual({ start: '08:00', end: '21:00' });
    expect((await match.query(matchStateQuery)).riskAlerts).toBe(1);
    expect(JSON.stringify(alerts[0])).not.toContain(mentee);
    expect(alerts[0]!.expectReply!.accepts).toBe('mentorship_risk:cy');
    // Not acknowledged (OK) within 24 h: escalated where operators look (the match row's reason, the API).
    expect((await match.query(matchStateQuery)).riskAlert).toMatchObject({
      acknowledged: false,
      escalated: true,
    });
    expect(statuses.filter((x) => x.matchId === 'm1').map((x) => x.reason)).toContainEqual(
      expect.stringMatching(/^risk alert of \d{4}-\d{2}-\d{2} not acknowledged within 24 h$/),
    );

    // 6. ended early: the slot is released, the risk subscription dropped, both told
    s = await match.executeUpdate(endMatchUpdate, { args: [{ reason: 'mentee moved away' }] });
    expect(s.status).toBe('ended_early');
    await match.result();
    expect(
      (await t.env.client.workflow.getHandle(mentorWorkflowId('cy')).query(mentorStateQuery)).active,
    ).toEqual([]);
    expect(statuses.filter((x) => x.matchId === 'm1').at(-1)).toMatchObject({
      status: 'ended_early',
      reason: 'mentee moved away',
    });
    expect(textsTo('member-of-cy').at(-1)!.kind).toBe('mentorship_ended_early');
    expect(
      textsTo(mentee)
        .filter((t) => t.kind.startsWith('mentorship_'))
        .map((t) => t.kind),
    ).toEqual(['mentorship_matched', 'mentorship_ended_early']);
    await captureHistory('mentorship-match-journey', match);
    await finishMember(member);
    for (const id of ['ada', 'bo', 'cy'])
      await t.env.client.workflow.getHandle(mentorWorkflowId(id)).terminate();
  }, 240_000);

  it('an accept that loses the race for the last slot is withdrawn; when the list runs out: operator queue', async () => {
    const racy = await startMentor('racy', 1);
    candidatesOf.set('m2', [candidate('racy', 0.9)]);
    const match = await startMatch({ matchId: 'm2', menteeMemberId: 'mentee-bea', shareRisk: false });
    await waitFor(() => textsTo('member-of-racy').length === 1, 'the offer');
    await match.signal(replySignal, {
      inboundId: 10,
      body: 'yes!',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:racy',
    });
    await match.result();
    const s = await match.query(matchStateQuery);
    expect(s.status).toBe('unmatched');
    expect(s.offers.map((o) => [o.status, o.reason])).toEqual([['withdrawn', 'mentor full']]);
    expect(s.unmatchedReason).toMatch(/all 1 candidates/);
    expect(textsTo('member-of-racy').map((t) => t.kind)).toEqual([
      'mentorship_offer',
      'mentorship_offer_withdrawn',
    ]);
    expect(textsTo('mentee-bea').map((t) => t.kind)).toEqual(['mentorship_unmatched']);
    expect((await racy.query(mentorStateQuery)).active).toEqual(['someone-else']);
    await racy.terminate();

    // A candidate whose mentor workflow is gone: the accept cannot reserve, the offer is withdrawn.
    candidatesOf.set('m6', [candidate('ghost', 0.9)]);
    const ghost = await startMatch({ matchId: 'm6', menteeMemberId: 'mentee-fin', shareRisk: false });
    await waitFor(() => textsTo('member-of-ghost').length === 1, 'the offer');
    await ghost.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'ghost', accept: true }] });
    await ghost.result();
    expect((await ghost.query(matchStateQuery)).offers.map((o) => o.status)).toEqual(['withdrawn']);
  }, 120_000);

  it('a mentor who fills up has their other live offers withdrawn at once, and those matches move on', async () => {
    const eve = await startMentor('eve', 1);
    await startMentor('fay', 1);
    candidatesOf.set('m4', [candidate('eve', 0.9)]);
    candidatesOf.set('m5', [candidate('eve', 0.9), candidate('fay', 0.6)]);
    const m4 = await startMatch({ matchId: 'm4', menteeMemberId: 'mentee-dan', shareRisk: false });
    const m5 = await startMatch({ matchId: 'm5', menteeMemberId: 'mentee-eli', shareRisk: false });
    await waitFor(
      async () => (await eve.query(mentorStateQuery)).pending.length === 2,
      'both offers pending',
    );
    const s4 = await m4.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'eve', accept: true }] });
    expect(s4.status).toBe('active');
    await waitFor(() => textsTo('member-of-fay').length === 1, "m5's offer to move on to Fay");
    const s5 = await m5.query(matchStateQuery);
    expect(s5.offers.map((o) => [o.mentorId, o.status, o.reason])).toEqual([
      ['eve', 'withdrawn', 'mentor full'],
      ['fay', 'offered', null],
    ]);
    expect(await eve.query(mentorStateQuery)).toMatchObject({ active: ['m4'], pending: [], free: 0 });
    expect(
      (await t.env.client.workflow.getHandle(mentorWorkflowId('fay')).query(mentorStateQuery)).pending,
    ).toEqual(['m5']);
    await m4.executeUpdate(endMatchUpdate, { args: [{ reason: 'test over' }] });
    await m5.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'fay', accept: false }] });
    await m5.result();
    expect((await m5.query(matchStateQuery)).status).toBe('unmatched');
    await captureHistory('mentorship-match-withdrawn', m5);
    await eve.terminate();
    await t.env.client.workflow.getHandle(mentorWorkflowId('fay')).terminate();
  }, 120_000);

  it('completes after its weeks and frees the slot', async () => {
    await startMentor('dee', 1);
    candidatesOf.set('m3', [candidate('dee', 0.5)]);
    const match = await startMatch({
      matchId: 'm3',
      menteeMemberId: 'mentee-cal',
      shareRisk: false,
      weeks: 4,
    });
    await waitFor(() => textsTo('member-of-dee').length === 1, 'the offer');
    await match.signal(replySignal, {
      inboundId: 20,
      body: 'Y',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:dee',
    });
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'active', 'active');
    // A risk rise (signalled as the mentee's member workflow would): the mentor answers OK, so no escalation.
    await match.signal(riskChangedSignal, {
      memberId: 'mentee-cal',
      from: 'medium',
      to: 'high',
      localDate: '2028-08-01',
      adherence7: 0.2,
      consecutiveMisses: 3,
    });
    await waitFor(
      () => textsTo('member-of-dee').some((t) => t.kind === 'mentorship_risk_alert'),
      'the alert',
    );
    const ok = { receivedAtMs: 0, accepts: 'mentorship_risk:dee' };
    await match.signal(replySignal, { ...ok, inboundId: 21, body: 'what?' });
    await match.signal(replySignal, { ...ok, inboundId: 22, body: 'ok, calling them' });
    await waitFor(() => textsTo('member-of-dee').some((t) => t.kind === 'mentorship_risk_ack'), 'the ack');
    expect((await match.query(matchStateQuery)).riskAlert).toEqual({
      localDate: '2028-08-01',
      acknowledged: true,
      escalated: false,
    });
    const endsAt = Date.parse((await match.query(matchStateQuery)).endsAt!);
    const started = await t.env.currentTimeMs();
    expect(endsAt - started).toBeGreaterThan(4 * 7 * 24 * H - 60_000);
    expect(endsAt - started).toBeLessThanOrEqual(4 * 7 * 24 * H);
    await match.result();
    expect((await match.query(matchStateQuery)).status).toBe('completed');
    expect((await match.query(matchStateQuery)).riskAlert).toMatchObject({
      acknowledged: true,
      escalated: false,
    });
    expect(textsTo('member-of-dee').map((t) => t.kind)).toEqual([
      'mentorship_offer',
      'mentorship_matched',
      'mentorship_risk_alert',
      'mentorship_risk_hint',
      'mentorship_risk_ack',
      'mentorship_completed',
    ]);
    expect(
      (await t.env.client.workflow.getHandle(mentorWorkflowId('dee')).query(mentorStateQuery)).active,
    ).toEqual([]);
    expect(textsTo('mentee-cal').map((t) => t.kind)).toEqual(['mentorship_matched', 'mentorship_completed']);
    await captureHistory('mentorship-match-completed', match);
    await t.env.client.workflow.getHandle(mentorWorkflowId('dee')).terminate();
  }, 120_000);
});
