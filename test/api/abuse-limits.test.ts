/**
 * Abuse limits (issue 13) on real Postgres, shared by two API processes (two apps over one database):
 * one-time-code requests per phone (per 15 minutes and per day) and per address, answered 429 problem+json with
 * Retry-After; numbers that cannot (or should not) get a text refused with a 400 naming `phone` and never texted
 * (SMS-pumping defence); inbound texts per phone per minute beyond which they are stored but not acted on.
 * Temporal is a recording fake here: none of these paths may reach it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../api/deps.js';
import { inboundMessages, members, messages, signInCodes } from '../../db/schema.js';
import { testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const SECRET = 'abuse-limits-test-secret-0123456789abcdefgh';

/** Records every workflow start and signal; a test that expects none checks the lists are empty. */
const calls = { starts: [] as string[], signals: [] as string[] };
const recordingTemporal = {
  connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
  workflow: {
    start: async (_type: string, opts: { workflowId: string }) => {
      calls.starts.push(opts.workflowId);
      return {};
    },
    getHandle: (workflowId: string) => ({
      signal: async () => {
        calls.signals.push(workflowId);
      },
    }),
  },
} as unknown as Client;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const apiWith = (config: Partial<AppConfig> = {}, auth: AppConfig['auth'] = {}) =>
  testApp(database.db, recordingTemporal, {
    trustProxy: true,
    ...config,
    auth: { tokenSecret: SECRET, ...auth },
  });
const askCode = (app: ReturnType<typeof apiWith>, phone: string, ip = '198.51.100.1') =>
  app.request('/auth/otp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ phone }),
  });

let seq = 0;
const phone = () => `+1202555${String(1000 + seq++).padStart(4, '0')}`;

async function expect429(res: Response, maxRetryAfter: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  return (await res.json()) as { status: number; detail: string };
}

/**
 * The limits count in fixed windows (db/rate-limits.ts: a window of N seconds starts at a multiple of N since the
 * epoch), so requests that must land in one window start at least 20 s before the windows of these lengths end.
 */
async function awayFromWindowEnds(...windowSeconds: number[]): Promise<void> {
  for (;;) {
    const waits = windowSeconds.map((w) => {
      const left = w * 1000 - (Date.now() % (w * 1000));
      return left < 20_000 ? left + 100 : 0;
    });
    const wait = Math.max(...waits);
    if (wait === 0) return;
    await new Promise((r) => setTimeout(r, wait));
  }
}

describe('one-time-code requests', () => {
  it('per phone: 3 per 15 minutes by default, counted across two API processes; other phones unaffected', async () => {
    await awayFromWindowEnds(900);
    const [a, b] = [apiWith(), apiWith()];
    const p = phone();
    const statuses = [];
    for (const app of [a, b, a]) statuses.push((await askCode(app, p, `198.51.100.${seq}`)).status);
    expect(statuses).toEqual([202, 202, 202]);
    const refused = await expect429(await askCode(b, p, '198.51.100.99'), 900);
    expect(refused.detail).toMatch(/for this number/);
    expect(refused.detail).not.toContain(p); // no phone number in error texts
    expect((await askCode(a, phone())).status).toBe(202);
  });

  it('per phone per day: the day limit holds even when the 15-minute one would allow more', async () => {
    await awayFromWindowEnds(900, 86_400);
    const app = apiWith({}, { otpPerPhonePer15Min: 100, otpPerPhonePerDay: 4 });
    const p = phone();
    for (let i = 0; i < 4; i++) expect((await askCode(app, p)).status).toBe(202);
    await expect429(await askCode(app, p), 86_400);
  });

  it('per address: 20 per hour by default (here 2), whatever the phones; other addresses unaffected', async () => {
    await awayFromWindowEnds(3600);
    const app = apiWith({}, { otpPerIpPerHour: 2 });
    const ip = '203.0.113.77';
    expect((await askCode(app, phone(), ip)).status).toBe(202);
    expect((await askCode(app, phone(), ip)).status).toBe(202);
    const refused = await expect429(await askCode(app, phone(), ip), 3600);
    expect(refused.detail).toMatch(/from this address/);
    expect((await askCode(app, phone(), '203.0.113.78')).status).toBe(202);
  });

  it('premium-rate, shared-cost, toll-free, personal, UAN, fixed-line and unknown numbers: 400 naming phone, never texted', async () => {
    const app = apiWith();
    const premiumMember = { id: randomUUID(), phone: '+19005550100' };
    await database.db.insert(members).values({
      ...premiumMember,
      name: 'P',
      timezone: 'America/New_York',
      checkInTime: '09:00',
      status: 'active',
    });
    calls.starts.length = 0;
    const refused = {
      '+19005550100': 'premium-rate', // US 900, and a member's number: refused all the same
      '+449098790123': 'premium-rate',
      '+33811234567': 'shared-cost',
      '+18005550100': 'toll-free',
      '+447012345678': 'personal-number',
      '+445512345678': 'uan',
      '+442079460000': 'fixed-line',
      '+447700900123': 'not a valid phone number', // a range no operator has
    };
    for (const [number, why] of Object.entries(refused)) {
      const res = await askCode(app, number);
      expect(res.status, number).toBe(400);
      const p = (await res.json()) as { errors: Array<{ field: string; message: string }> };
      expect(p.errors).toEqual([{ field: 'phone', message: expect.stringContaining(why) }]);
    }
    expect(calls.starts).toEqual([]);
    expect(await database.db.select().from(signInCodes)).toEqual([]);
    expect(await database.db.select().from(messages)).toEqual([]);
    // Mobile ranges are accepted (the same 202 as for everyone).
    for (const number of ['+447911123456', '+33612345678', '+14155550123'])
      expect((await askCode(app, number)).status, number).toBe(202);
  });

  it('code guesses and refreshes need no key but count against the per-address API limit', async () => {
    const app = apiWith({
      rateLimits: { perKeyPerMinute: Infinity, perIpPerMinute: 2, windowSeconds: 3600 },
    });
    const guess = () =>
      app.request('/auth/otp/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.44' },
        body: JSON.stringify({ phone: '+14155550123', code: '123456' }),
      });
    expect((await guess()).status).toBe(401);
    expect((await guess()).status).toBe(401);
    await expect429(await guess(), 3600);
  });

  it('without a token secret sign-in is off: /auth answers 503 and a JWT-shaped bearer is 401', async () => {
    const off = testApp(database.db, recordingTemporal);
    const res = await askCode(off, phone());
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const me = await off.request('/me', { headers: { authorization: 'Bearer aaa.bbb.ccc' } });
    expect(me.status).toBe(401);
  });
});

