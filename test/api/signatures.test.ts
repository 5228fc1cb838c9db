/**
 * Twilio webhook signatures against real Postgres: with Twilio configured, /webhooks/twilio/sms and /status accept
 * only requests signed (by the twilio SDK's own algorithm) over PUBLIC_BASE_URL + path + query, whatever URL or
 * forwarding headers the request arrives with; anything else is 403 problem+json and leaves no trace.
 */
import type { Client } from '@temporalio/client';
import { count, eq } from 'drizzle-orm';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  consentEvents,
  inboundMessages,
  messages,
  messageStatusEvents,
  suppressions,
} from '../../db/schema.js';
import { testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

const AUTH_TOKEN = 'test-twilio-auth-token-0123456789ab';
const PUBLIC = 'https://crewline.example.com';
/** Where the request physically arrives (behind a proxy): not the public URL. */
const INTERNAL = 'http://10.0.0.7:8080';
const ACCOUNT_SID = 'AC00000000000000000000000000000001';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: ReturnType<typeof testApp>;
let temporalCalls = 0;

/**
 * Messages from unknown numbers are kept as `unrouted` without Temporal; a forged keyword must not reach it
 * either. Any use of the client is counted (and fails, like an unreachable server).
 */
const noTemporal = new Proxy(
  {},
  {
    get() {
      temporalCalls++;
      throw new Error('Temporal must not be used by these requests');
    },
  },
) as Client;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, noTemporal, {
    twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', apiBaseUrl: undefined },
    publicBaseUrl: PUBLIC,
  });
});
afterAll(async () => {
  await database?.close();
});
beforeEach(() => {
  temporalCalls = 0;
});

const sign = (url: string, params: Record<string, string>, token = AUTH_TOKEN) =>
  twilio.getExpectedTwilioSignature(token, url, params);

function post(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return app.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

async function expectForbidden(res: Response) {
  expect(res.status).toBe(403);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(await res.json()).toMatchObject({ status: 403, title: 'Forbidden' });
}

const rows = async (table: typeof inboundMessages | typeof consentEvents | typeof suppressions) =>
  (await database.db.select({ n: count() }).from(table))[0]!.n;

interface Forgery {
  name: string;
  /** URL the app is called with, its params, its headers. */
  build: (
    path: string,
    params: Record<string, string>,
  ) => { url: string; params: Record<string, string>; headers: Record<string, string> };
}

/** Each forgery starts from a request Twilio could have sent and changes one thing. */
const forgeries: Forgery[] = [
  {
    name: 'a parameter tampered with after signing',
    build: (path, params) => ({
      url: INTERNAL + path,
      params: { ...params, From: '+14155550999' },
      headers: { 'x-twilio-signature': sign(PUBLIC + path, params) },
    }),
  },
  {
    name: 'a parameter added after signing',
    build: (path, params) => {
      const signed = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'ErrorCode'));
      return {
        url: INTERNAL + path,
        params: { ...params, ErrorCode: params.ErrorCode ?? '30006' },
        headers: { 'x-twilio-signature': sign(PUBLIC + path, signed) },
      };
    },
  },
  {
    name: 'no X-Twilio-Signature header',
    build: (path, params) => ({ url: INTERNAL + path, params, headers: {} }),
  },
  {
    name: 'an empty X-Twilio-Signature header',
    build: (path, params) => ({ url: INTERNAL + path, params, headers: { 'x-twilio-signature': '' } }),
  },
  {
    name: 'a signature made with the wrong auth token',
    build: (path, params) => ({
      url: INTERNAL + path,
      params,
      headers: { 'x-twilio-signature': sign(PUBLIC + path, params, 'some-other-accounts-token-000000') },
    }),
  },
  {
    name: 'a signature over the http:// URL instead of https://',
    build: (path, params) => ({
      url: INTERNAL + path,
      params,
      headers: { 'x-twilio-signature': sign(PUBLIC.replace('https://', 'http://') + path, params) },
    }),
  },
  {
    name: 'an extra query parameter the signature does not cover',
    build: (path, params) => ({
      url: `${INTERNAL}${path}${path.includes('?') ? '&' : '?'}extra=1`,
      params,
      headers: { 'x-twilio-signature': sign(PUBLIC + path, params) },
    }),
  },
  {
    name: 'a spoofed Host / X-Forwarded-Host / X-Forwarded-Proto with a signature for the attacker’s host',
    build: (path, params) => ({
      url: `https://attacker.example${path}`,
      params,
      headers: {
        host: 'attacker.example',
        'x-forwarded-host': 'attacker.example',
        'x-forwarded-proto': 'https',
        'x-twilio-signature': sign(`https://attacker.example${path}`, params),
      },
    }),
  },
];

