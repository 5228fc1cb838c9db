/**
 * A crew challenge hands its state to its next run with everything about one member in one record marked with
 * their subject (workflows/crew-challenge/carried.ts), so the payload codec seals it with their key. For any
 * state (fast-check): the new run opens it to exactly the state handed over; nothing about a member whose id can
 * be a subject is left outside their record (no answer, alias, total, question progress, contribution, owed ADD
 * reply, answer key or released cell); every member has a record. A record that opens to the codec's tombstone
 * drops that member's data and nobody else's, and the releases that held their cells still count them
 * (complementary suppression never isolates them). States carried the older ways open as they are.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { carriedState, openedState } from '../../workflows/crew-challenge/carried.js';
import type { CrewChallengeInput } from '../../workflows/crew-challenge/definitions.js';
import { cellKey, decideRelease, lostCells } from '../../workflows/crew-challenge/pulse.js';
import {
  initialState,
  withExtensions,
  type ChallengeState,
  type FullState,
} from '../../workflows/crew-challenge/state.js';
import { isSubject } from '../../workflows/lib/subject.js';

const UUID = '5e1f0000-aaaa-4bbb-8ccc-000000000001';
/** Ids that can be a subject, a pseudonym of an older run's erasure, and one that cannot be a subject. */
const SEALABLE = ['m1', 'm2', UUID];
const id = fc.constantFrom(...SEALABLE, 'erased-3', 'not a subject!');
const cell = fc.tuple(id, fc.nat(30)).map(([m, d]) => `${m}|${d}`);
const answer = fc.record({ done: fc.boolean(), energy: fc.option(fc.integer({ min: 1, max: 5 })) });

const input: CrewChallengeInput = {
  challengeId: 'c',
  crewId: 'crew',
  title: 'Walk',
  days: 30,
  startDate: '2027-09-06',
  timezone: 'Europe/London',
  minSize: 3,
  k: 5,
  members: [],
  goal: { target: 100, unit: 'km' },
};

const states = fc
  .record({
    members: fc.uniqueArray(id, { maxLength: 5 }),
    answers: fc.dictionary(cell, answer, { maxKeys: 12 }),
    aliases: fc.dictionary(id, fc.string({ maxLength: 8 })),
    totals: fc.dictionary(id, fc.record({ hundredths: fc.nat(), count: fc.nat(9) })),
    asked: fc.dictionary(id, fc.nat(30)),
    contributions: fc.array(
      fc.record({ memberId: id, hundredths: fc.integer({ min: 1, max: 1_000_000 }), atMs: fc.nat() }),
      { maxLength: 10 },
    ),
    addReplies: fc.array(fc.record({ key: fc.string({ maxLength: 6 }), memberId: id, body: fc.string() }), {
      maxLength: 5,
    }),
    keys: fc.array(
      fc.tuple(fc.string({ maxLength: 6 }), id).map(([k, m]) => `${k}|${m}`),
      { maxLength: 8 },
    ),
    ledger: fc.array(fc.uniqueArray(cell, { maxLength: 8 }), { maxLength: 4 }),
  })
  .map((g): FullState => {
    const s = withExtensions(input, initialState(input, 0));
    for (const memberId of g.members)
      s.members[memberId] = {
        memberId,
        timezone: 'Europe/London',
        joinedAtMs: 0,
        leftAtMs: null,
        optedOut: false,
      };
    s.answers = g.answers;
    s.aliases = g.aliases;
    s.totals = g.totals;
    s.sms = { asked: g.asked, pendingReplies: [], recentInboundIds: [7] };
    s.ridden = { enrolled: {}, selfAsked: {}, pending: [], keys: g.keys };
    s.goal!.contributions = g.contributions;
    s.goal!.totalHundredths = g.contributions.reduce((n, c) => n + c.hundredths, 0);
    s.addReplies = g.addReplies;
    s.ledger = g.ledger.map((cells, i) => {
      const sorted = [...cells].sort();
      return {
        label: `day:${i + 1}`,
        cells: sorted,
        figures: { responded: sorted.length, done: 0, energyCount: 0, energySum: 0 },
      };
    });
    return s;
  });

/** Through JSON, as a continue-as-new input travels (the codec seals and opens marked objects in between). */
const handed = (s: ChallengeState): ChallengeState =>
  JSON.parse(JSON.stringify(carriedState(s))) as ChallengeState;
const memberOf = (cellOrKey: string) => cellOrKey.slice(cellOrKey.lastIndexOf('|') + 1);
const memberOfCell = (c: string) => c.slice(0, c.lastIndexOf('|'));

/** Every member id that the readable part of a carried state ties to data (not membership). */
function readableIds(c: ChallengeState): string[] {
  return [
    ...Object.keys(c.answers).map(memberOfCell),
    ...Object.keys(c.aliases ?? {}),
    ...Object.keys(c.totals ?? {}),
    ...Object.keys(c.sms?.asked ?? {}),
    ...(c.goal?.contributions ?? []).map((x) => x.memberId),
    ...(c.addReplies ?? []).map((x) => x.memberId),
    ...(c.ridden?.keys ?? []).map(memberOf),
    ...c.ledger.flatMap((r) => r.cells.map(memberOfCell)),
  ];
}

