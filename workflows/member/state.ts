/**
 * The member workflow's state (plain JSON, carried across continue-as-new; no name or phone number: those stay
 * in Postgres) and the views of it the API and operators see. Pure.
 */
import type { HeldText } from './held.js';
import type { MemberCrewState } from './crews.js';
import type { GoalState } from './goals.js';
import type { GoalView, InboundReply, MemberSnapshot } from './definitions.js';
import type { DayOutcome } from './risk.js';
import { localDate } from '../lib/time.js';
import { markedFor } from '../lib/subject.js';
import { nextPromptAt, nextSummaryAt } from './schedule.js';
import { MEMBER_DEFAULTS, type MemberStatus, type RiskLevel, type Tone } from './values.js';

export interface OpenPrompt {
  localDate: string;
  /** The end of that local day: goals still open then are missed. */
  deadlineMs: number;
  /** Goals in the order the prompt listed them (the numbers a reply uses); [0] = the default habit. */
  goalIds: number[];
  /** Goals not answered yet. */
  pendingGoalIds: number[];
  /** Answers so far (goal id → done). */
  answers: Record<string, boolean>;
  nudgeAtMs: number | null;
}

/** The member's settings and streaks, as the state query shows them (one definition: `MemberSnapshot`). */
type MemberProfileFields =
  | 'status'
  | 'timezone'
  | 'checkInTime'
  | 'tone'
  | 'nudgeAfterMinutes'
  | 'currentStreak'
  | 'longestStreak'
  | 'lastCheckIn';

export interface MemberState extends Pick<MemberSnapshot, MemberProfileFields> {
  /** The prompt waiting for a reply; it closes at the end of that local day. */
  openPrompt: OpenPrompt | null;
  /** Local date of the last prompt sent (or skipped), so a preference change never prompts twice for one day. */
  lastPromptDate: string | null;
  /** The next check-in prompt (re-armed whenever something it depends on changes). */
  nextPromptAtMs: number;
  /** The next weekly summary. */
  nextSummaryAtMs: number | null;
  /** Recently handled inbound ids: Twilio or the inbox drainer may deliver a reply twice. */
  recentInboundIds: number[];
  /** Replies received but not yet handled, carried across continue-as-new. */
  pendingReplies: InboundReply[];
  /** Paused through this local date (rest days, vacation). */
  pausedUntil: string | null;
  /** The last day counted as missed and the streaks it broke, for a late "yesterday Y". */
  lastMissed: {
    localDate: string;
    streakBefore: number;
    goals: Array<{ id: number; streakBefore: number }>;
  } | null;
  goals: GoalState[];
  nextGoalId: number;
  /** Day outcomes of the last 90 local days, for adherence and risk. */
  days: DayOutcome[];
  risk: RiskLevel;
  /** Workflow ids told of risk changes (`riskChanged`). */
  riskSubscribers: string[];
  /** Waiting for the member's YES since `sinceMs`; null once confirmed (or opted in by START). */
  onboarding: { sinceMs: number; reminded: boolean } | null;
  /** The crews' daily questions riding on the member's texts (crews.ts); absent in runs that predate them. */
  crew?: MemberCrewState;
  /** Texts the send gate held, asked again when due (held.ts); absent in runs that predate it. */
  held?: HeldText[];
}

export interface MemberWorkflowInput {
  memberId: string;
  timezone: string;
  checkInTime: string;
  tone?: Tone;
  /** New members: welcome text, nothing else until they reply YES, one reminder after 24 h. */
  onboarding?: boolean;
  /**
   * The word that confirms onboarding (default YES; YES, Y and START always do). Where Twilio manages opt-in
   * keywords, YES is Twilio's own (it answers it itself), so the starter passes a word of its own, e.g. JOIN.
   */
  confirmWord?: string;
  /** Active goals at most (default MEMBER_DEFAULTS.maxActiveGoals). */
  maxActiveGoals?: number;
  /** Minutes after the prompt before one nudge (default MEMBER_DEFAULTS.nudgeAfterMinutes; 0 = none). */
  nudgeAfterMinutes?: number;
  /** The state carried by continue-as-new. */
  state?: MemberState;
  /** Continue-as-new after this many prompts (default 60; tests force it every few days). */
  maxDaysPerRun?: number;
}

