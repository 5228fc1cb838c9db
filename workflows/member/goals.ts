/**
 * Goals, cadences, goal streak rules and the GOAL command (pure: used by the member workflow and tests).
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
import type { FieldError } from '../lib/failures.js';
import { normalize } from '../lib/keywords.js';
import type { GoalInput, GoalView } from './definitions.js';
import { streakAfter } from './days.js';
import { weekdayOf, weekStartOf } from '../lib/time.js';

/** The implicit daily habit of a member without goals (check-ins before goals existed use it too). */
export const DEFAULT_GOAL_ID = 0;
export const MAX_TITLE_LENGTH = 80;

/** A goal as the member workflow keeps it: what the API shows, plus this week's count. */
export interface GoalState extends GoalView {
  /** Done check-ins in the current local week (Monday-based), for k-times-a-week goals. */
  week: { start: string; done: number };
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
  if (done) goal.week.done++;
  // A k-times-a-week goal's "no" breaks nothing while the week's target is still reachable: a rest for it.
  const reachable =
    goal.cadence.kind === 'times_per_week' && goal.cadence.times - goal.week.done <= daysLeftInWeek(date);
  Object.assign(goal, streakAfter(goal, done ? 'done' : reachable ? 'rest' : 'not_done'));
}

/**
 * Why a goal cannot be added (the field and the reason, for `invalidInput` and the SMS answer), or null.
 * Titles: 1–80 characters after trimming, no control characters (NUL and friends cannot be stored or texted).
 */
export function goalProblem(
  goal: GoalInput,
  ctx: { erased: boolean; activeGoals: number; maxActiveGoals: number },
): FieldError | null {
  if (ctx.erased) return { field: 'member', message: 'erased' };
  const title = typeof goal?.title === 'string' ? goal.title.trim() : '';
  if (!title) return { field: 'title', message: 'is required' };
  if (title.length > MAX_TITLE_LENGTH)
    return { field: 'title', message: `at most ${MAX_TITLE_LENGTH} characters` };
  if (/\p{Cc}/u.test(title)) return { field: 'title', message: 'must not contain control characters' };
  const cadenceProblem = goal.cadence ? cadenceError(goal.cadence) : 'is required';
  if (cadenceProblem) return { field: 'cadence', message: cadenceProblem };
  if (ctx.activeGoals >= ctx.maxActiveGoals)
    return { field: 'goals', message: `at most ${ctx.maxActiveGoals} active goals; archive one first` };
  return null;
}

/** The goals due on `day`, in prompt order; a member without active goals has the default daily habit. */
export function dueOn(active: readonly GoalState[], day: string): Array<{ id: number; title: string }> {
  if (active.length === 0) return [{ id: DEFAULT_GOAL_ID, title: '' }];
  return active.filter((g) => isDue(g, day));
}

/** A new goal (no plan yet) on the member's local `today`. */
export function newGoal(id: number, goal: GoalInput, today: string): GoalState {
  return {
    id,
    title: goal.title.trim(),
    cadence: goal.cadence,
    status: 'active',
    createdOn: today,
    currentStreak: 0,
    longestStreak: 0,
    plan: null,
    planSource: null,
    week: { start: weekStartOf(today), done: 0 },
  };
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
// GOAL command
//
// parseGoalCommand — "GOAL <title> <cadence>", cadence at the END of the message:
//      daily      : "daily" | "every day" | "everyday" | "each day" | "7x week"
//      times/week : N ("x" | "times") ["a" | "per" | "/" | "each" | "every"] ("week" | "wk" | "w") | N"x weekly"
//                   | "once" / "twice" / "thrice" ["a" | "per"] "week"          (N = 1–6; 7 → daily)
//      weekdays   : ["on" | "every"] day names (sun…sat, 3-letter or full or tues/thur/thurs), separated by
//                   spaces , / & "and"; "weekdays" = Mon–Fri, "weekends" = Sat+Sun (all 7 → daily)
//    Returns null when it is not a GOAL command, the title is empty, or no cadence is recognised (the caller
//    should reply with usage help rather than guess).

export type GoalCadence =
  | { kind: 'daily' }
  | { kind: 'times_per_week'; times: number }
  | { kind: 'weekdays'; days: number[] /* 0 = Sunday, ascending */ };

export interface GoalCommand {
  title: string;
  cadence: GoalCadence;
}

// prettier-ignore
const DAY_NAMES: Record<string, number> = {
  sun: 0, sunday: 0,
  mon: 1, monday: 1,
  tue: 2, tues: 2, tuesday: 2,
  wed: 3, weds: 3, wednesday: 3,
  thu: 4, thur: 4, thurs: 4, thursday: 4,
  fri: 5, friday: 5,
  sat: 6, saturday: 6,
};
const DAY_GROUPS: Record<string, number[]> = { weekdays: [1, 2, 3, 4, 5], weekends: [0, 6], weekend: [0, 6] };
const WORD_TIMES: Record<string, number> = { once: 1, twice: 2, thrice: 3 };

const RE_GOAL = /^goal(?![\p{L}\p{N}])[\s:,-]*(.*)$/isu;
const RE_DAILY =
  /(?:^|\s)(?:daily|every\s*day|each\s+day|7\s*(?:x|times)\s*(?:a|per|\/|each|every)?\s*(?:week|wk|w))$/iu;
const RE_TIMES =
  /(?:^|\s)(?:(\d+)\s*(?:x|times)\s*(?:(?:a|per|\/|each|every)?\s*(?:week|wk|w)|weekly)|(once|twice|thrice)\s*(?:a|per|\/|each|every)?\s*(?:week|wk))$/iu;
const DAY_WORD = `(?:${[...Object.keys(DAY_NAMES), ...Object.keys(DAY_GROUPS)].sort((a, b) => b.length - a.length).join('|')})`;
const RE_DAYS = new RegExp(
  `(?:^|\\s)(?:(?:on|every)\\s+)?(${DAY_WORD}(?:(?:\\s*[,/&]\\s*|\\s+and\\s+|\\s+)${DAY_WORD})*)$`,
  'iu',
);

const cleanTitle = (s: string): string => s.replace(/[\s,;:-]+$/u, '').trim();

export function parseGoalCommand(body: string): GoalCommand | null {
  const g = RE_GOAL.exec(
    normalize(body)
      .trim()
      .replace(/[\s.!]+$/u, ''),
  );
  const text = g?.[1]?.trim();
  if (!text) return null;

  let cadence: GoalCadence | null = null;
  let m: RegExpExecArray | null;
  if ((m = RE_DAILY.exec(text))) {
    cadence = { kind: 'daily' };
  } else if ((m = RE_TIMES.exec(text))) {
    const times = m[1] !== undefined ? Number(m[1]) : (WORD_TIMES[(m[2] ?? '').toLowerCase()] ?? 0);
    if (times < 1 || times > 7) return null;
    cadence = times === 7 ? { kind: 'daily' } : { kind: 'times_per_week', times };
  } else if ((m = RE_DAYS.exec(text))) {
    const set = new Set<number>();
    for (const w of (m[1] ?? '').toLowerCase().match(new RegExp(DAY_WORD, 'giu')) ?? []) {
      for (const d of DAY_GROUPS[w] ?? [DAY_NAMES[w] ?? -1]) if (d >= 0) set.add(d);
    }
    const days = [...set].sort((a, b) => a - b);
    cadence = days.length === 7 ? { kind: 'daily' } : { kind: 'weekdays', days };
  }
  if (!cadence || !m) return null;

  const title = cleanTitle(text.slice(0, m.index));
  return title ? { title, cadence } : null;
}
