/**
 * A fake Twilio REST API (v2010 Messages) on 127.0.0.1, speaking the wire format twilio-node uses, so the real
 * SDK can be pointed at it (replace `https://api.twilio.com` with `baseUrl` in a RequestClient subclass, as
 * activities/sms/twilio.ts does with `apiBaseUrl`).
 *
 * Wire format, as twilio-node 6 sends/reads it (node_modules/twilio/lib/rest/api/v2010/account/message.js):
 * - create: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded body (To, From, Body,
 *   StatusCallback, MessagingServiceSid, MediaUrl (repeated) …), HTTP Basic auth `AccountSid:AuthToken`.
 *   Success is 201 with the message resource as snake_case JSON (num_segments / num_media are STRINGS, dates are
 *   RFC 2822 `Thu, 30 Jul 2015 20:12:31 +0000`).
 * - list: `GET …/Messages.json?To=…&From=…&DateSent%3E=…&PageSize=…` — note the SDK serializes dateSentAfter /
 *   dateSentBefore / dateSent as full ISO date-times (`2024-05-01T12:34:56Z`), under the keys `DateSent>`,
 *   `DateSent<`, `DateSent`. Twilio filters them by GMT DAY and inclusively (`>` means "on or after midnight of
 *   that day"), so this fake truncates the value to its `YYYY-MM-DD` and compares days.
 *   Messages that are still queued have `date_sent: null`; this fake compares on `date_sent ?? date_created`,
 *   so a queued message is found by a `DateSent>` filter. (Real Twilio may well leave unsent messages out of a
 *   DateSent-filtered list — don't rely on finding queued messages that way in production.)
 *   Pages are newest first; the SDK follows `next_page_uri` (relative, made absolute against api.twilio.com).
 * - fetch: `GET …/Messages/{Sid}.json`, 404 with code 20404 when unknown.
 * - errors: `{ code, message, more_info, status }`; the SDK turns them into a RestException with `.status`
 *   (HTTP) and `.code` (Twilio code). A destroyed connection surfaces as an axios error with no `.status`.
 *
 * Opt-out handling, as Twilio does it on a long code (help.twilio.com "Twilio support for opt-out keywords"):
 * an inbound that is exactly one opt-out word (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; any
 * case, surrounding whitespace) blocks the (our number, their number) pair, Twilio answers it itself, and the
 * webhook is still posted; every later create to that pair is refused with HTTP 400 / 21610. START, YES, UNSTOP
 * lift the block, with Twilio's own answer; HELP, INFO get Twilio's help answer. Twilio's own answers are kept in
 * `autoReplies` (they never pass through the Messages API). With `optOut: 'advanced'` (a Messaging Service with
 * Advanced Opt-Out) the webhook also carries `OptOutType` (STOP | START | HELP), and extra keywords per type
 * (e.g. ARRET) are recognised; `optOut: 'off'` turns it all off (a number with opt-out handling disabled).
 * `ValidityPeriod` (1–36,000 s) is kept on each message; `expireQueued()` fails what is still queued past it
 * with 30036, as Twilio does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export interface TwilioFault {
  status: number;
  code: number;
  message?: string;
}

export interface FakeMessage {
  sid: string;
  accountSid: string;
  to: string;
  /** null when sent through a Messaging Service without From (Twilio assigns a sender later). */
  from: string | null;
  body: string;
  statusCallback: string | null;
  messagingServiceSid: string | null;
  status: string;
  numSegments: number;
  createdAt: Date;
  updatedAt: Date;
  /** Set when a status callback moves the message to sent/delivered (or later). */
  sentAt: Date | null;
  errorCode: number | null;
  /** The raw form parameters of the create request. */
  params: Record<string, string | string[]>;
  /** ValidityPeriod in seconds (Twilio's default 36,000 when not given). */
  validityPeriod: number;
}

/** An answer Twilio itself sent to a keyword (not created through the Messages API). */
export interface FakeAutoReply {
  to: string;
  from: string;
  keyword: string;
  type: 'STOP' | 'START' | 'HELP';
  body: string;
  at: number;
}

export type FakeOptOutHandling = 'default' | 'advanced' | 'off';

export interface FakeInbound {
  url: string;
  params: Record<string, string>;
  status: number;
  text: string;
  at: number;
}

export interface FakeTwilioRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string including the leading `?`, or ''. */
  query: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** HTTP status answered; null while pending or when the connection was dropped. */
  status: number | null;
}

