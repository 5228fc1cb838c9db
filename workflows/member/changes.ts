/**
 * How the member's signals and updates change its state, and what their validators refuse (pure). Validators
 * throw `invalidInput(field, message)`: the API answers 422 naming the field.
 */
import { invalidInput } from '../lib/failures.js';
import { isLocalDate, isValidTimeZone, localDate, parseHHMM } from '../lib/time.js';
import type { ConsentChange, GoalInput, InboundReply, MemberPreferences } from './definitions.js';
import { goalProblem, type GoalState } from './goals.js';
import { nextPromptAt, nextSummaryAt } from './schedule.js';
import { activeGoals, type MemberState } from './state.js';
import { isTone, TONES } from './values.js';

const RECENT_INBOUND_LIMIT = 50;

/** A reply joins the queue unless it was handled or queued already (Twilio and the drainer may redeliver). */
export function queueReply(state: MemberState, reply: InboundReply): void {
  if (state.recentInboundIds.includes(reply.inboundId)) return;
  if (state.pendingReplies.some((r) => r.inboundId === reply.inboundId)) return;
  state.pendingReplies.push(reply);
}

/** Marks a reply handled (its id is remembered for a while). */
export function markHandled(state: MemberState, inboundId: number): void {
  state.recentInboundIds = [...state.recentInboundIds, inboundId].slice(-RECENT_INBOUND_LIMIT);
}

/** Re-arms the next prompt and summary from `nowMs` (after anything they depend on changed). */
export function rearm(state: MemberState, nowMs: number): void {
  state.nextPromptAtMs = nextPromptAt(state, nowMs);
  state.nextSummaryAtMs = nextSummaryAt(state.timezone, nowMs);
}

const isWholeMinutes = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** Preferences (unvalidated when signalled: invalid values are ignored). A pause covering today closes it. */
export function applyPreferences(state: MemberState, prefs: MemberPreferences, nowMs: number): MemberState {
  if (prefs.timezone && isValidTimeZone(prefs.timezone)) state.timezone = prefs.timezone;
  if (prefs.checkInTime && parseHHMM(prefs.checkInTime)) state.checkInTime = prefs.checkInTime;
  if (isTone(prefs.tone)) state.tone = prefs.tone;
  if (isWholeMinutes(prefs.nudgeAfterMinutes)) state.nudgeAfterMinutes = prefs.nudgeAfterMinutes!;
  if (prefs.pausedUntil !== undefined) {
    state.pausedUntil = prefs.pausedUntil;
    // A pause that covers today's open prompt closes it without counting it as missed.
    if (prefs.pausedUntil && state.openPrompt && state.openPrompt.localDate <= prefs.pausedUntil)
      state.openPrompt = null;
  }
  rearm(state, nowMs);
  return state;
}

export function validatePreferences(state: MemberState, prefs: MemberPreferences, nowMs: number): void {
  if (state.status === 'erased') throw invalidInput('member', 'erased');
  if (prefs.timezone !== undefined && !isValidTimeZone(prefs.timezone))
    throw invalidInput('timezone', 'must be an IANA time zone such as America/New_York');
  if (prefs.checkInTime !== undefined && !parseHHMM(prefs.checkInTime))
    throw invalidInput('checkInTime', 'must be "HH:MM"');
  if (prefs.pausedUntil != null) {
    if (!isLocalDate(prefs.pausedUntil)) throw invalidInput('pausedUntil', 'must be a date YYYY-MM-DD');
    if (prefs.pausedUntil < localDate(nowMs, prefs.timezone ?? state.timezone))
      throw invalidInput('pausedUntil', 'must not be in the past');
  }
  if (prefs.nudgeAfterMinutes !== undefined && !isWholeMinutes(prefs.nudgeAfterMinutes))
    throw invalidInput('nudgeAfterMinutes', 'must be a whole number of minutes, 0 for none');
  if (prefs.tone !== undefined && !isTone(prefs.tone))
    throw invalidInput('tone', `must be one of ${TONES.join(', ')}`);
}

export function validateGoal(state: MemberState, goal: GoalInput, maxActiveGoals: number): void {
  const problem = goalProblem(goal, {
    erased: state.status === 'erased',
    activeGoals: activeGoals(state).length,
    maxActiveGoals,
  });
  if (problem) throw invalidInput(problem.field, problem.message);
}

export function validateArchive(state: MemberState, goalId: number): void {
  if (state.status === 'erased') throw invalidInput('member', 'erased');
  const goal = state.goals.find((g) => g.id === goalId);
  if (!goal) throw invalidInput('goalId', `no goal ${goalId}`);
  if (goal.status === 'archived') throw invalidInput('goalId', `goal ${goalId} is already archived`);
}

/** Archives a goal: no longer prompted (nor pending today); its history stays. */
export function archiveGoal(state: MemberState, goalId: number): GoalState {
  const goal = state.goals.find((g) => g.id === goalId)!;
  goal.status = 'archived';
  if (state.openPrompt)
    state.openPrompt.pendingGoalIds = state.openPrompt.pendingGoalIds.filter((id) => id !== goalId);
  return goal;
}

/** STOP / START from any source: opting out keeps streaks and history, and today is not counted against them. */
export function applyConsent(state: MemberState, change: ConsentChange, nowMs: number): MemberState {
  if (state.status === 'erased') return state;
  state.status = change.optedOut ? 'opted_out' : 'active';
  if (change.optedOut) state.openPrompt = null;
  else state.onboarding = null; // START is an explicit opt-in
  rearm(state, nowMs);
  return state;
}

export function erase(state: MemberState): MemberState {
  state.status = 'erased';
  state.held = []; // nothing held for an erased member is ever sent
  return state;
}

export function subscribeRisk(state: MemberState, { workflowId }: { workflowId: string }): MemberState {
  if (!state.riskSubscribers.includes(workflowId))
    state.riskSubscribers = [...state.riskSubscribers, workflowId];
  return state;
}

export function unsubscribeRisk(state: MemberState, { workflowId }: { workflowId: string }): MemberState {
  state.riskSubscribers = state.riskSubscribers.filter((id) => id !== workflowId);
  return state;
}
