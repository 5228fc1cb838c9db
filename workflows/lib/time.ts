/**
 * Time-zone maths for workflow code (pure & deterministic: no clock reads, no imports).
 *
 * All instants are epoch milliseconds (UTC). Local dates are "YYYY-MM-DD" strings. Zones are IANA names.
 * Conversions go through Intl.DateTimeFormat (ICU tz data), so DST rules are whatever ICU ships.
 *
 * Local wall-clock times that do not map 1:1 to an instant are resolved like this:
 *  - non-existent (spring-forward gap, e.g. 02:30 America/New_York on 2026-03-08): the instant the wall
 *    clock first reaches a time at or after it, i.e. the transition instant itself (03:00 EDT, NOT 03:30).
 *    This keeps the mapping monotonic: 02:00, 02:30 and 02:59 all become 03:00.
 *  - ambiguous (fall-back overlap, e.g. 01:30 America/New_York on 2026-11-01): the FIRST occurrence (EDT).
 */

export interface HHMM {
  hour: number;
  minute: number;
}

export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
  hour: number; // 0-23
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday … 6 = Saturday
}

const MS_PER_SECOND = 1_000;
const MS_PER_DAY = 86_400_000;

// Formatter construction is relatively expensive; cache one per zone (module state is deterministic).
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // Throws RangeError for unknown zones.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True for IANA zone names known to ICU (e.g. "America/New_York", "UTC"). Raw offsets ("+05:30") are rejected. */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.trim() === '' || /^[+-]/.test(tz)) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Strict "HH:MM" (two digits each, 00:00–23:59) → {hour, minute}, else null. */
export function parseHHMM(s: string): HHMM | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : null;
}

/** Epoch ms of a proleptic-Gregorian UTC date-time (works for all years, unlike Date.UTC for 0–99). */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function assertInstant(ms: number): void {
  if (!Number.isFinite(ms)) throw new RangeError(`Invalid instant: ${ms}`);
}

/** Wall-clock fields of `instantMs` in zone `tz`. */
export function localParts(instantMs: number, tz: string): LocalParts {
  assertInstant(instantMs);
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(instantMs)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  const year = out.year ?? NaN;
  const month = out.month ?? NaN;
  const day = out.day ?? NaN;
  const weekday = new Date(utcMs(year, month, day)).getUTCDay();
  return {
    year,
    month,
    day,
    hour: out.hour ?? NaN,
    minute: out.minute ?? NaN,
    second: out.second ?? NaN,
    weekday,
  };
}

/** The local wall-clock time of an instant, encoded as if it were UTC (seconds precision). */
function wallMs(instantMs: number, tz: string): number {
  const p = localParts(instantMs, tz);
  return utcMs(p.year, p.month, p.day, p.hour, p.minute, p.second);
}

/** UTC offset (ms, local − UTC) in effect at an instant. */
function offsetMs(instantMs: number, tz: string): number {
  return wallMs(instantMs, tz) - Math.floor(instantMs / MS_PER_SECOND) * MS_PER_SECOND;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function formatDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Local calendar date "YYYY-MM-DD" of an instant. */
export function localDate(instantMs: number, tz: string): string {
  const p = localParts(instantMs, tz);
  return formatDate(p.year, p.month, p.day);
}

/** Minutes since local midnight by the wall clock (0–1439), ignoring seconds. */
export function localMinutesOfDay(instantMs: number, tz: string): number {
  const p = localParts(instantMs, tz);
  return p.hour * 60 + p.minute;
}

function parseDate(date: string): { year: number; month: number; day: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const d = new Date(utcMs(year, month, day));
    if (d.getUTCMonth() === month - 1 && d.getUTCDate() === day) return { year, month, day };
  }
  throw new RangeError(`Invalid date (expected YYYY-MM-DD): ${date}`);
}

/** Calendar arithmetic on "YYYY-MM-DD" (no time zones involved). */
export function addDays(date: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`addDays: n must be an integer, got ${n}`);
  const { year, month, day } = parseDate(date);
  const d = new Date(utcMs(year, month, day + n));
  return formatDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function assertHourMinute(hour: number, minute: number): void {
  if (
    !Number.isInteger(hour) ||
    hour < 0 ||
    hour > 23 ||
    !Number.isInteger(minute) ||
    minute < 0 ||
    minute > 59
  ) {
    throw new RangeError(`Invalid local time ${hour}:${minute}`);
  }
}

/**
 * Every instant whose local wall-clock time is exactly date hour:minute:00, ascending:
 * 0 entries in a gap, 2 in an overlap, otherwise 1. Assumes at most one offset change within ±1 day,
 * which holds for all real-world zones.
 */
