/**
 * Mentorship sessions on the time-skipping test server, over the real match and mentor workflows: an offer made
 * at night waits for the mentor's morning; sessions booked inside the mentor's availability (shown in both
 * zones), moved (reminders re-armed), reminded 24 h and 1 h before, briefed 2 h before (MORE gets the longer
 * version), checked after (ratings 1–4, 0 = no-show), the pairing-fit question; the 30-day nudge, the warning
 * and the 90-day end; pause/resume; "not a fit" re-matching with the next mentor; an escalated risk alert.
 */
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { createAiActivities } from '../../activities/ai/index.js';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import { mentorWorkflowId } from '../../workflows/ids.js';
import { nextAllowedInstant } from '../../workflows/lib/time.js';
import { mentorStateQuery } from '../../workflows/mentor/definitions.js';
import {
  endMatchUpdate,
  matchStateQuery,
  pauseMatchUpdate,
  replySignal,
  rescheduleSessionUpdate,
  resumeMatchUpdate,
  riskChangedSignal,
  scheduleSessionUpdate,
  sessionFeedbackUpdate,
  type Candidate,
} from '../../workflows/mentorship-match/definitions.js';
import { captureHistory } from '../helpers/histories.js';
import { mentorshipStarters } from '../helpers/mentorship.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type Mx = ReturnType<typeof createMentorshipActivities>;
type Ai = ReturnType<typeof createAiActivities>;

interface Sent extends SendSmsInput {
  memberId: string;
  at: number;
}
const sent: Sent[] = [];
const deferred: Sent[] = [];
/** Recipients' zones: the fake gate defers a send with a window until it opens there, as the real one does. */
const zoneOf = new Map<string, string>();
const candidatesOf = new Map<string, Candidate[]>();
const rankCalls: Array<{ matchId: string; exclude?: string[] }> = [];
const briefingCalls: Array<Parameters<Ai['writeMentorBriefing']>[0]> = [];
const scheduledMs = () => Context.current().info.currentAttemptScheduledTimestampMs;

const real = createMentorshipActivities({ db: null as unknown as Db });
const mentorship = {
  async rankMentorsForMatch(input) {
    rankCalls.push(input);
    const ex = new Set(input.exclude ?? []);
    return (candidatesOf.get(input.matchId) ?? []).filter((c) => !ex.has(c.mentorId));
  },
  // The optimiser re-match of the pool (test/workflows/mentorship-optimiser.test.ts): nothing fits here.
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  async recordOffer() {
    return null; // no clock: the offer's zone is plain here
  },
  async setMatchStatus() {},
  reserveMentorSlot: (input) => real.reserveMentorSlot(input),
} satisfies Partial<Mx>;
const ai = {
  async writeMentorBriefing(input) {
    briefingCalls.push(input);
    return {
      source: 'template' as const,
      prompt: 'mentor_briefing.template@1',
      text: `Crewline: session in 2 h. Lu: 9/14 days done, streak 3, risk low.`,
      more: `Crewline briefing: session ${input.session}, last session ${input.lastSession ? 'rated' : 'none'}.`,
    };
  },
} satisfies Partial<Ai>;
const activities = {
  ...mentorship,
  ...ai,
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const memberId = 'memberId' in input.to ? input.to.memberId : '';
    const at = scheduledMs();
    const tz = zoneOf.get(memberId);
    if (input.window && tz) {
      const open = nextAllowedInstant(at, tz, input.window);
      if (open > at) {
        deferred.push({ ...input, memberId, at });
        return { outcome: 'deferred', untilMs: open, reason: 'quiet_hours' };
      }
    }
    sent.push({ ...input, memberId, at });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
};

const t = timeSkippingWorkers(activities);

const H = 3_600_000;
const DAY = 24 * H;
const NY = 'America/New_York';
const LA = 'America/Los_Angeles';
/** Tuesdays 18:00–20:00 New York time. */
const TUESDAY_EVENINGS = [{ weekday: 2, from: '18:00', to: '20:00' }];

