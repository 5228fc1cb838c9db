/**
 * The accept-by clock of an offer pauses during the mentor's quiet hours (21:00–08:00 local by default): an
 * offer made at 20:00 with 72 h to answer counts one hour that evening, then resumes at 08:00. Pure.
 */
import { localMinutesOfDay, nextLocalTime } from '../lib/time.js';

export const OFFER_QUIET_HOURS = { start: { hour: 21, minute: 0 }, end: { hour: 8, minute: 0 } } as const;

const inQuiet = (ms: number, tz: string): boolean => {
  const m = localMinutesOfDay(ms, tz);
  const s = OFFER_QUIET_HOURS.start.hour * 60 + OFFER_QUIET_HOURS.start.minute;
  const e = OFFER_QUIET_HOURS.end.hour * 60 + OFFER_QUIET_HOURS.end.minute;
  return m >= s || m < e;
};

/** The instant at which `countedMs` of the mentor's waking time has passed since `startMs`. */
export function afterWakingTime(startMs: number, countedMs: number, tz: string): number {
  let cursor = startMs;
  let left = countedMs;
  // Each pass consumes one waking stretch or skips one quiet stretch: bounded by days of the window.
  for (let i = 0; i < 1000; i++) {
    if (inQuiet(cursor, tz)) {
      cursor = nextLocalTime(cursor, OFFER_QUIET_HOURS.end, tz);
      continue;
    }
    const quietAt = nextLocalTime(cursor, OFFER_QUIET_HOURS.start, tz);
    if (cursor + left <= quietAt) return cursor + left;
    left -= quietAt - cursor;
    cursor = quietAt;
  }
  throw new Error('afterWakingTime: window too long');
}