function zonedCandidates(date: string, hour: number, minute: number, tz: string): number[] {
  assertHourMinute(hour, minute);
  const { year, month, day } = parseDate(date);
  const wall = utcMs(year, month, day, hour, minute);
  const offsets = new Set([
    offsetMs(wall - MS_PER_DAY, tz),
    offsetMs(wall, tz),
    offsetMs(wall + MS_PER_DAY, tz),
  ]);
  const found = new Set<number>();
  for (const o of offsets) {
    const t = wall - o;
    if (wallMs(t, tz) === wall) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

/** For a wall time inside a gap: the first instant at which the wall clock reads >= it (the transition). */
function resolveGap(date: string, hour: number, minute: number, tz: string): number {
  const { year, month, day } = parseDate(date);
  const wall = utcMs(year, month, day, hour, minute);
  const before = offsetMs(wall - MS_PER_DAY, tz);
  const after = offsetMs(wall + MS_PER_DAY, tz);
  if (after <= before) return wall - after; // not a gap (cannot happen for real zones); best effort
  // lo reads < wall, hi reads > wall; binary-search the first second reading >= wall.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > MS_PER_SECOND) {
    const mid = lo + Math.floor((hi - lo) / (2 * MS_PER_SECOND)) * MS_PER_SECOND;
    if (wallMs(mid, tz) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * UTC instant (ms) of local wall-clock `date hour:minute` in `tz`.
 * Gap → transition instant (02:30 on a spring-forward day gives 03:00 new time); overlap → first occurrence.
 */
export function zonedTimeToUtc(date: string, hour: number, minute: number, tz: string): number {
  return zonedCandidates(date, hour, minute, tz)[0] ?? resolveGap(date, hour, minute, tz);
}

/**
 * First instant strictly after `afterMs` whose local time is hh:mm, per zonedTimeToUtc rules — so at most one
 * occurrence per local date (on a fall-back day only the first 01:30 counts; in a gap the transition instant).
 */
export function nextLocalTime(afterMs: number, hhmm: HHMM, tz: string): number {
  assertInstant(afterMs);
  const start = localDate(afterMs, tz);
  for (let k = 0; k < 4; k++) {
    const t = zonedTimeToUtc(addDays(start, k), hhmm.hour, hhmm.minute, tz);
    if (t > afterMs) return t;
  }
  throw new Error(`nextLocalTime: no ${hhmm.hour}:${hhmm.minute} found after ${afterMs} in ${tz}`); // unreachable
}

/** First instant strictly after `afterMs` whose local time is date hh:mm (any occurrence), or the gap transition. */
function firstLocalAfter(
  date: string,
  hour: number,
  minute: number,
  tz: string,
  afterMs: number,
): number | null {
  const cands = zonedCandidates(date, hour, minute, tz);
  const t = cands.length ? cands.find((c) => c > afterMs) : resolveGap(date, hour, minute, tz);
  return t !== undefined && t > afterMs ? t : null;
}

/** Instant of the local midnight that begins the next local day (or the first instant of that day if midnight is skipped). */
export function startOfNextLocalDay(instantMs: number, tz: string): number {
  assertInstant(instantMs);
  const today = localDate(instantMs, tz);
  for (let k = 1; k < 4; k++) {
    const t = firstLocalAfter(addDays(today, k), 0, 0, tz, instantMs);
    if (t !== null) return t;
  }
  throw new Error(`startOfNextLocalDay: no midnight found after ${instantMs} in ${tz}`); // unreachable
}

/**
 * Quiet hours. Returns `instantMs` if its local time is inside the allowed window [start, end), otherwise the
 * next instant at which the local clock reads `start` (today if before start, else tomorrow). Compared at
 * minute precision (20:59:59 is inside a window ending 21:00). A window with start > end wraps midnight
 * (e.g. 22:00–06:00); start == end means "always allowed". Throws on malformed "HH:MM".
 */
export function nextAllowedInstant(
  instantMs: number,
  tz: string,
  window: { start: string; end: string },
): number {
  assertInstant(instantMs);
  const start = parseHHMM(window.start);
  const end = parseHHMM(window.end);
  if (!start || !end) throw new RangeError(`Invalid quiet-hours window ${window.start}–${window.end}`);
  const s = start.hour * 60 + start.minute;
  const e = end.hour * 60 + end.minute;
  const allowedAt = (m: number) => s === e || (s < e ? m >= s && m < e : m >= s || m < e);
  const m = localMinutesOfDay(instantMs, tz);
  if (allowedAt(m)) return instantMs;
  const today = localDate(instantMs, tz);
  // Before start (today's start still ahead) → today; otherwise (at/after end, non-wrapping) → tomorrow.
  // firstLocalAfter also covers the repeated fall-back hour and a start time that falls in a gap. A window that
  // lies wholly inside a spring-forward gap (02:00–02:30 in New York on the change day) does not exist that
  // day: its "transition instant" (03:00) is outside it, so the next day's opening is taken.
  for (let k = m < s ? 0 : 1; k < 5; k++) {
    const t = firstLocalAfter(addDays(today, k), start.hour, start.minute, tz, instantMs);
    if (t !== null && allowedAt(localMinutesOfDay(t, tz))) return t;
  }
  throw new Error(`nextAllowedInstant: no allowed time found after ${instantMs} in ${tz}`); // unreachable
}

/** 0 = Sunday … 6 = Saturday, from a local date "YYYY-MM-DD". */
export function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The Monday that starts the local week of `date`. */
export function weekStartOf(date: string): string {
  return addDays(date, -((weekdayOf(date) + 6) % 7));
}

/** A real calendar date "YYYY-MM-DD" (2026-02-30 is not). */
export function isLocalDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  try {
    return addDays(s, 0) === s;
  } catch {
    return false;
  }
}
