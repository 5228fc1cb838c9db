/**
 * The crew challenge workflow on the time-skipping server with a fake sendSms that records every text and the
 * server time it was scheduled at: the start gate (extend once, then cancel and tell the joiners), members in
 * three zones with the first day on New York's spring-forward day, a late answer inside the 24 h grace and one
 * after it, a join and a leave, a pulse withheld below k, the self-close instant and the end summary.
 */
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  answerUpdate,
  challengeStateQuery,
  joinChallengeSignal,
  leaveChallengeSignal,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { CHALLENGE_STATUS_SA, CREW_ID_SA } from '../../workflows/crew-challenge/search-attributes.js';
import { cancelledText, extendedText, pulseText, summaryText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { withSmsBatch } from '../helpers/sms-batch.js';

interface Sent extends SendSmsInput {
  memberId: string;
  at: string;
}
const sent: Sent[] = [];
const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const at = new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString();
    sent.push({ ...input, memberId: 'memberId' in input.to ? input.to.memberId : '', at });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
});

const t = timeSkippingWorkers(activities);

const textsOf = (challengeId: string, memberId: string) =>
  sent
    .filter((s) => s.memberId === memberId && s.idempotencyKey.startsWith(`crew-challenge:${challengeId}:`))
    // Activities are scheduled right after the timer fires (a workflow task takes real milliseconds): the minute.
    .map((s) => ({ kind: s.kind, body: s.body, at: `${s.at.slice(0, 16)}Z` }));

function start(input: CrewChallengeInput) {
  return t.env.client.workflow.start(crewChallengeWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: crewChallengeWorkflowId(input.challengeId),
    args: [input],
    typedSearchAttributes: [
      { key: CREW_ID_SA, value: input.crewId },
      { key: CHALLENGE_STATUS_SA, value: 'gathering' },
    ],
  });
}

// The server's clock only moves forward: the tests run in chronological order.
describe('crew challenge: start gate', () => {
  it('below the minimum at the start: extends once, then cancels and tells the joiners why', async () => {
    await skipTo(t.env, '2027-02-01T12:00:00Z');
    const handle = await start({
      challengeId: 'gate-1',
      crewId: 'crew-gate',
      title: 'Walks',
      days: 7,
      startDate: '2027-02-03',
      timezone: 'Europe/Berlin',
      minSize: 5,
      k: 5,
      members: [
        { memberId: 'g1', timezone: 'Europe/Berlin' },
        { memberId: 'g2', timezone: 'Europe/Berlin' },
      ],
    });
    await skipTo(t.env, '2027-02-03T00:30:00Z'); // Berlin midnight = 23:00Z the day before: the gate has passed
    await waitFor(() => textsOf('gate-1', 'g2').length === 1, 'the extension text');
    // A third member joins during the extension, still below 5.
    await handle.signal(joinChallengeSignal, { memberId: 'g3', timezone: 'Asia/Tokyo' });
    // The second gate: 2027-02-05 00:00 Berlin. (No handle.result() here: waiting on a result lets the
    // time-skipping server run its clock freely, and the next test needs it where it is.)
    await skipTo(t.env, '2027-02-05T00:00:00Z');
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the cancellation');
    const result = await handle.query(challengeStateQuery);
    const why = 'only 3 of the 5 members needed joined';
    expect(result).toMatchObject({
      status: 'cancelled',
      extended: true,
      startDate: '2027-02-05',
      cancelReason: why,
    });
    expect(textsOf('gate-1', 'g1')).toEqual([
      { kind: 'crew_extended', body: extendedText('Walks', 2, 5, '2027-02-05'), at: '2027-02-02T23:00Z' },
      { kind: 'crew_cancelled', body: cancelledText('Walks', why), at: '2027-02-04T23:00Z' },
    ]);
    expect(textsOf('gate-1', 'g3')).toEqual([
      { kind: 'crew_cancelled', body: cancelledText('Walks', why), at: '2027-02-04T23:00Z' },
    ]);
    expect((await handle.describe()).typedSearchAttributes.get(CHALLENGE_STATUS_SA)).toBe('cancelled');
  });
});

