import { describe, expect, it } from 'vitest';
import {
  adherence,
  consecutiveMisses,
  progressOf,
  riskLevel,
  type DayOutcome,
} from '../../workflows/member/risk.js';

const days = (start: string, statuses: DayOutcome['status'][]): DayOutcome[] =>
  statuses.map((status, i) => {
    const d = new Date(`${start}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + i);
    return { localDate: d.toISOString().slice(0, 10), status };
  });

describe('adherence', () => {
  it('is done ÷ due over the window ending today; rest days are not due', () => {
    const o = days('2027-01-01', ['done', 'missed', 'rest', 'done', 'not_done', 'done', 'done']); // Jan 1–7
    expect(adherence(o, '2027-01-07', 7)).toBeCloseTo(4 / 6);
    expect(adherence(o, '2027-01-07', 3)).toBeCloseTo(2 / 3); // Jan 5–7
    expect(adherence(o, '2026-12-31', 7)).toBeNull();
  });
});

describe('consecutive misses and risk', () => {
  it('counts due days not done back from the latest, skipping rest days', () => {
    expect(consecutiveMisses(days('2027-01-01', ['done', 'missed', 'rest', 'not_done', 'missed']))).toBe(3);
    expect(consecutiveMisses(days('2027-01-01', ['missed', 'done']))).toBe(0);
  });

  it.each([
    [{ adherence7: 1, adherence30: 1, consecutiveMisses: 0, due7: 7 }, 'low'],
    [{ adherence7: 0.6, adherence30: 0.8, consecutiveMisses: 1, due7: 7 }, 'medium'],
    [{ adherence7: 0.9, adherence30: 0.9, consecutiveMisses: 2, due7: 7 }, 'medium'],
    [{ adherence7: 0.9, adherence30: 0.4, consecutiveMisses: 0, due7: 7 }, 'medium'],
    [{ adherence7: 0.5, adherence30: 0.5, consecutiveMisses: 3, due7: 7 }, 'high'],
    [{ adherence7: 0.3, adherence30: 0.6, consecutiveMisses: 1, due7: 5 }, 'high'],
    // Too few due days for a share to count: one bad first day is not a risk, two misses in a row are.
    [{ adherence7: 0, adherence30: 0, consecutiveMisses: 1, due7: 1, due30: 1 }, 'low'],
    [{ adherence7: 0.5, adherence30: 0.5, consecutiveMisses: 1, due7: 2, due30: 2 }, 'low'],
    [{ adherence7: 0, adherence30: 0, consecutiveMisses: 2, due7: 2, due30: 2 }, 'medium'],
    [{ adherence7: 0.66, adherence30: 0.66, consecutiveMisses: 0, due7: 3, due30: 3 }, 'medium'],
    [{ adherence7: 0.9, adherence30: 0.4, consecutiveMisses: 0, due7: 7, due30: 6 }, 'low'],
  ] as const)('%o → %s', (args, level) => {
    expect(riskLevel(args)).toBe(level);
  });

  it('a member who stops replying moves from low to high risk', () => {
    const good = days('2027-02-01', ['done', 'done', 'done', 'done', 'done', 'done', 'done']);
    expect(progressOf(good, '2027-02-07').risk).toBe('low');
    const slipping = [...good, ...days('2027-02-08', ['missed', 'missed', 'missed'])];
    const p = progressOf(slipping, '2027-02-10');
    expect(p.consecutiveMisses).toBe(3);
    expect(p.risk).toBe('high');
    expect(p.adherence.d7).toBeCloseTo(4 / 7);
  });
});
