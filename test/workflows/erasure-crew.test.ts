/**
 * Erasure reaches a running crew challenge (issue 12 §2): `memberErased` takes the member's id, zone, answers and
 * contributions out of the state — the pulses already published and the goal's total stay; their released cells
 * leave the ledger, whose figures still count them, so complementary suppression still holds — and the challenge
 * continues as new, so the new run's history (its input included) never names them. Pure rules, then the
 * workflow on the time-skipping server.
 */
import { describe, expect, it } from 'vitest';
import {
  answerUpdate,
  challengeStateQuery,
  memberDataQuery,
  memberErasedSignal,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { eraseFromChallenge, holdsMember, inputWithout } from '../../workflows/crew-challenge/erasure.js';
import { decideRelease, lostCells, type PulseAnswer } from '../../workflows/crew-challenge/pulse.js';
import { answersOfDay, summaryTotals } from '../../workflows/crew-challenge/rules.js';
import { initialState, withExtensions, type FullState } from '../../workflows/crew-challenge/state.js';
import { summaryText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { fakeOutbox, memberIdOf, withSmsBatch } from '../helpers/sms-batch.js';

const london = 'Europe/London';
const GONE = 'erased-member-7f3c';
const stay = ['m1', 'm2', 'm3', 'm4', 'm5'];

function stateWith(members: string[], k = 5): { input: CrewChallengeInput; s: FullState } {
  const input: CrewChallengeInput = {
    challengeId: 'c',
    crewId: 'crew',
    title: 'Walk',
    days: 3,
    startDate: '2027-09-06',
    timezone: london,
    minSize: 3,
    k,
    members: members.map((memberId) => ({ memberId, timezone: memberId === GONE ? 'Asia/Tokyo' : london })),
    goal: { target: 100, unit: 'km' },
  };
  const s = withExtensions(input, initialState(input, 0));
  s.status = 'active';
  return { input, s };
}

/** Every member answers `day`; the day's pulse is decided against the ledger and recorded as the workflow does. */
function decideDay(s: FullState, day: number, who: string[]): void {
  for (const m of who) s.answers[`${m}|${day}`] = { done: true, energy: 3 };
  const d = decideRelease(`day:${day + 1}`, answersOfDay(s, day), s.ledger, s.k);
  s.pulses[day] = d.published
    ? { day: day + 1, published: true, figures: d.release.figures, suppressed: null }
    : { day: day + 1, published: false, figures: null, suppressed: d.reason };
  if (d.published) s.ledger.push(d.release);
}

describe('eraseFromChallenge (pure)', () => {
  it('removes the id, zone, answers and contributions everywhere; the ledger keeps counting them', () => {
    const { input, s } = stateWith([...stay, GONE]);
    decideDay(s, 0, [...stay, GONE]);
    s.answers[`${GONE}|1`] = { done: false, energy: 1 };
    s.aliases[GONE] = 'Speedy';
    s.totals[GONE] = { hundredths: 500, count: 1 };
    s.goal!.contributions.push({ memberId: GONE, hundredths: 500, atMs: 1 });
    s.goal!.totalHundredths = 500;
    s.addReplies.push({ key: 'sms:X', memberId: GONE, body: 'Added 5 km' });
    s.sms = {
      asked: { [GONE]: 2, m1: 2 },
      pendingReplies: [{ inboundId: 1, body: 'yes', receivedAtMs: 1, memberId: GONE }],
      recentInboundIds: [],
    };
    s.ridden = {
      enrolled: { [GONE]: true, m1: true },
      selfAsked: { [GONE]: true },
      pending: [],
      keys: [`sms:1|${GONE}`, 'sms:2|m1'],
      unreached: { [GONE]: true },
    };

    expect(eraseFromChallenge(s, GONE)).toBe(true);
    expect(JSON.stringify(s)).not.toContain(GONE);
    expect(JSON.stringify(s)).not.toContain('Asia/Tokyo');
    expect(JSON.stringify(inputWithout(input, GONE))).not.toContain(GONE);
    expect(Object.keys(s.members).sort()).toEqual(stay);
    // Published figures and the goal's total stay; no pseudonym stands for them (the next run would show it
    // right after their erasure); day 1's release lists five cells for the six it counts.
    expect(s.pulses[0]).toMatchObject({ published: true, figures: { responded: 6 } });
    expect(s.goal!.totalHundredths).toBe(500);
    expect(s.goal!.contributions).toEqual([]);
    expect(JSON.stringify(s)).not.toContain('erased-');
    expect(s.ledger[0]!.cells).toHaveLength(5);
    expect(s.ledger[0]!.figures.responded).toBe(6);
    expect(lostCells(s.ledger[0]!)).toBe(true);
    expect(s.sms.asked).toEqual({ m1: 2 });
    expect(s.ridden.keys).toEqual(['sms:2|m1']);
    // Nothing left to erase: a repeated signal changes nothing.
    const before = JSON.stringify(s);
    expect(holdsMember(s, GONE)).toBe(false);
    expect(eraseFromChallenge(s, GONE)).toBe(false);
    expect(JSON.stringify(s)).toBe(before);
  });

  it('two erased members: both leave the ledger, and a release over the rest of its cells is withheld', () => {
    const { s } = stateWith([...stay, GONE, 'second-gone']);
    decideDay(s, 0, [...stay, GONE, 'second-gone']);
    eraseFromChallenge(s, GONE);
    eraseFromChallenge(s, 'second-gone');
    expect(s.ledger[0]!.cells).toEqual(stay.map((m) => `${m}|0`));
    const again: PulseAnswer[] = stay.map((memberId) => ({ memberId, day: 0, done: true, energy: 3 }));
    expect(decideRelease('again', again, s.ledger, 5)).toMatchObject({
      published: false,
      reason: 'difference_below_k',
    });
  });

  it('a later release cannot be subtracted to isolate what the erased member answered', () => {
    // Day 1 was published with six members. Without counting the cells it lost, the end total over the five left
    // would be published too, and "sum of the days − total" would be the erased member's own answer.
    const { s } = stateWith([...stay, GONE]);
    decideDay(s, 0, [...stay, GONE]);
    eraseFromChallenge(s, GONE);
    decideDay(s, 1, stay);
    decideDay(s, 2, stay);
    const totals = summaryTotals(s, 3, 5);
    expect(totals.release).toBeNull();
    // The summary reports the published days ("at least"): the published aggregates stay aggregates.
    expect(totals).toMatchObject({ responded: 16, done: 16, atLeast: true, publishedDays: 3 });

    // The same crew without anybody erased: the total is published as before.
    const { s: plain } = stateWith(stay);
    for (const d of [0, 1, 2]) decideDay(plain, d, stay);
    expect(summaryTotals(plain, 3, 5)).toMatchObject({ responded: 15, atLeast: false });
  });

  it('a pulse that differs from an earlier one only by the erased member is withheld', () => {
    // Day 1 published 6 (5 + the erased); a later release over the same 5 members' day-1 cells would differ by
    // the erased member's cell alone.
    const { s } = stateWith([...stay, GONE]);
    decideDay(s, 0, [...stay, GONE]);
    eraseFromChallenge(s, GONE);
    const again: PulseAnswer[] = stay.map((memberId) => ({ memberId, day: 0, done: true, energy: 3 }));
    expect(decideRelease('again', again, s.ledger, 5)).toMatchObject({
      published: false,
      reason: 'difference_below_k',
    });
  });
});

const outbox = fakeOutbox((input) => ({
  key: input.idempotencyKey,
  memberId: memberIdOf(input),
  kind: input.kind,
}));
const { sent } = outbox;
const activities = withSmsBatch({ sendSms: outbox.sendSms });

const t = timeSkippingWorkers(activities);

/**
 * A run's history as text: its JSON (ids, types) and every payload's bytes as UTF-8 (the time-skipping workers use
 * the plain JSON converter). The history's own JSON shows payloads only as base64.
 */
async function historyText(workflowId: string, runId: string): Promise<string> {
  const history = await t.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const texts = [JSON.stringify(history)];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) texts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history.events);
  return texts.join('\n');
}

