/**
 * A text held for its recipient's quiet hours no longer holds the match's loop: while the mentee's day-before
 * reminder waits for their morning, a reply and a booking are handled at once; the held reminder goes out at
 * 08:00 in the mentee's zone; a reminder held for a session that is then moved is dropped. On the time-skipping
 * server, alone in its file, over the real match and mentor workflows; every wait is on a query or the texts.
 */
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { createAiActivities } from '../../activities/ai/index.js';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import { mentorshipMatchWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { nextAllowedInstant } from '../../workflows/lib/time.js';
import { mentorWorkflow } from '../../workflows/mentor/workflow.js';
import {
  matchStateQuery,
  replySignal,
  rescheduleSessionUpdate,
  scheduleSessionUpdate,
  type Candidate,
} from '../../workflows/mentorship-match/definitions.js';
import { mentorshipMatchWorkflow } from '../../workflows/mentorship-match/workflow.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type Mx = ReturnType<typeof createMentorshipActivities>;
type Ai = ReturnType<typeof createAiActivities>;

interface Sent extends SendSmsInput {
  memberId: string;
  at: number;
}
const sent: Sent[] = [];
const deferred: Sent[] = [];
const NY = 'America/New_York';
/** The mentee's zone: 22:00 UTC is 03:30 there, so a day-before reminder for a New York evening is held. */
const KOLKATA = 'Asia/Kolkata';
const zoneOf = new Map<string, string>([
  ['member-of-mo', NY],
  ['mentee-hx', KOLKATA],
]);
const scheduledMs = () => Context.current().info.currentAttemptScheduledTimestampMs;

const real = createMentorshipActivities({ db: null as unknown as Db });
const candidate: Candidate = {
  mentorId: 'mo',
  mentorMemberId: 'member-of-mo',
  mentorTimezone: NY,
  mentorAvailability: [{ weekday: 2, from: '18:00', to: '20:00' }],
  score: 0.9,
  breakdown: { focus: 0.9, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
};
const activities = {
  async rankMentorsForMatch() {
    return [candidate];
  },
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  async recordOffer() {
    return null; // no clock: the offer's zone is plain here
  },
  async setMatchStatus() {},
  reserveMentorSlot: (input) => real.reserveMentorSlot(input),
  async writeMentorBriefing(input) {
    return {
      source: 'template' as const,
      prompt: 'mentor_briefing.template@1',
      text: 'Crewline: session in 2 h. 9/14 days done, streak 3, risk low.',
      more: `Crewline briefing: session ${input.session}.`,
    };
  },
  /** The gate as the real one: a send with a window outside it in the recipient's zone is deferred. */
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
} satisfies Partial<Mx> & Partial<Ai> & { sendSms: unknown };

const t = timeSkippingWorkers(activities);
const WAIT_MS = 120_000;
const at = (iso: string) => Date.parse(iso);
const byKey = (suffix: string) => sent.filter((s) => s.idempotencyKey === `mentorship-match:hx:${suffix}`);
const heldByKey = (suffix: string) =>
  deferred.filter((s) => s.idempotencyKey === `mentorship-match:hx:${suffix}`);

describe('a text held for quiet hours', () => {
  it('does not hold the match: replies and bookings are handled meanwhile; a moved session drops it', async () => {
    await skipTo(t.env, '2028-07-03T14:00:00Z'); // Monday 10:00 in New York
    await t.env.client.workflow.start(mentorWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorWorkflowId('mo'),
      args: [{ mentorId: 'mo', capacity: 1 }],
    });
    const match = await t.env.client.workflow.start(mentorshipMatchWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipMatchWorkflowId('hx'),
      args: [{ matchId: 'hx', menteeMemberId: 'mentee-hx', menteeTimezone: KOLKATA, shareRisk: false }],
    });
    await waitFor(() => byKey('offer:mo').length === 1, 'the offer', WAIT_MS);
    await match.signal(replySignal, {
      inboundId: 1,
      body: 'YES',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:mo',
    });
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'active', 'active', WAIT_MS);
    // Tuesday 18:00 New York = Wednesday 03:30 Kolkata.
    await match.executeUpdate(scheduleSessionUpdate, { args: [{ startsAt: '2028-07-11T22:00:00Z' }] });

    // The day before (Monday 18:00 New York, Tuesday 03:30 Kolkata): the mentor's reminder goes, the mentee's
    // waits for 08:00 Kolkata (02:30 UTC).
    await skipTo(t.env, '2028-07-10T22:00:30Z');
    await waitFor(() => byKey('session:1:v0:remind24:mentor').length === 1, "the mentor's reminder", WAIT_MS);
    await waitFor(() => heldByKey('session:1:v0:remind24:mentee').length > 0, "the mentee's held", WAIT_MS);

    // Meanwhile a late YES to the offer is answered and a second session is booked — at once, not at 02:30.
    await match.signal(replySignal, {
      inboundId: 2,
      body: 'YES',
      receivedAtMs: 0,
      accepts: 'mentorship_offer:mo',
    });
    await waitFor(() => byKey('closed:2').length === 1, 'the late YES answered', WAIT_MS);
    const s = await match.executeUpdate(scheduleSessionUpdate, {
      args: [{ startsAt: '2028-07-18T22:00:00Z' }],
    });
    expect(s.sessions.map((x) => x.number)).toEqual([1, 2]);
    await waitFor(
      () =>
        byKey('session:2:v0:booked:mentor').length === 1 && byKey('session:2:v0:booked:mentee').length === 1,
      'the booking texts',
      WAIT_MS,
    );
    for (const key of ['closed:2', 'session:2:v0:booked:mentor', 'session:2:v0:booked:mentee'])
      expect(byKey(key)[0]!.at).toBeLessThan(at('2028-07-10T22:10:00Z'));
    expect(byKey('session:1:v0:remind24:mentee')).toEqual([]);

    // 08:00 in Kolkata: the held reminder goes out.
    await skipTo(t.env, '2028-07-11T02:30:30Z');
    await waitFor(() => byKey('session:1:v0:remind24:mentee').length === 1, "the mentee's reminder", WAIT_MS);
    expect(byKey('session:1:v0:remind24:mentee')[0]!.at).toBeGreaterThanOrEqual(at('2028-07-11T02:30:00Z'));

    // Session 2's day-before reminder to the mentee is held too; the session is moved a week on meanwhile:
    // the held one is dropped (only the re-armed reminder, for the new time, will go).
    await skipTo(t.env, '2028-07-17T22:00:30Z');
    await waitFor(() => heldByKey('session:2:v0:remind24:mentee').length > 0, 'the second held', WAIT_MS);
    await match.executeUpdate(rescheduleSessionUpdate, {
      args: [{ session: 2, startsAt: '2028-07-25T22:00:00Z' }],
    });
    await waitFor(() => byKey('session:2:v1:moved:mentee').length === 1, 'the move texts', WAIT_MS);
    await skipTo(t.env, '2028-07-18T03:00:00Z');
    // Session 2's 1 h reminder would have been at 21:00 on the 18th; poll the state to let the skip settle.
    await waitFor(
      async () => (await match.query(matchStateQuery)).status === 'active',
      'still active',
      WAIT_MS,
    );
    expect(byKey('session:2:v0:remind24:mentee')).toEqual([]);
    expect(byKey('session:2:v0:remind24:mentor')).toHaveLength(1);
    await captureHistory('mentorship-match-held-texts', match);
  }, 300_000);
});
