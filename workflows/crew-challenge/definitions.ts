/**
 * The crew challenge workflow's signals, queries, updates and payload types. Side-effect free: the API imports it.
 * The conversation signals (`reply`, `consent`) come from `workflows/lib/conversation.ts`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ContributionInput, ContributionResult, GoalView, GroupGoal } from './goal.js';
import type { LeaderboardRow } from './leaderboard.js';
import type { MilestoneId } from './milestones.js';
import type { PulseFigures } from './pulse.js';
import type { Tone } from '../member/values.js';

export type { ContributionInput, ContributionResult, GoalView, GroupGoal } from './goal.js';
export type { LeaderboardRow } from './leaderboard.js';
export type { MilestoneId } from './milestones.js';

export { consentSignal, replySignal } from '../lib/conversation.js';

export const CHALLENGE_STATUSES = ['gathering', 'active', 'completed', 'cancelled'] as const;
export type ChallengeStatus = (typeof CHALLENGE_STATUSES)[number];

/** Challenges last 1–90 days. */
export const MIN_DAYS = 1;
export const MAX_DAYS = 90;
/** A late answer for a day is accepted until 24 h after the end of that day in the member's zone. */
export const LATE_GRACE_MS = 24 * 60 * 60 * 1000;
/** Below the minimum size at the start: the invite window is extended once by this many days. */
export const DEFAULT_EXTEND_DAYS = 2;

export interface ChallengeMember {
  memberId: string;
  /** IANA zone: the member's days are their own local days. */
  timezone: string;
}

export interface CrewChallengeInput {
  challengeId: string;
  crewId: string;
  title: string;
  days: number;
  /** Day 1 as a local date (each member's own zone). */
  startDate: string;
  /** The crew's zone: the start gate is at its local midnight of the start date. */
  timezone: string;
  minSize: number;
  /** k of the crew pulse (≥ 5). */
  k: number;
  extendDays?: number;
  /** The crew's daily question by SMS goes out at this local time ("HH:MM") in each member's zone; default 19:00. */
  promptTime?: string;
  /** The crew's tone (its weekly challenge text and summary narrative); absent in runs from before crews had one. */
  tone?: Tone;
  /** Members already in the crew when the challenge was created. */
  members: ChallengeMember[];
  /** The crew's shared target (unit + target), set at creation; optional. */
  goal?: GroupGoal | null;
  /** Tests: continue-as-new after every this many decided days, as if Temporal suggested it (continue-as-new.ts). */
  continueAsNewEveryDays?: number;
}

export interface PulseAnswerInput {
  memberId: string;
  /** The member's local date the answer is for (today, or yesterday within the grace). */
  localDate: string;
  done: boolean;
  /** 1–5, optional. */
  energy?: number | null;
  /** An optional free-text reflection; shared with the crew only after redaction and moderation, with consent. */
  reflection?: string | null;
}

export interface PulseView {
  /** 1-based challenge day. */
  day: number;
  published: boolean;
  /** Present when published. */
  figures: PulseFigures | null;
  /** Why it was withheld: fewer than k answered, or its difference with an earlier release would be. */
  suppressed: 'below_k' | 'difference_below_k' | null;
}

export interface ChallengeView {
  challengeId: string;
  crewId: string;
  title: string;
  status: ChallengeStatus;
  days: number;
  startDate: string;
  extended: boolean;
  minSize: number;
  k: number;
  memberCount: number;
  /** When the challenge closes itself (end of the last member's last local day plus the grace). */
  endsAt: string | null;
  pulses: PulseView[];
  summary: string | null;
  /** The summary's narrative in the crew's tone (AI-worded, or its template); sent after the summary's figures. */
  narrative?: string | null;
  cancelReason: string | null;
  /** The group goal's progress (absent when the challenge has none). */
  goal: GoalView | null;
  /** Milestones reached, in order, with when. */
  milestones: { id: MilestoneId; reachedAt: string }[];
}

export const joinChallengeSignal = defineSignal<[ChallengeMember]>('joinChallenge');
export const leaveChallengeSignal = defineSignal<[{ memberId: string }]>('leaveChallenge');
/**
 * From `erasure-<member id>`: the member was erased. Their id, zone and answers leave the state (aggregates already
 * published stay; erasure.ts) and the challenge continues as new, so no later run's history holds them.
 */
export const memberErasedSignal = defineSignal<[{ memberId: string }]>('memberErased');
/**
 * Whether this run still holds anything of the member: their entry, an answer or a released cell, or (erased in
 * this run) the state its history carries until the run continues as new without them. The erasure waits for
 * false before it destroys their key (workflows/erasure): after that nobody could seal a run's state again.
 */
export const holdsMemberQuery = defineQuery<boolean, [string]>('holdsMember');
/** Operator or organiser cancels: members are told, the workflow ends. */
export const cancelChallengeSignal = defineSignal<[{ reason: string }]>('cancelChallenge');
/** A pulse answer: validated (member, day inside the challenge and the grace, energy 1–5); the latest counts. */
export const answerUpdate = defineUpdate<{ day: number; counted: boolean }, [PulseAnswerInput]>('answer');
export const challengeStateQuery = defineQuery<ChallengeView>('challengeState');
/** A contribution to the group goal, counted once per business key (`sms:<MessageSid>`, `api:<Idempotency-Key>`). */
export const contributeUpdate = defineUpdate<ContributionResult, [ContributionInput]>('contribute');
/** Opt in to the leaderboard under an alias, or out with `alias: null` (the row is removed). */
export const leaderboardAliasUpdate = defineUpdate<
  { alias: string | null },
  [{ memberId: string; alias: string | null }]
>('leaderboardAlias');
export const leaderboardQuery = defineQuery<LeaderboardRow[]>('leaderboard');
/** Raise the pulse's k (never lower it): later pulses need at least that many members. */
export const raiseKUpdate = defineUpdate<{ k: number }, [{ k: number }]>('raiseK');
/** The largest k a challenge may ask for. */
export const MAX_K = 30;

/** One member's own data in a challenge (their export, issue 12): never anyone else's. */
export interface MemberChallengeData {
  memberId: string;
  joinedAt: string | null;
  leftAt: string | null;
  /** Their pulse answers, by 1-based challenge day. */
  answers: { day: number; done: boolean; energy: number | null }[];
  leaderboardAlias: string | null;
  /** Their group-goal contributions in total (hundredths summed), and how many. */
  contributions: { total: number; count: number } | null;
}
export const memberDataQuery = defineQuery<MemberChallengeData | null, [string]>('memberData');

/**
 * A member's answer split from a reply to their own text (the question rode on their check-in): counted like
 * an API answer, once per `key` (`sms:<inbound id>`); the member workflow has answered the text.
 */
export const crewAnswerSignal = defineSignal<[PulseAnswerInput & { key: string }]>('crewAnswer');
