/**
 * The crew challenge's daily question and its answers by SMS, on the time-skipping server with a fake sendSms
 * that records every text and when it was scheduled: each member is asked at the crew's prompt time (19:00) in
 * their own zone, replies (signalled as conversation routing delivers them) are parsed — done/not done, energy,
 * reflection — counted once per inbound id, acknowledged; unreadable texts get one clarification a day; a late
 * "yesterday Y" counts inside the 24 h grace; an answer after the grace is refused with the reason.
 */
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { StoreReflectionResult } from '../../activities/crews/reflections.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  challengeStateQuery,
  replySignal,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { CHALLENGE_STATUS_SA, CREW_ID_SA } from '../../workflows/crew-challenge/search-attributes.js';
import { CREW_PULSE_ACCEPTS } from '../../workflows/crew-challenge/sms.js';
import {
  answerAckText,
  answerClarifyText,
  answerRefusedText,
  askText,
  pulseText,
  summaryText,
} from '../../workflows/crew-challenge/texts.js';
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
    const already = sent.find((s) => s.idempotencyKey === input.idempotencyKey);
    if (already) return { outcome: 'already_sent', messageId: 0, providerSid: null };
    // Activities are scheduled right after the timer fires (a workflow task takes real milliseconds): the minute.
    sent.push({
      ...input,
      memberId: 'memberId' in input.to ? input.to.memberId : '',
      at: `${at.slice(0, 16)}Z`,
    });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  /** Reflections are stored by their own activity (test/workflows/crew-reflections.test.ts). */
  async storeCrewReflection(): Promise<StoreReflectionResult> {
    return { stored: false, reason: 'no_consent' };
  },
});

const t = timeSkippingWorkers(activities);

const textsOf = (memberId: string) => sent.filter((s) => s.memberId === memberId);
const TITLE = 'Stretch 10 minutes';

