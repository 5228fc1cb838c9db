/**
 * Mentorship sessions, pure: whether a start fits the mentor's weekly availability, the timed events of a
 * booked session (reminders 24 h and 1 h before to both sides, the briefing 2 h before to the mentor, the check
 * after it), and the inactivity clock (30-day nudge, warning 7 days before the 90-day end). The match workflow
 * sleeps until the earliest event not yet done; each event has a business key, so re-arming after a reschedule
 * is a new key (`session:<n>:v<reschedules>:<kind>`).
 */
import { localMinutesOfDay, localParts } from '../lib/time.js';
import type { WeeklyWindow } from './score.js';
import { INACTIVITY_DAYS, SESSION_DEFAULTS, type SessionRole, type SessionStatus } from './values.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface Session {
  number: number;
  startsAtMs: number;
  minutes: number;
  status: SessionStatus;
  /** Times it was moved; part of every event key, so a moved session's reminders are sent again. */
  reschedules: number;
  /** When it was booked or last moved: events due before this are skipped (a session booked 3 h ahead gets no 24 h reminder). */
  armedAtMs: number;
  ratings: Record<SessionRole, number | null>;
  /** Who said it did not happen (0 to the check). */
  noShowReportedBy: SessionRole | null;
}

export type SessionEventKind = 'remind24' | 'briefing' | 'remind1' | 'check';
export interface SessionEvent {
  kind: SessionEventKind;
  session: number;
  atMs: number;
  key: string;
}

const OFFSETS: Record<Exclude<SessionEventKind, 'check'>, number> = {
  remind24: -24 * HOUR,
  briefing: -2 * HOUR,
  remind1: -1 * HOUR,
};

/** The events of one booked session, in time order (none for a cancelled or checked one). */
export function sessionEvents(s: Session): SessionEvent[] {
  if (s.status !== 'scheduled') return [];
  const key = (kind: SessionEventKind) => `session:${s.number}:v${s.reschedules}:${kind}`;
  const before = (Object.keys(OFFSETS) as Array<keyof typeof OFFSETS>)
    .map((kind) => ({ kind, session: s.number, atMs: s.startsAtMs + OFFSETS[kind], key: key(kind) }))
    .filter((e) => e.atMs >= s.armedAtMs);
  return [
    ...before,
    { kind: 'check', session: s.number, atMs: s.startsAtMs + s.minutes * MIN, key: key('check') },
  ];
}

/** The earliest event not done yet across sessions (due or not: the caller compares with now). */
export function nextSessionEvent(sessions: Session[], done: ReadonlySet<string>): SessionEvent | null {
  let best: SessionEvent | null = null;
  for (const s of sessions)
    for (const e of sessionEvents(s)) if (!done.has(e.key) && (best === null || e.atMs < best.atMs)) best = e;
  return best;
}

export type IdleEventKind = 'nudge' | 'warn' | 'end';
export interface IdleEvent {
  kind: IdleEventKind;
  /** When the inactivity clock started (the match's start or the last session's). */
  anchorMs: number;
  atMs: number;
  key: string;
}

/**
 * The inactivity clock runs from the later of the match's start and the last session that started (held, or under way); a booked
 * session still ahead stops it. Returns the next idle event not done yet.
 */
export function nextIdleEvent(
  activeSinceMs: number,
  sessions: Session[],
  nowMs: number,
  done: ReadonlySet<string>,
): IdleEvent | null {
  if (sessions.some((s) => s.status === 'scheduled' && s.startsAtMs > nowMs)) return null;
  const anchor = Math.max(
    activeSinceMs,
    ...sessions
      .filter((s) => (s.status === 'scheduled' || s.status === 'held') && s.startsAtMs <= nowMs)
      .map((s) => s.startsAtMs),
  );
  for (const kind of ['nudge', 'warn', 'end'] as const) {
    const key = `idle:${anchor}:${kind}`;
    if (!done.has(key)) return { kind, anchorMs: anchor, atMs: anchor + INACTIVITY_DAYS[kind] * DAY, key };
  }
  return null;
}

/**
 * Why a session cannot start at `startsAtMs` for `minutes`, or null when it can: far enough ahead, not too far,
 * inside one of the mentor's weekly windows in their zone (a mentor without windows: 08:00–21:00 their time).
 */
export function sessionProblem(
  startsAtMs: number,
  minutes: number,
  nowMs: number,
  availability: readonly WeeklyWindow[],
  mentorTimezone: string,
): string | null {
  if (!Number.isFinite(startsAtMs)) return 'must be an ISO date-time';
  if (startsAtMs < nowMs + SESSION_DEFAULTS.minLeadMinutes * MIN)
    return `must be at least ${SESSION_DEFAULTS.minLeadMinutes} minutes ahead`;
  if (startsAtMs > nowMs + SESSION_DEFAULTS.maxAheadDays * DAY)
    return `must be within ${SESSION_DEFAULTS.maxAheadDays} days`;
  const weekday = localParts(startsAtMs, mentorTimezone).weekday;
  const from = localMinutesOfDay(startsAtMs, mentorTimezone);
  const to = from + minutes;
  const windows = availability.length > 0 ? availability : daytimeEveryDay(weekday);
  const fits = windows.some((w) => w.weekday === weekday && toMin(w.from) <= from && to <= toMin(w.to));
  return fits ? null : "is outside the mentor's availability (their local time)";
}

const toMin = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const daytimeEveryDay = (weekday: number): WeeklyWindow[] => [{ weekday, from: '08:00', to: '21:00' }];

/** A reply to a session check: 1–4 is a rating, 0 (or NO) says it did not happen; anything else is not understood. */
export function parseRating(body: string): number | 'no_show' | null {
  const word = body.trim().toUpperCase();
  const m = /^([0-4])\b/.exec(word);
  if (m) return m[1] === '0' ? 'no_show' : Number(m[1]);
  if (/^(NO|DID NOT|DIDN'T|NOSHOW|NO SHOW|MISSED)\b/.test(word)) return 'no_show';
  return null;
}

/** A reply to the pairing-fit question: YES/FIT → fit, NO/NOT → not a fit. */
export function parseFit(body: string): boolean | null {
  const word = body.trim().toUpperCase();
  if (/^(NOT|NO|N)\b/.test(word)) return false;
  if (/^(YES|Y|FIT|GOOD)\b/.test(word)) return true;
  return null;
}
