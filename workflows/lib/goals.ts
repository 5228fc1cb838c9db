/**
 * Goals, cadences, streak rules and the member's SMS texts (pure: used by the member workflow and tests).
 *
 * Cadences:
 *  - daily: due every day;
 *  - weekdays [..]: due on those local weekdays;
 *  - k times a week: due every day of the (Monday-based, local) week until k are done; once the week's target is
 *    met it is not prompted again that week.
 * Streaks count due check-ins done in a row. A "no" or a silent day breaks a daily or weekday goal's streak; a
 * k-times-a-week goal's streak only breaks once the week's target can no longer be reached (flexibility is the
 * point of such a goal). Rest and paused days are never due, so they never break a streak.
 */
import type { GoalView } from '../messages.js';
import type { GoalCadence } from './keywords.js';
import { addDays } from './time.js';

/** The implicit daily habit of a member without goals (check-ins before goals existed use it too). */
export const DEFAULT_GOAL_ID = 0;
export const MAX_TITLE_LENGTH = 80;

/** A goal as the member workflow keeps it: what the API shows, plus this week's count. */
export interface GoalState extends GoalView {
  /** Done check-ins in the current local week (Monday-based), for k-times-a-week goals. */
  week: { start: string; done: number };
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

/** Days left in the week after `date` (Sunday → 0). */
function daysLeftInWeek(date: string): number {
  return (7 - weekdayOf(date)) % 7;
}

function doneThisWeek(goal: GoalState, date: string): number {
  return goal.week.start === weekStartOf(date) ? goal.week.done : 0;
}

export function cadenceError(c: GoalCadence): string | null {
  switch (c.kind) {
    case 'daily':
      return null;
    case 'times_per_week':
      return Number.isInteger(c.times) && c.times >= 1 && c.times <= 6
        ? null
        : 'times must be a whole number from 1 to 6 (7 is daily)';
    case 'weekdays':
      return Array.isArray(c.days) &&
        c.days.length >= 1 &&
        c.days.length <= 6 &&
        new Set(c.days).size === c.days.length &&
        c.days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)
        ? null
        : 'days must be 1 to 6 distinct weekdays, 0 (Sunday) to 6 (Saturday)';
    default:
      return 'kind must be daily, times_per_week or weekdays';
  }
}

export function isDue(goal: GoalState, date: string): boolean {
  if (goal.status !== 'active') return false;
  switch (goal.cadence.kind) {
    case 'daily':
      return true;
    case 'weekdays':
      return goal.cadence.days.includes(weekdayOf(date));
    case 'times_per_week':
      return doneThisWeek(goal, date) < goal.cadence.times;
  }
}

/** Applies one due check-in of `goal` on `date` (mutates the goal). */
export function applyCheckIn(goal: GoalState, date: string, done: boolean): void {
  const week = weekStartOf(date);
  if (goal.week.start !== week) goal.week = { start: week, done: 0 };
  if (done) {
    goal.week.done++;
    goal.currentStreak++;
    goal.longestStreak = Math.max(goal.longestStreak, goal.currentStreak);
    return;
  }
  if (goal.cadence.kind === 'times_per_week') {
    const needed = goal.cadence.times - goal.week.done;
    if (needed <= daysLeftInWeek(date)) return; // still reachable this week
  }
  goal.currentStreak = 0;
}

const DAY_ABBR = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Sessions per week a cadence asks for. */
export function sessionsPerWeek(cadence: GoalCadence): number {
  switch (cadence.kind) {
    case 'daily':
      return 7;
    case 'times_per_week':
      return Math.min(7, Math.max(1, Math.round(cadence.times)));
    case 'weekdays':
      return Math.min(7, Math.max(1, new Set(cadence.days).size));
  }
}

/** "every day", "3 times a week", "on Mon, Wed and Fri". */
export function describeCadence(cadence: GoalCadence): string {
  switch (cadence.kind) {
    case 'daily':
      return 'every day';
    case 'times_per_week': {
      const n = sessionsPerWeek(cadence);
      return n === 1 ? 'once a week' : n === 2 ? 'twice a week' : `${n} times a week`;
    }
    case 'weekdays': {
      const days = [...new Set(cadence.days)]
        .filter((d) => Number.isInteger(d) && d >= 0 && d <= 6)
        .sort((a, b) => a - b)
        .map((d) => DAY_ABBR[d] ?? '');
      if (days.length === 0) return 'on your chosen days';
      if (days.length === 1) return `on ${days[0]}`;
      return `on ${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Texts (every one fits 2 SMS segments; tests check the budgets)

export const PROMPT_TEXT =
  'Crewline check-in: did you keep your habit today? Reply Y or N, and add a note if you like (e.g. "N tired").';

/** The check-in prompt for the goals due today (numbered as the member should answer them). */
export function promptText(due: ReadonlyArray<{ id: number; title: string }>): string {
  if (due.length === 0 || (due.length === 1 && due[0]!.id === DEFAULT_GOAL_ID)) return PROMPT_TEXT;
  if (due.length === 1)
    return `Crewline check-in: ${clip(due[0]!.title, 60)} today? Reply Y or N, add a note if you like.`;
  const list = due.map((g, i) => `${i + 1}) ${clip(g.title, 30)}`).join(' ');
  return `Crewline check-in: ${list}. Reply e.g. "1 Y 2 N" (or Y for all), add a note if you like.`;
}

export function nudgeText(due: number): string {
  return due > 1
    ? 'Quick reminder: how did today go? Reply e.g. "1 Y 2 N" before midnight to keep your streaks.'
    : 'Quick reminder: did you keep your habit today? Reply Y or N before midnight to keep your streak.';
}

export function welcomeText(checkInTime: string): string {
  return `Welcome to Crewline! We will text you a daily check-in at ${checkInTime}. Reply YES to start. Msg & data rates may apply. Reply HELP for help, STOP to opt out.`;
}
export const WELCOME_REMINDER_TEXT =
  'Crewline: your habit check-ins are ready when you are. Reply YES to start, or STOP to opt out.';
export function confirmedText(checkInTime: string): string {
  return `You are in! Your first check-in comes at ${checkInTime}. Add a goal any time: text e.g. "GOAL run 3x week".`;
}
export const CLARIFY_TEXT =
  'Sorry, I did not get that. Reply Y if you kept your habit today or N if not (a note is welcome: "N tired").';
export const GOAL_HELP_TEXT =
  'To add a goal, text GOAL, what you want to do and how often, e.g. "GOAL run 3x week", "GOAL stretch daily", "GOAL gym mon wed fri".';
export function goalAddedText(goal: GoalState): string {
  const habit = goal.plan?.dailyHabits[0];
  return clip(
    `Goal added: ${clip(goal.title, 50)} (${describeCadence(goal.cadence)}).${habit ? ` Start small: ${habit}` : ''}`,
    300,
  );
}
export function goalRejectedText(reason: string): string {
  return clip(`Could not add that goal: ${reason}.`, 150);
}
/** Nudges are never sent outside this local window (TCPA hours), whatever the purpose's default. */
export const NUDGE_WINDOW = { start: '08:00', end: '21:00' } as const;
export const REST_TEXT = 'Rest day noted. Your streak is safe. See you tomorrow.';

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3).trimEnd()}...`;
}
