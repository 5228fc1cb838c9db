/**
 * The crew challenge's pure rules (workflows/crew-challenge/rules.ts) and texts: members' local days across DST,
 * the 24 h grace, the self-close instant, the answer validator, the end-summary totals and segment budgets.
 */
import { describe, expect, it } from 'vitest';
import { countSegments } from '../../workflows/lib/segments.js';
import type { CrewChallengeInput } from '../../workflows/crew-challenge/definitions.js';
import {
  daysBetween,
  dayEndMs,
  endsAt,
  pulseCloseAt,
  summaryTotals,
  validateAnswer,
} from '../../workflows/crew-challenge/rules.js';
import { initialState, type ChallengeState } from '../../workflows/crew-challenge/state.js';
import {
  cancelledText,
  extendedText,
  pulseText,
  summaryText,
  TEXT_BUDGET_SEGMENTS,
} from '../../workflows/crew-challenge/texts.js';
import { fieldErrorsOf } from '../../workflows/lib/failures.js';

const input: CrewChallengeInput = {
  challengeId: 'c',
  crewId: 'k',
  title: 'x'.repeat(80),
  days: 30,
  startDate: '2027-03-01',
  timezone: 'America/New_York',
  minSize: 3,
  k: 5,
  members: [
    { memberId: 'ny', timezone: 'America/New_York' },
    { memberId: 'berlin', timezone: 'Europe/Berlin' },
    { memberId: 'auckland', timezone: 'Pacific/Auckland' },
  ],
};
const active = (): ChallengeState => ({ ...initialState(input, 0), status: 'active' });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return fieldErrorsOf(err)?.[0];
  }
  return undefined;
};

describe('crew challenge rules', () => {
  it("each member's day ends at their local midnight, 23 h long on a spring-forward day", () => {
    const s = active();
    expect(daysBetween('2027-03-01', '2027-03-14')).toBe(13);
    // New York's 2027-03-14 (day index 13) ends at 2027-03-15 00:00 EDT = 04:00Z; the 13th's at 05:00Z (EST).
    expect(new Date(dayEndMs(s, 'America/New_York', 13)).toISOString()).toBe('2027-03-15T04:00:00.000Z');
    expect(new Date(dayEndMs(s, 'America/New_York', 12)).toISOString()).toBe('2027-03-14T05:00:00.000Z');
    // A day's pulse waits for the last member's day plus 24 h.
    expect(new Date(pulseCloseAt(s, 0)).toISOString()).toBe('2027-03-03T05:00:00.000Z');
    // It closes itself after the last member's last day plus the grace: 2027-03-31 00:00 EDT + 24 h.
    expect(new Date(endsAt(s, input)!).toISOString()).toBe('2027-04-01T04:00:00.000Z');
  });

  it('accepts an answer for yesterday within the 24 h grace, never after; refuses other days and energy', () => {
    const s = active();
    const at = (iso: string) => Date.parse(iso);
    const a = (localDate: string, extra: object = {}) => ({
      memberId: 'auckland',
      localDate,
      done: true,
      ...extra,
    });
    // Auckland's 2027-03-02 ends at 2027-03-02T11:00Z (NZDT, UTC+13).
    expect(validateAnswer(s, input, a('2027-03-02'), at('2027-03-03T10:59:59Z'))).toBe(1);
    expect(refusal(() => validateAnswer(s, input, a('2027-03-02'), at('2027-03-03T11:00:00Z')))).toEqual({
      field: 'localDate',
      message: 'the 24 h grace for that day has passed',
    });
    expect(refusal(() => validateAnswer(s, input, a('2027-03-05'), at('2027-03-03T10:00:00Z')))?.field).toBe(
      'localDate',
    );
    expect(refusal(() => validateAnswer(s, input, a('2027-02-28'), at('2027-03-01T10:00:00Z')))?.field).toBe(
      'localDate',
    );
    expect(
      refusal(() => validateAnswer(s, input, a('2027-03-02', { energy: 6 }), at('2027-03-02T10:00:00Z')))
        ?.field,
    ).toBe('energy');
    expect(
      refusal(() =>
        validateAnswer(s, input, { ...a('2027-03-02'), memberId: 'nobody' }, at('2027-03-02T10:00:00Z')),
      )?.field,
    ).toBe('memberId');
  });

  it('the end summary reports the full total only when the withheld days describe 0 or ≥ k members', () => {
    const s = active();
    const put = (m: string, day: number, done: boolean) =>
      (s.answers[`${m}|${day}`] = { done, energy: null });
    for (const m of ['a', 'b', 'c', 'd', 'e']) put(m, 0, true);
    put('a', 1, false); // day 2: one answer, withheld
    s.pulses = [
      {
        day: 1,
        published: true,
        figures: { responded: 5, done: 5, energyCount: 0, energySum: 0 },
        suppressed: null,
      },
      { day: 2, published: false, figures: null, suppressed: 'below_k' },
    ];
    s.ledger = [
      { label: 'day:1', cells: ['a|0', 'b|0', 'c|0', 'd|0', 'e|0'], figures: s.pulses[0]!.figures! },
    ];
    const totals = summaryTotals(s, 2, 5);
    // The total over all answers minus day 1 would be a's day-2 answer: only the published days are reported.
    expect(totals).toMatchObject({ done: 5, responded: 5, atLeast: true, publishedDays: 1 });
  });

  it('every text fits its segment budget, even with the longest title', () => {
    const f = { responded: 30, done: 29, energyCount: 30, energySum: 150 };
    for (const text of [
      extendedText(input.title, 29, 30, '2027-12-31'),
      cancelledText(input.title, 'only 29 of the 30 members needed joined'),
      pulseText(input.title, 90, f),
      summaryText(input.title, 90, { done: 2700, responded: 2700, atLeast: true, publishedDays: 90 }),
    ])
      expect(countSegments(text).segments, text).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
  });
});