const { startMentor, startMatch } = mentorshipStarters(t);
const candidate = (mentorId: string, score: number): Candidate => {
  zoneOf.set(`member-of-${mentorId}`, NY);
  return {
    mentorId,
    mentorMemberId: `member-of-${mentorId}`,
    mentorTimezone: NY,
    mentorAvailability: TUESDAY_EVENINGS,
    score,
    breakdown: { focus: score, language: 1, schedule: 1, timezone: 1, load: 1 },
    weightsVersion: 'default@1',
  };
};
const kindsTo = (memberId: string) => sent.filter((s) => s.memberId === memberId).map((s) => s.kind);
const lastTo = (memberId: string, kind: string) =>
  sent.filter((s) => s.memberId === memberId && s.kind === kind).at(-1);
const reply = (inboundId: number, body: string, accepts: string) => ({
  inboundId,
  body,
  receivedAtMs: 0,
  accepts,
});
const at = (iso: string) => Date.parse(iso);
/**
 * Waits for a workflow to complete without `result()`: awaiting a result lets the time-skipping server jump to
 * the next timer of any workflow (the mentors' 10-year timeout, once the match is done).
 */
async function closed(handle: { describe(): Promise<{ status: { name: string } }> }) {
  await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the match to complete');
}
/** Skips to just after `iso` and waits until `n` texts of `kind` went to `memberId`. */
async function expectSentAfter(iso: string, memberId: string, kind: string, n = 1) {
  await skipTo(t.env, new Date(at(iso) + 30_000));
  await waitFor(() => sent.filter((s) => s.memberId === memberId && s.kind === kind).length >= n, kind);
  const s = lastTo(memberId, kind)!;
  expect(s.at).toBeGreaterThanOrEqual(at(iso));
  expect(s.at).toBeLessThan(at(iso) + 60_000);
  return s;
}

