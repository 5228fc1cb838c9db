/**
 * Mentorship payloads sealed per person (README "Privacy", issue 12), on the time-skipping server with the payload
 * codec over an in-memory key store: a match runs from the offer through two sessions (briefings written by the
 * real AI activity, template path, over a stub of the mentee's rows; MORE; ratings by SMS) and is ended with a
 * reason. Its raw history holds none of the mentee's name, goal, words or briefing; decoded with every key it
 * does; decoded as after the mentee's erasure, none of it — nor the briefing texts sent to the mentor (sealed
 * under both keys); decoded as after the mentor's erasure, the texts sent to the mentor are gone while the
 * mentee's own briefing still opens. What the match was ranked and offered with is sealed too: the mentee's zone
 * in its start input (as the API marks it), the ranked mentor's zone, weekly windows and score (as the ranking
 * activity seals them) and every offer as recorded — the mentor's zone and windows gone after the mentor's
 * erasure, the score and offer after either, the mentee's zone after the mentee's (and still there after the
 * mentor's). Captures `mentorship-match-sealed-candidates` (decoded: committed histories are plaintext) for the
 * replay test; `mentorship-match-sealed` is the same run from before candidates were sealed.
 */
import { Context } from '@temporalio/activity';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createAiActivities } from '../../activities/ai/index.js';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { SubjectKeyStore } from '../../db/subject-keys.js';
import { mentorshipMatchWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { markedForAll, subjectOf } from '../../workflows/lib/subject.js';
import { mentorWorkflow } from '../../workflows/mentor/workflow.js';
import {
  endMatchUpdate,
  matchStateQuery,
  replySignal,
  scheduleSessionUpdate,
  type Candidate,
} from '../../workflows/mentorship-match/definitions.js';
import { markedZone, sealCandidate, type OfferRecord } from '../../workflows/mentorship-match/sealed.js';
import { mentorshipMatchWorkflow } from '../../workflows/mentorship-match/workflow.js';
import { captureDecodedHistory } from '../helpers/histories.js';
import { memoryKeys } from '../helpers/memory-keys.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

const MENTEE = '5e1f0000-aaaa-4bbb-8ccc-000000000001';
const MENTOR_MEMBER = '5e1f0000-aaaa-4bbb-8ccc-000000000002';
const mentee = subjectOf('member', MENTEE);
const mentor = subjectOf('member', MENTOR_MEMBER);
const NY = 'America/New_York';
/** The mentee lives elsewhere: their zone must not open after their erasure, and must after the mentor's. */
const BOGOTA = 'America/Bogota';
/** The mentor's weekly window and the pairing's score, as only the sealed candidate and offers hold them. */
const WINDOW = { weekday: 2, from: '18:00', to: '20:00' };
const SCORE = 0.8125;

/** What only the mentee's data holds: their name (the briefing's first name), a goal title, their words. */
const NAME = 'Marisol';
const GOAL = 'Call my sister Ines weekly';
const MENTEE_WORDS = 'loved it, we talked about my sister';

/** The mentee's rows as the briefing reads them: a stub of the few queries loadBriefingData makes. */
function menteeRows(): Db {
  const rows = (data: unknown[]) => {
    const q = {
      from: () => q,
      where: () => q,
      orderBy: () => q,
      limit: () => q,
      then: (ok: (v: unknown[]) => unknown, ko: (e: unknown) => unknown) =>
        Promise.resolve(data).then(ok, ko),
    };
    return q;
  };
  return {
    query: {
      members: {
        findFirst: async () => ({
          id: MENTEE,
          name: `${NAME} Quintero`,
          timezone: NY,
          riskLevel: 'medium',
          currentStreak: 4,
          longestStreak: 9,
        }),
      },
    },
    select: (cols: Record<string, unknown>) =>
      'title' in cols
        ? rows([{ title: GOAL }])
        : rows([{ localDate: '2028-07-10', status: 'done', reflection: null, shareable: null }]),
  } as unknown as Db;
}

const keys = memoryKeys();
const sent: Array<SendSmsInput & { at: number }> = [];
const recorded: OfferRecord[] = [];
const realMx = createMentorshipActivities({ db: null as unknown as Db });
const ai = createAiActivities({ db: menteeRows(), openai: null, model: 'none' });
const activities = {
  // As the ranking activity answers (activities/mentorship.ts): sealed under the mentor's and the mentee's keys.
  async rankMentorsForMatch() {
    const mo: Candidate = {
      mentorId: 'mo',
      mentorMemberId: MENTOR_MEMBER,
      mentorTimezone: NY,
      mentorAvailability: [WINDOW],
      score: SCORE,
      breakdown: { focus: 0.53125, language: 1, schedule: 1, timezone: 0.96875, load: 1 },
      weightsVersion: 'default@1',
    };
    return [sealCandidate(mo, MENTEE)];
  },
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  async recordOffer(input: OfferRecord) {
    recorded.push(input);
    return input.clock ?? null;
  },
  async setMatchStatus() {},
  reserveMentorSlot: (input: { mentorId: string; matchId: string }) => realMx.reserveMentorSlot(input),
  writeMentorBriefing: (input: Parameters<typeof ai.writeMentorBriefing>[0]) => ai.writeMentorBriefing(input),
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push({ ...input, at: Context.current().info.currentAttemptScheduledTimestampMs });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
};
const codec = createSubjectCodec(keys);
const t = timeSkippingWorkers(activities, { payloadCodec: codec });

/** A reply as inbound routing signals it: marked with its sender (api/inbound.ts). */
const reply = (inboundId: number, from: string, body: string, accepts: string) => ({
  inboundId,
  body,
  receivedAtMs: 0,
  accepts,
  memberId: from,
  subject: subjectOf('member', from),
});
const sentOf = (kind: string) => sent.filter((s) => s.kind === kind);

/** Every payload of a history (raw, as the Temporal server stores it). */
function payloadsOf(v: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(v)) for (const x of v) payloadsOf(x, out);
  else if (v && typeof v === 'object') {
    const p = v as Payload;
    if (p.data instanceof Uint8Array && p.metadata) out.push(p);
    else for (const x of Object.values(v)) payloadsOf(x, out);
  }
  return out;
}
const asText = (ps: Payload[]) => ps.map((p) => Buffer.from(p.data!).toString('utf8')).join('\n');
async function opened(store: SubjectKeyStore, ps: Payload[]): Promise<unknown[]> {
  const open = await createSubjectCodec(store).decode(ps);
  return open.map((p) => defaultPayloadConverter.fromPayload(p));
}
async function decoded(store: SubjectKeyStore, ps: Payload[]): Promise<string> {
  return (await opened(store, ps)).map((v) => JSON.stringify(v)).join('\n');
}
/** The texts of a kind whose activity input still opens. */
async function textsOf(store: SubjectKeyStore, ps: Payload[], kind: string): Promise<number> {
  return (await opened(store, ps)).filter((v) => (v as { kind?: unknown } | null)?.kind === kind).length;
}