export interface InboundParams {
  From: string;
  To: string;
  Body: string;
  MessageSid?: string;
  MessagingServiceSid?: string;
  /** Any further fields (FromCity, FromState, ToCountry, …) are sent as given. */
  [extra: string]: string | undefined;
}

export interface StatusCallbackOptions {
  errorCode?: number;
  /** Sign with this token instead of the fake's (to test signature rejection). */
  authToken?: string;
  /** Post here instead of the message's StatusCallback. */
  url?: string;
}

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  /**
   * Benchmark rate limit, a carrier-style token bucket: `mps` segment tokens per second, holding at most one
   * second's worth (or one message's segments, if larger). A create whose segments find too few tokens is answered
   * 429 / 20429. (Real Twilio queues instead; a sender that paces itself never sees a 429 here.)
   */
  mps?: number;
  /** Twilio's keyword handling: 'default' (a plain long code), 'advanced' (Advanced Opt-Out), 'off'. */
  optOut?: FakeOptOutHandling;
  /** Advanced Opt-Out only: extra keywords per type (e.g. `{ STOP: ['ARRET'] }`). */
  extraKeywords?: Partial<Record<'STOP' | 'START' | 'HELP', string[]>>;
}

/** Twilio's default keyword lists (single word, any case). */
export const TWILIO_KEYWORDS: Record<'STOP' | 'START' | 'HELP', readonly string[]> = {
  STOP: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'],
  START: ['START', 'YES', 'UNSTOP'],
  HELP: ['HELP', 'INFO'],
};

/** Twilio's own answers (its documented defaults, abridged). */
export const TWILIO_AUTO_REPLIES: Record<'STOP' | 'START' | 'HELP', string> = {
  STOP: 'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.',
  START:
    'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
  HELP: 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
};

export interface FakeTwilio {
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Every accepted (stored) outbound message, oldest first. Includes messages whose create was dropped. */
  readonly messages: FakeMessage[];
  /** Every HTTP request the API received, in arrival order. */
  readonly requests: FakeTwilioRequest[];
  /** Inbound webhooks posted with postInbound(). They are not listed by the Messages API. */
  readonly inbound: FakeInbound[];
  /** Create attempts received (accepted, faulted, invalid or rate-limited alike). */
  readonly creates: number;
  /** Creates answered 429 by the `mps` limiter (injected 429 faults are not counted). */
  readonly rejected429: number;
  /** Epoch ms of every accepted create, in order (for throughput measurements). */
  readonly acceptedAt: number[];
  /** Twilio's own answers to keywords, oldest first. */
  readonly autoReplies: FakeAutoReply[];
  /** Switch the keyword handling (as changing the number's Messaging Service settings would). */
  configureOptOut(mode: FakeOptOutHandling, extraKeywords?: FakeTwilioOptions['extraKeywords']): void;
  /** Whether Twilio blocks creates from `from` to `to` (the person texted STOP and not START since). */
  isBlocked(from: string, to: string): boolean;
  /**
   * Messages still queued/accepted whose ValidityPeriod has run out at `atMs` become `failed` with 30036 (as
   * Twilio fails them instead of delivering late). Returns them.
   */
  expireQueued(atMs?: number): FakeMessage[];
  /** Messages whose body includes `match` (string) or matches it (RegExp). */
  byBody(match: string | RegExp): FakeMessage[];
  /** Messages sent to `to`. */
  byTo(to: string): FakeMessage[];
  get(sid: string): FakeMessage | undefined;

  /** The next n creates fail with `fault` (not stored). */
  failNext(n: number, fault: TwilioFault): void;
  /** Every create to `to` fails with `fault` (not stored) until reset(). */
  failFor(to: string, fault: TwilioFault): void;
  /** The next n creates are stored, then the connection is destroyed before any response byte is written. */
  dropAfterAcceptNext(n: number): void;
  /** The next n creates wait `ms` before being handled. */
  delayNext(n: number, ms: number): void;
  /** Store the next n messages at once but answer only after `ms` (a crash in that gap is the classic double-send). */
  slowAcceptNext(n: number, ms: number): void;
  /** Every accepted create answers after `ms` (0 = off). */
  slowAcceptAll(ms: number): void;
  /**
   * Clears messages, requests, inbound, counters, every pending fault, the block list and Twilio's answers, and
   * restores the opt-out handling it was started with. Credentials and port stay.
   */
  reset(): void;