describe('POST /webhooks/twilio/sms with Twilio configured', () => {
  const path = '/webhooks/twilio/sms';
  const inbound = (sid: string, body: string) => ({
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: '+14155550150',
    To: '+15005550006',
    Body: body,
    ApiVersion: '2010-04-01',
  });

  it('accepts a request signed by the twilio SDK over the public URL, although it arrives elsewhere', async () => {
    const params = inbound('SM_sig_ok', 'hello there');
    const res = await post(INTERNAL + path, params, { 'x-twilio-signature': sign(PUBLIC + path, params) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    const [row] = await database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, 'SM_sig_ok'));
    expect(row).toMatchObject({ fromPhone: '+14155550150', body: 'hello there', routeStatus: 'unrouted' });
    expect(temporalCalls).toBe(0);
  });

  it('the SDK’s own validator agrees with what the app accepts (same URL, same params)', async () => {
    const params = inbound('SM_sig_ok_2', 'second');
    const signature = sign(`${PUBLIC}${path}`, params);
    expect(twilio.validateRequest(AUTH_TOKEN, signature, `${PUBLIC}${path}`, params)).toBe(true);
    const res = await post(`http://127.0.0.1:3000${path}`, params, { 'x-twilio-signature': signature });
    expect(res.status).toBe(200);
  });

  it.each(forgeries.map((f) => [f.name, f] as const))(
    'rejects %s with 403 and stores nothing',
    async (_name, forgery) => {
      const before = {
        inbound: await rows(inboundMessages),
        consent: await rows(consentEvents),
        supp: await rows(suppressions),
      };
      // STOP: had it been accepted it would also have changed the number's consent.
      const sid = `SM_forged_${forgeries.indexOf(forgery)}`;
      const req = forgery.build(path, inbound(sid, 'STOP'));
      await expectForbidden(await post(req.url, req.params, req.headers));
      expect(
        await database.db.select().from(inboundMessages).where(eq(inboundMessages.providerSid, sid)),
      ).toEqual([]);
      expect({
        inbound: await rows(inboundMessages),
        consent: await rows(consentEvents),
        supp: await rows(suppressions),
      }).toEqual(before);
      expect(temporalCalls).toBe(0);
    },
  );
});

describe('POST /webhooks/twilio/status with Twilio configured', () => {
  let messageId: number;
  const sid = 'SM_status_sig_0000000000000000001';
  const phone = '+14155550160';
  const path = () => `/webhooks/twilio/status?outboxId=${messageId}`;
  const callback = (status: string, extra: Record<string, string> = {}) => ({
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    From: '+15005550006',
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    To: phone,
    ...extra,
  });

  beforeAll(async () => {
    const [row] = await database.db
      .insert(messages)
      .values({
        idempotencyKey: 'sig:status:1',
        toPhone: phone,
        body: 'Crewline check-in',
        kind: 'checkin_prompt',
        provider: 'twilio',
        providerSid: sid,
        status: 'queued',
      })
      .returning();
    messageId = row!.id;
  });

  const state = async () => ({
    message: (await database.db.query.messages.findFirst({ where: eq(messages.id, messageId) }))?.status,
    events: await database.db
      .select()
      .from(messageStatusEvents)
      .where(eq(messageStatusEvents.messageId, messageId)),
    suppressed: await database.db.select().from(suppressions).where(eq(suppressions.phone, phone)),
  });

  it.each(forgeries.map((f) => [f.name, f] as const))(
    'rejects %s with 403 and records no status event',
    async (_name, forgery) => {
      const before = await state();
      // "undelivered" with 30006 would mark the number invalid: a forgery must not be able to do that.
      const req = forgery.build(path(), callback('undelivered', { ErrorCode: '30006' }));
      await expectForbidden(await post(req.url, req.params, req.headers));
      expect(await state()).toEqual(before);
      expect(before.events).toEqual([]);
      expect(before.message).toBe('queued');
    },
  );

  it('rejects a signature over the URL without ?outboxId (the query is signed too)', async () => {
    const params = callback('sent');
    const res = await post(INTERNAL + path(), params, {
      'x-twilio-signature': sign(`${PUBLIC}/webhooks/twilio/status`, params),
    });
    await expectForbidden(res);
    expect((await state()).events).toEqual([]);
  });

  it('accepts a callback signed by the twilio SDK over public URL + path + query and applies it', async () => {
    const params = callback('delivered');
    const res = await post(INTERNAL + path(), params, {
      'x-twilio-signature': sign(PUBLIC + path(), params),
    });
    expect(res.status).toBe(204);
    const after = await state();
    expect(after.message).toBe('delivered');
    expect(after.events.map((e) => [e.status, e.applied])).toEqual([['delivered', 1]]);
    expect(after.suppressed).toEqual([]);
  });
});
