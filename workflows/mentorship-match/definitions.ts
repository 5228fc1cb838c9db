/**
 * The mentorship match workflow's (`mentorship-match-<id>`) messages and payloads. Side-effect free: the API
 * imports it. The conversation signals (`reply`, `consent`) come from `workflows/lib/conversation.ts`; the risk
 * signal from the member's definitions.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ScoreBreakdown, WeeklyWindow } from './score.js';
import type { ZoneIn } from './sealed.js';
import type { MatchStatus, OfferStatus, SessionRole, SessionStatus } from './values.js';

export { consentSignal, replySignal, type InboundReply } from '../lib/conversation.js';
export { riskChangedSignal, type RiskChange } from '../member/definitions.js';

export interface MatchWorkflowInput {
  matchId: string;
  menteeMemberId: string;
  /** The mentee agreed that their risk level is shared with the mentor. */
  shareRisk: boolean;
  /** Match length in weeks (4–24, default 12). */
  weeks?: number;
  /** Hours a mentor has to answer an offer (default 72). */
  acceptHours?: number;
  /**
   * The mentee's IANA zone, for session times in their texts (default UTC). The API seals it under the mentee's
   * key (`markedZone`, sealed.ts); matches started before that carry the plain string.
   */
  menteeTimezone?: ZoneIn;
  /** The request joined this cohort: it waits for the cohort's assignment instead of ranking on its own. */
  cohortId?: string;
}

/**
 * A ranked candidate, opened (`openCandidate`, sealed.ts). Histories before sealing carry it in this flat shape;
 * activities and the cohort now send `SealedCandidate`.
 */
export interface Candidate {
  mentorId: string;
  /** The member row holding the mentor's phone and consent (the SMS recipient). */
  mentorMemberId: string;
  /** The mentor's IANA zone: their quiet hours pause the accept-by clock. */
  mentorTimezone: string;
  /** The mentor's weekly windows (local time): sessions are booked inside them. */
  mentorAvailability?: WeeklyWindow[];
  score: number;
  breakdown: ScoreBreakdown;
  weightsVersion: string;
}

/** A candidate's personal part: the mentor's zone and windows, and the pairing's score (about both). */
export interface CandidateDetails {
  mentorTimezone: string;
  mentorAvailability?: WeeklyWindow[];
  score: number;
  breakdown: ScoreBreakdown;
}

/**
 * A candidate as the ranking, the optimiser and the cohort hand it on: ids readable, `details` marked for the
 * mentor's and the mentee's keys (the codec seals it; after either erasure it decodes to a tombstone).
 */
export interface SealedCandidate {
  mentorId: string;
  mentorMemberId: string;
  weightsVersion: string;
  details: CandidateDetails | { subject: string; erased: true };
}

/** Either shape, as histories hold it. */
export type CandidateIn = Candidate | SealedCandidate;

export interface OfferView {
  mentorId: string;
  rank: number;
  score: number;
  breakdown: ScoreBreakdown;
  weightsVersion: string;
  status: OfferStatus;
  offeredAt: string;
  deadlineAt: string;
  remindersSent: number;
  /** Why it closed (declined by SMS/API, expired, mentor full, mentor opted out). */
  reason: string | null;
}

export interface MatchSnapshot {
  matchId: string;
  menteeMemberId: string;
  status: MatchStatus;
  mentorId: string | null;
  offers: OfferView[];
  /** When an active match completes. */
  endsAt: string | null;
  /** Why it went to the operator queue (status `unmatched`). */
  unmatchedReason: string | null;
  riskAlerts: number;
  /** The latest risk alert: acknowledged (OK) by the mentor, or escalated after 24 h without. */
  riskAlert: { localDate: string; acknowledged: boolean; escalated: boolean } | null;
  /** Every session booked in this match, in booking order. */
  sessions: SessionView[];
  /** The mentee's answer to the pairing-fit question after the first session (null: not answered). */
  fit: boolean | null;
  /** Since when the match is paused (status `paused`). */
  pausedAt: string | null;
}

export interface BriefingView {
  source: 'openai' | 'template';
  prompt: string;
  /** The SMS sent to the mentor 2 h before the session. */
  text: string;
  /** The longer version, sent when the mentor replies MORE. */
  more: string;
}

export interface SessionView {
  number: number;
  startsAt: string;
  minutes: number;
  status: SessionStatus;
  reschedules: number;
  /** The start in each side's zone, e.g. `Tue 2028-07-11 18:00`. */
  mentorLocal: string;
  menteeLocal: string;
  ratings: Record<SessionRole, number | null>;
  noShowReportedBy: SessionRole | null;
  briefing: BriefingView | null;
}

export interface SessionBooking {
  /** ISO 8601 instant (with offset or Z). */
  startsAt: string;
  minutes?: number;
}

/** Book a session (active match only): inside the mentor's availability, ahead, not overlapping another. */
export const scheduleSessionUpdate = defineUpdate<MatchSnapshot, [SessionBooking]>('scheduleSession');
/** Move a booked session that has not started: its reminders and briefing are re-armed for the new time. */
export const rescheduleSessionUpdate = defineUpdate<MatchSnapshot, [{ session: number } & SessionBooking]>(
  'rescheduleSession',
);
/** A side's answer to the check after a session (by API, as by SMS): 1–4, or 0 = it did not happen. */
export const sessionFeedbackUpdate = defineUpdate<
  MatchSnapshot,
  [{ session: number; from: SessionRole; rating: number }]
>('sessionFeedback');
/** Pause an active match: booked sessions are cancelled, its clocks (end, inactivity, escalation) stop. */
export const pauseMatchUpdate = defineUpdate<MatchSnapshot, [{ reason: string }]>('pauseMatch');
/** Resume a paused match: the end moves by the time it was paused. */
export const resumeMatchUpdate = defineUpdate<MatchSnapshot, []>('resumeMatch');

export interface OfferAnswer {
  mentorId: string;
  accept: boolean;
}

/** A mentor answers the live offer by API: refused (422, field `mentorId`) unless that mentor holds it. */
export const answerOfferUpdate = defineUpdate<MatchSnapshot, [OfferAnswer]>('answerOffer');
/** End an active match early (operator or either side): the mentor's slot is released. */
export const endMatchUpdate = defineUpdate<MatchSnapshot, [{ reason: string }]>('endMatch');
/** From `mentor-<id>`: the mentor's last slot was taken, so their live offer here is withdrawn. */
export const mentorFullSignal = defineSignal<[{ mentorId: string }]>('mentorFull');
export const matchStateQuery = defineQuery<MatchSnapshot>('matchState');
/**
 * From `erasure-<member id>` (or `mentor-<id>`): a member was erased. The mentee's or the slot-holding mentor's
 * erasure ends the match in any state; an offered mentor's withdraws their offer (erasure.ts).
 */
export const participantErasedSignal = defineSignal<[{ memberId: string }]>('participantErased');

/** A cohort's answer to one of its requests: the mentor (slot already reserved) or the operator-queue reason. */
export interface CohortAssignment {
  cohortId: string;
  candidate: CandidateIn | null;
  reason: string | null;
}
/** From `mentorship-cohort-<id>`: this request's assignment (ignored unless the match joined that cohort). */
export const cohortAssignedSignal = defineSignal<[CohortAssignment]>('cohortAssigned');
