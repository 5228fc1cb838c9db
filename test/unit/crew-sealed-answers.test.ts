/**
 * A crew challenge hands its answers to its next run grouped per member and marked with that member's subject
 * (workflows/crew-challenge/sealed-answers.ts): the new run opens them to exactly the answers handed over, opens
 * plain ones (runs from before) as they are, and drops a group that opened to an erased member's tombstone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openedAnswers, sealedAnswers } from '../../workflows/crew-challenge/sealed-answers.js';

const answers = fc.dictionary(
  fc
    .tuple(fc.constantFrom('m1', 'm2', '5e1f0000-aaaa-4bbb-8ccc-000000000001', 'erased-3'), fc.nat(40))
    .map(([m, d]) => `${m}|${d}`),
  fc.record({ done: fc.boolean(), energy: fc.option(fc.integer({ min: 1, max: 5 })) }),
);
const carried = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;

describe('crew answers carried to the next run', () => {
  it('open to exactly the answers handed over, every member group marked with its subject', () => {
    fc.assert(
      fc.property(answers, (a) => {
        const sealed = sealedAnswers(a);
        for (const [memberId, g] of Object.entries(sealed))
          expect((g as unknown as { subject: string }).subject).toBe(`member:${memberId}`);
        expect(JSON.stringify(sealed)).not.toContain('|');
        expect(openedAnswers(carried(sealed))).toEqual(a);
      }),
    );
  });

  it('plain answers open as they are; an erased member’s group (the tombstone) is dropped', () => {
    const plain = { 'm1|0': { done: true, energy: 4 }, 'm2|0': { done: false, energy: null } };
    expect(openedAnswers(plain)).toEqual(plain);
    const sealed = carried(sealedAnswers(plain));
    sealed.m1 = { subject: 'member:m1', erased: true };
    expect(openedAnswers(sealed)).toEqual({ 'm2|0': { done: false, energy: null } });
  });
});
