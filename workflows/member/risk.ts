/**
 * Adherence and risk, from a member's daily outcomes. Pure: used by the API's progress view and by workflows.
 * Rest and paused days are neither due nor missed.
 */
import { addDays } from '../lib/time.js';
import type { RiskChange } from './definitions.js';
import type { CheckInStatus, RiskLevel } from './values.js';

export type DayStatus = CheckInStatus;
export interface DayOutcome {
  localDate: string;
  status: DayStatus;
}
export type { RiskLevel };

/** Share of due days done among the `days` local dates ending with `today`; null when nothing was due. */
export function adherence(outcomes: readonly DayOutcome[], today: string, days: number): number | null {
  const from = addDays(today, -(days - 1));
  const due = outcomes.filter((o) => o.localDate >= from && o.localDate <= today && o.status !== 'rest');
  if (due.length === 0) return null;
  return due.filter((o) => o.status === 'done').length / due.length;
}

/** Due days not done in a row, counting back from the latest (rest days are skipped, not counted). */
export function consecutiveMisses(outcomes: readonly DayOutcome[]): number {
  const sorted = [...outcomes].sort((a, b) => (a.localDate < b.localDate ? 1 : -1));
  let n = 0;
  for (const o of sorted) {
    if (o.status === 'rest') continue;
    if (o.status === 'done') break;
    n++;
  }
  return n;
}

/**
 * high: 3+ due days in a row not done, or under 40 % over the last 7 days;
 * medium: 2 in a row, or under 70 % over 7 days, or under 50 % over 30 days; otherwise low.
 * A share needs enough due days to mean something: 3 in the 7-day window, 7 in the 30-day one — so a new member
 * is not flagged for one bad first day (two misses in a row still are).
 */
export function riskLevel(args: {
  adherence7: number | null;
  adherence30: number | null;
  consecutiveMisses: number;
  due7: number;
  /** Due days in the 30-day window; omitted = enough. */
  due30?: number;
}): RiskLevel {
  const { consecutiveMisses: misses, due7, due30 = Infinity } = args;
  const a7 = due7 >= 3 ? args.adherence7 : null;
  const a30 = due30 >= 7 ? args.adherence30 : null;
  if (misses >= 3 || (a7 !== null && a7 < 0.4)) return 'high';
  if (misses >= 2 || (a7 !== null && a7 < 0.7) || (a30 !== null && a30 < 0.5)) return 'medium';
  return 'low';
}

export function progressOf(outcomes: readonly DayOutcome[], today: string) {
  const a7 = adherence(outcomes, today, 7);
  const a30 = adherence(outcomes, today, 30);
  const a90 = adherence(outcomes, today, 90);
  const dueSince = (from: string) =>
    outcomes.filter((o) => o.localDate >= from && o.localDate <= today && o.status !== 'rest').length;
  const due7 = dueSince(addDays(today, -6));
  const due30 = dueSince(addDays(today, -29));
  const misses = consecutiveMisses(outcomes.filter((o) => o.localDate <= today));
  return {
    adherence: { d7: a7, d30: a30, d90: a90 },
    consecutiveMisses: misses,
    risk: riskLevel({ adherence7: a7, adherence30: a30, consecutiveMisses: misses, due7, due30 }),
  };
}

/** The member's risk as of `today` from its day record; a change from `from` (else null) to publish. */
export function riskChange(
  memberId: string,
  days: readonly DayOutcome[],
  from: RiskLevel,
  today: string,
): RiskChange | null {
  const p = progressOf(days, today);
  if (p.risk === from) return null;
  return {
    memberId,
    from,
    to: p.risk,
    localDate: today,
    adherence7: p.adherence.d7,
    consecutiveMisses: p.consecutiveMisses,
  };
}