  /**
   * POSTs a status callback for `sid` to its StatusCallback (or opts.url), form-encoded and signed like Twilio,
   * and updates the stored message's status. Returns the receiver's HTTP status.
   */
  sendStatusCallback(sid: string, status: string, opts?: StatusCallbackOptions): Promise<number>;
  /** The X-Twilio-Signature Twilio would send for a POST of `params` to `url`. */
  signInbound(url: string, params: Record<string, string>, authToken?: string): string;
  /** POSTs an inbound-SMS webhook to `url` exactly like Twilio (form-encoded, signed). */
  postInbound(
    url: string,
    params: InboundParams,
    authToken?: string,
  ): Promise<{ status: number; text: string }>;

  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';

const DEFAULT_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'An internal server error has occurred',
  20503: 'Service Unavailable',
  21211: "The 'To' number is not a valid phone number.",
  21602: 'Message body is required.',
  21603: "A 'From' phone number is required.",
  21604: "A 'To' phone number is required.",
  21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  21610: 'Attempt to send to unsubscribed recipient',
  21611: 'This From number has exceeded the maximum number of queued messages',
  21612: "The 'To' phone number is not currently reachable via SMS.",
  21614: "'To' number is not a valid mobile number",
  21617: 'The concatenated message body exceeds the 1600 character limit.',
};

const E164 = /^\+[1-9]\d{1,14}$/;

