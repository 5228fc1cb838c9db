/** The mentorship values, defined once: database schema, API schemas and workflow read these. Pure. */
export const MATCH_STATUSES = [
  'requested',
  'offered',
  'active',
  'paused',
  'completed',
  'ended_early',
  'unmatched',
] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];

export const OFFER_STATUSES = ['offered', 'accepted', 'declined', 'expired', 'withdrawn'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

export const MATCH_DEFAULTS = {
  /** Candidates offered one at a time. */
  maxCandidates: 5,
  acceptHours: 72,
  weeks: 12,
  minWeeks: 4,
  maxWeeks: 24,
} as const;

/** Reminders this many hours before an offer's accept-by deadline. */
export const OFFER_REMINDER_HOURS = [24, 4] as const;

export const SESSION_STATUSES = ['scheduled', 'held', 'no_show', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
/** Who answers a session's check: both sides are asked for a 1–4 rating (0 = it did not happen). */
export const SESSION_ROLES = ['mentor', 'mentee'] as const;
export type SessionRole = (typeof SESSION_ROLES)[number];

export const SESSION_DEFAULTS = {
  /** Session length when none is given, and the bounds. */
  minutes: 60,
  minMinutes: 15,
  maxMinutes: 180,
  /** A session is booked at least this far ahead (the 1 h reminder can still go) and at most this far. */
  minLeadMinutes: 60,
  maxAheadDays: 60,
  /** Sessions booked and not yet held, at once. */
  maxUpcoming: 4,
} as const;

/** Inactivity: days without a session before the nudge, the warning, and the end. */
export const INACTIVITY_DAYS = { nudge: 30, warn: 83, end: 90 } as const;

/** The optimiser and cohort matching assign only pairs scoring at least this (the fit threshold, 0–1). */
export const MIN_FIT_SCORE = 0.5;
/** Offers the optimiser may make after the ranked list ran out, before the request goes to the operator queue. */
export const OPTIMISER_OFFERS = 3;
