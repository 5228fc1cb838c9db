/**
 * Crew payloads sealed per person (README "Privacy", issue 12), on the time-skipping server with the payload codec
 * over an in-memory key store: two members choose leaderboard aliases (marked as the API marks them), one writes a
 * reflection that the day's pulse text carries to two crewmates, and the challenge continues as new (forced) with
 * the aliases and the answers in its state (each member's record, carried.ts). Across every run's history: nothing readable raw; decoded as after the author's
 * erasure, neither their alias nor their reflection — not even inside the pulse texts sent to the others (sealed
 * under the author's key too) — while the other member's alias still opens; decoded as after a recipient's
 * erasure, the text sent to them is gone while the other recipient's still opens. Captures the second run (it
 * opens the sealed aliases it was handed, and completes) as `crew-challenge-sealed-aliases` for the replay test.
 */
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type {
  ReflectionForPulseInput,
  ReflectionForPulseResult,
  StoreReflectionInput,
  StoreReflectionResult,
} from '../../activities/crews/reflections.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { SubjectKeyStore } from '../../db/subject-keys.js';
import {
  answerUpdate,
  challengeStateQuery,
  leaderboardAliasUpdate,
  memberDataQuery,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { markedFor, subjectOf } from '../../workflows/lib/subject.js';
import { captureDecodedHistory } from '../helpers/histories.js';
import { memoryKeys } from '../helpers/memory-keys.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { withSmsBatch } from '../helpers/sms-batch.js';

const REFLECTION = 'Rain all day but I still walked past the heron colony';
const ALIAS_1 = 'Night Owl';
const ALIAS_2 = 'Swift Fox';
const keys = memoryKeys();
const sent: SendSmsInput[] = [];
const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push(input);
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async storeCrewReflection(_input: StoreReflectionInput): Promise<StoreReflectionResult> {
    return { stored: true, reflectionId: 'refl-a', status: 'shared' };
  },
  // As the real activity answers: the reflection marked with its author (activities/crews/reflections.ts).
  async reflectionForPulse(input: ReflectionForPulseInput): Promise<ReflectionForPulseResult> {
    return {
      reflection: input.carried.includes('refl-a')
        ? null
        : markedFor('member', 'm1', { id: 'refl-a', memberId: 'm1', text: REFLECTION }),
      recipients: ['m1', 'm2', 'm3'],
    };
  },
};
const codec = createSubjectCodec(keys);
const t = timeSkippingWorkers(withSmsBatch(activities), { payloadCodec: codec });
const berlin = 'Europe/Berlin';
const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];

function payloadsOf(v: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(v)) for (const x of v) payloadsOf(x, out);
  else if (v && typeof v === 'object') {
    const p = v as Payload;
    if (p.data instanceof Uint8Array && p.metadata) out.push(p);
    else for (const x of Object.values(v)) payloadsOf(x, out);
  }
  return out;
}
async function opened(store: SubjectKeyStore, ps: Payload[]): Promise<unknown[]> {
  return (await createSubjectCodec(store).decode(ps)).map((p) => defaultPayloadConverter.fromPayload(p));
}
const text = (vs: unknown[]) => vs.map((v) => JSON.stringify(v)).join('\n');
/** The recipients of pulse texts that still open with the reflection in them (sent alone or in a batch). */
const carriedTo = (vs: unknown[]) =>
  vs
    .flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))
    .filter((v): v is SendSmsInput => (v as { kind?: unknown } | null)?.kind === 'crew_pulse')
    .filter((v) => v.body.includes(REFLECTION))
    .map((v) => (v.to as { memberId: string }).memberId)
    .sort();