describe('inbound texts per phone per minute', () => {
  const text = (app: ReturnType<typeof apiWith>, from: string, sid: string, body = 'done') =>
    app.request('/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: sid, From: from, To: '+15005550006', Body: body }).toString(),
    });

  it('beyond the limit a text is stored (nothing lost) but not acted on: no signal, no reply', async () => {
    await awayFromWindowEnds(60);
    const [a, b] = [apiWith({ inboundPerPhonePerMinute: 2 }), apiWith({ inboundPerPhonePerMinute: 2 })];
    const member = { id: randomUUID(), phone: phone() };
    await database.db.insert(members).values({
      ...member,
      name: 'F',
      timezone: 'UTC',
      checkInTime: '09:00',
      status: 'active',
    });
    calls.signals.length = 0;
    calls.starts.length = 0;
    const sid = (n: number) =>
      `SM${member.id.replaceAll('-', '').slice(0, 20)}${String(n).padStart(12, '0')}`;
    expect((await text(a, member.phone, sid(1))).status).toBe(200);
    // Twilio retrying the same webhook is not a second text: not counted.
    expect((await text(b, member.phone, sid(1))).status).toBe(200);
    expect((await text(b, member.phone, sid(2))).status).toBe(200);
    expect(calls.signals).toEqual([`member-${member.id}`, `member-${member.id}`]);

    // The third text within the minute, even HELP: stored, unrouted, nobody signalled or started, no reply.
    expect((await text(a, member.phone, sid(3), 'flood')).status).toBe(200);
    expect((await text(b, member.phone, sid(4), 'HELP')).status).toBe(200);
    expect(calls.signals).toHaveLength(2);
    expect(calls.starts).toEqual([]);
    const rows = await database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.fromPhone, member.phone))
      .orderBy(inboundMessages.id);
    expect(rows.map((r) => [r.body, r.routeStatus])).toEqual([
      ['done', 'routed'],
      ['done', 'routed'],
      ['flood', 'unrouted'],
      ['HELP', 'unrouted'],
    ]);
    expect(await database.db.select().from(messages).where(eq(messages.toPhone, member.phone))).toEqual([]);

    // Another phone is not affected.
    const other = phone();
    await database.db.insert(members).values({
      id: randomUUID(),
      phone: other,
      name: 'G',
      timezone: 'UTC',
      checkInTime: '09:00',
      status: 'active',
    });
    expect((await text(a, other, `SM${'9'.repeat(32)}`)).status).toBe(200);
    expect(calls.signals).toHaveLength(3);
  });

  it('a STOP over the limit still opts the number out (the ledger is written at ingest)', async () => {
    await awayFromWindowEnds(60);
    const app = apiWith({ inboundPerPhonePerMinute: 1 });
    const from = phone();
    expect((await text(app, from, `SM${'a'.repeat(20)}${seq}x1`, 'hello')).status).toBe(200);
    expect((await text(app, from, `SM${'a'.repeat(20)}${seq}x2`, 'STOP')).status).toBe(200);
    const consent = await app.request(`/consent/${encodeURIComponent(from)}`, {
      headers: { authorization: 'Bearer test-api-key-123456' },
    });
    expect(consent.status).toBe(200);
    expect(await consent.json()).toMatchObject({
      state: { suppressed: ['opt_out'], transactional: false },
      events: [{ action: 'opt_out', source: 'sms_keyword' }],
    });
    const stored = await database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.fromPhone, from));
    expect(stored.find((r) => r.body === 'STOP')?.routeStatus).toBe('unrouted');
  });
});