/** RFC 2822 the way Twilio writes it (and twilio-node parses it): `Thu, 30 Jul 2015 20:12:31 +0000`. */
export function rfc2822(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function sidOf(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

// GSM 03.38 basic character set and the extension table (each extension char costs two septets).
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXT = new Set('^{}\\[~]|€\f');

/** SMS segments as a carrier counts them: GSM-7 160/153 septets, otherwise UCS-2 70/67 UTF-16 code units. */
export function countSegmentsForFake(body: string): number {
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (GSM7_BASIC.has(ch)) septets += 1;
    else if (GSM7_EXT.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  const units = body.length;
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

function errorBody(status: number, code: number, message?: string) {
  return {
    code,
    message: message ?? DEFAULT_MESSAGES[code] ?? `Error ${code}`,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function formToRecord(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFakeTwilio(opts: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? 'AC' + 'f'.repeat(32);
  const authToken = opts.authToken ?? 'fake-twilio-auth-token';
  const mps = opts.mps;
  let optOutHandling: FakeOptOutHandling = 'default';
  let keywords: Record<'STOP' | 'START' | 'HELP', string[]> = { STOP: [], START: [], HELP: [] };
  function configureOptOut(mode: FakeOptOutHandling, extra: FakeTwilioOptions['extraKeywords'] = {}) {
    optOutHandling = mode;
    keywords = {
      STOP: [...TWILIO_KEYWORDS.STOP],
      START: [...TWILIO_KEYWORDS.START],
      HELP: [...TWILIO_KEYWORDS.HELP],
    };
    if (mode === 'advanced')
      for (const t of ['STOP', 'START', 'HELP'] as const)
        for (const k of extra[t] ?? []) keywords[t].push(k.toUpperCase());
  }
  configureOptOut(opts.optOut ?? 'default', opts.extraKeywords);
  /** Blocked (our number | their number) pairs. */
  let blocked = new Set<string>();
  let autoReplies: FakeAutoReply[] = [];
  const pair = (ours: string, theirs: string) => `${ours}|${theirs}`;
  /** Which keyword type Twilio sees in an inbound body (exactly one word, any case), if any. */
  const keywordType = (body: string): 'STOP' | 'START' | 'HELP' | null => {
    if (optOutHandling === 'off') return null;
    const word = body.trim().toUpperCase();
    for (const t of ['STOP', 'START', 'HELP'] as const) if (keywords[t].includes(word)) return t;
    return null;
  };

  let messages: FakeMessage[] = [];
  let requests: FakeTwilioRequest[] = [];
  let inbound: FakeInbound[] = [];
  let creates = 0;
  let rejected429 = 0;
  let acceptedAt: number[] = [];
  /** Token bucket for the mps limiter. */
  let tokens = opts.mps ?? 0;
  let tokensAt = Date.now();
  let failQueue: TwilioFault[] = [];
  let failTo = new Map<string, TwilioFault>();
  let dropQueue = 0;
  let delayQueue: number[] = [];
  let acceptDelayQueue: number[] = [];
  let acceptDelayAll = 0;
  let seq = 0;
  const order = new WeakMap<FakeMessage, number>();

  const base = `/${API_VERSION}/Accounts/${accountSid}`;
  const messageUri = (sid: string) => `${base}/Messages/${sid}.json`;

  function resource(m: FakeMessage) {
    return {
      account_sid: m.accountSid,
      api_version: API_VERSION,
      body: m.body,
      date_created: rfc2822(m.createdAt),
      date_sent: m.sentAt ? rfc2822(m.sentAt) : null,
      date_updated: rfc2822(m.updatedAt),
      direction: 'outbound-api',
      error_code: m.errorCode,
      error_message: m.errorCode === null ? null : (DEFAULT_MESSAGES[m.errorCode] ?? null),
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: {
        media: `${base}/Messages/${m.sid}/Media.json`,
        feedback: `${base}/Messages/${m.sid}/Feedback.json`,
      },
      to: m.to,
      uri: messageUri(m.sid),
    };
  }

  function send(res: ServerResponse, rec: FakeTwilioRequest, status: number, payload: unknown) {
    rec.status = status;
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Twilio-Request-Id': sidOf('RQ'),
      ...(status === 401 ? { 'WWW-Authenticate': 'Basic realm="Twilio API"' } : {}),
    });
    res.end(text);
  }

  const fail = (
    res: ServerResponse,
    rec: FakeTwilioRequest,
    status: number,
    code: number,
    message?: string,
  ) => send(res, rec, status, errorBody(status, code, message));

  function authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(h);
    if (!m?.[1]) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 && decoded.slice(0, i) === accountSid && decoded.slice(i + 1) === authToken;
  }

  async function handleCreate(req: IncomingMessage, res: ServerResponse, rec: FakeTwilioRequest) {
    creates++;
    const raw = await readBody(req);
    const params = formToRecord(raw);

    const delay = delayQueue.shift();
    if (delay !== undefined) await sleep(delay);

    const to = first(params.To);
    const injected = (to !== undefined ? failTo.get(to) : undefined) ?? failQueue.shift();
    if (injected) return fail(res, rec, injected.status, injected.code, injected.message);

    if (!to) return fail(res, rec, 400, 21604);
    if (!E164.test(to))
      return fail(res, rec, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    const from = first(params.From) ?? null;
    const messagingServiceSid = first(params.MessagingServiceSid) ?? null;
    if (!from && !messagingServiceSid) return fail(res, rec, 400, 21603);
    const body = first(params.Body) ?? '';
    if (!body && params.MediaUrl === undefined && params.ContentSid === undefined)
      return fail(res, rec, 400, 21602);
    if (body.length > 1600) return fail(res, rec, 400, 21617);

    // Twilio's block list: the person texted STOP to this sender.
    const sender = from ?? messagingServiceSid ?? '';
    if (blocked.has(pair(sender, to))) return fail(res, rec, 400, 21610);
    const validityRaw = first(params.ValidityPeriod);
    const validityPeriod = validityRaw === undefined ? 36_000 : Number(validityRaw);
    if (!Number.isInteger(validityPeriod) || validityPeriod < 1 || validityPeriod > 36_000)
      return fail(res, rec, 400, 21620, 'ValidityPeriod must be between 1 and 36000 seconds');

    const numSegments = countSegmentsForFake(body);
    const now = Date.now();
    if (mps !== undefined) {
      const capacity = Math.max(mps, numSegments);
      tokens = Math.min(capacity, tokens + ((now - tokensAt) / 1000) * mps);
      tokensAt = now;
      if (tokens < numSegments) {
        rejected429++;
        return fail(res, rec, 429, 20429);
      }
      tokens -= numSegments;
    }

    const created = new Date(now);
    const m: FakeMessage = {
      sid: sidOf('SM'),
      accountSid,
      to,
      from,
      body,
      statusCallback: first(params.StatusCallback) ?? null,
      messagingServiceSid,
      status: from ? 'queued' : 'accepted',
      numSegments,
      createdAt: created,
      updatedAt: created,
      sentAt: null,
      errorCode: null,
      params,
      validityPeriod,
    };
    order.set(m, seq++);
    messages.push(m);
    acceptedAt.push(now);

    if (dropQueue > 0) {
      dropQueue--;
      // Stored, but the client never learns it: the socket dies before a single response byte.
      req.socket.destroy();
      return;
    }
    const acceptDelay = acceptDelayQueue.shift() ?? acceptDelayAll;
    if (acceptDelay) await sleep(acceptDelay);
    send(res, rec, 201, resource(m));
  }

  function dayOf(d: Date): string {
    return d.toISOString().slice(0, 10);
  }

  function handleList(url: URL, res: ServerResponse, rec: FakeTwilioRequest) {
    const q = url.searchParams;
    const to = q.get('To');
    const from = q.get('From');
    const onDay = q.get('DateSent')?.slice(0, 10);
    const afterDay = q.get('DateSent>')?.slice(0, 10);
    const beforeDay = q.get('DateSent<')?.slice(0, 10);
    const pageSize = Math.min(Math.max(Number(q.get('PageSize') ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(q.get('Page') ?? 0) || 0, 0);
    const pageToken = q.get('PageToken');

    const matching = messages
      .filter((m) => {
        if (to !== null && m.to !== to) return false;
        if (from !== null && m.from !== from) return false;
        // See the header comment: day granularity, on date_sent or (while unsent) date_created.
        const day = dayOf(m.sentAt ?? m.createdAt);
        if (onDay !== undefined && day !== onDay) return false;
        if (afterDay !== undefined && day < afterDay) return false;
        if (beforeDay !== undefined && day > beforeDay) return false;
        return true;
      })
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || order.get(b)! - order.get(a)!);

    let startIdx = page * pageSize;
    if (pageToken?.startsWith('PA')) {
      const idx = matching.findIndex((m) => m.sid === pageToken.slice(2));
      if (idx >= 0) startIdx = idx + 1;
    }
    const slice = matching.slice(startIdx, startIdx + pageSize);

    const filters = new URLSearchParams();
    for (const key of ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']) {
      const v = q.get(key);
      if (v !== null) filters.set(key, v);
    }
    const pageUri = (p: number, token?: string) => {
      const s = new URLSearchParams(filters);
      s.set('PageSize', String(pageSize));
      s.set('Page', String(p));
      if (token) s.set('PageToken', token);
      return `${base}/Messages.json?${s.toString()}`;
    };
    const last = slice[slice.length - 1];
    const hasNext = last !== undefined && startIdx + slice.length < matching.length;

    send(res, rec, 200, {
      messages: slice.map(resource),
      page,
      page_size: pageSize,
      uri: `${base}/Messages.json${url.search}`,
      first_page_uri: pageUri(0),
      next_page_uri: hasNext ? pageUri(page + 1, `PA${last.sid}`) : null,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: startIdx,
      end: startIdx + Math.max(slice.length - 1, 0),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: FakeTwilioRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      at: Date.now(),
      status: null,
    };
    requests.push(rec);

    if (!authorized(req)) {
      await readBody(req);
      return fail(res, rec, 401, 20003);
    }

    const list = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    const one = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(url.pathname);
    const acct = list?.[1] ?? one?.[1];
    const notFound = () => fail(res, rec, 404, 20404, `The requested resource ${url.pathname} was not found`);

    if (acct !== undefined && acct !== accountSid) return notFound();
    if (list && req.method === 'POST') return handleCreate(req, res, rec);
    if (list && req.method === 'GET') return handleList(url, res, rec);
    if (one && req.method === 'GET') {
      const m = messages.find((x) => x.sid === one[2]);
      return m ? send(res, rec, 200, resource(m)) : notFound();
    }
    await readBody(req);
    return notFound();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(errorBody(500, 20500, String(err))));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const signInbound = (url: string, params: Record<string, string>, token = authToken) =>
    twilio.getExpectedTwilioSignature(token, url, params);

  async function postSigned(url: string, params: Record<string, string>, token: string) {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': signInbound(url, params, token),
        'I-Twilio-Idempotency-Token': randomBytes(16).toString('hex'),
        'User-Agent': 'TwilioProxy/1.1',
        Accept: '*/*',
      },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, text: await res.text() };
  }

  const fake: FakeTwilio = {
    baseUrl,
    accountSid,
    authToken,
    get messages() {
      return messages;
    },
    get requests() {
      return requests;
    },
    get inbound() {
      return inbound;
    },
    get creates() {
      return creates;
    },
    get rejected429() {
      return rejected429;
    },
    get acceptedAt() {
      return acceptedAt;
    },
    get autoReplies() {
      return autoReplies;
    },
    configureOptOut,
    isBlocked(from, to) {
      return blocked.has(pair(from, to));
    },
    expireQueued(atMs = Date.now()) {
      const expired = messages.filter(
        (m) =>
          (m.status === 'queued' || m.status === 'accepted') &&
          m.createdAt.getTime() + m.validityPeriod * 1000 <= atMs,
      );
      for (const m of expired) {
        m.status = 'failed';
        m.errorCode = 30036;
        m.updatedAt = new Date(atMs);
      }
      return expired;
    },
    byBody(match) {
      return messages.filter((m) =>
        typeof match === 'string' ? m.body.includes(match) : match.test(m.body),
      );
    },
    byTo(to) {
      return messages.filter((m) => m.to === to);
    },
    get(sid) {
      return messages.find((m) => m.sid === sid);
    },
    failNext(n, fault) {
      for (let i = 0; i < n; i++) failQueue.push(fault);
    },
    failFor(to, fault) {
      failTo.set(to, fault);
    },
    dropAfterAcceptNext(n) {
      dropQueue += n;
    },
    slowAcceptNext(n, ms) {
      for (let i = 0; i < n; i++) acceptDelayQueue.push(ms);
    },
    slowAcceptAll(ms) {
      acceptDelayAll = ms;
    },
    delayNext(n, ms) {
      for (let i = 0; i < n; i++) delayQueue.push(ms);
    },
    reset() {
      messages = [];
      requests = [];
      inbound = [];
      creates = 0;
      rejected429 = 0;
      acceptedAt = [];
      blocked = new Set();
      autoReplies = [];
      configureOptOut(opts.optOut ?? 'default', opts.extraKeywords);
      tokens = mps ?? 0;
      tokensAt = Date.now();
      failQueue = [];
      failTo = new Map();
      dropQueue = 0;
      delayQueue = [];
      acceptDelayQueue = [];
      acceptDelayAll = 0;
    },

    async sendStatusCallback(sid, status, o = {}) {
      const m = messages.find((x) => x.sid === sid);
      if (!m) throw new Error(`fake twilio: no message ${sid}`);
      const url = o.url ?? m.statusCallback;
      if (!url) throw new Error(`fake twilio: message ${sid} has no StatusCallback (pass opts.url)`);
      const now = new Date();
      m.status = status;
      m.updatedAt = now;
      if (['sent', 'delivered', 'undelivered', 'read'].includes(status) && !m.sentAt) m.sentAt = now;
      if (o.errorCode !== undefined) m.errorCode = o.errorCode;
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        ...(m.from ? { From: m.from } : {}),
        MessageSid: m.sid,
        MessageStatus: status,
        ...(m.messagingServiceSid ? { MessagingServiceSid: m.messagingServiceSid } : {}),
        SmsSid: m.sid,
        SmsStatus: status,
        To: m.to,
        ...(o.errorCode !== undefined ? { ErrorCode: String(o.errorCode) } : {}),
      };
      const r = await postSigned(url, params, o.authToken ?? authToken);
      return r.status;
    },

    signInbound,

    async postInbound(url, p, token = authToken) {
      const sid = p.MessageSid ?? sidOf('SM');
      const params: Record<string, string> = {
        ToCountry: 'US',
        FromCountry: 'US',
        SmsMessageSid: sid,
        NumMedia: '0',
        SmsSid: sid,
        SmsStatus: 'received',
        NumSegments: String(countSegmentsForFake(p.Body)),
        MessageSid: sid,
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
      };
      for (const [k, v] of Object.entries(p)) if (v !== undefined) params[k] = v;
      // Twilio's own keyword handling happens first (even without a webhook), then the webhook is posted.
      const type = keywordType(p.Body);
      if (type) {
        if (type === 'STOP') blocked.add(pair(p.To, p.From));
        if (type === 'START') blocked.delete(pair(p.To, p.From));
        autoReplies.push({
          to: p.From,
          from: p.To,
          keyword: p.Body.trim().toUpperCase(),
          type,
          body: TWILIO_AUTO_REPLIES[type],
          at: Date.now(),
        });
        if (optOutHandling === 'advanced' && params.OptOutType === undefined) params.OptOutType = type;
      }
      const r = await postSigned(url, params, token);
      inbound.push({ url, params, status: r.status, text: r.text, at: Date.now() });
      return r;
    },

    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
