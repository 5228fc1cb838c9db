/**
 * The pulse text carrying a reflection (pure): always within the 2-segment budget, always the whole pulse first,
 * the note shortened (never the pulse) — or no note at all when it could not keep a few characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countSegments } from '../../workflows/lib/segments.js';
import { pulseBodies } from '../../workflows/crew-challenge/reflections-sms.js';
import {
  pulseText,
  pulseWithReflectionText,
  REFLECTION_LEAD,
  TEXT_BUDGET_SEGMENTS,
} from '../../workflows/crew-challenge/texts.js';

const pulse = pulseText('30 days of 10-minute walks', 12, {
  responded: 9,
  done: 7,
  energyCount: 6,
  energySum: 21,
});

describe('the pulse text with a reflection', () => {
  it('fits the budget, keeps the pulse whole and a short note whole', () => {
    expect(pulseWithReflectionText(pulse, 'Rain, but done')).toBe(
      `${pulse} ${REFLECTION_LEAD} "Rain, but done"`,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 1000, unit: 'grapheme' }), (note) => {
        const text = pulseWithReflectionText(pulse, note);
        if (text === null) return;
        expect(countSegments(text).segments).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
        expect(text.startsWith(`${pulse} ${REFLECTION_LEAD} "`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a long note is shortened; one that turns the text to UCS-2 and cannot keep 12 characters is not carried', () => {
    const long = pulseWithReflectionText(pulse, 'walked '.repeat(100))!;
    expect(countSegments(long).segments).toBe(2);
    expect(long.endsWith('...')).toBe(true);
    expect(pulseWithReflectionText(pulse, '😀'.repeat(50))).toBeNull();
  });

  it('each member gets it only with consent and not as its author; a reflection is carried once', () => {
    const s = { stored: 1, carried: [] as string[] };
    const found = { reflection: { id: 'r1', memberId: 'a', text: 'Lovely walk' }, recipients: ['a', 'b'] };
    const body = pulseBodies(s, pulse, found);
    expect([body('a'), body('b'), body('c')]).toEqual([
      pulse,
      `${pulse} ${REFLECTION_LEAD} "Lovely walk"`,
      pulse,
    ]);
    expect(s.carried).toEqual(['r1']);
    expect(pulseBodies(s, pulse, found)('b')).toBe(pulse);
  });
});
