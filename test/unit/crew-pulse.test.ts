/**
 * The anonymised crew pulse (workflows/crew-challenge/pulse.ts): k-anonymity and complementary suppression.
 * The property test joins and leaves members and answers at random, asks for every kind of aggregate the product
 * could publish (a day, the running total, a subgroup, a week), replays every release, and finds no pair whose
 * difference describes fewer than k members.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideRelease,
  effectiveK,
  membersOfCells,
  symmetricDifference,
  type PulseAnswer,
  type Release,
} from '../../workflows/crew-challenge/pulse.js';

const answer = (memberId: string, day: number, done = true, energy: number | null = null): PulseAnswer => ({
  memberId,
  day,
  done,
  energy,
});
const crew = (n: number, day: number) => Array.from({ length: n }, (_, i) => answer(`m${i}`, day));

describe('crew pulse: examples', () => {
  it('publishes a day only when at least k members answered', () => {
    expect(decideRelease('day:0', crew(4, 0), [], 5)).toEqual({
      published: false,
      label: 'day:0',
      reason: 'below_k',
    });
    const ok = decideRelease('day:0', [...crew(4, 0), answer('m4', 0, false, 3)], [], 5);
    expect(ok.published && ok.release.figures).toEqual({
      responded: 5,
      done: 4,
      energyCount: 1,
      energySum: 3,
    });
  });

  it('withholds a subgroup whose difference with the crew is one member (subgroup vs crew)', () => {
    const day = decideRelease('day:0', crew(6, 0), [], 5);
    expect(day.published).toBe(true);
    const ledger = [(day as { release: Release }).release];
    const sub = decideRelease('zone:Europe/Berlin:0', crew(5, 0), ledger, 5);
    expect(sub).toMatchObject({ published: false, reason: 'difference_below_k', against: 'day:0' });
  });

  it('withholds a running total that differs from the last one by fewer than k members (a leave and a join)', () => {
    const d0 = decideRelease('total:0', crew(6, 0), [], 5);
    const ledger = [(d0 as { release: Release }).release];
    // Next day only 2 members answer: total:1 minus total:0 would be exactly those 2 answers.
    const t1 = decideRelease('total:1', [...crew(6, 0), answer('m0', 1), answer('m1', 1, false)], ledger, 5);
    expect(t1).toMatchObject({ published: false, reason: 'difference_below_k', against: 'total:0' });
    // With 5 members answering day 1 the difference describes 5 members: published.
    const t1b = decideRelease('total:1', [...crew(6, 0), ...crew(5, 1)], ledger, 5);
    expect(t1b.published).toBe(true);
  });

  it('k is never below 5, and can be raised', () => {
    expect(effectiveK(undefined)).toBe(5);
    expect(effectiveK(2)).toBe(5);
    expect(effectiveK(8)).toBe(8);
  });
});

describe('crew pulse: property', () => {
  /** One simulated day: who joins, who leaves, and each present member's answer (or silence). */
  const dayArb = fc.record({
    joins: fc.integer({ min: 0, max: 3 }),
    leaves: fc.array(fc.nat(), { maxLength: 2 }),
    answers: fc.array(
      fc.option(fc.record({ done: fc.boolean(), energy: fc.option(fc.integer({ min: 1, max: 5 })) })),
      {
        minLength: 20,
        maxLength: 20,
      },
    ),
    /** A subgroup (e.g. a zone): the present members at these positions. */
    subgroup: fc.array(fc.nat(), { maxLength: 12 }),
  });

  it('no two releases ever differ by fewer than k members, whatever joins, leaves and answers', () => {
    let publishedAny = 0;
    let withheldAny = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 7 }),
        fc.integer({ min: 0, max: 12 }),
        fc.array(dayArb, { minLength: 1, maxLength: 14 }),
        (k, initial, days) => {
          let next = 0;
          let present: string[] = Array.from({ length: initial }, () => `m${next++}`);
          const all: PulseAnswer[] = [];
          const ledger: Release[] = [];
          const ask = (label: string, answers: PulseAnswer[]) => {
            const d = decideRelease(label, answers, ledger, k);
            if (d.published) {
              ledger.push(d.release);
              publishedAny++;
            } else withheldAny++;
          };
          days.forEach((spec, day) => {
            for (const l of spec.leaves) if (present.length) present.splice(l % present.length, 1);
            for (let j = 0; j < spec.joins; j++) present.push(`m${next++}`);
            present = present.slice(0, 20);
            const today = present.flatMap((m, i) => {
              const a = spec.answers[i];
              return a ? [answer(m, day, a.done, a.energy)] : [];
            });
            all.push(...today);
            ask(`day:${day}`, today);
            ask(`total:${day}`, [...all]);
            // The running total of the members still present (a leaver's past answers drop out).
            ask(
              `present-total:${day}`,
              all.filter((a) => present.includes(a.memberId)),
            );
            const sub = new Set(spec.subgroup.map((i) => present[i % Math.max(1, present.length)]));
            ask(
              `sub:${day}`,
              today.filter((a) => sub.has(a.memberId)),
            );
            if (day % 7 === 6)
              ask(
                `week:${day}`,
                all.filter((a) => a.day > day - 7),
              );
          });
          // Replay every release ever made: each describes ≥ k members, every pair differs by 0 or ≥ k members.
          for (const r of ledger) expect(membersOfCells(r.cells)).toBeGreaterThanOrEqual(k);
          for (let i = 0; i < ledger.length; i++)
            for (let j = i + 1; j < ledger.length; j++) {
              const diff = membersOfCells(symmetricDifference(ledger[i]!.cells, ledger[j]!.cells));
              expect(diff === 0 || diff >= k, `${ledger[i]!.label} vs ${ledger[j]!.label}: ${diff}`).toBe(
                true,
              );
            }
          // Published figures are exactly the sums over their cells.
          for (const r of ledger) {
            const cells = new Set(r.cells);
            const mine = all.filter((a) => cells.has(`${a.memberId}|${a.day}`));
            expect(r.figures.responded).toBe(mine.length);
            expect(r.figures.done).toBe(mine.filter((a) => a.done).length);
          }
        },
      ),
      { numRuns: 300, seed: 9 },
    );
    // The property is not vacuous: the runs published and withheld aggregates.
    expect(publishedAny).toBeGreaterThan(100);
    expect(withheldAny).toBeGreaterThan(100);
  });
});
