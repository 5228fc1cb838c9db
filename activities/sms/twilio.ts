import twilio from 'twilio';
import {
  ProviderError,
  type FailureClass,
  type OutboundSms,
  type ProviderResult,
  type SmsProvider,
} from './provider.js';

export interface TwilioProviderOptions {
  accountSid: string;
  authToken: string;
  /** The sender: a number (E.164), or a Messaging Service SID (`MG…`, sent as MessagingServiceSid). */
  from: string;
  /** Public base URL of our API; status callbacks go to `${publicBaseUrl}/webhooks/twilio/status?outboxId=…`. */
  publicBaseUrl: string;
  /** Tests and local fakes only: replaces https://api.twilio.com in every request the SDK makes. */
  apiBaseUrl?: string;
}

/** Routes the SDK's own requests to another base URL (a fake Twilio on loopback) — the SDK code still runs. */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super({ timeout: 15_000 });
  }
  override request<T>(opts: Parameters<twilio.RequestClient['request']>[0]) {
    opts.uri = opts.uri.replace(/^https:\/\/[a-z.]*twilio\.com/, this.base);
    return super.request<T>(opts as never);
  }
}

/** Twilio error codes: https://www.twilio.com/docs/api/errors (see shared/REFERENCE.md). */
export function classifyTwilioError(err: unknown): ProviderError {
  const e = err as { status?: number; code?: number | string; message?: string };
  const code = typeof e.code === 'number' ? e.code : null;
  const status = typeof e.status === 'number' ? e.status : null;
  const message = e.message ?? String(err);
  let cls: FailureClass;
  if (code === 21610) cls = 'suppress';
  else if (code === 21211 || code === 21614 || code === 21612) cls = 'invalid_number';
  else if (code === 21408) cls = 'region_blocked';
  else if (code === 21611) cls = 'queue_full';
  else if (status === 429 || code === 20429) cls = 'transient';
  else if (status !== null && status >= 500) cls = 'ambiguous';
  else if (status !== null && status >= 400) cls = 'permanent';
  // No HTTP status: the request failed on the wire (reset, timeout). The provider may have accepted it.
  else cls = 'ambiguous';
  return new ProviderError(message, cls, code, status);
}

export function createTwilioProvider(opts: TwilioProviderOptions): SmsProvider {
  const client = twilio(opts.accountSid, opts.authToken, {
    ...(opts.apiBaseUrl ? { httpClient: new RebasedRequestClient(opts.apiBaseUrl.replace(/\/$/, '')) } : {}),
  });
  const toResult = (m: { sid: string; status: string; from: string | null }): ProviderResult => ({
    sid: m.sid,
    status: m.status,
    from: m.from,
  });
  // A Messaging Service picks the number itself: create and list by the service instead of From.
  const viaService = /^MG[0-9a-fA-F]{32}$/.test(opts.from);
  const sender = viaService ? { messagingServiceSid: opts.from } : { from: opts.from };
  return {
    name: 'twilio',
    sender: opts.from,
    async send(msg: OutboundSms) {
      try {
        const m = await client.messages.create({
          to: msg.to,
          ...sender,
          body: msg.body,
          statusCallback: `${opts.publicBaseUrl}/webhooks/twilio/status?outboxId=${msg.outboxId}`,
          ...(msg.validitySeconds !== undefined && { validityPeriod: msg.validitySeconds }),
        });
        return toResult(m);
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
    async verify() {
      try {
        await client.messages.list({ ...(viaService ? {} : { from: opts.from }), limit: 1 });
      } catch (err) {
        const e = classifyTwilioError(err);
        if (e.httpStatus === 401 || e.httpStatus === 403) {
          throw new Error(
            `Twilio rejected the credentials (${e.httpStatus}): check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN`,
            { cause: err },
          );
        }
        // Anything else (network, 5xx) is not a reason to refuse to start: sends retry on their own.
      }
    },
    async findSent(msg: OutboundSms, since: Date) {
      try {
        // Newest first, filtered by recipient and sender only: Twilio's DateSent filter would miss a message that
        // is still queued (date_sent is null until it leaves). Match the exact body and the creation time ourselves.
        const recent = await client.messages.list({
          to: msg.to,
          ...(viaService ? {} : { from: opts.from }),
          limit: 50,
          pageSize: 50,
        });
        const hit = recent.find(
          (m) =>
            m.body === msg.body &&
            (!viaService || m.messagingServiceSid === opts.from) &&
            // Twilio's date_created has whole seconds: a message created just after `since` may carry a time up
            // to 999 ms before it, so `since` is taken at its whole second (missing it here would send it twice).
            (!m.dateCreated || m.dateCreated.getTime() >= Math.floor(since.getTime() / 1000) * 1000),
        );
        return hit ? toResult(hit) : null;
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}
