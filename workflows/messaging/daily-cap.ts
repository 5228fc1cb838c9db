/**
 * The per-phone daily cap (pure): at most `MAX_TEXTS_PER_DAY` texts that are not direct replies reach one number
 * in one local day of the recipient, across every workflow (member, crews, mentorship, campaigns). The opt-in text
 * promises the same number (`keywordReply('opt_in', brand)` renders `brand.textsPerDay`): one config value.
 *
 * - Day boundary: the recipient's local calendar day (their time zone; a guest's or a reply's zone as resolved by
 *   the send gate).
 * - A text over the cap is held, never dropped: it is deferred to `CAP_RESUME_LOCAL` (08:00, after quiet hours)
 *   of the recipient's next local day, then asked again.
 * - Order: held texts keep their place. A text may go out only if the texts already out today plus the texts held
 *   before it (still waiting) leave room, so a newer text never takes an older held text's place.
 * - Direct replies are exempt and not counted: answers to the person's own text, HELP / STOP / START
 *   confirmations, sign-in codes.
 * - Counted by message key (the outbox row), never by attempt: a retried send of the same key is one text.
 */
import { addDays, localDate, zonedTimeToUtc } from '../lib/time.js';

/** The default of `MAX_TEXTS_PER_DAY` (worker/config.ts), and what the opt-in text says when none is given. */
export const DEFAULT_TEXTS_PER_DAY = 3;
/** Bounds of `MAX_TEXTS_PER_DAY`. */
export const TEXTS_PER_DAY_RANGE = { min: 1, max: 10 } as const;
/** Held texts go out from this local time of the recipient's next day (quiet hours end at 08:00). */
export const CAP_RESUME_LOCAL = { hour: 8, minute: 0 } as const;
/**
 * A held text older than this is no longer "waiting" (its workflow is gone): a live held text is asked again by
 * its workflow at most ~32 h after it was held (held at 00:00, resumed at 08:00 the next day).
 */
export const HELD_STALE_MS = 48 * 60 * 60 * 1000;

/**
 * Kinds that only ever answer a text the person just sent (or a code they asked for). Everything else counts.
 */
export const DIRECT_REPLY_KINDS: ReadonlySet<string> = new Set([
  // keyword confirmations (workflows/messaging/keyword.ts) and the revocation confirmation
  'opt_out_reply',
  'opt_in_reply',
  'help_reply',
  // sign-in codes (api/routes/auth.ts)
  'sign_in_code',
  // the member's answers to their own texts (workflows/member/workflow.ts)
  'confirmed',
  'confirm_hint',
  'goal_help',
  'goal_rejected',
  'goal_added',
  'rest_ack',
  'clarify',
  'late_ack',
  'partial_ack',
  'checkin_ack',
  'crew_ack',
  // crew challenge answers (workflows/crew-challenge/workflow.ts)
  'crew_clarify',
  'crew_refused',
  'crew_added',
  // crew SMS commands (workflows/crew/workflow.ts)
  'crew_reported',
  'crew_report_refused',
  'crew_report_none',
  'crew_choose',
  'crew_not_member',
  'crew_left',
  'crew_wrong_code',
  'crew_already',
  'crew_full',
  'crew_join_confirm',
  'crew_joined',
  'crew_join_cancelled',
  'crew_notes',
  // mentorship answers (workflows/mentorship-match/workflow.ts)
  'mentorship_risk_ack',
  'mentorship_risk_hint',
  'mentorship_session_hint',
  'mentorship_fit_hint',
  'mentorship_fit_thanks',
  'mentorship_briefing_more',
  'mentorship_offer_hint',
  'mentorship_offer_closed',
]);

export interface CapSubject {
  kind: string;
  keywordReply?: boolean;
  to: object;
}

/** Exempt from the cap: a keyword reply, a text addressed by the inbound it answers, or a direct-reply kind. */
export function isDirectReply(t: CapSubject): boolean {
  return t.keywordReply === true || 'replyToInboundId' in t.to || DIRECT_REPLY_KINDS.has(t.kind);
}

export interface CapInput {
  nowMs: number;
  timezone: string;
  cap: number;
  /** Send instants of other non-reply texts to this number (claimed or handed over), any order. */
  sentMs: readonly number[];
  /** Held texts to this number that were held before this one and still wait (all of them for a new text). */
  heldAhead: number;
}

export type CapDecision = { action: 'send' } | { action: 'defer'; untilMs: number };

/** 08:00 local on the recipient's next local day. */
export function capResumeAfter(nowMs: number, timezone: string): number {
  const tomorrow = addDays(localDate(nowMs, timezone), 1);
  return zonedTimeToUtc(tomorrow, CAP_RESUME_LOCAL.hour, CAP_RESUME_LOCAL.minute, timezone);
}

export function dailyCapDecision(a: CapInput): CapDecision {
  const today = localDate(a.nowMs, a.timezone);
  const sentToday = a.sentMs.filter((s) => localDate(s, a.timezone) === today).length;
  if (sentToday + a.heldAhead < a.cap) return { action: 'send' };
  return { action: 'defer', untilMs: capResumeAfter(a.nowMs, a.timezone) };
}