/**
 * The state carried by continue-as-new, marked as the member's personal data (goal titles and plans, replies not
 * yet handled, crew answers): the codec seals it with the member's key (README "Privacy").
 */
export function markedState(memberId: string, state: MemberState): MemberState {
  return markedFor('member', memberId, state);
}

/** A new member's state, or the carried one with its schedule re-armed from now. */
export function initialState(input: MemberWorkflowInput, nowMs: number): MemberState {
  if (input.state) {
    const state = input.state;
    state.nextPromptAtMs = nextPromptAt(state, nowMs);
    return state;
  }
  const base = {
    timezone: input.timezone,
    checkInTime: input.checkInTime,
    pausedUntil: null,
    lastPromptDate: null,
  };
  return {
    ...base,
    status: input.onboarding ? 'pending_confirmation' : 'active',
    tone: input.tone ?? MEMBER_DEFAULTS.tone,
    nudgeAfterMinutes: input.nudgeAfterMinutes ?? MEMBER_DEFAULTS.nudgeAfterMinutes,
    currentStreak: 0,
    longestStreak: 0,
    lastCheckIn: null,
    openPrompt: null,
    nextPromptAtMs: nextPromptAt(base, nowMs),
    nextSummaryAtMs: nextSummaryAt(input.timezone, nowMs),
    recentInboundIds: [],
    pendingReplies: [],
    lastMissed: null,
    goals: [],
    nextGoalId: 1,
    days: [],
    risk: 'low',
    riskSubscribers: [],
    onboarding: input.onboarding ? { sinceMs: nowMs, reminded: false } : null,
  };
}

export const activeGoals = (state: MemberState): GoalState[] =>
  state.goals.filter((g) => g.status === 'active');
export const isPausedOn = (state: MemberState, day: string): boolean =>
  state.pausedUntil != null && day <= state.pausedUntil;

/** The status shown to the API and operators: an active member paused today is `paused`. */
export function effectiveStatus(state: MemberState, nowMs: number): MemberStatus {
  return state.status === 'active' && isPausedOn(state, localDate(nowMs, state.timezone))
    ? 'paused'
    : state.status;
}

export function goalView(g: GoalState): GoalView {
  return {
    id: g.id,
    title: g.title,
    cadence: g.cadence,
    status: g.status,
    createdOn: g.createdOn,
    currentStreak: g.currentStreak,
    longestStreak: g.longestStreak,
    plan: g.plan,
    planSource: g.planSource,
  };
}

const iso = (ms: number | null) => (ms != null ? new Date(ms).toISOString() : null);

/** The `state` query and every update's answer. */
export function snapshot(memberId: string, state: MemberState, nowMs: number): MemberSnapshot {
  const active = state.status === 'active';
  return {
    memberId,
    status: effectiveStatus(state, nowMs),
    timezone: state.timezone,
    checkInTime: state.checkInTime,
    tone: state.tone,
    nudgeAfterMinutes: state.nudgeAfterMinutes,
    currentStreak: state.currentStreak,
    longestStreak: state.longestStreak,
    lastCheckIn: state.lastCheckIn,
    openPrompt: state.openPrompt
      ? {
          localDate: state.openPrompt.localDate,
          goalIds: state.openPrompt.pendingGoalIds,
          nudgeAt: iso(state.openPrompt.nudgeAtMs),
        }
      : null,
    nextPromptAt: active ? iso(state.nextPromptAtMs) : null,
    nextWeeklySummaryAt: active ? iso(state.nextSummaryAtMs) : null,
    pausedUntil: state.pausedUntil,
    risk: state.risk,
    goals: state.goals.map(goalView),
  };
}

/** The Web UI's "current details" line of a member. */
export function currentDetails(state: MemberState, nowMs: number): string {
  const status = effectiveStatus(state, nowMs);
  return [
    `status: ${status}`,
    `risk: ${state.risk}`,
    `streak: ${state.currentStreak} (best ${state.longestStreak})`,
    `goals: ${activeGoals(state).length}`,
    `check-in ${state.checkInTime} ${state.timezone}`,
    status === 'active' ? `next prompt: ${new Date(state.nextPromptAtMs).toISOString()}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}