/** The state without one member's data (their entry stays: membership is readable), lists in per-member order. */
function without(s: ChallengeState, gone: string | null): ChallengeState {
  const keep = (m: string) => m !== gone;
  const byMember = <T>(xs: T[], m: (x: T) => string) =>
    xs.filter((x) => keep(m(x))).sort((a, b) => (m(a) < m(b) ? -1 : m(a) > m(b) ? 1 : 0));
  const pick = <T>(o: Record<string, T> | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => keep(k)));
  return {
    ...s,
    answers: Object.fromEntries(Object.entries(s.answers).filter(([c]) => keep(memberOfCell(c)))),
    aliases: pick(s.aliases),
    totals: pick(s.totals),
    sms: { ...s.sms!, asked: pick(s.sms!.asked) },
    ridden: { ...s.ridden!, keys: byMember(s.ridden!.keys, memberOf) },
    goal: { ...s.goal!, contributions: byMember(s.goal!.contributions, (x) => x.memberId) },
    addReplies: byMember(s.addReplies ?? [], (x) => x.memberId),
    ledger: s.ledger.map((r) => ({ ...r, cells: r.cells.filter((c) => keep(memberOfCell(c))) })),
  };
}

describe('crew state carried to the next run', () => {
  it('opens to exactly the state handed over; nothing about a member outside their sealed record', () => {
    fc.assert(
      fc.property(states, (s) => {
        const c = handed(s);
        expect(readableIds(c).filter((m) => SEALABLE.includes(m))).toEqual([]);
        const records = c.perMember ?? {};
        for (const [memberId, r] of Object.entries(records)) {
          expect((r as { subject?: unknown }).subject).toBe(`member:${memberId}`);
          expect(isSubject(`member:${memberId}`)).toBe(true);
        }
        for (const memberId of Object.keys(s.members))
          if (SEALABLE.includes(memberId)) expect(records[memberId]).toBeDefined();
        expect(openedState(c)).toEqual(s);
      }),
      { numRuns: 300 },
    );
  });

  it("a tombstoned record drops that member's data only; the releases that held them still count them", () => {
    fc.assert(
      fc.property(states, fc.constantFrom(...SEALABLE), (s, gone) => {
        const c = handed(s);
        if (c.perMember?.[gone]) c.perMember[gone] = { subject: `member:${gone}`, erased: true };
        const opened = openedState(c);
        expect(without(opened, null)).toEqual(without(s, gone));
        s.ledger.forEach((r, i) => {
          const held = r.cells.some((x) => memberOfCell(x) === gone);
          expect(lostCells(opened.ledger[i]!)).toBe(held);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a release that differs from an earlier one only by the tombstoned member is withheld', () => {
    const s = withExtensions(input, initialState(input, 0));
    const six = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    const answers = six.map((memberId) => ({ memberId, day: 0, done: true, energy: 3 }));
    const day1 = decideRelease('day:1', answers, [], 5);
    if (!day1.published) throw new Error('day 1 should publish');
    s.ledger.push(day1.release);
    for (const a of answers) s.answers[cellKey(a)] = { done: true, energy: 3 };
    const c = handed(s);
    c.perMember!.m6 = { subject: 'member:m6', erased: true };
    const opened = openedState(c);
    expect(opened.ledger[0]!.cells).toHaveLength(5);
    const fiveAgain = answers.slice(0, 5);
    expect(decideRelease('again', fiveAgain, opened.ledger, 5)).toMatchObject({
      published: false,
      reason: 'difference_below_k',
    });
  });

  it('states carried the older ways (plain, or answers and aliases sealed on their own) open as they are', () => {
    fc.assert(
      fc.property(states, (s) => {
        const plain = JSON.parse(JSON.stringify(s)) as ChallengeState;
        expect(openedState(plain)).toEqual(s);
      }),
    );
    const older = {
      ...(JSON.parse(JSON.stringify(withExtensions(input, initialState(input, 0)))) as ChallengeState),
      answers: {
        m1: { days: { 0: { done: true, energy: 4 } }, subject: 'member:m1' },
        m2: { subject: 'member:m2', erased: true },
        'erased-1|0': { done: false, energy: null },
      },
      aliases: { m1: { alias: 'Owl', subject: 'member:m1' }, m2: { subject: 'member:m2', erased: true } },
    } as unknown as ChallengeState;
    const opened = openedState(older);
    expect(opened.answers).toEqual({
      'm1|0': { done: true, energy: 4 },
      'erased-1|0': { done: false, energy: null },
    });
    expect(opened.aliases).toEqual({ m1: 'Owl' });
  });
});
