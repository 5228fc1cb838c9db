/**
 * The challenge's batched texts (workflows/crew-challenge/batch.ts), its pure rounds: which texts go in this
 * round's batches and when the next round is, and how a batch's results settle or defer each text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchItemResult } from '../../activities/messaging.js';
import {
  applyResults,
  BATCH_SIZE,
  planRound,
  type PendingText,
} from '../../workflows/crew-challenge/batch.js';
import { MAX_DEFERRALS, type MessageOutcome } from '../../workflows/lib/outbound.js';

const NOW = 1_800_000_000_000;

const pendingArb = fc
  .array(
    fc.record({
      untilMs: fc.oneof(fc.constant(0), fc.integer({ min: NOW - 3_600_000, max: NOW + 3_600_000 })),
      deferrals: fc.integer({ min: 0, max: MAX_DEFERRALS - 1 }),
    }),
    { maxLength: 3 * BATCH_SIZE },
  )
  .map((xs) =>
    fc.shuffledSubarray(
      xs.map((x, index) => ({ ...x, index })),
      { minLength: xs.length },
    ),
  )
  .chain((x) => x);

const resultArb: fc.Arbitrary<BatchItemResult> = fc.oneof(
  fc.constant({ outcome: 'sent', messageId: 1, providerSid: 'SM1' } as const),
  fc.constant({ outcome: 'already_sent', messageId: 1, providerSid: null } as const),
  fc.constant({ outcome: 'dropped', messageId: 1, reason: 'suppressed:opt_out' } as const),
  fc.constant({ outcome: 'failed', reason: 'Provider_invalid_number' } as const),
  fc
    .integer({ min: NOW - 60_000, max: NOW + 86_400_000 })
    .map((untilMs) => ({ outcome: 'deferred', untilMs, reason: 'quiet_hours' }) as const),
);

describe('crew batched texts: a round', () => {
  it('sends every due text exactly once, in input order, in batches of at most BATCH_SIZE', () => {
    fc.assert(
      fc.property(pendingArb, (pending) => {
        const { batches, nextAtMs } = planRound(pending, NOW);
        const flat = batches.flat();
        const due = pending.filter((p) => p.untilMs <= NOW);
        const waiting = pending.filter((p) => p.untilMs > NOW);
        expect(flat.map((p) => p.index)).toEqual(due.map((p) => p.index).sort((a, b) => a - b));
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(BATCH_SIZE);
        }
        expect(nextAtMs).toBe(waiting.length ? Math.min(...waiting.map((p) => p.untilMs)) : null);
      }),
    );
  });

  it('a crew of 10 first asked goes in one batch; 120 texts in three', () => {
    const fresh = (n: number): PendingText[] =>
      Array.from({ length: n }, (_, index) => ({ index, untilMs: 0, deferrals: 0 }));
    expect(planRound(fresh(10), NOW).batches.map((b) => b.length)).toEqual([10]);
    expect(planRound(fresh(120), NOW).batches.map((b) => b.length)).toEqual([50, 50, 20]);
  });
});

describe('crew batched texts: results', () => {
  it('settles each text or defers it to its instant (≥ 1 s ahead), never both, at most MAX_DEFERRALS times', () => {
    fc.assert(
      fc.property(
        pendingArb.chain((batch) =>
          fc.tuple(
            fc.constant(batch),
            fc.array(resultArb, { minLength: batch.length, maxLength: batch.length }),
          ),
        ),
        ([batch, results]) => {
          const outcomes: (MessageOutcome | undefined)[] = [];
          const waiting = applyResults(batch, results, NOW, outcomes);
          batch.forEach((p, i) => {
            const r = results[i]!;
            const w = waiting.find((x) => x.index === p.index);
            if (r.outcome !== 'deferred') {
              expect(outcomes[p.index]).toEqual(r);
              expect(w).toBeUndefined();
            } else if (p.deferrals + 1 >= MAX_DEFERRALS) {
              expect(outcomes[p.index]).toEqual({ outcome: 'failed', reason: 'too_many_deferrals' });
              expect(w).toBeUndefined();
            } else {
              expect(outcomes[p.index]).toBeUndefined();
              expect(w).toEqual({
                index: p.index,
                untilMs: Math.max(NOW + 1_000, r.untilMs),
                deferrals: p.deferrals + 1,
              });
            }
          });
        },
      ),
    );
  });

  it('a missing result is a failure, not a text sent again', () => {
    const outcomes: (MessageOutcome | undefined)[] = [];
    const waiting = applyResults([{ index: 0, untilMs: 0, deferrals: 0 }], [], NOW, outcomes);
    expect(waiting).toEqual([]);
    expect(outcomes[0]).toEqual({ outcome: 'failed', reason: 'no_result' });
  });
});
