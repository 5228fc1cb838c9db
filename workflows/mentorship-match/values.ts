/** The mentorship values, defined once: database schema, API schemas and workflow read these. Pure. */
export const MATCH_STATUSES = [
  'requested',
  'offered',
  'active',
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
