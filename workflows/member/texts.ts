/**
 * Every SMS text the member workflow sends (pure). Each fits 2 SMS segments; tests check the budgets.
 */
import { describeCadence, DEFAULT_GOAL_ID, type GoalState } from './goals.js';

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
