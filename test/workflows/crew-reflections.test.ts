/**
 * The crew challenge hands a counted answer's reflection to the store activity (redaction, moderation and the
 * consent check live there: test/api/reflections.test.ts), by API and by SMS; an answer without one, or one not
 * counted, stores nothing. Captures the `crew-reflections` history the replay test runs.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { StoreReflectionInput, StoreReflectionResult } from '../../activities/crews/reflections.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  answerUpdate,
  cancelChallengeSignal,
  challengeStateQuery,
  replySignal,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { CHALLENGE_STATUS_SA, CREW_ID_SA } from '../../workflows/crew-challenge/search-attributes.js';
import { CREW_PULSE_ACCEPTS } from '../../workflows/crew-challenge/sms.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { withSmsBatch } from '../helpers/sms-batch.js';

const sent: SendSmsInput[] = [];
const stored: StoreReflectionInput[] = [];
const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push(input);
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async storeCrewReflection(input: StoreReflectionInput): Promise<StoreReflectionResult> {
    stored.push(input);
    return { stored: true, reflectionId: `r${stored.length}`, status: 'shared' };
  },
});
const t = timeSkippingWorkers(activities);

describe('crew challenge: reflections', () => {
  it('a counted answer with a reflection, by API or SMS, goes to the store activity once', async () => {
    await skipTo(t.env, '2027-05-01T12:00:00Z');
    const berlin = 'Europe/Berlin';
    const input: CrewChallengeInput = {
      challengeId: 'refl-1',
      crewId: 'crew-refl',
      title: 'Walks',
      days: 3,
      startDate: '2027-05-03',
      timezone: berlin,
      minSize: 3,
      k: 5,
      members: ['r1', 'r2', 'r3'].map((memberId) => ({ memberId, timezone: berlin })),
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
    // Day 1, 19:00 Berlin (CEST) = 17:00Z: everyone is asked.
    await skipTo(t.env, '2027-05-03T17:01:00Z');
    await waitFor(() => sent.filter((s) => s.kind === 'crew_ask').length === 3, 'the daily question');

    const answer = (memberId: string, reflection?: string) =>
      handle.executeUpdate(answerUpdate, {
        args: [{ memberId, localDate: '2027-05-03', done: true, energy: 4, reflection }],
      });
    // Each answer (which day they answered) is sealed with the member's key in the history.
    expect(await answer('r1', 'Felt strong, call me on 07700 900123')).toEqual({
      day: 1,
      counted: true,
      subject: 'member:r1',
    });
    expect(await answer('r2')).toEqual({ day: 1, counted: true, subject: 'member:r2' });
    // Not counted (not a member): refused by the validator, nothing stored.
    await expect(answer('stranger', 'hello')).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

    await handle.signal(replySignal, {
      inboundId: 1,
      body: 'Y 5 lovely evening walk',
      receivedAtMs: await t.env.currentTimeMs(),
      accepts: CREW_PULSE_ACCEPTS,
      memberId: 'r3',
    });
    await waitFor(() => stored.length === 2, 'the SMS reflection stored');
    // Marked as the author's personal data: the codec seals it with their key (README "Privacy").
    expect(stored).toEqual([
      {
        challengeId: 'refl-1',
        memberId: 'r1',
        day: 1,
        text: 'Felt strong, call me on 07700 900123',
        subject: 'member:r1',
      },
      { challengeId: 'refl-1', memberId: 'r3', day: 1, text: 'lovely evening walk', subject: 'member:r3' },
    ]);
    expect(sent.filter((s) => s.kind === 'crew_ack')).toHaveLength(1);

    await handle.signal(cancelChallengeSignal, { reason: 'test over' });
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the end');
    expect((await handle.query(challengeStateQuery)).status).toBe('cancelled');
    expect(stored).toHaveLength(2);
    await captureHistory('crew-reflections', handle);
  });
});