describe('crew challenge: an erased member', () => {
  it('leaves the state and the next run; published pulses stay; the summary never isolates them', async () => {
    await skipTo(t.env, '2027-09-01T12:00:00Z');
    const input: CrewChallengeInput = {
      challengeId: 'erase-1',
      crewId: 'crew-erase-1',
      title: 'Walk',
      days: 3,
      startDate: '2027-09-06',
      timezone: london,
      minSize: 3,
      k: 5,
      members: [...stay, GONE].map((memberId) => ({ memberId, timezone: london })),
    };
    const handle = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [input],
    });
    const current = () => t.env.client.workflow.getHandle<typeof crewChallengeWorkflow>(handle.workflowId);
    const answer = (memberId: string, localDate: string) =>
      current().executeUpdate(answerUpdate, { args: [{ memberId, localDate, done: true, energy: 4 }] });

    // Day 1: all six answer; it is decided at 2027-09-07T23:00Z (London end + 24 h grace) and published.
    await skipTo(t.env, '2027-09-06T10:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
    for (const m of [...stay, GONE]) await answer(m, '2027-09-06');
    await skipTo(t.env, '2027-09-08T10:00:00Z');
    await waitFor(
      async () => (await current().query(challengeStateQuery)).pulses.length === 1,
      'day 1 decided',
    );
    // Day 3's answer of the member about to be erased, then the erasure.
    await answer(GONE, '2027-09-08');
    const firstRun = (await current().describe()).runId;
    // Their answer in a payload of the first run (not only a workflow id naming them).
    expect(await historyText(handle.workflowId, firstRun)).toContain(`"memberId":"${GONE}","localDate"`);
    await current().signal(memberErasedSignal, { memberId: GONE });
    await waitFor(async () => (await current().describe()).runId !== firstRun, 'the run without them');

    const secondRun = (await current().describe()).runId;
    const view = await current().query(challengeStateQuery);
    expect(view.memberCount).toBe(5);
    expect(view.pulses[0]).toMatchObject({ day: 1, published: true, figures: { responded: 6 } });
    expect(await current().query(memberDataQuery, GONE)).toBeNull();
    expect(await historyText(handle.workflowId, secondRun)).not.toContain(GONE);
    // An answer for them is refused now: they are not in the challenge.
    await expect(answer(GONE, '2027-09-08')).rejects.toThrow();

    // Days 2 and 3: the five left answer; both pulses publish (five members each).
    for (const m of stay) await answer(m, '2027-09-07');
    for (const m of stay) await answer(m, '2027-09-08');
    await skipTo(t.env, '2027-09-12T00:00:00Z');
    await waitFor(
      async () => (await current().query(challengeStateQuery)).status === 'completed',
      'completed',
    );
    const done = await current().query(challengeStateQuery);
    expect(done.pulses.map((p) => [p.day, p.published, p.figures?.responded ?? null])).toEqual([
      [1, true, 6],
      [2, true, 5],
      [3, true, 5],
    ]);
    // The total over the five left would differ from the published days by the erased member's cell alone:
    // the summary reports the published days, "at least".
    expect(done.summary).toBe(
      summaryText('Walk', 3, { done: 16, responded: 16, atLeast: true, publishedDays: 3 }),
    );
    expect(await historyText(handle.workflowId, (await current().describe()).runId)).not.toContain(GONE);
    // The summary went to the five left only.
    expect(
      sent
        .filter((s) => s.kind === 'crew_summary')
        .map((s) => s.memberId)
        .sort(),
    ).toEqual(stay);
    // The run that received the erasure and continued as new without them (the replay test runs its handler).
    await captureHistory(
      'crew-challenge-erased',
      t.env.client.workflow.getHandle(handle.workflowId, firstRun),
    );
  }, 600_000);
});