describe('crew payloads sealed per person', () => {
  it('aliases and a quoted reflection: gone after the author’s erasure, a text gone after its recipient’s', async () => {
    await skipTo(t.env, '2027-06-06T12:00:00Z');
    const input: CrewChallengeInput = {
      challengeId: 'seal-crew',
      crewId: 'crew-seal',
      title: 'Walks',
      days: 3,
      startDate: '2027-06-07',
      timezone: berlin,
      minSize: 3,
      k: 5,
      members: ids.map((memberId) => ({ memberId, timezone: berlin })),
      continueAsNewEveryDays: 1,
    };
    const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [input],
    });
    // Marked as the API marks them (api/routes/crews.ts).
    const answer = (memberId: string, localDate: string, reflection?: string) =>
      handle.executeUpdate(answerUpdate, {
        args: [markedFor('member', memberId, { memberId, localDate, done: true, energy: 4, reflection })],
      });
    const alias = (memberId: string, a: string) =>
      handle.executeUpdate(leaderboardAliasUpdate, {
        args: [markedFor('member', memberId, { memberId, alias: a })],
      });

    await skipTo(t.env, '2027-06-07T18:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
    expect((await alias('m1', ALIAS_1)).alias).toBe(ALIAS_1);
    expect((await alias('m2', ALIAS_2)).alias).toBe(ALIAS_2);
    await answer('m1', '2027-06-07', REFLECTION);
    for (const id of ids.slice(1)) await answer(id, '2027-06-07');
    await skipTo(t.env, '2027-06-08T18:00:00Z');
    for (const id of ids) await answer(id, '2027-06-08');

    // Day 1's pulse (closing 2027-06-09T22:00Z) carries the reflection to m2 and m3; then a new run.
    const firstRun = handle.firstExecutionRunId;
    await skipTo(t.env, '2027-06-09T22:01:00Z');
    await waitFor(() => sent.filter((s) => s.body.includes(REFLECTION)).length === 2, 'the pulse with it');
    expect(sent.find((s) => s.body.includes(REFLECTION))).toMatchObject({
      alsoAbout: [subjectOf('member', 'm1')],
    });
    await waitFor(async () => (await handle.describe()).runId !== firstRun, 'the second run');
    // The new run opened the sealed aliases it was handed.
    await waitFor(
      async () => (await handle.query(memberDataQuery, 'm1'))?.leaderboardAlias === ALIAS_1,
      "m1's alias in the new run",
    );
    const secondRun = (await handle.describe()).runId;

    const payloads: Payload[] = [];
    for (const runId of [firstRun, secondRun])
      payloadsOf(
        (await t.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events,
        payloads,
      );
    const raw = payloads.map((p) => Buffer.from(p.data!).toString('utf8')).join('\n');
    for (const x of [REFLECTION, ALIAS_1, ALIAS_2]) expect(raw).not.toContain(x);

    const all = await opened(keys, payloads);
    for (const x of [REFLECTION, ALIAS_1, ALIAS_2]) expect(text(all)).toContain(x);
    expect(carriedTo(all)).toEqual(['m2', 'm3']);

    // The answers the first run handed over: in each member's record, sealed with their key (carried.ts).
    expect(raw).not.toContain('"m1|0":{"done"');
    const handed = (vs: unknown[]) =>
      vs
        .map((v) => (v as { state?: { perMember?: Record<string, unknown> } } | null)?.state?.perMember)
        .find((a) => a !== undefined)!;
    expect(handed(all).m1).toMatchObject({
      answers: { 0: { done: true, energy: 4 }, 1: { done: true } },
      alias: ALIAS_1,
    });

    const afterAuthor = await opened(keys.without(subjectOf('member', 'm1')), payloads);
    expect(handed(afterAuthor).m1).toEqual({ subject: 'member:m1', erased: true });
    expect(handed(afterAuthor).m2).toMatchObject({ answers: { 0: { done: true, energy: 4 } } });
    expect(text(afterAuthor)).not.toContain(REFLECTION);
    expect(text(afterAuthor)).not.toContain(ALIAS_1);
    expect(text(afterAuthor)).toContain(ALIAS_2);
    expect(carriedTo(afterAuthor)).toEqual([]);

    const afterRecipient = await opened(keys.without(subjectOf('member', 'm2')), payloads);
    expect(carriedTo(afterRecipient)).toEqual(['m3']);
    expect(text(afterRecipient)).not.toContain(ALIAS_2);
    expect(text(afterRecipient)).toContain(ALIAS_1);

    // The days close (the last two together): the second run, which opened the sealed aliases, completes.
    await skipTo(t.env, '2027-06-10T22:01:00Z');
    await waitFor(
      async () => (await handle.describe()).status.name === 'COMPLETED',
      'the challenge to close',
    );
    expect((await handle.describe()).runId).toBe(secondRun);
    expect((await handle.query(memberDataQuery, 'm2'))?.leaderboardAlias).toBe(ALIAS_2);
    await captureDecodedHistory('crew-challenge-sealed-aliases', handle, codec);
  }, 300_000);
});
