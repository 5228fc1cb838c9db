/**
 * Nothing in a crew challenge's history says what an erased member did (README "Privacy", issue 12), on the
 * time-skipping server with the payload codec over an in-memory key store. Six members with a group goal answer
 * every day; m1 contributes by `ADD` text twice (each owed a reply) and m2 by API, each update marked as the API
 * marks it (api/crew-add.ts, api/routes/crews.ts); the challenge continues as new after each day (forced), so the
 * answers, contributions, totals, question progress and released pulse cells travel in its state; then m1 is
 * erased (`memberErased`: the challenge drops them and continues as new). Every run's history, decoded as after
 * m1's key was destroyed, holds no contribution amount of theirs, no crew total just after theirs, no answered
 * day tied to their id (no `m1|<day>` cell or key, no update answer about them), no running total, question
 * progress or owed reply under their id: only their membership (id and zone) and tombstones. m2's record still
 * opens. Captures the second run (it opens the per-member records it was handed, takes contributions, receives
 * the erasure and hands on the state without m1) as `crew-challenge-sealed-goal` for the replay test.
 */
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { SubjectKeyStore } from '../../db/subject-keys.js';
import {
  answerUpdate,
  challengeStateQuery,
  contributeUpdate,
  memberDataQuery,
  memberErasedSignal,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { isErased, markedFor, subjectOf } from '../../workflows/lib/subject.js';
import { captureDecodedHistory } from '../helpers/histories.js';
import { memoryKeys } from '../helpers/memory-keys.js';
import { withSmsBatch } from '../helpers/sms-batch.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

const GONE = 'm1';
/** m1's amounts, their running total, and the crew total just after each of theirs (none is anybody else's). */
const GONE_NUMBERS = [7.25, 725, 1.25, 125, 8.5, 850, 11.5, 1150];
/** Their amounts in a text (`Added 7.25 km`), not inside another number or a timestamp. */
const GONE_TEXT = /(?<![\d.:])(7\.25|1\.25)(?!\d)/;
/** What an object about m1 may hold in a readable payload: their membership, nothing they did. */
const MEMBERSHIP = new Set(['memberId', 'timezone', 'joinedAtMs', 'leftAtMs', 'optedOut']);

const keys = memoryKeys();
const sent: SendSmsInput[] = [];
const activities = withSmsBatch({
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const before = sent.findIndex((s) => s.idempotencyKey === input.idempotencyKey);
    if (before >= 0)
      return { outcome: 'already_sent', messageId: before + 1, providerSid: `SM${before + 1}` };
    sent.push(input);
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
});
const codec = createSubjectCodec(keys);
const t = timeSkippingWorkers(activities, { payloadCodec: codec });
const berlin = 'Europe/Berlin';
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
const ids = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];

function payloadsOf(v: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(v)) for (const x of v) payloadsOf(x, out);
  else if (v && typeof v === 'object') {
    const p = v as Payload;
    if (p.data instanceof Uint8Array && p.metadata) out.push(p);
    else for (const x of Object.values(v)) payloadsOf(x, out);
  }
  return out;
}

/** Every payload of the events, decoded with the key store given (as the codec endpoint would). */
async function opened(store: SubjectKeyStore, events: HistoryEvent[]): Promise<Map<Payload, unknown>> {
  const ps = payloadsOf(events);
  const decoded = await createSubjectCodec(store).decode(ps);
  return new Map(ps.map((p, i) => [p, defaultPayloadConverter.fromPayload(decoded[i]!)]));
}

