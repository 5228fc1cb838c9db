/**
 * When the member's next thing happens (pure): the next check-in prompt, the nudge after it, the weekly summary,
 * and ONE next-wake computation that picks the next event of the member's process and its time.
 */
import {
  localDate,
  nextAllowedInstant,
  nextLocalTime,
  parseHHMM,
  startOfNextLocalDay,
  weekdayOf,
} from '../lib/time.js';
import type { MemberState } from './state.js';

/** Nudges are never sent outside this local window (TCPA hours), whatever the purpose's default. */
export const NUDGE_WINDOW = { start: '08:00', end: '21:00' } as const;
/** One onboarding reminder this long after the welcome. */
export const ONBOARDING_REMINDER_MS = 24 * 60 * 60 * 1000;
/** A welcome or reminder expects its answer (YES) for this long; later replies go to the member anyway. */
export const CONFIRM_EXPECTED_MS = 7 * 24 * 60 * 60 * 1000;
/** Weekly summary: local Sunday at 18:00. */
export const SUMMARY_WEEKDAY = 0;
export const SUMMARY_TIME = { hour: 18, minute: 0 } as const;
const FALLBACK_CHECK_IN = { hour: 19, minute: 0 } as const;

type PromptInputs = Pick<MemberState, 'timezone' | 'checkInTime' | 'pausedUntil' | 'lastPromptDate'>;

/**
 * The first check-in time strictly after `fromMs`, on a local day that is neither paused nor already prompted
 * (a check-in time moved later today never prompts twice for one day).
 */
export function nextPromptAt(s: PromptInputs, fromMs: number): number {
  const hhmm = parseHHMM(s.checkInTime) ?? FALLBACK_CHECK_IN;
  const skip = (day: string) =>
    (s.pausedUntil != null && day <= s.pausedUntil) || (s.lastPromptDate !== null && day <= s.lastPromptDate);
  let next = nextLocalTime(fromMs, hhmm, s.timezone);
  while (skip(localDate(next, s.timezone))) {
    // From the last instant of that day, so a 00:00 check-in the next day is not skipped.
    next = nextLocalTime(startOfNextLocalDay(next, s.timezone) - 1, hhmm, s.timezone);
  }
  return next;
}

/** The next local Sunday 18:00 strictly after `fromMs`. */
export function nextSummaryAt(timezone: string, fromMs: number): number {
  let t = nextLocalTime(fromMs, SUMMARY_TIME, timezone);
  while (weekdayOf(localDate(t, timezone)) !== SUMMARY_WEEKDAY) t = nextLocalTime(t, SUMMARY_TIME, timezone);
  return t;
}

/**
 * The nudge for a prompt: `afterMinutes` after it, moved into the nudge window, and only before the day ends;
 * null = no nudge that day (or nudges turned off).
 */
export function nudgeAt(
  promptAtMs: number,
  deadlineMs: number,
  timezone: string,
  afterMinutes: number,
): number | null {
  if (afterMinutes <= 0) return null;
  const at = nextAllowedInstant(promptAtMs + afterMinutes * 60_000, timezone, NUDGE_WINDOW);
  return at < deadlineMs ? at : null;
}

/** The events of the member's process, in the order they are handled when due at the same instant. */
export const MEMBER_EVENTS = ['day_end', 'onboarding_reminder', 'nudge', 'weekly_summary', 'prompt'] as const;
export type MemberEvent = (typeof MEMBER_EVENTS)[number];

/**
 * THE next-wake computation: the member's next event and its instant (possibly already past: then it is due
 * now), or null when nothing is scheduled (an erased member; an unconfirmed one already reminded).
 */
export function nextWake(state: MemberState): { event: MemberEvent; atMs: number } | null {
  if (state.status === 'erased') return null;
  const open = state.openPrompt;
  const onboarding = state.status === 'pending_confirmation';
  const at: Record<MemberEvent, number | null> = {
    day_end: open?.deadlineMs ?? null,
    onboarding_reminder:
      onboarding && state.onboarding && !state.onboarding.reminded
        ? state.onboarding.sinceMs + ONBOARDING_REMINDER_MS
        : null,
    nudge: onboarding ? null : (open?.nudgeAtMs ?? null),
    weekly_summary: state.status === 'active' ? state.nextSummaryAtMs : null,
    prompt: onboarding ? null : state.nextPromptAtMs,
  };
  let next: { event: MemberEvent; atMs: number } | null = null;
  for (const event of MEMBER_EVENTS) {
    const t = at[event];
    if (t !== null && (next === null || t < next.atMs)) next = { event, atMs: t };
  }
  return next;
}
