/**
 * The mentorship match workflow's (`mentorship-match-<id>`) messages and payloads. Side-effect free: the API
 * imports it. The conversation signals (`reply`, `consent`) come from `workflows/lib/conversation.ts`; the risk
 * signal from the member's definitions.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ScoreBreakdown } from './score.js';
import type { MatchStatus, OfferStatus } from './values.js';

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
}

/** A ranked candidate, as the ranking activity returns it (ids and scores only). */
export interface Candidate {
  mentorId: string;
  /** The member row holding the mentor's phone and consent (the SMS recipient). */
  mentorMemberId: string;
  /** The mentor's IANA zone: their quiet hours pause the accept-by clock. */
  mentorTimezone: string;
  score: number;
  breakdown: ScoreBreakdown;
  weightsVersion: string;
}

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
}

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