describe('crew challenge: days, pulses, grace, self-close', () => {
  it('runs 3 days across 3 zones (day 1 is spring-forward in New York) and closes itself', async () => {
    await skipTo(t.env, '2027-03-10T12:00:00Z');
    const ny = 'America/New_York';
    const input: CrewChallengeInput = {
      challengeId: 'walks-1',
      crewId: 'crew-1',
      title: '10-minute walks',
      days: 3,
      startDate: '2027-03-12',
      timezone: ny,
      minSize: 5,
      k: 5,
      members: [
        { memberId: 'a', timezone: ny },
        { memberId: 'b', timezone: ny },
        { memberId: 'c', timezone: 'Europe/Berlin' },
        { memberId: 'd', timezone: 'Europe/Berlin' },
      ],
    };
    const handle = await start(input);
    // Gate 2027-03-12 00:00 New York (05:00Z): 4 of 5 → extended to 2027-03-14 (the DST change day).
    await skipTo(t.env, '2027-03-12T06:00:00Z');
    await waitFor(() => textsOf('walks-1', 'a').length === 1, 'the extension text');
    await handle.signal(joinChallengeSignal, { memberId: 'e', timezone: 'Asia/Tokyo' });
    await handle.signal(joinChallengeSignal, { memberId: 'f', timezone: ny });
    // Day 1 begins 2027-03-14 00:00 EST = 05:00Z; Tokyo's 14th began at 2027-03-13T15:00Z.
    await skipTo(t.env, '2027-03-14T12:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'the start');
    const answer = (memberId: string, localDate: string, done = true, energy?: number) =>
      handle.executeUpdate(answerUpdate, { args: [{ memberId, localDate, done, energy }] });
    for (const m of ['a', 'b', 'c', 'd']) await answer(m, '2027-03-14', m !== 'd', 4);
    // Again: counts once. The answer (which day they answered) is sealed with the member's key in the history.
    expect(await answer('a', '2027-03-14', true, 4)).toEqual({ day: 1, counted: true, subject: 'member:a' });
    // Day 2: only four answer (withheld below k); e answers day 1 late, inside the grace.
    await skipTo(t.env, '2027-03-15T13:00:00Z');
    for (const m of ['a', 'b', 'c', 'e']) await answer(m, '2027-03-15');
    await answer('e', '2027-03-14', true); // Tokyo's 14th ended 2027-03-14T15:00Z: 22 h ago
    // f's day 1 (New York) ended 2027-03-15T04:00Z (EDT): 24 h later it is too late.
    await skipTo(t.env, '2027-03-16T04:00:00Z');
    await expect(answer('f', '2027-03-14')).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(answer('a', '2027-03-20')).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    // Day 3: b leaves before answering; five others answer.
    await skipTo(t.env, '2027-03-16T14:00:00Z');
    await handle.signal(leaveChallengeSignal, { memberId: 'b' });
    for (const m of ['a', 'c', 'd', 'e', 'f']) await answer(m, '2027-03-16', m !== 'f', 3);

    const result = await handle.result();
    // Closes itself at the end of the last member's last day (2027-03-17 00:00 EDT = 04:00Z) plus 24 h.
    expect(result.endsAt).toBe('2027-03-18T04:00:00.000Z');
    expect(result.status).toBe('completed');
    const day1 = { responded: 5, done: 4, energyCount: 4, energySum: 16 };
    const day3 = { responded: 5, done: 4, energyCount: 5, energySum: 15 };
    expect(result.pulses).toEqual([
      { day: 1, published: true, figures: day1, suppressed: null },
      { day: 2, published: false, figures: null, suppressed: 'below_k' },
      { day: 3, published: true, figures: day3, suppressed: null },
    ]);
    // e's late answer for day 1 (inside the grace) is in day 1's figures; f's after the grace is not.
    const summary = summaryText('10-minute walks', 3, {
      done: 8,
      responded: 10,
      atLeast: true,
      publishedDays: 2,
    });
    expect(result.summary).toBe(summary);
    // Exact texts per phone: one a day at most; the leaver gets nothing after leaving.
    const ext = extendedText('10-minute walks', 4, 5, '2027-03-14');
    expect(textsOf('walks-1', 'a')).toEqual([
      { kind: 'crew_extended', body: ext, at: '2027-03-12T05:00Z' },
      // Day 1 closes when New York's 14th (23 h long) has ended plus 24 h: 2027-03-16T04:00Z.
      { kind: 'crew_pulse', body: pulseText('10-minute walks', 1, day1), at: '2027-03-16T04:00Z' },
      { kind: 'crew_pulse', body: pulseText('10-minute walks', 3, day3), at: '2027-03-18T04:00Z' },
      { kind: 'crew_summary', body: summary, at: '2027-03-18T04:00Z' },
    ]);
    expect(textsOf('walks-1', 'b').map((t) => t.kind)).toEqual(['crew_extended', 'crew_pulse']);
    // e (Tokyo) is asked each day at 19:00 Tokyo time, having not answered by then (a, answering by API in the
    // morning, is never asked).
    expect(textsOf('walks-1', 'e').map((t) => `${t.kind} ${t.at}`)).toEqual([
      'crew_ask 2027-03-14T10:00Z',
      'crew_ask 2027-03-15T10:00Z',
      'crew_pulse 2027-03-16T04:00Z',
      'crew_ask 2027-03-16T10:00Z',
      'crew_pulse 2027-03-18T04:00Z',
      'crew_summary 2027-03-18T04:00Z',
    ]);
    expect((await handle.describe()).typedSearchAttributes.get(CHALLENGE_STATUS_SA)).toBe('completed');
    await captureHistory('crew-challenge', handle);
  });
});
