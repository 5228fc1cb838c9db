/**
 * The member workflow's signals, queries, updates and their payload types. Side-effect free, so the API imports
 * this file too. The conversation signals every conversational workflow handles (`reply`, `consent`) come from
 * `workflows/lib/conversation.ts` and are re-exported here for the member's callers.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Plan } from '../../activities/ai/types.js';
import type { GoalCadence } from './goals.js';
import type { CheckInStatus, GoalStatus, MemberStatus, RiskLevel, Tone } from './values.js';

export type { GoalCadence, Plan, RiskLevel, Tone };
export { consentSignal, replySignal, type ConsentChange, type InboundReply } from '../lib/conversation.js';

export interface MemberPreferences {
  timezone?: string;
  checkInTime?: string;
  tone?: Tone;
  /** Minutes after the prompt without a reply before one nudge (never in quiet hours); 0 = no nudges. */
  nudgeAfterMinutes?: number;
  /** Rest days / vacation: no prompts through this local date (inclusive), and those days never break a streak. null = resume now. */
  pausedUntil?: string | null;
}

export interface GoalInput {
  title: string;
  cadence: GoalCadence;
}

export interface GoalView {
  id: number;
  title: string;
  cadence: GoalCadence;
  status: GoalStatus;
  /** Local date the goal was created on. */
  createdOn: string;
  currentStreak: number;
  longestStreak: number;
  plan: Plan | null;
  /** `<prompt id>@<version>` of what produced the plan (model prompt or template). */
  planSource: string | null;
}

export interface MemberSnapshot {
  memberId: string;
  status: MemberStatus;
  timezone: string;
  checkInTime: string;
  tone: Tone;
  /** Minutes after the prompt before a nudge; 0 = none. */
  nudgeAfterMinutes: number;
  /** Day streak: days on which every due goal was done. */
  currentStreak: number;
  longestStreak: number;
  lastCheckIn: { localDate: string; status: CheckInStatus } | null;
  /** The prompt waiting for a reply, with the goals still unanswered (ids; 0 = the default habit). */
  openPrompt: { localDate: string; goalIds: number[]; nudgeAt: string | null } | null;
  nextPromptAt: string | null;
  nextWeeklySummaryAt: string | null;
  pausedUntil: string | null;
  risk: RiskLevel;
  goals: GoalView[];
}

/** Published to subscribed workflows (e.g. a mentorship match) when a member's risk level changes. */
export interface RiskChange {
  memberId: string;
  from: RiskLevel;
  to: RiskLevel;
  /** The member's local date on which it changed. */
  localDate: string;
  adherence7: number | null;
  consecutiveMisses: number;
}

export const preferencesSignal = defineSignal<[MemberPreferences]>('preferences');
/** Change preferences or pause/resume; returns the new state (the pending timer is re-armed at once). */
export const updatePreferencesUpdate = defineUpdate<MemberSnapshot, [MemberPreferences]>('updatePreferences');
/** Add a goal: validated (count, title, cadence), an AI plan generated and stored; returns the goal. */
export const addGoalUpdate = defineUpdate<GoalView, [GoalInput]>('addGoal');
/** Archive a goal: it is no longer prompted; its history stays. */
export const archiveGoalUpdate = defineUpdate<GoalView, [{ goalId: number }]>('archiveGoal');
/** The member's personal data was erased: end the workflow. */
export const eraseSignal = defineSignal('erase');
export const memberStateQuery = defineQuery<MemberSnapshot>('state');
/** Another workflow asks to be told of risk changes (signal `riskChanged` to that workflow id). */
export const subscribeRiskSignal = defineSignal<[{ workflowId: string }]>('subscribeRisk');
export const unsubscribeRiskSignal = defineSignal<[{ workflowId: string }]>('unsubscribeRisk');
/** Sent by a member workflow to its subscribers. */
export const riskChangedSignal = defineSignal<[RiskChange]>('riskChanged');

/** What a crew challenge asks the member about (its days, from `startDate`, in the member's own zone). */
export interface CrewQuestions {
  challengeId: string;
  title: string;
  /** Day 1 as a local date. */
  startDate: string;
  days: number;
  /** "HH:MM": when the crew asks on a day without a check-in to ride on. */
  promptTime: string;
  /** The challenge ended or the member left: no more questions. */
  ended?: boolean;
}
/** Sent by a crew challenge: its daily question rides on the member's own texts (workflows/member/crews.ts). */
export const crewQuestionsSignal = defineSignal<[CrewQuestions]>('crewQuestions');
