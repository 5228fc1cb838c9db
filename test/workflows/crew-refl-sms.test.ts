/**
 * A shared reflection reaches the crew by SMS inside the day's published pulse text: once, anonymously, only to
 * members who consented to share reflections and never to its author; a later pulse does not carry it again, and
 * a challenge that stored no reflection never asks for one. Captures the `crew-reflections-sms` history the
 * replay test runs.
 */
import { describe, expect, it } from 'vitest';
import type {
  ReflectionForPulseInput,
  ReflectionForPulseResult,
  StoreReflectionInput,
  StoreReflectionResult,
} from '../../activities/crews/reflections.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  answerUpdate,
  challengeStateQuery,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { CHALLENGE_STATUS_SA, CREW_ID_SA } from '../../workflows/crew-challenge/search-attributes.js';
import { pulseText, REFLECTION_LEAD } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { withSmsBatch } from '../helpers/sms-batch.js';

const sent: SendSmsInput[] = [];
const stored: StoreReflectionInput[] = [];
const asked: ReflectionForPulseInput[] = [];
/** The store's view: which reflection is shared, and who consented (r1–r3; r4 and r5 did not). */
const SHARED = { id: 'refl-a', memberId: 'm1', text: 'Rain all day but I still walked, proud of us' };
const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push(input);
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async storeCrewReflection(input: StoreReflectionInput): Promise<StoreReflectionResult> {
    stored.push(input);
    return { stored: true, reflectionId: SHARED.id, status: 'shared' };
  },
  async reflectionForPulse(input: ReflectionForPulseInput): Promise<ReflectionForPulseResult> {
    asked.push(structuredClone(input));
    return {
      reflection: input.carried.includes(SHARED.id) ? null : SHARED,
      recipients: ['m1', 'm2', 'm3'],
    };
  },
});
const t = timeSkippingWorkers(activities);

const berlin = 'Europe/Berlin';
const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];

async function start(challengeId: string) {
  const input: CrewChallengeInput = {
    challengeId,
    crewId: `crew-${challengeId}`,
    title: 'Walks',
    days: 3,
    startDate: '2027-06-07',
    timezone: berlin,
    minSize: 3,
    k: 5,
    members: ids.map((memberId) => ({ memberId, timezone: berlin })),
  };
  const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: crewChallengeWorkflowId(challengeId),
    args: [input],
    typedSearchAttributes: [
      { key: CREW_ID_SA, value: input.crewId },
      { key: CHALLENGE_STATUS_SA, value: 'gathering' },
    ],
  });
  return { input, handle };
}

const pulsesOf = (challengeId: string, day: number) =>
  sent.filter((s) => s.idempotencyKey.startsWith(`crew-challenge:${challengeId}:pulse:${day}:`));

describe('crew challenge: a shared reflection by SMS', () => {
  it('rides once on the published pulse, to consenting members other than its author', async () => {
    await skipTo(t.env, '2027-06-06T12:00:00Z');
    const { handle } = await start('refl-sms-1');
    const answer = (memberId: string, localDate: string, reflection?: string) =>
      handle.executeUpdate(answerUpdate, {
        args: [{ memberId, localDate, done: true, energy: 4, reflection }],
      });

    // Day 1 (Monday 7 June, Berlin): all five answer, m1 with a reflection.
    await skipTo(t.env, '2027-06-07T18:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
    await answer('m1', '2027-06-07', SHARED.text);
    for (const id of ids.slice(1)) await answer(id, '2027-06-07');
    expect(stored).toEqual([
      { challengeId: 'refl-sms-1', memberId: 'm1', day: 1, text: SHARED.text, subject: 'member:m1' },
    ]);
    // Day 2: all five answer again, no reflection.
    await skipTo(t.env, '2027-06-08T18:00:00Z');
    for (const id of ids) await answer(id, '2027-06-08');

    // Day 1's pulse closes at the end of 8 June (Berlin) plus the 24 h grace: 2027-06-09T22:00Z.
    await skipTo(t.env, '2027-06-09T22:01:00Z');
    await waitFor(() => pulsesOf('refl-sms-1', 1).length === 5, "day 1's pulse to all five");
    const pulse1 = pulseText('Walks', 1, { responded: 5, done: 5, energySum: 20, energyCount: 5 });
    const withIt = `${pulse1} ${REFLECTION_LEAD} "${SHARED.text}"`;
    const bodies1 = Object.fromEntries(
      pulsesOf('refl-sms-1', 1).map((s) => [(s.to as { memberId: string }).memberId, s.body]),
    );
    expect(bodies1).toEqual({ m1: pulse1, m2: withIt, m3: withIt, m4: pulse1, m5: pulse1 });
    expect(asked[0]).toEqual({ challengeId: 'refl-sms-1', carried: [] });

    // Day 2's pulse: the reflection is not carried again.
    await skipTo(t.env, '2027-06-10T22:01:00Z');
    await waitFor(() => pulsesOf('refl-sms-1', 2).length === 5, "day 2's pulse to all five");
    const pulse2 = pulseText('Walks', 2, { responded: 5, done: 5, energySum: 20, energyCount: 5 });
    expect(pulsesOf('refl-sms-1', 2).map((s) => s.body)).toEqual(Array(5).fill(pulse2));
    // No member had more than the pulse from the challenge on any day (the question rides elsewhere).
    for (const id of ids)
      expect(
        sent.filter((s) => (s.to as { memberId: string }).memberId === id && s.kind === 'crew_pulse'),
      ).toHaveLength(2);

    await skipTo(t.env, '2027-06-11T22:01:00Z');
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'self-closed');
    // Day 3 had no answers: its pulse is withheld, and a withheld pulse asks for no reflection.
    expect((await handle.query(challengeStateQuery)).pulses.map((p) => p.published)).toEqual([
      true,
      true,
      false,
    ]);
    expect(asked).toEqual([
      { challengeId: 'refl-sms-1', carried: [] },
      { challengeId: 'refl-sms-1', carried: [SHARED.id] },
    ]);
    await captureHistory('crew-reflections-sms', handle);
  });
});
