/**
 * Every SMS text the member workflow sends (pure). Each fits 2 SMS segments; tests check the budgets.
 */
import { countSegments } from '../lib/segments.js';
import { describeCadence, DEFAULT_GOAL_ID, type GoalState } from './goals.js';

/** Every member text fits this many SMS segments. */
export const MEMBER_TEXT_SEGMENTS = 2;

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

/** `word` confirms onboarding: YES unless Twilio manages opt-in keywords (YES is one of Twilio's own). */
export function welcomeText(checkInTime: string, word = 'YES'): string {
  return `Welcome to Crewline! We will text you a daily check-in at ${checkInTime}. Reply ${word} to start. Msg & data rates may apply. Reply HELP for help, STOP to opt out.`;
}
export function welcomeReminderText(word = 'YES'): string {
  return `Crewline: your habit check-ins are ready when you are. Reply ${word} to start, or STOP to opt out.`;
}
export const WELCOME_REMINDER_TEXT = welcomeReminderText();
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
export const REST_TEXT = 'Rest day noted. Your streak is safe. See you tomorrow.';

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3).trimEnd()}...`;
}

export function confirmHintText(word = 'YES'): string {
  return `Reply ${word} to start your Crewline check-ins, or STOP to opt out.`;
}
export const CONFIRM_HINT_TEXT = confirmHintText();

/** A goal number the prompt did not list. */
export function unknownGoalText(goal: number, listed: number): string {
  return `Goal ${goal}? Today's check-in has ${listed} goal${listed === 1 ? '' : 's'}: reply e.g. "1 Y${listed > 1 ? ' 2 N' : ''}".`;
}

/** Some of today's goals answered, others still open (numbers as the prompt listed them). */
export function partialAckText(openNumbers: readonly number[]): string {
  const open = openNumbers.join(', ');
  return `Noted. Still open today: goal ${open}. Reply e.g. "${openNumbers[0]} Y".`;
}

export function lateAckText(done: boolean, streak: number): string {
  return done ? `Got it, yesterday counts. Streak: ${streak}.` : 'Got it, noted for yesterday.';
}

// ---- crews' daily questions (workflows/member/crews.ts): one text per member per day ----------------------------

const letter = (i: number) => 'ABCDEFGHIJ'[i]!;
const fits = (text: string) => countSegments(text).segments <= MEMBER_TEXT_SEGMENTS;
/** Crew titles are clipped shorter and shorter until the text fits its budget; last, they are left out. */
const TITLE_CLIPS = [30, 20, 12, 6] as const;

function crewList(titles: readonly string[], max: number): string {
  return titles.length === 1
    ? `crew "${clip(titles[0]!, max)}"`
    : titles.map((t, i) => `${letter(i)}) ${clip(t, max)}`).join(' ');
}

/** The check-in prompt with the crews' questions riding on it: one answer counts for all, "B N" for one crew. */
export function promptWithCrewsText(
  due: ReadonlyArray<{ id: number; title: string }>,
  crewTitles: readonly string[],
): string {
  const base = promptText(due);
  if (crewTitles.length === 0) return base;
  const hint = crewTitles.length === 1 ? '"A N"' : '"B N"';
  for (const max of TITLE_CLIPS) {
    const text = `${base} It counts for ${crewList(crewTitles, max)} too (if not, add ${hint}).`;
    if (fits(text)) return text;
  }
  // Titles left out. The one text of the day may then take a third segment (only when the goals' titles
  // already make the prompt UCS-2): the crews' question is never dropped.
  const n = crewTitles.length;
  return `${base} It counts for your crew${n === 1 ? '' : `s A-${letter(n - 1)}`} too (if not, add ${hint}).`;
}

/** The crews' question on a day without a check-in: one text for all the member's crews. */
export function crewOnlyText(crewTitles: readonly string[]): string {
  for (const max of TITLE_CLIPS) {
    const text =
      crewTitles.length === 1
        ? `Crewline, ${crewList(crewTitles, max)}: did you do it today? Reply Y or N, add energy 1-5 and a note if you like (e.g. "Y 4 walked").`
        : `Crewline crews ${crewList(crewTitles, max)}: did you do it today? Reply Y or N for all (e.g. "Y 4 walked"), or per crew e.g. "A Y B N".`;
    if (fits(text)) return text;
  }
  return `Crewline: did you do your crew challenge${crewTitles.length === 1 ? '' : 's'} today? Reply Y or N (e.g. "Y 4 walked"), or per crew e.g. "A Y B N".`;
}

/** The answer to a reply that answered crews only (the check-in, if any, has its own answer). */
export function crewAckText(answers: ReadonlyArray<{ title: string; done: boolean }>): string {
  for (const max of TITLE_CLIPS) {
    const list = answers.map((a) => `${clip(a.title, max)} ${a.done ? 'done' : 'not done'}`).join(', ');
    const text = `Noted for your crew${answers.length === 1 ? '' : 's'}: ${list}. The crew pulse comes when enough have answered.`;
    if (fits(text)) return text;
  }
  return `Noted for your ${answers.length} crew${answers.length === 1 ? '' : 's'}. The crew pulse comes when enough have answered.`;
}