describe('crew challenge: the daily question and its answers by SMS', () => {
  it('asks at 19:00 in each zone, counts and acknowledges replies, clarifies once a day, honours the grace', async () => {
    await skipTo(t.env, '2027-05-01T12:00:00Z');
    const berlin = 'Europe/Berlin';
    const ny = 'America/New_York';
    const input: CrewChallengeInput = {
      challengeId: 'sms-1',
      crewId: 'crew-sms',
      title: TITLE,
      days: 2,
      startDate: '2027-05-03',
      timezone: berlin,
      minSize: 5,
      k: 5,
      members: [
        ...['p1', 'p2', 'p3', 'p4', 'p5'].map((memberId) => ({ memberId, timezone: berlin })),
        { memberId: 'p6', timezone: ny },
      ],
    };
    const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [input],
      typedSearchAttributes: [
        { key: CREW_ID_SA, value: input.crewId },
        { key: CHALLENGE_STATUS_SA, value: 'gathering' },
      ],
    });
    let inboundId = 0;
    const reply = async (memberId: string, body: string, id = ++inboundId) =>
      handle.signal(replySignal, {
        inboundId: id,
        body,
        receivedAtMs: await t.env.currentTimeMs(),
        accepts: CREW_PULSE_ACCEPTS,
        memberId,
      });
    const kinds = (memberId: string) => textsOf(memberId).map((s) => s.kind);

    // Day 1, 19:00 Berlin (CEST) = 17:00Z: the five Berliners are asked; New York not yet.
    await skipTo(t.env, '2027-05-03T17:01:00Z');
    await waitFor(
      () => ['p1', 'p2', 'p3', 'p4', 'p5'].every((m) => kinds(m).includes('crew_ask')),
      'the asks',
    );
    expect(kinds('p6')).toEqual([]);
    const ask1 = textsOf('p1')[0]!;
    expect(ask1).toMatchObject({
      kind: 'crew_ask',
      body: askText(TITLE, 1, 2),
      at: '2027-05-03T17:00Z',
    });
    expect(ask1.expectReply).toEqual({
      accepts: CREW_PULSE_ACCEPTS,
      untilMs: Date.parse('2027-05-04T22:00:00Z'),
    });

    await reply('p1', 'Y 4');
    await reply('p1', 'Y 4', inboundId); // the same inbound text delivered twice
    await reply('p2', 'N 2 long day at work');
    await reply('p3', 'hello?');
    await reply('p3', 'what do I answer');
    await reply('p3', 'y');
    await reply('p4', 'Y 9');
    await waitFor(() => kinds('p3').length === 3 && kinds('p4').length === 2, 'the answers to day 1 replies');
    // Day 1 in New York: 19:00 EDT = 23:00Z.
    await skipTo(t.env, '2027-05-03T23:01:00Z');
    await waitFor(() => kinds('p6').length === 1, 'the New York ask');
    expect(textsOf('p6')[0]!.at).toBe('2027-05-03T23:00Z');
    await reply('p6', 'y 5');
    await waitFor(() => kinds('p6').length === 2, 'the New York ack');

    // Day 2: p5, silent on day 1, answers it late ("yesterday"), inside the grace (until 2027-05-04T22:00Z).
    await skipTo(t.env, '2027-05-04T17:01:00Z');
    await waitFor(() => kinds('p5').length === 2, 'the second ask to p5');
    await reply('p5', 'yesterday Y');
    for (const m of ['p1', 'p2', 'p3']) await reply(m, 'Y');
    await reply('p4', 'Y 3');
    await waitFor(
      () => ['p1', 'p2', 'p3', 'p4', 'p5'].every((m) => kinds(m).at(-1) === 'crew_ack'),
      'day 2 acks',
    );
    await skipTo(t.env, '2027-05-04T23:01:00Z');
    await waitFor(() => kinds('p6').length === 3, 'the second New York ask');
    await reply('p6', 'N');
    await waitFor(() => kinds('p6').length === 4, 'the second New York ack');

    // Berlin's day 2 ended 2027-05-04T22:00Z: 25 h later a "Y" (for day 2, the last day asked) cannot count.
    await skipTo(t.env, '2027-05-05T23:00:00Z');
    await reply('p3', 'Y');
    await waitFor(() => kinds('p3').includes('crew_refused'), 'the refusal');

    const result = await handle.result();
    const day1 = { responded: 5, done: 4, energyCount: 3, energySum: 11 };
    const day2 = { responded: 5, done: 4, energyCount: 1, energySum: 3 };
    expect(result.pulses).toEqual([
      { day: 1, published: true, figures: day1, suppressed: null },
      { day: 2, published: true, figures: day2, suppressed: null },
    ]);
    const summary = summaryText(TITLE, 2, { done: 8, responded: 10, atLeast: false, publishedDays: 2 });
    expect(result.summary).toBe(summary);

    // The exact texts of two phones: one question a day; one clarification on a day of two unreadable texts.
    const grace = 'the 24 h grace for that day has passed';
    expect(textsOf('p3').map((s) => ({ kind: s.kind, body: s.body }))).toEqual([
      { kind: 'crew_ask', body: askText(TITLE, 1, 2) },
      { kind: 'crew_clarify', body: answerClarifyText(TITLE) },
      { kind: 'crew_ack', body: answerAckText(TITLE, 1, { done: true, energy: null }) },
      { kind: 'crew_ask', body: askText(TITLE, 2, 2) },
      { kind: 'crew_ack', body: answerAckText(TITLE, 2, { done: true, energy: null }) },
      // Day 1's pulse waits for New York's day 1 (ends 2027-05-04T04:00Z) plus 24 h.
      { kind: 'crew_pulse', body: pulseText(TITLE, 1, day1) },
      { kind: 'crew_refused', body: answerRefusedText(TITLE, grace) },
      { kind: 'crew_pulse', body: pulseText(TITLE, 2, day2) },
      { kind: 'crew_summary', body: summary },
    ]);
    expect(textsOf('p1').map((s) => s.kind)).toEqual([
      'crew_ask',
      'crew_ack', // once, although the text came twice
      'crew_ask',
      'crew_ack',
      'crew_pulse',
      'crew_pulse',
      'crew_summary',
    ]);
    expect(textsOf('p1')[1]!.body).toBe(answerAckText(TITLE, 1, { done: true, energy: 4 }));
    expect(
      textsOf('p5')
        .map((s) => s.kind)
        .slice(0, 3),
    ).toEqual(['crew_ask', 'crew_ask', 'crew_ack']);
    expect(textsOf('p5')[2]!.body).toBe(answerAckText(TITLE, 1, { done: true, energy: null }));
    // "Y 9": an energy outside 1–5 is not guessed: one clarification, then "Y 3" counts for day 2.
    expect(
      textsOf('p4')
        .map((s) => s.kind)
        .slice(0, 4),
    ).toEqual(['crew_ask', 'crew_clarify', 'crew_ask', 'crew_ack']);
    expect((await handle.query(challengeStateQuery)).status).toBe('completed');
    await captureHistory('crew-sms-answers', handle);
  });
});
