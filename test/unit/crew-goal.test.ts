/**
 * The group goal (goal.ts), milestones (milestones.ts) and the opt-in leaderboard (leaderboard.ts), pure:
 * contributions count once per key (bounded FIFO set), `ADD` parsing, milestones fire once whatever the order
 * and grouping of the facts, and leaderboard totals kept incrementally equal the event log's, with a leaver's
 * row removed and nobody else's numbers changed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PulseView } from '../../workflows/crew-challenge/definitions.js';
import {
  applyContribution,
  goalView,
  initialGoalState,
  parseAdd,
  sameUnit,
  SEEN_KEYS_LIMIT,
  validateContribution,
  validateGoal,
  type Contribution,
} from '../../workflows/crew-challenge/goal.js';
import {
  addToTotals,
  leaderboard,
  totalsOf,
  validateAlias,
  type MemberTotal,
} from '../../workflows/crew-challenge/leaderboard.js';
import {
  factsOf,
  heldMilestones,
  recordDue,
  type MilestoneFacts,
  type MilestoneRecord,
} from '../../workflows/crew-challenge/milestones.js';
import { addedText, milestoneText, TEXT_BUDGET_SEGMENTS } from '../../workflows/crew-challenge/texts.js';
import { fieldErrorsOf } from '../../workflows/lib/failures.js';
import { countSegments } from '../../workflows/lib/segments.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return fieldErrorsOf(err)?.[0];
  }
  return undefined;
};

describe('group goal', () => {
  const goal = { target: 200, unit: 'km' };

  it('counts each key once, in hundredths, and reaches the target exactly once', () => {
    const g = initialGoalState();
    const add = (key: string, amount: number, at: number) =>
      applyContribution(
        g,
        goal,
        { memberId: 'm1', key, hundredths: validateContribution(goal, { memberId: 'm1', amount, key }) },
        at,
      );
    expect(add('sms:SM1', 2.5, 1)).toMatchObject({
      counted: true,
      duplicate: false,
      total: 2.5,
      reachedNow: false,
    });
    expect(add('sms:SM1', 2.5, 2)).toMatchObject({ counted: false, duplicate: true, total: 2.5 });
    for (let i = 0; i < 3; i++) expect(add(`api:${i}`, 0.1, 3).counted).toBe(true);
    expect(g.totalHundredths).toBe(280); // 2.5 + 3 × 0.1, no float drift
    expect(add('api:big', 197.2, 4)).toMatchObject({ total: 200, reached: true, reachedNow: true });
    expect(add('api:more', 10, 5)).toMatchObject({ total: 210, reached: true, reachedNow: false });
    expect(goalView(goal, g)).toEqual({
      unit: 'km',
      target: 200,
      total: 210,
      percent: 100,
      reached: true,
      reachedAt: new Date(4).toISOString(),
      contributions: 6,
    });
  });

  it('keeps a bounded set of keys: the oldest is forgotten first', () => {
    const g = initialGoalState();
    for (let i = 0; i <= SEEN_KEYS_LIMIT; i++)
      applyContribution(g, goal, { memberId: 'm', key: `k${i}`, hundredths: 1 }, i);
    expect(g.seenKeys).toHaveLength(SEEN_KEYS_LIMIT);
    expect(g.seenKeys[0]).toBe('k1');
    expect(
      applyContribution(g, goal, { memberId: 'm', key: `k${SEEN_KEYS_LIMIT}`, hundredths: 1 }, 0).duplicate,
    ).toBe(true);
  });

  it('property: however often and in whatever order keys are delivered, the total is the sum of distinct keys', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ key: fc.integer({ min: 0, max: 20 }), amount: fc.integer({ min: 1, max: 500 }) }),
          {
            maxLength: 60,
          },
        ),
        (deliveries) => {
          const g = initialGoalState();
          const first = new Map<number, number>();
          for (const d of deliveries) {
            if (!first.has(d.key)) first.set(d.key, d.amount);
            applyContribution(
              g,
              { target: 1e6, unit: 'km' },
              { memberId: 'm', key: `k${d.key}`, hundredths: d.amount },
              0,
            );
          }
          expect(g.totalHundredths).toBe([...first.values()].reduce((a, b) => a + b, 0));
          expect(g.contributions).toHaveLength(first.size);
        },
      ),
    );
  });

  it('refuses bad goals and contributions, naming the field', () => {
    expect(refusal(() => validateGoal({ target: 0, unit: 'km' }))?.field).toBe('goal.target');
    expect(refusal(() => validateGoal({ target: 1.234, unit: 'km' }))?.field).toBe('goal.target');
    expect(refusal(() => validateGoal({ target: 10, unit: '5k' }))?.field).toBe('goal.unit');
    expect(refusal(() => validateGoal({ target: 60, unit: 'workouts' }))).toBeUndefined();
    const c = { memberId: 'm', amount: 5, key: 'api:x' };
    expect(refusal(() => validateContribution(null, c))?.field).toBe('goal');
    expect(refusal(() => validateContribution(goal, { ...c, amount: -1 }))?.field).toBe('amount');
    expect(refusal(() => validateContribution(goal, { ...c, amount: Number.NaN }))?.field).toBe('amount');
    expect(refusal(() => validateContribution(goal, { ...c, amount: 0.001 }))?.field).toBe('amount');
    expect(refusal(() => validateContribution(goal, { ...c, unit: 'miles' }))?.field).toBe('unit');
    expect(refusal(() => validateContribution(goal, { ...c, key: '' }))?.field).toBe('key');
    expect(validateContribution(goal, { ...c, unit: ' KM ' })).toBe(500);
    expect(sameUnit('workout', 'Workouts')).toBe(true);
    expect(sameUnit('km', 'kms')).toBe(true);
  });

  it('parses ADD by SMS: a number, an optional unit, a decimal point or comma', () => {
    expect(parseAdd('ADD 5')).toEqual({ amount: 5, unit: null });
    expect(parseAdd('add 2.5 km')).toEqual({ amount: 2.5, unit: 'km' });
    expect(parseAdd(' Add 2,5km! ')).toEqual({ amount: 2.5, unit: 'km' });
    expect(parseAdd('ADD 3 workouts')).toEqual({ amount: 3, unit: 'workouts' });
    expect(parseAdd('ＡＤＤ ５')).toEqual({ amount: 5, unit: null }); // full-width
    for (const no of [
      'ADD',
      'ADD five',
      'ADD -3',
      'add 1.234',
      'addition 5',
      'I will ADD 5',
      'ADD 5 km extra stuff here now',
    ])
      expect(parseAdd(no), no).toBeNull();
  });
});

describe('milestones', () => {
  const pulse = (day: number, done: number | null): PulseView =>
    done === null
      ? { day, published: false, figures: null, suppressed: 'below_k' }
      : {
          day,
          published: true,
          figures: { responded: done, done, energyCount: 0, energySum: 0 },
          suppressed: null,
        };

  it('counts published check-ins and the longest run of published days only', () => {
    const pulses = [1, 2, 3, 4, 5, 6, 7, 8].map((d) => pulse(d, d === 4 ? null : 10));
    expect(factsOf(pulses, false)).toEqual({ publishedDone: 70, longestStreak: 4, goalReached: false });
    const week = [1, 2, 3, 4, 5, 6, 7].map((d) => pulse(d, 8));
    expect(heldMilestones(factsOf(week, true))).toEqual(['checkins:50', 'streak:7', 'goal']);
  });

  it('property: over any growing sequence of facts, each milestone is recorded once, and all that held are', () => {
    const step = fc.record({
      done: fc.integer({ min: 0, max: 200 }),
      streak: fc.integer({ min: 0, max: 10 }),
      goal: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const recorded: MilestoneRecord[] = [];
        let f: MilestoneFacts = { publishedDone: 0, longestStreak: 0, goalReached: false };
        for (const s of steps) {
          // Facts only grow; several thresholds may be crossed by one step (two answers at once).
          f = {
            publishedDone: f.publishedDone + s.done,
            longestStreak: f.longestStreak + s.streak,
            goalReached: f.goalReached || s.goal,
          };
          recordDue(f, recorded, 0);
          recordDue(f, recorded, 0); // a replayed or repeated evaluation records nothing new
        }
        const ids = recorded.map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...heldMilestones(f)].sort());
      }),
    );
  });

  it('every milestone text and the ADD answer fit their budget', () => {
    expect(countSegments(addedText(9999.99, 'x'.repeat(20), 999999.99, 1_000_000)).segments).toBe(1);
    for (const id of ['checkins:1000', 'streak:30', 'goal'] as const)
      expect(
        countSegments(milestoneText('x'.repeat(80), id, { target: 1_000_000, unit: 'x'.repeat(20) }))
          .segments,
      ).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
  });
});

describe('leaderboard', () => {
  it('ranks opted-in aliases by total (ties share a rank) and lists each one’s contributions', () => {
    const log: Contribution[] = [
      { memberId: 'a', hundredths: 500, atMs: 1 },
      { memberId: 'b', hundredths: 300, atMs: 2 },
      { memberId: 'c', hundredths: 800, atMs: 3 },
      { memberId: 'b', hundredths: 200, atMs: 4 },
      { memberId: 'd', hundredths: 900, atMs: 5 }, // not opted in: not shown
    ];
    const rows = leaderboard({ a: 'Ant', b: 'Bee', c: 'Cat' }, totalsOf(log), log, () => true);
    expect(rows).toEqual([
      { rank: 1, alias: 'Cat', total: 8, contributions: [{ amount: 8, at: new Date(3).toISOString() }] },
      { rank: 2, alias: 'Ant', total: 5, contributions: [{ amount: 5, at: new Date(1).toISOString() }] },
      {
        rank: 2,
        alias: 'Bee',
        total: 5,
        contributions: [
          { amount: 3, at: new Date(2).toISOString() },
          { amount: 2, at: new Date(4).toISOString() },
        ],
      },
    ]);
  });

  it('property: incremental totals equal the log; a leaver’s row goes and nobody else’s numbers change', () => {
    const members = ['a', 'b', 'c', 'd', 'e'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ m: fc.constantFrom(...members), h: fc.integer({ min: 1, max: 10_000 }) }), {
          maxLength: 80,
        }),
        fc.subarray(members),
        fc.constantFrom(...members),
        (events, optedIn, leaver) => {
          const log: Contribution[] = [];
          const totals: Record<string, MemberTotal> = {};
          for (const [i, e] of events.entries()) {
            const c = { memberId: e.m, hundredths: e.h, atMs: i };
            log.push(c);
            addToTotals(totals, c);
          }
          expect(totals).toEqual(totalsOf(log));
          const aliases = Object.fromEntries(optedIn.map((m) => [m, `Alias ${m}`]));
          const before = leaderboard(aliases, totals, log, () => true);
          // Every row is explained by its contributions.
          for (const r of before)
            expect(Math.round(r.contributions.reduce((s, c) => s + c.amount * 100, 0))).toBe(
              Math.round(r.total * 100),
            );
          const after = leaderboard(aliases, totals, log, (m) => m !== leaver);
          const strip = (rows: typeof before) => rows.map(({ rank: _, ...r }) => r);
          expect(strip(after)).toEqual(strip(before).filter((r) => r.alias !== `Alias ${leaver}`));
        },
      ),
    );
  });

  it('aliases: 2–24 characters, no phone number, unique in the challenge', () => {
    expect(validateAlias('  Road Runner ', 'a', {})).toBe('Road Runner');
    expect(refusal(() => validateAlias('x', 'a', {}))?.field).toBe('alias');
    expect(refusal(() => validateAlias('me@example.com', 'a', {}))?.field).toBe('alias');
    expect(refusal(() => validateAlias('Call 555 0100', 'a', {}))?.message).toBe(
      'must not contain a phone number',
    );
    expect(refusal(() => validateAlias('road runner', 'a', { b: 'Road Runner' }))?.message).toBe(
      'is already taken in this challenge',
    );
    expect(validateAlias('Road Runner', 'b', { b: 'Road Runner' })).toBe('Road Runner'); // their own
  });
});