describe('mentorship sessions', () => {
  it('night offer held to morning; sessions booked, moved, reminded, briefed, rated; no-show; nudge and 90-day end', async () => {
    const mentee = 'mentee-lu';
    const mentor = 'member-of-mo';
    zoneOf.set(mentee, LA);
    await skipTo(t.env, '2028-07-03T06:00:00Z'); // Monday 02:00 in New York
    const mo = await startMentor('mo');
    candidatesOf.set('s1', [candidate('mo', 0.9)]);
    const match = await startMatch({
      matchId: 's1',
      menteeMemberId: mentee,
      menteeTimezone: LA,
      shareRisk: false,
      weeks: 24,
    });

    // 1. The offer is made at 02:00 New York time: it waits for 08:00 there.
    await waitFor(() => deferred.some((d) => d.memberId === mentor), 'the offer to be held');
    expect(kindsTo(mentor)).toEqual([]);
    const offer = await expectSentAfter('2028-07-03T12:00:00Z', mentor, 'mentorship_offer');
    expect(offer.window).toEqual({ start: '08:00', end: '21:00' });
    await match.signal(replySignal, reply(1, 'YES', 'mentorship_offer:mo'));
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'active', 'active');

    // 2. Booking: refused outside the mentor's availability, or overlapping; accepted inside it.
    const book = (startsAt: string, minutes?: number) =>
      match.executeUpdate(scheduleSessionUpdate, { args: [{ startsAt, minutes }] });
    await expect(book('2028-07-05T14:00:00Z')).rejects.toMatchObject({
      cause: { message: "startsAt: is outside the mentor's availability (their local time)" },
    });
    await expect(book('2028-07-11T22:00:00Z', 180)).rejects.toMatchObject({
      cause: { message: "startsAt: is outside the mentor's availability (their local time)" },
    });
    await expect(book('2028-07-11T22:00:00Z', 5)).rejects.toMatchObject({
      cause: { message: 'minutes: must be 15 to 180' },
    });
    let s = await book('2028-07-11T22:00:00Z'); // Tue 18:00 New York = Tue 15:00 Los Angeles
    expect(s.sessions).toEqual([
      expect.objectContaining({
        number: 1,
        status: 'scheduled',
        mentorLocal: 'Tue 2028-07-11 18:00',
        menteeLocal: 'Tue 2028-07-11 15:00',
        minutes: 60,
      }),
    ]);
    await expect(book('2028-07-11T22:30:00Z')).rejects.toMatchObject({
      cause: { message: 'startsAt: overlaps session 1' },
    });
    await waitFor(() => lastTo(mentee, 'mentorship_session_booked'), 'booked texts');
    expect(lastTo(mentor, 'mentorship_session_booked')!.body).toContain('Tue 18:00 (your time)');
    expect(lastTo(mentee, 'mentorship_session_booked')!.body).toContain('Tue 15:00 (your time)');

    // 3. The reminder a day before, to both in their own time; then the session moves a week on.
    const r24 = await expectSentAfter('2028-07-10T22:00:00Z', mentor, 'mentorship_session_reminder');
    expect(r24.body).toContain('tomorrow at Tue 18:00');
    expect(lastTo(mentee, 'mentorship_session_reminder')!.body).toContain('tomorrow at Tue 15:00');
    s = await match.executeUpdate(rescheduleSessionUpdate, {
      args: [{ session: 1, startsAt: '2028-07-18T22:00:00Z' }],
    });
    expect(s.sessions[0]).toMatchObject({ reschedules: 1, startsAt: '2028-07-18T22:00:00.000Z' });
    await waitFor(() => lastTo(mentee, 'mentorship_session_moved'), 'moved texts');
    // Nothing more for the old time (no briefing, no 1 h reminder, no check on the 11th).
    await skipTo(t.env, '2028-07-12T12:00:00Z');
    expect(kindsTo(mentor).filter((k) => k.startsWith('mentorship_session_reminder'))).toHaveLength(1);
    expect(kindsTo(mentor)).not.toContain('mentorship_briefing');
    expect(kindsTo(mentor)).not.toContain('mentorship_session_check');

    // 4. Re-armed for the new time: 24 h, briefing 2 h before (MORE: the longer one), 1 h, the check after.
    await expectSentAfter('2028-07-17T22:00:00Z', mentor, 'mentorship_session_reminder', 2);
    const brief = await expectSentAfter('2028-07-18T20:00:00Z', mentor, 'mentorship_briefing');
    expect(brief.body).toBe(
      'Crewline: session in 2 h. Lu: 9/14 days done, streak 3, risk low. Reply MORE for more.',
    );
    expect(brief.expectReply).toEqual({
      accepts: 'mentorship_briefing:1',
      untilMs: at('2028-07-18T23:00:00Z'),
    });
    // The ratings go in sealed under both sides' keys (README "Privacy").
    const sealedFor = { subject: `member:${mentee}`, alsoAbout: [`member:${mentor}`] };
    expect(briefingCalls).toEqual([{ menteeMemberId: mentee, session: 1, lastSession: null, ...sealedFor }]);
    expect(kindsTo(mentee)).not.toContain('mentorship_briefing');
    await match.signal(replySignal, reply(2, 'more please', 'mentorship_briefing:1'));
    await waitFor(() => lastTo(mentor, 'mentorship_briefing_more'), 'the longer briefing');
    expect(lastTo(mentor, 'mentorship_briefing_more')!.body).toBe(
      'Crewline briefing: session 1, last session none.',
    );
    expect((await match.query(matchStateQuery)).sessions[0]!.briefing).toMatchObject({ source: 'template' });
    const r1 = await expectSentAfter('2028-07-18T21:00:00Z', mentee, 'mentorship_session_reminder', 3);
    expect(r1.body).toContain('starts in 1 hour, at Tue 15:00');
    expect(r1.window).toBeUndefined();
    const check = await expectSentAfter('2028-07-18T23:00:00Z', mentee, 'mentorship_session_check');
    expect(check.expectReply!.accepts).toBe('mentorship_session:1:mentee');
    expect(lastTo(mentor, 'mentorship_session_check')!.expectReply!.accepts).toBe(
      'mentorship_session:1:mentor',
    );
    expect((await match.query(matchStateQuery)).sessions[0]!.status).toBe('held');

    // 5. Ratings by SMS; the mentee's first rating brings the pairing-fit question; "yes" keeps the pair.
    await match.signal(replySignal, reply(3, 'hmm', 'mentorship_session:1:mentee'));
    await waitFor(() => lastTo(mentee, 'mentorship_session_hint'), 'the hint');
    await match.signal(replySignal, reply(4, '4!', 'mentorship_session:1:mentee'));
    await match.signal(replySignal, reply(5, '3', 'mentorship_session:1:mentor'));
    await waitFor(() => lastTo(mentee, 'mentorship_fit_question'), 'the fit question');
    await match.signal(replySignal, reply(6, 'Yes, great fit', 'mentorship_fit'));
    await waitFor(() => lastTo(mentee, 'mentorship_fit_thanks'), 'fit thanks');
    s = await match.query(matchStateQuery);
    expect(s.sessions[0]!.ratings).toEqual({ mentor: 3, mentee: 4 });
    // Operators see the sessions on the Web UI's workflow page (current details).
    const meta = await match.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain('sessions: 1. 2028-07-18T22:00:00.000Z held');
    expect(s.fit).toBe(true);

    // 6. Session 2: the mentor says it did not happen (0); feedback by API is validated.
    await book('2028-07-25T22:00:00Z');
    await expectSentAfter('2028-07-25T23:00:00Z', mentor, 'mentorship_session_check', 2);
    expect(briefingCalls.at(-1)).toEqual({
      menteeMemberId: mentee,
      session: 2,
      lastSession: { ratings: { mentor: 3, mentee: 4 } },
      ...sealedFor,
    });
    await match.signal(replySignal, reply(7, '0', 'mentorship_session:2:mentor'));
    await waitFor(
      () =>
        sent.filter((x) => x.memberId === mentor && x.kind === 'mentorship_session_feedback').length === 2,
      'sorry',
    );
    expect(lastTo(mentor, 'mentorship_session_feedback')!.body).toContain('did not happen');
    await expect(
      match.executeUpdate(sessionFeedbackUpdate, { args: [{ session: 3, from: 'mentee', rating: 2 }] }),
    ).rejects.toMatchObject({ cause: { message: 'session: no such session in this match' } });
    await expect(
      match.executeUpdate(sessionFeedbackUpdate, { args: [{ session: 2, from: 'mentee', rating: 5 }] }),
    ).rejects.toMatchObject({ cause: { message: 'rating: must be 1–4, or 0 if it did not happen' } });
    s = await match.query(matchStateQuery);
    expect(s.sessions[1]).toMatchObject({ status: 'no_show', noShowReportedBy: 'mentor' });
    // Only one pairing-fit question in a match.
    expect(kindsTo(mentee).filter((k) => k === 'mentorship_fit_question')).toHaveLength(1);

    // 7. No session held since the first: nudged 30 days after it, warned at 83, ended at 90 (the 24 weeks
    // would run longer). A session that did not happen does not count.
    const last = at('2028-07-18T22:00:00Z');
    const nudge = await expectSentAfter(new Date(last + 30 * DAY).toISOString(), mentor, 'mentorship_nudge');
    expect(nudge.body).toContain('30 days');
    await waitFor(() => lastTo(mentee, 'mentorship_nudge'), 'mentee nudged');
    await expectSentAfter(new Date(last + 83 * DAY).toISOString(), mentee, 'mentorship_idle_warning');
    await skipTo(t.env, new Date(last + 90 * DAY + 60_000));
    await closed(match);
    s = await match.query(matchStateQuery);
    expect(s.status).toBe('ended_early');
    expect(lastTo(mentee, 'mentorship_ended_early')!.body).toContain('90 days without a session');
    expect((await mo.query(mentorStateQuery)).active).toEqual([]);
    await captureHistory('mentorship-match-sessions', match);
    await t.env.client.workflow.getHandle(mentorWorkflowId('mo')).terminate();
  }, 300_000);

  it('pause stops the clocks and cancels booked sessions; "not a fit" re-matches; an escalated alert is sent', async () => {
    await skipTo(t.env, '2029-01-01T15:00:00Z'); // Monday 10:00 in New York
    const mentee = 'mentee-kim';
    zoneOf.set(mentee, NY);
    const ann = await startMentor('ann');
    await startMentor('ben');
    candidatesOf.set('s2', [candidate('ann', 0.9), candidate('ben', 0.8)]);
    const match = await startMatch({
      matchId: 's2',
      menteeMemberId: mentee,
      menteeTimezone: NY,
      shareRisk: false,
      weeks: 12,
    });
    await waitFor(() => lastTo('member-of-ann', 'mentorship_offer'), 'the offer');
    await match.signal(replySignal, reply(10, 'yes', 'mentorship_offer:ann'));
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'active', 'active');
    const endsAt = Date.parse((await match.query(matchStateQuery)).endsAt!);

    // Pause: the booked session is cancelled (no reminder for it), booking is refused, both are told.
    await match.executeUpdate(scheduleSessionUpdate, { args: [{ startsAt: '2029-01-09T23:00:00Z' }] });
    let s = await match.executeUpdate(pauseMatchUpdate, { args: [{ reason: 'holiday' }] });
    expect(s.status).toBe('paused');
    expect(s.sessions[0]!.status).toBe('cancelled');
    await expect(
      match.executeUpdate(scheduleSessionUpdate, { args: [{ startsAt: '2029-01-16T23:00:00Z' }] }),
    ).rejects.toMatchObject({ cause: { message: 'status: match is paused, not active' } });
    await waitFor(() => lastTo(mentee, 'mentorship_paused'), 'paused texts');
    // A risk rise while paused waits for the resume.
    await match.signal(riskChangedSignal, {
      memberId: mentee,
      from: 'medium',
      to: 'high',
      localDate: '2029-01-02',
      adherence7: 0.1,
      consecutiveMisses: 3,
    });
    await skipTo(t.env, '2029-01-15T15:00:00Z'); // two weeks paused
    expect(kindsTo('member-of-ann')).not.toContain('mentorship_session_reminder');
    expect(kindsTo('member-of-ann')).not.toContain('mentorship_risk_alert');
    s = await match.executeUpdate(resumeMatchUpdate, { args: [] });
    expect(s.status).toBe('active');
    // Paused from just after Monday 10:00 to Monday 10:00 two weeks on: the end moves by that much.
    expect(Date.parse(s.endsAt!) - endsAt).toBeGreaterThan(14 * DAY - 60_000);
    expect(Date.parse(s.endsAt!) - endsAt).toBeLessThanOrEqual(14 * DAY);
    await waitFor(() => lastTo('member-of-ann', 'mentorship_risk_alert'), 'the alert after resuming');

    // No OK within 24 h: escalated, and the escalated alert reaches the mentor at once.
    const esc = await expectSentAfter(
      new Date(lastTo('member-of-ann', 'mentorship_risk_alert')!.at + DAY).toISOString(),
      'member-of-ann',
      'mentorship_risk_escalated',
    );
    expect(esc.window).toBeUndefined();
    expect((await match.query(matchStateQuery)).riskAlert).toMatchObject({ escalated: true });

    // A session, the mentee's rating and "not a fit": Ann is released, Ben gets the offer.
    await match.executeUpdate(scheduleSessionUpdate, { args: [{ startsAt: '2029-01-23T23:00:00Z' }] });
    await skipTo(t.env, '2029-01-24T00:01:00Z');
    await waitFor(() => lastTo(mentee, 'mentorship_session_check'), 'the check');
    s = await match.executeUpdate(sessionFeedbackUpdate, {
      args: [{ session: 2, from: 'mentee', rating: 2 }],
    });
    expect(s.sessions[1]!.ratings.mentee).toBe(2);
    await waitFor(() => lastTo(mentee, 'mentorship_fit_question'), 'the fit question');
    await match.signal(replySignal, reply(11, 'not a fit, sorry', 'mentorship_fit'));
    await waitFor(() => lastTo('member-of-ben', 'mentorship_offer'), "Ben's offer");
    expect(rankCalls.filter((c) => c.matchId === 's2').at(-1)!.exclude).toEqual(['ann']);
    expect(lastTo('member-of-ann', 'mentorship_rematch')).toBeDefined();
    expect(lastTo(mentee, 'mentorship_rematch')).toBeDefined();
    expect((await ann.query(mentorStateQuery)).active).toEqual([]);
    s = await match.query(matchStateQuery);
    expect(s.status).toBe('offered');
    expect(s.offers.map((o) => [o.mentorId, o.rank, o.status])).toEqual([
      ['ann', 1, 'accepted'],
      ['ben', 2, 'offered'],
    ]);
    await match.signal(replySignal, reply(12, 'YES', 'mentorship_offer:ben'));
    await waitFor(
      () => sent.filter((x) => x.memberId === mentee && x.kind === 'mentorship_matched').length === 2,
      'matched again',
    );
    expect(
      sent
        .filter((x) => x.memberId === mentee && x.kind === 'mentorship_matched')
        .map((x) => x.idempotencyKey),
    ).toEqual(['mentorship-match:s2:matched:mentee', 'mentorship-match:s2:matched:mentee:2']);
    s = await match.query(matchStateQuery);
    expect(s).toMatchObject({ status: 'active', mentorId: 'ben', fit: null });
    await match.executeUpdate(endMatchUpdate, { args: [{ reason: 'test over' }] });
    await closed(match);
    await captureHistory('mentorship-match-rematch', match);
    await ann.terminate();
    await t.env.client.workflow.getHandle(mentorWorkflowId('ben')).terminate();
  }, 300_000);
});
