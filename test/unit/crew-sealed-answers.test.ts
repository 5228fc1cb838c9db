/**
 * Answers carried the way runs before the per-member records handed them over (workflows/crew-challenge/
 * sealed-answers.ts; the records are crew-carried.test.ts): grouped per member and marked with that member's
 * subject, or plain. The new run opens a grouped form to exactly the answers, opens plain ones as they are, and
 * drops a group that opened to an erased member's tombstone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openedAnswers } from '../../workflows/crew-challenge/sealed-answers.js';

const answers = fc.dictionary(
  fc
    .tuple(fc.constantFrom('m1', 'm2', '5e1f0000-aaaa-4bbb-8ccc-000000000001', 'erased-3'), fc.nat(40))
    .map(([m, d]) => `${m}|${d}`),
  fc.record({ done: fc.boolean(), energy: fc.option(fc.integer({ min: 1, max: 5 })) }),
);

/** The grouped form older runs handed over: `<memberId>` → `{ days: { <day>: answer }, subject }`. */
function grouped(a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, { days: Record<string, unknown>; subject: string }> = {};
  for (const [cell, v] of Object.entries(a)) {
    const i = cell.lastIndexOf('|');
    const m = cell.slice(0, i);
    (out[m] ??= { days: {}, subject: `member:${m}` }).days[cell.slice(i + 1)] = v;
  }
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

describe('crew answers carried by older runs', () => {
  it('the grouped form opens to exactly the answers handed over', () => {
    fc.assert(
      fc.property(answers, (a) => {
        expect(openedAnswers(grouped(a))).toEqual(a);
      }),
    );
  });

  it('plain answers open as they are; an erased member’s group (the tombstone) is dropped', () => {
    const plain = { 'm1|0': { done: true, energy: 4 }, 'm2|0': { done: false, energy: null } };
    expect(openedAnswers(plain)).toEqual(plain);
    const sealed = grouped(plain);
    sealed.m1 = { subject: 'member:m1', erased: true };
    expect(openedAnswers(sealed)).toEqual({ 'm2|0': { done: false, energy: null } });
  });
});
