/**
 * "Each guest at HH:MM in their own zone" (pure): the instant a guest's text becomes due, given the campaign's
 * local schedule, the guest's zone and the quiet-hours window that applies to them (marketing, narrowed by
 * regional rules such as Florida's 08:00–20:00). DST-correct through workflows/lib/time.ts: a time inside a
 * spring-forward gap is the transition instant, a repeated fall-back time its first occurrence.
 *
 * - due = HH:MM local on the scheduled date; a campaign that starts late (workers were down) makes it "now";
 * - never outside the campaign's send window nor the guest's quiet hours: moved to the next instant both allow
 *   (the next day's window opening when today's has closed) — held, never dropped.
 */
import type { QuietHoursWindow } from '../lib/compliance.js';
import { nextAllowedInstant, parseHHMM, zonedTimeToUtc } from '../lib/time.js';

export interface LocalSchedule {
  /** The local calendar date, "YYYY-MM-DD". */
  date: string;
  /** The local time, "HH:MM". */
  time: string;
  /** Sends only between these local times (same day, start < end); null/absent = the quiet hours alone. */
  window?: QuietHoursWindow | null;
}

const minutes = (hhmm: string): number => {
  const p = parseHHMM(hhmm);
  if (!p) throw new RangeError(`not "HH:MM": ${hhmm}`);
  return p.hour * 60 + p.minute;
};

/** The intersection of two same-day windows (start < end), or null when they do not overlap. */
export function intersectWindows(a: QuietHoursWindow, b: QuietHoursWindow): QuietHoursWindow | null {
  const start = minutes(a.start) >= minutes(b.start) ? a.start : b.start;
  const end = minutes(a.end) <= minutes(b.end) ? a.end : b.end;
  return minutes(start) < minutes(end) ? { start, end } : null;
}

/** A send window is "HH:MM"–"HH:MM" on one day (start before end). */
export function isSameDayWindow(w: QuietHoursWindow): boolean {
  const s = parseHHMM(w.start);
  const e = parseHHMM(w.end);
  return !!s && !!e && s.hour * 60 + s.minute < e.hour * 60 + e.minute;
}

/**
 * When this guest's text is due (epoch ms). `quiet` is the guest's allowed window for marketing (null = none).
 * When the campaign window and the guest's quiet hours do not overlap at all (the API refuses such windows for
 * the default rules), the quiet hours win: the guest is held for them, never texted inside them.
 */
export function localDueAt(args: {
  schedule: LocalSchedule;
  timezone: string;
  nowMs: number;
  quiet: QuietHoursWindow | null;
}): number {
  const { schedule, timezone, nowMs, quiet } = args;
  const t = parseHHMM(schedule.time);
  if (!t) throw new RangeError(`not "HH:MM": ${schedule.time}`);
  const target = zonedTimeToUtc(schedule.date, t.hour, t.minute, timezone);
  const own = schedule.window ?? null;
  const window = own && quiet ? (intersectWindows(own, quiet) ?? quiet) : (own ?? quiet);
  const at = Math.max(target, nowMs);
  return window ? nextAllowedInstant(at, timezone, window) : at;
}