/** What ties m1 to something they did, anywhere in a decoded value (tombstones are the codec's, not theirs). */
function traces(v: unknown, where: string, out: string[]): void {
  if (isErased(v)) return;
  const aboutGone = (s: string) => s.includes(`${GONE}|`) || s.endsWith(`|${GONE}`);
  if (typeof v === 'string') {
    if (aboutGone(v) || GONE_TEXT.test(v)) out.push(`${where}: ${v}`);
    return;
  }
  if (typeof v === 'number') {
    if (GONE_NUMBERS.includes(v)) out.push(`${where}: ${v}`);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) return v.forEach((x, i) => traces(x, `${where}[${i}]`, out));
  const o = v as Record<string, unknown>;
  if (o.memberId === GONE && Object.keys(o).some((k) => !MEMBERSHIP.has(k)))
    out.push(`${where}: ${JSON.stringify(o)}`);
  for (const [k, x] of Object.entries(o)) {
    if (aboutGone(k)) out.push(`${where}.${k}`);
    // Under their id: their membership entry, a flag about their member workflow, or a tombstone only.
    if (
      k === GONE &&
      !isErased(x) &&
      typeof x !== 'boolean' &&
      (x as { memberId?: unknown })?.memberId !== GONE
    )
      out.push(`${where}.${k}: ${JSON.stringify(x)}`);
    traces(x, `${where}.${k}`, out);
  }
}

/** The answers of updates whose input is m1's (opened to their tombstone) that still open to something else. */
function updateAnswersAboutGone(events: HistoryEvent[], open: Map<Payload, unknown>): unknown[] {
  const theirs = new Set<string>();
  for (const e of events) {
    const a = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    const args = payloadsOf(a?.input?.args).map((p) => open.get(p));
    if (args.some((x) => isErased(x) && x.subject === subjectOf('member', GONE)))
      theirs.add(a!.meta!.updateId!);
  }
  return events
    .map((e) => e.workflowExecutionUpdateCompletedEventAttributes)
    .filter((c) => c && theirs.has(c.meta!.updateId!))
    .flatMap((c) => payloadsOf(c!.outcome).map((p) => open.get(p)))
    .filter((x) => !isErased(x));
}

