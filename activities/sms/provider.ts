/** The SMS provider port. Twilio (official SDK) in production, a Postgres-backed sandbox without credentials. */
export interface OutboundSms {
  /** outbox row id; carried in the status callback URL so callbacks can be tied back to the row. */
  outboxId: number;
  idempotencyKey: string;
  to: string;
  body: string;
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
 * texted). `transient`: the request was certainly not processed; safe to retry. `ambiguous`: the provider may have
 * accepted it; reconcile before any resend.
 */
export type FailureClass = 'suppress' | 'invalid_number' | 'permanent' | 'transient' | 'ambiguous';

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
