/**
 * The member's days (pure): how a day's answers become its outcome, the ONE streak rule (for the member's day
 * streak and every goal's streak), and the record of the last 90 days kept for adherence and risk.
 */
import type { DayEntry } from '../../activities/members.js';
import { addDays } from '../lib/time.js';
import { applyCheckIn, type GoalState } from './goals.js';
import type { DayOutcome } from './risk.js';
import type { OpenPrompt, MemberState } from './state.js';
import type { CheckInStatus } from './values.js';

/** Day outcomes older than this many local days are dropped from the state. */
export const DAYS_KEPT = 90;

export interface Streaks {
  currentStreak: number;
  longestStreak: number;
}

/**
 * THE streak rule: a done day extends the streak, a rest day (nothing due, paused, REST) keeps it, a no or a
 * miss breaks it; the longest streak is the best current streak ever seen.
 */
export function streakAfter(s: Streaks, status: CheckInStatus): Streaks {
  const currentStreak = status === 'done' ? s.currentStreak + 1 : status === 'rest' ? s.currentStreak : 0;
  return { currentStreak, longestStreak: Math.max(s.longestStreak, currentStreak) };
}

/** `days` with `day`'s outcome set (replacing an earlier one), sorted, trimmed to the last DAYS_KEPT days. */
export function withOutcome(days: readonly DayOutcome[], day: string, status: CheckInStatus): DayOutcome[] {
  const oldest = addDays(day, -(DAYS_KEPT - 1));
  return [...days.filter((d) => d.localDate !== day), { localDate: day, status }]
    .sort((a, b) => (a.localDate < b.localDate ? -1 : 1))
    .filter((d) => d.localDate >= oldest);
}

/**
 * The outcome of a prompted day when it closes: nothing answered → missed (or rest, when closed by REST);
 * every answer yes and nothing left open (or the rest excused by REST) → done; otherwise not done.
 */
export function dayStatus(prompt: OpenPrompt, closing: 'missed' | 'rest' | 'answered'): CheckInStatus {
  const answered = Object.values(prompt.answers);
  if (answered.length === 0) return closing === 'rest' ? 'rest' : 'missed';
  const allYes = answered.every(Boolean);
  return allYes && (closing === 'rest' || prompt.pendingGoalIds.length === 0) ? 'done' : 'not_done';
}

/** Applies a settled day to the member's day streak, last check-in and day record (mutates the state). */
export function settleDay(state: MemberState, day: string, status: CheckInStatus): void {
  Object.assign(state, streakAfter(state, status));
  state.lastCheckIn = { localDate: day, status };
  state.days = withOutcome(state.days, day, status);
}

const entry = (
  goalId: number,
  status: CheckInStatus,
  inboundId: number | null,
  note: { reflection?: string; mood?: number; shareable?: boolean | null } = {},
): DayEntry => ({
  goalId,
  status,
  reflection: note.reflection ?? null,
  mood: note.mood ?? null,
  shareable: note.shareable ?? null,
  inboundMessageId: inboundId,
});

const goalOf = (state: MemberState, id: number): GoalState | undefined =>
  state.goals.find((g) => g.id === id);

/**
 * Closes the open prompt at the end of its day (`missed`) or by REST (`rest`): the goals still open are missed
 * (or rested), the day settles. Returns the check-ins to store.
 */
export function closeDay(
  state: MemberState,
  closing: 'missed' | 'rest',
  inboundId: number | null,
): DayEntry[] {
  const prompt = state.openPrompt!;
  state.openPrompt = null;
  const day = prompt.localDate;
  const missedGoals: Array<{ id: number; streakBefore: number }> = [];
  if (closing === 'missed') {
    for (const id of prompt.pendingGoalIds) {
      const goal = goalOf(state, id);
      missedGoals.push({ id, streakBefore: goal?.currentStreak ?? state.currentStreak });
      if (goal) applyCheckIn(goal, day, false);
    }
  }
  const status = dayStatus(prompt, closing);
  if (status === 'missed')
    state.lastMissed = { localDate: day, streakBefore: state.currentStreak, goals: missedGoals };
  settleDay(state, day, status);
  return prompt.pendingGoalIds.map((goalId) => entry(goalId, closing, inboundId));
}

/**
 * Answers to the open prompt (goal id → done). Returns the check-ins to store and whether the day is now
 * complete (every listed goal answered: the day settled).
 */
export function answerDay(
  state: MemberState,
  byGoal: ReadonlyArray<readonly [number, boolean]>,
  inboundId: number,
  note: { reflection?: string; mood?: number; shareable: boolean | null },
): { entries: DayEntry[]; complete: boolean; dayStatus: CheckInStatus } {
  const prompt = state.openPrompt!;
  const day = prompt.localDate;
  const entries: DayEntry[] = [];
  prompt.answers = { ...prompt.answers };
  for (const [goalId, done] of byGoal) {
    prompt.answers[String(goalId)] = done;
    const goal = goalOf(state, goalId);
    if (goal) applyCheckIn(goal, day, done);
    entries.push(entry(goalId, done ? 'done' : 'not_done', inboundId, note));
  }
  prompt.pendingGoalIds = prompt.pendingGoalIds.filter((id) => !byGoal.some(([g]) => g === id));
  if (prompt.pendingGoalIds.length > 0) return { entries, complete: false, dayStatus: 'not_done' };
  state.openPrompt = null;
  const status = dayStatus(prompt, 'answered');
  settleDay(state, day, status);
  return { entries, complete: true, dayStatus: status };
}

/**
 * "yesterday Y/N" for the day last counted as missed (the caller checks it was yesterday): that day joins the
 * streak it had broken (days kept since then stay), each missed goal likewise. Returns the check-ins to store.
 */
export function answerLate(
  state: MemberState,
  done: boolean,
  inboundId: number,
  note: { reflection?: string; mood?: number },
): DayEntry[] {
  const missed = state.lastMissed!;
  state.lastMissed = null;
  const status: CheckInStatus = done ? 'done' : 'not_done';
  const rejoin = (before: number, since: number) =>
    done ? streakAfter({ currentStreak: before, longestStreak: 0 }, 'done').currentStreak + since : since;
  state.currentStreak = rejoin(missed.streakBefore, state.currentStreak);
  state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
  for (const m of missed.goals) {
    const goal = goalOf(state, m.id);
    if (!goal || !done) continue;
    const since = goal.currentStreak;
    applyCheckIn(goal, missed.localDate, true);
    goal.currentStreak = rejoin(m.streakBefore, since);
    goal.longestStreak = Math.max(goal.longestStreak, goal.currentStreak);
  }
  state.days = withOutcome(state.days, missed.localDate, status);
  return missed.goals.map((m) => entry(m.id, status, inboundId, note));
}

/** The 7 local days ending `today`: its first day, due days (not rest) and days done, for the weekly summary. */
export function weekTotals(days: readonly DayOutcome[], today: string) {
  const weekStart = addDays(today, -6);
  const week = days.filter((d) => d.localDate >= weekStart && d.localDate <= today);
  return {
    weekStart,
    due: week.filter((d) => d.status !== 'rest').length,
    done: week.filter((d) => d.status === 'done').length,
  };
}