describe('crew goal and pulses sealed per person', () => {
  it('after one member’s erasure, no history says what they contributed, which days they answered, or what they are owed', async () => {
    await skipTo(t.env, '2027-06-06T12:00:00Z');
    const input: CrewChallengeInput = {
      challengeId: 'seal-crew-goal',
      crewId: 'crew-seal-goal',
      title: 'Walks',
      days: 3,
      startDate: '2027-06-07',
      timezone: berlin,
      minSize: 3,
      k: 5,
      members: ids.map((memberId) => ({ memberId, timezone: berlin })),
      goal: { target: 100, unit: 'km' },
      continueAsNewEveryDays: 1,
    };
    const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [input],
    });
    const current = () => t.env.client.workflow.getHandle<typeof crewChallengeWorkflow>(handle.workflowId);
    // Marked as the API marks them (api/routes/crews.ts, api/crew-add.ts).
    const answer = (memberId: string, localDate: string) =>
      current().executeUpdate(answerUpdate, {
        args: [markedFor('member', memberId, { memberId, localDate, done: true, energy: 4 })],
      });
    const contribute = (memberId: string, amount: number, key: string) =>
      current().executeUpdate(contributeUpdate, {
        args: [markedFor('member', memberId, { memberId, amount, unit: null, key })],
      });
    const added = (memberId: string) =>
      sent.filter((s) => s.kind === 'crew_added' && (s.to as { memberId: string }).memberId === memberId);

    // Each day closes at its Berlin end plus the 24 h grace (day 1: 2027-06-08T22:00Z), and a new run follows.
    // Each day closes at its Berlin end plus the 24 h grace (day 1: 2027-06-08T22:00Z), and a new run follows.
    // Day 1: m1 adds 7.25 km by text (a reply is owed), m2 3 km by API; all six answer days 1 and 2.
    await skipTo(t.env, '2027-06-07T18:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
    expect(await contribute(GONE, 7.25, 'sms:SMA0001')).toMatchObject({ counted: true, total: 7.25 });
    expect(await contribute('m2', 3, 'api:seal-goal-1')).toMatchObject({ counted: true, total: 10.25 });
    for (const id of ids) await answer(id, '2027-06-07');
    await waitFor(() => added(GONE).length === 1, "m1's ADD reply");
    await skipTo(t.env, '2027-06-08T18:00:00Z');
    for (const id of ids) await answer(id, '2027-06-08');

    // Day 1's pulse publishes, then the second run; m1 adds 1.25 km more there, m2 2 km; all answer day 3.
    const firstRun = handle.firstExecutionRunId;
    await skipTo(t.env, '2027-06-08T22:01:00Z');
    await waitFor(async () => (await current().describe()).runId !== firstRun, 'the second run');
    const secondRun = (await current().describe()).runId;
    // The new run opened m1's sealed record: their contributions and answers are theirs again (their export).
    const theirs = await current().query(memberDataQuery, GONE);
    expect(theirs?.contributions).toEqual({ total: 7.25, count: 1 });
    expect(theirs?.answers.map((a) => a.day)).toEqual([1, 2]);
    expect(await contribute(GONE, 1.25, 'sms:SMA0002')).toMatchObject({ counted: true, total: 11.5 });
    expect(await contribute('m2', 2, 'api:seal-goal-2')).toMatchObject({ counted: true, total: 13.5 });
    await waitFor(() => added(GONE).length === 2, "m1's second ADD reply");
    await skipTo(t.env, '2027-06-09T12:00:00Z');
    for (const id of ids) await answer(id, '2027-06-09');

    // m1 is erased: the challenge drops them and continues as new (then their key would be destroyed).
    await current().signal(memberErasedSignal, { memberId: GONE });
    await waitFor(async () => (await current().describe()).runId !== secondRun, 'the run without m1');
    const thirdRun = (await current().describe()).runId;
    expect(await current().query(memberDataQuery, GONE)).toBeNull();
    // Day 2 decided (2027-06-09T22:00Z): a fourth run decides day 3 and completes.
    await skipTo(t.env, '2027-06-09T22:01:00Z');
    await waitFor(async () => (await current().describe()).runId !== thirdRun, 'the fourth run');
    const fourthRun = (await current().describe()).runId;
    await skipTo(t.env, '2027-06-11T00:00:00Z');
    await waitFor(async () => (await current().describe()).status.name === 'COMPLETED', 'completed');
    const view = await current().query(challengeStateQuery);
    // Day 1's published figures still count m1; the goal's total still holds their 8.5 km.
    expect(view.pulses.map((p) => [p.published, p.figures?.responded ?? null])).toEqual([
      [true, 6],
      [true, 5],
      [true, 5],
    ]);
    expect(view.goal).toMatchObject({ total: 13.5, contributions: 2 });

    const events: HistoryEvent[] = [];
    for (const runId of [firstRun, secondRun, thirdRun, fourthRun])
      events.push(
        ...((await t.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? []),
      );

    // With every key, m1's contributions and answers are there (what the erasure must remove is really held).
    const all = await opened(keys, events);
    const withKeys: string[] = [];
    traces([...all.values()], 'history', withKeys);
    expect(withKeys.some((x) => x.includes('7.25'))).toBe(true);
    expect(withKeys.some((x) => x.endsWith(': 11.5'))).toBe(true);
    expect(withKeys.some((x) => x.includes('.perMember.m1:'))).toBe(true);

    // As after m1's erasure: not one trace of what they did; their update answers are tombstones too.
    const afterGone = await opened(keys.without(subjectOf('member', GONE)), events);
    const left: string[] = [];
    traces([...afterGone.values()], 'history', left);
    expect(left).toEqual([]);
    expect(updateAnswersAboutGone(events, afterGone)).toEqual([]);
    // m2's record still opens: their contributions (300 and 200 hundredths) travel on; the state handed over
    // before m1's erasure holds their record as a tombstone, the one after it nothing of them.
    const handed = [...afterGone.values()]
      .map((v) => (v as { state?: { perMember?: Record<string, unknown> } } | null)?.state?.perMember)
      .filter((p) => p !== undefined);
    expect(handed[0]!.m1).toEqual({ subject: 'member:m1', erased: true });
    expect(handed.at(-1)!.m1).toBeUndefined();
    expect(handed.at(-1)!.m2).toMatchObject({
      contributions: [{ hundredths: 300 }, { hundredths: 200 }],
      total: { hundredths: 500, count: 2 },
    });

    await captureDecodedHistory(
      'crew-challenge-sealed-goal',
      t.env.client.workflow.getHandle(handle.workflowId, secondRun),
      codec,
    );
  }, 300_000);
});
