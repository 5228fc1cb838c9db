/**
 * The member's values, defined once: the database schema (`db/schema.ts`), the API's zod/OpenAPI schemas and the
 * workflow's validators all read these. Pure (no imports), so workflow code can use it.
 */
export const TONES = ['friendly', 'tough_love', 'calm'] as const;
export type Tone = (typeof TONES)[number];

export const MEMBER_STATUSES = ['pending_confirmation', 'active', 'paused', 'opted_out', 'erased'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const GOAL_STATUSES = ['active', 'archived'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export const CHECK_IN_STATUSES = ['done', 'not_done', 'missed', 'rest'] as const;
export type CheckInStatus = (typeof CHECK_IN_STATUSES)[number];

/** A new member's workflow settings, unless configuration (MAX_ACTIVE_GOALS, NUDGE_AFTER_MINUTES) overrides them. */
export const MEMBER_DEFAULTS = {
  tone: 'friendly' as Tone,
  maxActiveGoals: 3,
  nudgeAfterMinutes: 120,
} as const;

export const isTone = (v: unknown): v is Tone =>
  typeof v === 'string' && (TONES as readonly string[]).includes(v);

/**
 * The onboarding word when Twilio manages opt-out keywords: YES is one of Twilio's default opt-in keywords, so
 * Twilio would answer it with its own text as well. GO is not a Twilio keyword; YES still confirms.
 */
export const TWILIO_MODE_CONFIRM_WORD = 'GO';
