/**
 * A match goes on after a mentor it had offered is erased (the offer is withdrawn, the next mentor offered), so
 * it can be replayed after that mentor's key is destroyed (a worker restart, a cache eviction). The mentor's zone
 * was sealed in the ranking's result and now opens to a tombstone: the replay must still take the same path. On
 * the time-skipping server with the payload codec over an in-memory key store: mentor A lives in Tokyo, so their
 * offer's accept-by clock and its reminder (paused in A's quiet hours) differ from what UTC would give; A is sent
 * the offer and the reminder, then erased; B is offered. The stored history, decoded without A's key, holds
 * nothing of A's zone, windows or score — and replays without nondeterminism, because the offer's clock came back
 * readable from `recordOffer` (workflows/mentorship-match/sealed.ts).
 */
import { Context } from '@temporalio/activity';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { SubjectKeyStore } from '../../db/subject-keys.js';
import { workflowsPath } from '../../worker/worker.js';
import { mentorshipMatchWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { subjectOf } from '../../workflows/lib/subject.js';
import { mentorWorkflow } from '../../workflows/mentor/workflow.js';
import {
  matchStateQuery,
  participantErasedSignal,
  type Candidate,
  type OfferView,
} from '../../workflows/mentorship-match/definitions.js';
import { markedZone, sealCandidate, type OfferRecord } from '../../workflows/mentorship-match/sealed.js';
import { mentorshipMatchWorkflow } from '../../workflows/mentorship-match/workflow.js';
import { captureDecodedHistory } from '../helpers/histories.js';
import { memoryKeys } from '../helpers/memory-keys.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

const MENTEE = '5e1f0000-aaaa-4bbb-8ccc-0000000000e1';
const AKI = '5e1f0000-aaaa-4bbb-8ccc-0000000000a1';
const BEA = '5e1f0000-aaaa-4bbb-8ccc-0000000000b1';
const TOKYO = 'Asia/Tokyo';
const WAIT_MS = 120_000;
const H = 3_600_000;

const keys = memoryKeys();
const sent: Array<SendSmsInput & { at: number }> = [];
const recorded: OfferRecord[] = [];
const real = createMentorshipActivities({ db: null as unknown as Db });
const mentorCandidate = (
  mentorId: string,
  member: string,
  tz: string,
  from: string,
  score: number,
): Candidate => ({
  mentorId,
  mentorMemberId: member,
  mentorTimezone: tz,
  mentorAvailability: [{ weekday: 3, from, to: '20:45' }],
  score,
  breakdown: { focus: score, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
});
const activities = {
  async rankMentorsForMatch(): ReturnType<
    ReturnType<typeof createMentorshipActivities>['rankMentorsForMatch']
  > {
    return [
      sealCandidate(mentorCandidate('aki', AKI, TOKYO, '07:15', 0.8125), MENTEE),
      sealCandidate(mentorCandidate('bea', BEA, 'UTC', '18:30', 0.6875), MENTEE),
    ];
  },
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  // As the real activity: the offer's clock comes back as given.
  async recordOffer(input: OfferRecord) {
    recorded.push(input);
    return input.clock ?? null;
  },
  async setMatchStatus() {},
  reserveMentorSlot: (input: { mentorId: string; matchId: string }) => real.reserveMentorSlot(input),
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push({ ...input, at: Context.current().info.currentAttemptScheduledTimestampMs });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
};
const codec = createSubjectCodec(keys);
const t = timeSkippingWorkers(activities, { payloadCodec: codec });

function payloadsOf(v: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(v)) for (const x of v) payloadsOf(x, out);
  else if (v && typeof v === 'object') {
    const p = v as Payload;
    if (p.data instanceof Uint8Array && p.metadata) out.push(p);
    else for (const x of Object.values(v)) payloadsOf(x, out);
  }
  return out;
}
async function decoded(store: SubjectKeyStore, ps: Payload[]): Promise<string> {
  const open = await createSubjectCodec(store).decode(ps);
  return open.map((p) => JSON.stringify(defaultPayloadConverter.fromPayload(p))).join('\n');
}
const textsTo = (member: string, kind: string) =>
  sent.filter((s) => 'memberId' in s.to && s.to.memberId === member && s.kind === kind);

describe('a match replayed after an offered mentor’s key is destroyed', () => {
  it('takes the same path: the offer’s clock was recorded readable, the zone is gone', async () => {
    // Wednesday 10:00 in Tokyo (01:00 UTC, in UTC's night: a clock in UTC would not have started yet).
    await skipTo(t.env, '2028-07-05T01:00:00Z');
    for (const id of ['aki', 'bea'])
      await t.env.client.workflow.start(mentorWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: mentorWorkflowId(id),
        args: [{ mentorId: id, capacity: 1 }],
      });
    const match = await t.env.client.workflow.start(mentorshipMatchWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipMatchWorkflowId('seal-replay-1'),
      args: [
        {
          matchId: 'seal-replay-1',
          menteeMemberId: MENTEE,
          menteeTimezone: markedZone(MENTEE, 'Europe/Lisbon'),
          shareRisk: false,
          acceptHours: 6,
        },
      ],
    });
    await waitFor(() => textsTo(AKI, 'mentorship_offer').length === 1, 'the offer to Aki', WAIT_MS);
    // 6 waking hours in Tokyo from about 10:00: about 16:00 Tokyo; the 4-h-left reminder about 12:00 Tokyo (in
    // UTC they would be 14:00 and 10:00 UTC, the clock starting at 08:00 UTC).
    const offeredAtMs = Date.parse((recorded[0]!.offer as OfferView).offeredAt);
    expect(recorded[0]!.clock).toEqual({
      deadlineMs: offeredAtMs + 6 * H,
      reminderAtMs: [offeredAtMs + 2 * H],
    });
    await skipTo(t.env, '2028-07-05T03:01:00Z');
    await waitFor(() => textsTo(AKI, 'mentorship_offer_reminder').length === 1, 'the reminder', WAIT_MS);

    // Aki is erased: the offer is withdrawn, Bea is offered.
    await match.signal(participantErasedSignal, { memberId: AKI });
    await waitFor(() => textsTo(BEA, 'mentorship_offer').length === 1, 'the offer to Bea', WAIT_MS);
    const state = await match.query(matchStateQuery);
    expect(state.offers.map((o) => [o.mentorId, o.status, o.reason])).toEqual([
      ['aki', 'withdrawn', 'mentor erased'],
      ['bea', 'offered', null],
    ]);

    const history = await match.fetchHistory();
    const payloads = payloadsOf(history.events);
    const aki = subjectOf('member', AKI);
    const all = await decoded(keys, payloads);
    const ofAki = [TOKYO, '"from":"07:15"', '0.8125'];
    expect(all).toContain('"from":"18:30"');
    for (const x of ofAki) expect(all).toContain(x);
    const afterAki = await decoded(keys.without(aki), payloads);
    for (const x of ofAki) expect(afterAki).not.toContain(x);
    expect(afterAki).toContain('0.6875'); // Bea's candidate still opens
    expect(afterAki).toContain('"from":"18:30"');

    // Replayed as a worker would after Aki's key is destroyed: no nondeterminism (and, as a control, with it).
    for (const store of [keys.without(aki), keys]) {
      await Worker.runReplayHistory(
        { workflowsPath, dataConverter: { payloadCodecs: [createSubjectCodec(store)] } },
        history,
        'seal-replay-1',
      );
    }
    await captureDecodedHistory('mentorship-match-sealed-mentor-erased', match, codec);
  }, 300_000);
});
