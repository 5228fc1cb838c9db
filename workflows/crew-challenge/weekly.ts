/**
 * The weekly challenge text (pure): one on each Monday of the challenge at 09:00 in the crew's zone (the crew's
 * Monday morning), numbered among the challenge's Mondays. It is its own text, not the daily question: it is
 * sent inside the member's 08:00–21:00 local window (held until then otherwise) and only while the challenge is
 * active. Runs with `crew-weekly-ai` only.
 */
import { addDays, weekdayOf, zonedTimeToUtc } from '../lib/time.js';

/** The crew's Monday morning. */
export const WEEKLY_AT = { hour: 9, minute: 0 } as const;

export interface WeeklyDue {
  /** 1-based among the challenge's Mondays. */
  week: number;
  weeks: number;
  /** The local date of that Monday. */
  date: string;
  atMs: number;
}

/** The Mondays among the challenge's days (local dates from `startDate`, `days` long), in order. */
export function mondaysOf(startDate: string, days: number): string[] {
  const first = (8 - weekdayOf(startDate)) % 7; // 0 when the start is a Monday
  const out: string[] = [];
  for (let d = first; d < days; d += 7) out.push(addDays(startDate, d));
  return out;
}

/** The next weekly text after `sent` of them, or null when every Monday has had its text. */
export function nextWeekly(
  startDate: string,
  days: number,
  timezone: string,
  sent: number,
): WeeklyDue | null {
  const mondays = mondaysOf(startDate, days);
  const date = mondays[sent];
  if (date === undefined) return null;
  return {
    week: sent + 1,
    weeks: mondays.length,
    date,
    atMs: zonedTimeToUtc(date, WEEKLY_AT.hour, WEEKLY_AT.minute, timezone),
  };
}
