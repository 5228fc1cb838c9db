/**
 * Retention (issue 12): how long each class of personal data is kept, in days. One definition, used by the
 * config (`RETENTION_<CLASS>_DAYS`), the purge activity and the README's table. Pure: workflows import it.
 */
export const RETENTION_CLASSES = {
  /** The body of every text we sent (`messages.body`); the row (status, kind, times) stays. */
  message_bodies: { days: 90, env: 'RETENTION_MESSAGE_BODY_DAYS' },
  /** The body of every text we received (`inbound_messages.body`); the row (routing, times) stays. */
  inbound_texts: { days: 90, env: 'RETENTION_INBOUND_TEXT_DAYS' },
  /** Sign-in codes: the code rows and the bodies of the texts that carried them (dead after 10 minutes anyway). */
  sign_in_codes: { days: 1, env: 'RETENTION_SIGN_IN_CODE_DAYS' },
  /** Crew reflections (stored redacted), with their flags and moderation decisions. */
  reflections: { days: 180, env: 'RETENTION_REFLECTION_DAYS' },
  /** Per-member AI usage and cost rows (`ai_usage`), kept a little over a year for cost accounting. */
  ai_usage: { days: 400, env: 'RETENTION_AI_USAGE_DAYS' },
  /** The audit log (`audit_events`): who read, exported or changed personal data; kept two years. */
  audit: { days: 730, env: 'RETENTION_AUDIT_DAYS' },
} as const;

export type RetentionClass = keyof typeof RETENTION_CLASSES;
export type RetentionPolicy = Record<RetentionClass, number>;

export const DEFAULT_RETENTION: RetentionPolicy = Object.fromEntries(
  Object.entries(RETENTION_CLASSES).map(([k, v]) => [k, v.days]),
) as RetentionPolicy;

/** The classes whose data also lives in Temporal histories (activity inputs, signal payloads). */
export const IN_HISTORIES: readonly RetentionClass[] = ['message_bodies', 'inbound_texts', 'reflections'];

/** The hour (UTC) at which the daily purge runs by default: the quietest hour for most of our members. */
export const DEFAULT_PURGE_HOUR_UTC = 3;

/**
 * The longest namespace retention that keeps the promise "closed workflows' histories outlive nothing the policy
 * removes": the shortest retention of a class whose data is in histories. (Sign-in codes are in the sign-in text's
 * history too, but a code is dead 10 minutes after it is sent; purging it is data minimisation, not a promise.)
 */
export function maxNamespaceRetentionDays(policy: RetentionPolicy): number {
  return Math.min(...IN_HISTORIES.map((c) => policy[c]));
}
