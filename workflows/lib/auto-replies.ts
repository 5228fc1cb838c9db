/**
 * Automatic replies: texts Crewline sends only because an inbound text could not be read or asked for help
 * (clarifications, hints, HELP). An auto-responder on the other side ("I'm driving, I'll text you later") would
 * otherwise get a clarification for every one of its texts, and answer each — a ping-pong without end.
 *
 * The send gate (activities/messaging.ts) counts them per phone over the last hour, in the outbox itself, and
 * drops the one over the limit (`auto_reply_limit`). The inbound that triggered it is stored like every inbound
 * (GET /inbox shows it); it is answered by silence. Two budgets, so clarifications can never use up HELP's:
 *
 * - `auto`: clarifications and hints of every workflow, `perPhonePerHour` (AUTO_REPLIES_PER_PHONE_PER_HOUR);
 * - `help`: the answer to HELP/INFO, `helpPerPhonePerHour` (1). Carriers require HELP to be answered: the first
 *   HELP in an hour always is; a HELP repeated within the hour already has its answer on the phone.
 *
 * Pure: the kinds are the `kind` each workflow gives its text.
 */
export type AutoReplyBudget = 'auto' | 'help';

/** Clarifications and hints sent in answer to an unreadable inbound text. */
export const AUTO_REPLY_KINDS = [
  'clarify', // member: a check-in reply that could not be read, or an unknown goal number
  'confirm_hint', // member: anything but YES while a confirmation is pending
  'goal_help', // member: a GOAL command that could not be read
  'crew_clarify', // crew challenge: an unreadable answer to the daily question
  'mentorship_offer_hint',
  'mentorship_risk_hint',
  'mentorship_session_hint',
  'mentorship_fit_hint',
] as const;

/** The answer to HELP / INFO (workflows/messaging/keyword.ts sends kind `${kind}_reply`). */
export const HELP_REPLY_KIND = 'help_reply';

export interface AutoReplyLimits {
  /** Clarifications and hints per phone in any rolling hour. */
  perPhonePerHour: number;
  /** HELP answers per phone in any rolling hour. */
  helpPerPhonePerHour: number;
}

/** Defaults the config loader uses (AUTO_REPLIES_PER_PHONE_PER_HOUR, HELP_REPLIES_PER_PHONE_PER_HOUR). */
export const AUTO_REPLY_DEFAULTS: AutoReplyLimits = { perPhonePerHour: 3, helpPerPhonePerHour: 1 };

/** Which budget a text of this kind is counted against, or null when it is not an automatic reply. */
export function autoReplyBudget(kind: string): AutoReplyBudget | null {
  if (kind === HELP_REPLY_KIND) return 'help';
  return (AUTO_REPLY_KINDS as readonly string[]).includes(kind) ? 'auto' : null;
}

/** The kinds counted together against a budget. */
export const kindsOfBudget = (budget: AutoReplyBudget): readonly string[] =>
  budget === 'help' ? [HELP_REPLY_KIND] : AUTO_REPLY_KINDS;

/** The limit of a budget. */
export const limitOf = (limits: AutoReplyLimits, budget: AutoReplyBudget): number =>
  budget === 'help' ? limits.helpPerPhonePerHour : limits.perPhonePerHour;
