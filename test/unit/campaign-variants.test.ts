/** A/B variant assignment (workflows/guest-campaign/variants.ts): stable per guest, split by the weights. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignVariant, splitByWeights, weightsProblem } from '../../workflows/guest-campaign/variants.js';

const weightsArb = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 4 });
const guestIds = (n: number, salt: string) =>
  Array.from({ length: n }, (_, i) => `${salt}-0000-4000-8000-${String(i).padStart(12, '0')}`);

describe('splitByWeights', () => {
  it('property: a 2-variant split on 1,000 guests is within 5 % of its weights (in fact within one guest)', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.integer({ min: 1, max: 99 }),
        fc.stringMatching(/^[0-9a-f]{8}$/),
        (c, a, salt) => {
          const split = splitByWeights(c, guestIds(1000, salt), [a, 100 - a]);
          const first = [...split.values()].filter((v) => v === 0).length;
          expect(Math.abs(first - 10 * a)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: any 2–4 weights, any list size: every variant gets its share to one guest, everyone one variant', () => {
    fc.assert(
      fc.property(fc.uuid(), weightsArb, fc.integer({ min: 0, max: 3000 }), (c, weights, n) => {
        const ids = guestIds(n, 'abcdef01');
        const split = splitByWeights(c, ids, weights);
        expect(split.size).toBe(n);
        const total = weights.reduce((x, y) => x + y, 0);
        weights.forEach((w, i) => {
          const got = [...split.values()].filter((v) => v === i).length;
          expect(Math.abs(got - (n * w) / total)).toBeLessThan(1 + 1e-9);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('property: stable — the same campaign, guests and weights give every guest the same variant, in any order', () => {
    fc.assert(
      fc.property(fc.uuid(), weightsArb, fc.array(fc.uuid(), { maxLength: 200 }), (c, weights, ids) => {
        const unique = [...new Set(ids)];
        const a = splitByWeights(c, unique, weights);
        const b = splitByWeights(c, [...unique].reverse(), weights);
        for (const id of unique) expect(b.get(id)).toBe(a.get(id));
      }),
      { numRuns: 200 },
    );
  });
});

describe('assignVariant (one guest)', () => {
  it('property: stable and in range', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), weightsArb, (c, g, weights) => {
        const v = assignVariant(c, g, weights);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(weights.length);
        expect(assignVariant(c, g, [...weights])).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('a 50/50 and a 30/70 split of 1,000 fixed guests land within 5 % of the weights', () => {
    const ids = guestIds(1000, '12345678');
    for (const [a, b] of [
      [50, 50],
      [30, 70],
    ] as const) {
      const first = ids.filter((g) => assignVariant('3f1c2a4e-0000-4000-8000-000000000000', g, [a, b]) === 0);
      expect(Math.abs(first.length / 1000 - a / 100)).toBeLessThanOrEqual(0.05);
    }
  });

  it('refuses unusable weights', () => {
    expect(weightsProblem([100])).toMatch(/2 to 4/);
    expect(weightsProblem([1, 1, 1, 1, 1])).toMatch(/2 to 4/);
    expect(weightsProblem([50, 0])).toMatch(/whole number/);
    expect(weightsProblem([50, 1.5])).toMatch(/whole number/);
    expect(weightsProblem([50, 50])).toBeNull();
    expect(() => assignVariant('c', 'g', [1])).toThrow(RangeError);
    expect(() => splitByWeights('c', ['g'], [1, 2, 3, 4, 5])).toThrow(RangeError);
  });
});
