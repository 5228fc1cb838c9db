/**
 * Who answers STOP/START/HELP (SMS_OPT_OUT_MANAGED_BY): `twilio` — the number's opt-out handling (default or
 * Advanced Opt-Out) blocks, answers and refuses later sends with 21610, Crewline only records consent; `crewline`
 * — Twilio's handling is off (or the sandbox), Crewline confirms each change itself.
 */
export const OPT_OUT_MANAGERS = ['twilio', 'crewline'] as const;
export type OptOutManagedBy = (typeof OPT_OUT_MANAGERS)[number];

/** The SMS provider port. Twilio (official SDK) in production, a Postgres-backed sandbox without credentials. */
export interface OutboundSms {
  /** outbox row id; carried in the status callback URL so callbacks can be tied back to the row. */
  outboxId: number;
  idempotencyKey: string;
  to: string;
  body: string;
  /** Twilio ValidityPeriod (seconds): still queued after that, the text fails (30036) instead of arriving late. */
  validitySeconds?: number;
}

export interface ProviderResult {
  sid: string;
  status: string;
  from: string | null;
}

export interface SmsProvider {
  readonly name: 'twilio' | 'sandbox';
  /** The sending number (or pool) that pacing is counted for. */
  readonly sender: string;
  send(msg: OutboundSms): Promise<ProviderResult>;
  /**
   * Reconciliation of an ambiguous create: a message to `to` with exactly `body`, created at or after `since`.
   * Returns it if the provider has it (we must not send again), or null.
   */
  findSent(msg: OutboundSms, since: Date): Promise<ProviderResult | null>;
  /**
   * Called once at worker start: checks the credentials (fail fast on a wrong token) and warms the SDK and its
   * connection, so the first paced send is not late.
   */
  verify?(): Promise<void>;
}

/**
 * How a provider failure must be handled. `permanent`: never retry (would fail again or the person must not be
 * texted). `transient`: the request was certainly not processed; safe to retry. `queue_full`: transient, but the
 * sender's queue at the provider is full (Twilio 21611): retry much later, with a growing delay.
 * `region_blocked`: the account may not text that region (Twilio 21408): an account setting, so the message fails
 * without marking the number, and operators see the code. `ambiguous`: the provider may have accepted it;
 * reconcile before any resend.
 */
export type FailureClass =
  'suppress' | 'invalid_number' | 'region_blocked' | 'permanent' | 'queue_full' | 'transient' | 'ambiguous';

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly failureClass: FailureClass,
    readonly code: number | null,
    readonly httpStatus: number | null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