describe('mentorship payloads sealed per person', () => {
  it('briefings, MORE, ratings, answers and the end reason: gone after the mentee’s erasure; texts to the mentor gone after either', async () => {
    await skipTo(t.env, '2028-07-03T13:00:00Z'); // Monday 09:00 in New York
    const mo = await t.env.client.workflow.start(mentorWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorWorkflowId('mo'),
      args: [{ mentorId: 'mo', capacity: 1 }],
    });
    const match = await t.env.client.workflow.start(mentorshipMatchWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipMatchWorkflowId('seal-1'),
      args: [
        {
          matchId: 'seal-1',
          menteeMemberId: MENTEE,
          menteeTimezone: markedZone(MENTEE, BOGOTA), // as the API starts it
          shareRisk: false,
          weeks: 12,
        },
      ],
    });
    await waitFor(() => sentOf('mentorship_offer').length > 0, 'the offer');
    await match.signal(replySignal, reply(1, MENTOR_MEMBER, 'YES happy to', 'mentorship_offer:mo'));
    await waitFor(async () => (await match.query(matchStateQuery)).status === 'active', 'active');

    // Session 1: briefed 2 h before, MORE, rated by both by SMS.
    await match.executeUpdate(scheduleSessionUpdate, { args: [{ startsAt: '2028-07-11T22:00:00Z' }] });
    await skipTo(t.env, '2028-07-11T20:00:30Z');
    await waitFor(() => sentOf('mentorship_briefing').length === 1, 'the first briefing');
    const brief = sentOf('mentorship_briefing')[0]!;
    expect(brief.body).toContain(NAME); // the real template names the mentee to their mentor
    expect(brief).toMatchObject({ subject: mentor, alsoAbout: [mentee] });
    await match.signal(replySignal, reply(2, MENTOR_MEMBER, 'MORE please', 'mentorship_briefing:1'));
    await waitFor(() => sentOf('mentorship_briefing_more').length === 1, 'the longer briefing');
    const more = sentOf('mentorship_briefing_more')[0]!.body;
    expect(more).toContain(GOAL);
    await skipTo(t.env, '2028-07-11T23:00:30Z');
    await waitFor(() => sentOf('mentorship_session_check').length === 2, 'the checks');
    await match.signal(replySignal, reply(3, MENTEE, `4 ${MENTEE_WORDS}`, 'mentorship_session:1:mentee'));
    await match.signal(replySignal, reply(4, MENTOR_MEMBER, '3', 'mentorship_session:1:mentor'));
    await waitFor(
      async () => (await match.query(matchStateQuery)).sessions[0]!.ratings.mentor === 3,
      'both ratings',
    );

    // Session 2: its briefing is written from the ratings of session 1.
    const s = await match.executeUpdate(scheduleSessionUpdate, {
      args: [{ startsAt: '2028-07-18T22:00:00Z' }],
    });
    expect(s).toMatchObject({ subject: mentee, alsoAbout: [mentor] }); // the update's answer is sealed
    await skipTo(t.env, '2028-07-18T20:00:30Z');
    await waitFor(() => sentOf('mentorship_briefing').length === 2, 'the second briefing');
    expect((await match.query(matchStateQuery)).sessions[1]!.briefing).not.toHaveProperty('subject');

    // Ended with a reason, marked as the API marks it.
    const reason = `${NAME} is moving abroad`;
    await match.executeUpdate(endMatchUpdate, { args: [markedForAll([mentee, mentor], { reason })] });
    await waitFor(async () => (await match.describe()).status.name === 'COMPLETED', 'the match to end');
    await mo.terminate();

    // The offer was recorded (offered, accepted) with its clock, the offer itself marked for both.
    expect(recorded.map((r) => r.offer)).toMatchObject([
      { status: 'offered', score: SCORE, subject: mentor, alsoAbout: [mentee] },
      { status: 'accepted', score: SCORE, subject: mentor, alsoAbout: [mentee] },
    ]);
    expect(recorded[0]!.clock?.deadlineMs).toBe(
      Date.parse((recorded[0]!.offer as { deadlineAt: string }).deadlineAt),
    );

    const payloads = payloadsOf((await match.fetchHistory()).events);
    const secrets = [NAME, GOAL, MENTEE_WORDS, more, reason, '"ratings":{"mentor":3,"mentee":4}'];
    /** The mentor's zone and window, the pairing's score: in the ranking's result and every recorded offer. */
    const ofMentor = [NY, '"from":"18:00"', '"mentorAvailability"'];
    const ofPairing = [String(SCORE), '"breakdown"', '"deadlineAt"'];
    const raw = asText(payloads);
    for (const x of [...secrets, BOGOTA, ...ofMentor, ...ofPairing]) expect(raw).not.toContain(x);
    expect(raw).toContain('"mentorId":"mo"'); // ids stay readable

    const all = await decoded(keys, payloads);
    for (const x of [...secrets, BOGOTA, ...ofMentor, ...ofPairing]) expect(all).toContain(x); // so the searches below can fail
    expect(all).toContain('Reply MORE for more');
    expect(await textsOf(keys, payloads, 'mentorship_briefing_more')).toBe(1);

    const afterMentee = await decoded(keys.without(mentee), payloads);
    for (const x of [...secrets, BOGOTA, ...ofPairing]) expect(afterMentee).not.toContain(x);
    for (const x of ofMentor) expect(afterMentee).not.toContain(x); // the candidate is sealed under both
    expect(afterMentee).not.toContain('Reply MORE for more'); // the briefing texts to the mentor too
    expect(afterMentee).toContain(`{"subject":"${mentee}","erased":true}`);
    expect(await textsOf(keys.without(mentee), payloads, 'mentorship_briefing_more')).toBe(0);

    const afterMentor = await decoded(keys.without(mentor), payloads);
    for (const x of [...ofMentor, ...ofPairing]) expect(afterMentor).not.toContain(x);
    expect(afterMentor).toContain(BOGOTA); // the mentee's own zone still opens
    expect(afterMentor).not.toContain('Reply MORE for more'); // texts to the mentor
    expect(await textsOf(keys.without(mentor), payloads, 'mentorship_briefing_more')).toBe(0);
    expect(afterMentor).not.toContain('YES happy to'); // the mentor's answer
    expect(afterMentor).not.toContain(reason);
    expect(afterMentor).toContain(GOAL); // the mentee's own briefing (the activity's result) still opens
    await captureDecodedHistory('mentorship-match-sealed-candidates', match, codec);
  }, 300_000);
});
