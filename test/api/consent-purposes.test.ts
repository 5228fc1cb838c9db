/**
 * Consent per purpose on real Postgres: a member reads and revokes one purpose with their access token
 * (`/me/consent`), an admin records one through `POST /consent`; the send gate (the `sendSms` activity with the
 * sandbox provider) sends a text only with consent for its purpose; STOP revokes every purpose and START restores
 * the transactional ones the person had — never campaign consent, never a purpose they revoked on its own.
 * Temporal is not needed: a per-purpose change is the gate's (no workflow is told), and STOP/START here go
 * through the ledger API for a number without a member workflow.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { createSandboxProvider } from '../../activities/sms/sandbox.js';
import { createTokenService } from '../../api/tokens.js';
import { auditEvents, authSessions, consentEvents, members } from '../../db/schema.js';
import { activityEnvironment } from '../helpers/activity.js';
import { json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

const SECRET = 'consent-purposes-test-secret-0123456789abcdef';
const NO_TEMPORAL = {} as Client;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: ReturnType<typeof testApp>;
let acts: ReturnType<typeof createActivities>;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, NO_TEMPORAL, { auth: { tokenSecret: SECRET } });
  acts = createActivities({ db: database.db, sms: createSandboxProvider() });
}, 120_000);
afterAll(async () => {
  await database?.close();
});

interface MyConsent {
  purposes: Record<'checkins' | 'crews' | 'mentorship' | 'campaigns', boolean>;
  optedOut: boolean;
  events: Array<{ purpose: string; action: string; source: string; evidence: Record<string, unknown> }>;
  changed?: boolean;
}

let seq = 0;
/** A member with a live session and its access token (as POST /auth/otp/verify would give). */
async function signedInMember() {
  const id = randomUUID();
  const phone = `+1415555${String(6100 + seq++).padStart(4, '0')}`;
  await database.db
    .insert(members)
    .values({ id, name: 'P', phone, timezone: 'America/New_York', checkInTime: '19:00', status: 'active' });
  const sessionId = randomUUID();
  await database.db
    .insert(authSessions)
    .values({ id: sessionId, memberId: id, expiresAt: new Date(Date.now() + 3_600_000) });
  const { token } = await createTokenService({ tokenSecret: SECRET })!.signAccessToken({
    sessionId,
    memberId: id,
    scopes: ['member'],
  });
  return { id, phone, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
}
type Member = Awaited<ReturnType<typeof signedInMember>>;

async function mine(m: Member): Promise<MyConsent> {
  const res = await app.request('/me/consent', { headers: m.headers });
  expect(res.status).toBe(200);
  return (await res.json()) as MyConsent;
}
async function change(m: Member, body: unknown) {
  const res = await app.request('/me/consent', {
    method: 'POST',
    headers: m.headers,
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as MyConsent };
}
async function admin(body: Record<string, unknown>) {
  const res = await app.request('/consent', { method: 'POST', headers: json, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
}
const ledgerOf = (phone: string) =>
  database.db.select().from(consentEvents).where(eq(consentEvents.phone, phone));

/** A text to the member through the send gate, as a workflow of that purpose sends it. */
const send = (m: Member, idempotencyKey: string): Promise<SendSmsResult> => {
  const input: SendSmsInput = {
    idempotencyKey,
    to: { memberId: m.id },
    kind: 'test',
    purpose: 'transactional',
    body: 'A text',
    window: null,
  };
  return activityEnvironment().run(acts.sendSms, input);
};

describe('a member’s consent by purpose', () => {
  it('reads every transactional purpose as given and campaigns as not, until an explicit opt-in', async () => {
    const m = await signedInMember();
    expect(await mine(m)).toMatchObject({
      purposes: { checkins: true, crews: true, mentorship: true, campaigns: false },
      optedOut: false,
      events: [],
    });
  });

  it('revokes crews with the member token: in the ledger once, audited, and crew texts are no longer sent', async () => {
    const m = await signedInMember();
    const off = await change(m, { purpose: 'crews', action: 'opt_out' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({
      changed: true,
      purposes: { checkins: true, crews: false, mentorship: true, campaigns: false },
    });
    // The same revocation again changes nothing.
    expect((await change(m, { purpose: 'crews', action: 'opt_out' })).body.changed).toBe(false);
    const ledger = await ledgerOf(m.phone);
    expect(ledger.map((e) => [e.purpose, e.action, e.source, e.changed])).toEqual([
      ['crews', 'opt_out', 'api', true],
      ['crews', 'opt_out', 'api', false],
    ]);
    expect(ledger[0]!.evidence).toMatchObject({ memberId: m.id, via: 'member_token' });
    const audited = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, m.id), eq(auditEvents.action, 'consent.change')));
    expect(audited.length).toBe(2);
    expect(JSON.stringify(audited)).not.toContain(m.phone);

    expect(await send(m, `crew-challenge:c-${m.id}:pulse:1:member:${m.id}`)).toMatchObject({
      outcome: 'dropped',
      reason: 'no_consent:crews',
    });
    expect(await send(m, `member:${m.id}:checkin:2026-11-30`)).toMatchObject({ outcome: 'sent' });
    expect(await send(m, `mentorship-match:x-${m.id}:offer:y`)).toMatchObject({ outcome: 'sent' });

    // Given back: crew texts go out again.
    const on = await change(m, { purpose: 'crews', action: 'opt_in' });
    expect(on.body).toMatchObject({ changed: true, purposes: { crews: true } });
    expect(await send(m, `crew-challenge:c-${m.id}:pulse:2:member:${m.id}`)).toMatchObject({
      outcome: 'sent',
    });
  });

  it('revoking check-ins stops check-in texts, while a direct answer to the member’s own text still goes', async () => {
    const m = await signedInMember();
    await change(m, { purpose: 'checkins', action: 'opt_out' });
    expect(await send(m, `member:${m.id}:checkin:2026-11-30`)).toMatchObject({
      outcome: 'dropped',
      reason: 'no_consent:checkins',
    });
    expect(await send(m, `inbound:9${seq}:clarify`)).toMatchObject({ outcome: 'sent' });
  });

  it('STOP revokes every purpose; START restores check-ins and crews, not mentorship (revoked before) nor campaigns', async () => {
    const m = await signedInMember();
    await admin({ phone: m.phone, purpose: 'campaigns', action: 'opt_in', evidence: 'web form #12' });
    expect((await mine(m)).purposes.campaigns).toBe(true);
    expect((await ledgerOf(m.phone)).map((e) => e.purpose)).toEqual(['marketing']);
    await change(m, { purpose: 'mentorship', action: 'opt_out' });

    await admin({ phone: m.phone, purpose: 'all', action: 'opt_out' }); // as STOP records it
    expect(await mine(m)).toMatchObject({
      optedOut: true,
      purposes: { checkins: false, crews: false, mentorship: false, campaigns: false },
    });
    expect(await send(m, `member:${m.id}:checkin:2026-12-01`)).toMatchObject({ outcome: 'dropped' });
    // A member's opt-in of one purpose does not lift STOP.
    const tried = await change(m, { purpose: 'checkins', action: 'opt_in' });
    expect(tried.body).toMatchObject({ optedOut: true, purposes: { checkins: false } });

    await admin({ phone: m.phone, purpose: 'all', action: 'opt_in', evidence: 'START by SMS' });
    expect(await mine(m)).toMatchObject({
      optedOut: false,
      purposes: { checkins: true, crews: true, mentorship: false, campaigns: false },
    });
    expect(await send(m, `member:${m.id}:checkin:2026-12-02`)).toMatchObject({ outcome: 'sent' });
    expect(await send(m, `mentorship-match:z-${m.id}:offer:y`)).toMatchObject({
      outcome: 'dropped',
      reason: 'no_consent:mentorship',
    });
  });

  it('the admin state of a number shows its purposes', async () => {
    const m = await signedInMember();
    await admin({ phone: m.phone, purpose: 'mentorship', action: 'opt_out' });
    const res = await app.request(`/consent/${encodeURIComponent(m.phone)}`, { headers: json });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { state: { purposes: MyConsent['purposes'] } };
    expect(body.state.purposes).toEqual({ checkins: true, crews: true, mentorship: false, campaigns: false });
  });

  it('bad input is a 400 problem naming the field, and nothing is recorded', async () => {
    const m = await signedInMember();
    for (const [body, field] of [
      [{ purpose: 'sms', action: 'opt_out' }, 'purpose'],
      [{ purpose: 'crews', action: 'pause' }, 'action'],
      [{ purpose: 'crews', action: 'opt_out', phone: '+14155550000' }, 'phone'],
    ] as const) {
      const r = await change(m, body);
      expect(r.status).toBe(400);
      expect(r.type).toContain('application/problem+json');
      expect(JSON.stringify(r.body)).toContain(field);
    }
    expect(await ledgerOf(m.phone)).toEqual([]);
  });

  it('an API key cannot call /me/consent, and a member token cannot call /consent', async () => {
    const m = await signedInMember();
    expect((await app.request('/me/consent', { headers: json })).status).toBe(403);
    expect(
      (await app.request(`/consent/${encodeURIComponent(m.phone)}`, { headers: m.headers })).status,
    ).toBe(403);
  });
});
