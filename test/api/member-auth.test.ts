/**
 * Member and mentor sign-in (issue 13) on real Postgres, the time-skipping Temporal server and the real workers
 * with the sandbox SMS provider: the one-time code goes out through the messaging core (quiet hours do not hold
 * it), is single use with an attempt limit, and gives an access token plus a rotating refresh token. Then the
 * OWASP API Top 10 token attacks: alg none, expired, wrong signature, tampered claims, wrong audience or
 * issuer, a revoked session, refresh-token reuse, member A reading member B, a mentor reading another mentor's
 * mentee, and mass assignment on the sign-in bodies.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq, inArray } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createSandboxProvider } from '../../activities/sms/sandbox.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../api/tokens.js';
import {
  authSessions,
  checkIns,
  members,
  mentors,
  mentorshipMatches,
  messages,
  signInCodes,
} from '../../db/schema.js';
import { DEFAULT_POLICY, type CompliancePolicy } from '../../workflows/lib/compliance.js';
import { createWorkers } from '../../worker/worker.js';
import { auth, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const SECRET = 'member-auth-test-secret-0123456789abcdefghij';
/** Transactional texts only in one minute a day, far from now: a code held by quiet hours would not come. */
const farMinute = () => {
  const h = (new Date().getUTCHours() + 12) % 24;
  return { start: `${String(h).padStart(2, '0')}:00`, end: `${String(h).padStart(2, '0')}:01` };
};
const STRICT_POLICY: CompliancePolicy = {
  ...DEFAULT_POLICY,
  purposes: { ...DEFAULT_POLICY.purposes, transactional: { window: farMinute(), maxPer24h: null } },
};

let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Awaited<ReturnType<typeof createWorkers>>;
let running: Promise<void>;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  [env, database] = await Promise.all([timeSkippingEnv(), createTestDatabase()]);
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({ db: database.db, sms: createSandboxProvider(), policy: STRICT_POLICY }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  app = testApp(database.db, env.client, {
    auth: { tokenSecret: SECRET, otpPerPhonePer15Min: 100, otpPerPhonePerDay: 100, otpPerIpPerHour: 1000 },
  });
}, 120_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const get = (path: string, token?: string) =>
  app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

let seq = 0;
async function newMember(name = 'Ana') {
  const id = randomUUID();
  const phone = `+1415555${String(1000 + seq++).padStart(4, '0')}`;
  await database.db
    .insert(members)
    .values({ id, name, phone, timezone: 'America/New_York', checkInTime: '19:00', status: 'active' });
  return { id, phone };
}

/** Asks for a code and reads it from the sandbox outbox (the messaging core's `messages` table). */
async function requestCode(phone: string, memberId: string): Promise<string> {
  const before = await database.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.memberId, memberId), eq(messages.kind, 'sign_in_code')));
  const res = await post('/auth/otp', { phone });
  expect(res.status).toBe(202);
  // Handed to the provider (sandbox: sent, then delivered) — not held by the strict quiet hours.
  const sent = await waitFor(async () => {
    const rows = await database.db
      .select()
      .from(messages)
      .where(and(eq(messages.memberId, memberId), eq(messages.kind, 'sign_in_code')));
    return rows.find((r) => !before.some((b) => b.id === r.id) && ['sent', 'delivered'].includes(r.status));
  }, 'the sign-in code in the outbox');
  return /code is (\d{6})\./.exec(sent.body)![1]!;
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  memberId: string;
  scopes: string[];
}
async function signIn(m: { id: string; phone: string }): Promise<Tokens> {
  const code = await requestCode(m.phone, m.id);
  const res = await post('/auth/otp/verify', { phone: m.phone, code });
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const forge = (claims: Record<string, unknown>, secret = SECRET) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .sign(new TextEncoder().encode(secret));

describe('sign-in by one-time SMS code', () => {
  it('the same 202 for a member and a stranger; only the member is texted, through the messaging core, despite quiet hours', async () => {
    const m = await newMember();
    const stranger = '+14155559876';
    const a = await post('/auth/otp', { phone: m.phone });
    const b = await post('/auth/otp', { phone: stranger });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(await a.json()).toEqual(await b.json());

    const sent = await waitFor(
      () =>
        database.db.query.messages.findFirst({
          where: and(eq(messages.memberId, m.id), inArray(messages.status, ['sent', 'delivered'])),
        }),
      'the code text',
    );
    expect(sent).toMatchObject({ kind: 'sign_in_code', purpose: 'transactional' });
    expect(sent.idempotencyKey).toMatch(/^signin:[0-9a-f-]{36}$/);
    expect(sent.body).toMatch(/^Crewline: your sign-in code is \d{6}\. It expires in 10 min\./);
    // The code is stored only as a keyed hash.
    const [stored] = await database.db.select().from(signInCodes).where(eq(signInCodes.memberId, m.id));
    const code = /(\d{6})/.exec(sent.body)![1]!;
    expect(stored!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.codeHash).not.toContain(code);
    // Nobody else got anything: no code row and no text for the stranger.
    expect(await database.db.select().from(messages).where(eq(messages.toPhone, stranger))).toEqual([]);
  });

  it('operators never read a live code: GET /messages masks its digits (the sandbox outbox is the dev tool)', async () => {
    const m = await newMember();
    const code = await requestCode(m.phone, m.id);
    const res = await app.request(`/messages?memberId=${m.id}`, { headers: auth });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { messages: { id: number; kind: string; body: string }[] };
    const shown = list.messages.find((x) => x.kind === 'sign_in_code');
    expect(shown?.body).toMatch(/^Crewline: your sign-in code is ••••••\. It expires in •• min\./);
    expect(JSON.stringify(list)).not.toContain(code);
    const one = await app.request(`/messages/${shown!.id}`, { headers: auth });
    expect(((await one.json()) as { body: string }).body).not.toContain(code);
    // The code still works for the member it was texted to.
    const ok = await post('/auth/otp/verify', { phone: m.phone, code });
    expect(ok.status).toBe(200);
  });

  it('the code signs in once; tokens name the member; a wrong code is 401; the code is single use', async () => {
    const m = await newMember();
    const code = await requestCode(m.phone, m.id);
    const wrong = code === '000000' ? '000001' : '000000';
    const bad = await post('/auth/otp/verify', { phone: m.phone, code: wrong });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');

    const ok = await post('/auth/otp/verify', { phone: m.phone, code });
    expect(ok.status).toBe(200);
    const t = (await ok.json()) as Tokens;
    expect(t).toMatchObject({ tokenType: 'Bearer', memberId: m.id, scopes: ['member'], expiresIn: 900 });
    expect(t.refreshToken).toMatch(/^crr_[A-Za-z0-9_-]{43}$/);

    expect((await post('/auth/otp/verify', { phone: m.phone, code })).status).toBe(401);
    const me = await get('/me', t.accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: m.id, phone: m.phone });
  });

  it('five wrong guesses kill the code; an expired code and a superseded code are refused', async () => {
    const m = await newMember();
    const code = await requestCode(m.phone, m.id);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < 5; i++)
      expect((await post('/auth/otp/verify', { phone: m.phone, code: wrong })).status).toBe(401);
    expect((await post('/auth/otp/verify', { phone: m.phone, code })).status).toBe(401);

    const older = await requestCode(m.phone, m.id);
    const newer = await requestCode(m.phone, m.id);
    if (older !== newer)
      expect((await post('/auth/otp/verify', { phone: m.phone, code: older })).status).toBe(401);
    await database.db
      .update(signInCodes)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(signInCodes.memberId, m.id));
    expect((await post('/auth/otp/verify', { phone: m.phone, code: newer })).status).toBe(401);
    // Asking again works.
    await signIn(m);
  });

  it('a wrong-format code or phone is a 400 naming the field; unknown fields are refused (mass assignment)', async () => {
    const m = await newMember();
    for (const [body, field] of [
      [{ phone: m.phone, code: '12345' }, 'code'],
      [{ phone: '4155550100', code: '123456' }, 'phone'],
      [{ phone: m.phone, code: '123456', memberId: randomUUID() }, 'memberId'],
      [{ phone: m.phone, code: '123456', scopes: ['mentor'] }, 'scopes'],
    ] as const) {
      const res = await post('/auth/otp/verify', body);
      expect(res.status, field).toBe(400);
      const p = (await res.json()) as { errors: Array<{ field: string }> };
      expect(p.errors.map((e) => e.field)).toContain(field);
    }
    const extra = await post('/auth/otp', { phone: m.phone, role: 'admin' });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('role');
    expect(await database.db.select().from(signInCodes).where(eq(signInCodes.memberId, m.id))).toEqual([]);
  });
});

describe('refresh and logout', () => {
  it('refresh rotates; reusing an exchanged refresh token ends the whole session', async () => {
    const m = await newMember();
    const first = await signIn(m);
    const r1 = await post('/auth/refresh', { refreshToken: first.refreshToken });
    expect(r1.status).toBe(200);
    const second = (await r1.json()) as Tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await get('/me', second.accessToken)).status).toBe(200);

    // The first refresh token is presented again (stolen copy): refused, and the family is revoked.
    const reuse = await post('/auth/refresh', { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(((await reuse.json()) as { detail: string }).detail).toMatch(/already used/);
    expect((await post('/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
    expect((await get('/me', second.accessToken)).status).toBe(401);
    expect((await get('/me', first.accessToken)).status).toBe(401);
    const [session] = await database.db.select().from(authSessions).where(eq(authSessions.memberId, m.id));
    expect(session!.revokeReason).toBe('refresh_token_reuse');
  });

  it('logout revokes the session: its access token is refused at once, other sessions are not', async () => {
    const m = await newMember();
    const phoneA = await signIn(m);
    const phoneB = await signIn(m);
    expect((await post('/auth/logout', { refreshToken: phoneA.refreshToken })).status).toBe(204);
    const res = await get('/me', phoneA.accessToken);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post('/auth/refresh', { refreshToken: phoneA.refreshToken })).status).toBe(401);
    expect((await get('/me', phoneB.accessToken)).status).toBe(200);
    // Logging out again, or with a token we never issued, changes nothing.
    expect((await post('/auth/logout', { refreshToken: phoneA.refreshToken })).status).toBe(204);
    expect((await post('/auth/logout', { refreshToken: 'crr_unknown' })).status).toBe(204);
  });
});

describe('token attacks (OWASP API2: broken authentication)', () => {
  it('alg none, expired, wrong key, tampered claims, wrong audience or issuer: all 401', async () => {
    const m = await newMember();
    const victim = await newMember('Bo');
    const t = await signIn(m);
    const [, payloadPart] = t.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(payloadPart!, 'base64url').toString()) as Record<string, unknown>;
    const good = { sub: m.id, sid: payload.sid, scope: 'member', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE };
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;

    // Sanity: a token we forge with the real secret and the right claims is accepted (the check is not blind).
    expect((await get('/me', await forge({ ...good, exp: inAnHour }))).status).toBe(200);

    const attacks: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...good, exp: inAnHour })}.`,
      'alg none, signature kept': `${b64({ alg: 'none' })}.${b64({ ...good, exp: inAnHour })}.${t.accessToken.split('.')[2]}`,
      expired: await forge({ ...good, exp: Math.floor(Date.now() / 1000) - 10 }),
      'wrong key': await forge({ ...good, exp: inAnHour }, 'another-secret-0123456789abcdefghijklmnop'),
      'tampered subject': `${t.accessToken.split('.')[0]}.${b64({ ...payload, sub: victim.id })}.${t.accessToken.split('.')[2]}`,
      'wrong audience': await forge({ ...good, aud: 'crewline-admin', exp: inAnHour }),
      'wrong issuer': await forge({ ...good, iss: 'evil', exp: inAnHour }),
      'no session': await forge({ ...good, sid: randomUUID(), exp: inAnHour }),
      'other member with this session': await forge({ ...good, sub: victim.id, exp: inAnHour }),
      'no expiry': await forge({ ...good }),
    };
    const outcomes = await Promise.all(
      Object.entries(attacks).map(async ([name, token]) => `${name}: ${(await get('/me', token)).status}`),
    );
    expect(outcomes).toEqual(Object.keys(attacks).map((name) => `${name}: 401`));
  });
});

describe('object-level authorisation (OWASP API1) and function-level (API5)', () => {
  it('a member token reads only /me: never /members/{id} (theirs or another), admin routes or keys', async () => {
    const a = await newMember('Ana');
    const b = await newMember('Bo');
    await database.db.insert(checkIns).values([
      { memberId: a.id, localDate: '2026-11-01', status: 'done', reflection: 'ran 5k' },
      { memberId: b.id, localDate: '2026-11-01', status: 'not_done', reflection: 'B private' },
    ]);
    const t = await signIn(a);
    const mine = await get('/me/check-ins', t.accessToken);
    expect(mine.status).toBe(200);
    const text = await mine.text();
    expect(text).toContain('ran 5k');
    expect(text).not.toContain('B private');

    for (const path of [
      `/members/${b.id}`,
      `/members/${a.id}`,
      `/members/${b.id}/check-ins`,
      '/members',
      '/keys',
      '/messages',
      '/metrics',
    ]) {
      const res = await get(path, t.accessToken);
      expect(res.status, path).toBe(403);
    }
    const erase = await app.request(`/members/${b.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.accessToken}` },
    });
    expect(erase.status).toBe(403);
    // /me takes no member id of its own: a query parameter naming someone else is refused, not obeyed.
    expect((await get(`/me/check-ins?memberId=${b.id}`, t.accessToken)).status).toBe(400);
    // And an API key (even admin) cannot use /me: it has no member.
    expect((await app.request('/me', { headers: auth })).status).toBe(403);
  });

  it('a mentor token reads its active mentees only; another mentor’s mentee is 404; a plain member gets 403', async () => {
    const [mentor1, mentor2, menteeA, menteeB, ended] = await Promise.all([
      newMember('Mia'),
      newMember('Max'),
      newMember('Ana'),
      newMember('Bo'),
      newMember('Cy'),
    ]);
    const mentorRow = async (memberId: string) => {
      const id = randomUUID();
      await database.db.insert(mentors).values({
        id,
        memberId,
        expertise: ['running'],
        languages: ['en'],
        availability: [],
        capacity: 3,
      });
      return id;
    };
    const [m1, m2] = [await mentorRow(mentor1.id), await mentorRow(mentor2.id)];
    const match = (mentee: string, mentorId: string, status: 'active' | 'completed', shareRisk: boolean) => ({
      id: randomUUID(),
      menteeMemberId: mentee,
      focusAreas: ['running'],
      languages: ['en'],
      availability: [],
      shareRisk,
      weeks: 12,
      status,
      mentorId,
    });
    await database.db
      .insert(mentorshipMatches)
      .values([
        match(menteeA.id, m1, 'active', false),
        match(menteeB.id, m2, 'active', true),
        match(ended.id, m1, 'completed', true),
      ]);
    await database.db.insert(checkIns).values({
      memberId: menteeA.id,
      localDate: new Date().toISOString().slice(0, 10),
      status: 'done',
      reflection: 'A private reflection',
      mood: 4,
    });

    const t = await signIn(mentor1);
    expect(t.scopes).toEqual(['member', 'mentor']);
    const list = await get('/me/mentees', t.accessToken);
    expect(list.status).toBe(200);
    const { mentees } = (await list.json()) as { mentees: Array<Record<string, unknown>> };
    expect(mentees.map((x) => x.memberId)).toEqual([menteeA.id]);
    expect(mentees[0]).toMatchObject({ name: 'Ana', risk: null });
    expect(JSON.stringify(mentees)).not.toContain(menteeA.phone);

    const one = await get(`/me/mentees/${menteeA.id}`, t.accessToken);
    expect(one.status).toBe(200);
    const detail = await one.text();
    expect(JSON.parse(detail)).toMatchObject({ memberId: menteeA.id, recentDays: [{ status: 'done' }] });
    expect(detail).not.toContain('A private reflection');
    expect(detail).not.toContain(menteeA.phone);

    // Another mentor's mentee, a finished mentee, a stranger: all 404, never their data.
    for (const other of [menteeB.id, ended.id, randomUUID()]) {
      expect((await get(`/me/mentees/${other}`, t.accessToken)).status).toBe(404);
    }
    // The other mentor sees theirs, with the risk level the mentee agreed to share.
    const t2 = await signIn(mentor2);
    const theirs = (await (await get('/me/mentees', t2.accessToken)).json()) as {
      mentees: Array<{ memberId: string; risk: string }>;
    };
    expect(theirs.mentees).toEqual([expect.objectContaining({ memberId: menteeB.id, risk: 'low' })]);

    // A member who is not a mentor: 403 on mentee routes.
    const plain = await signIn(menteeA);
    expect(plain.scopes).toEqual(['member']);
    expect((await get('/me/mentees', plain.accessToken)).status).toBe(403);
    expect((await get(`/me/mentees/${menteeA.id}`, plain.accessToken)).status).toBe(403);
  });

  it('a member token is rate-limited per member like a key, across API processes (429 with Retry-After)', async () => {
    const m = await newMember();
    const t = await signIn(m);
    const limited = () =>
      testApp(database.db, env.client, {
        auth: { tokenSecret: SECRET },
        rateLimits: { perKeyPerMinute: 2, perIpPerMinute: Infinity, windowSeconds: 3600 },
      });
    const [a, b] = [limited(), limited()];
    const me = (target: typeof a) =>
      target.request('/me', { headers: { authorization: `Bearer ${t.accessToken}` } });
    expect((await me(a)).status).toBe(200);
    expect((await me(b)).status).toBe(200);
    const res = await me(a);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another member is not affected.
    const other = await signIn(await newMember());
    expect(
      (await b.request('/me', { headers: { authorization: `Bearer ${other.accessToken}` } })).status,
    ).toBe(200);
  });

  it('an erased member’s tokens stop working', async () => {
    const m = await newMember();
    const t = await signIn(m);
    expect((await get('/me', t.accessToken)).status).toBe(200);
    await database.db.delete(members).where(eq(members.id, m.id));
    expect((await get('/me', t.accessToken)).status).toBe(401);
    expect((await post('/auth/refresh', { refreshToken: t.refreshToken })).status).toBe(401);
  });
});

describe('/me reuses the member routes', () => {
  it('a member created through the API reads their goals and progress and changes their settings with their own token', async () => {
    const created = await app.request('/members', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Gia', phone: '+14155552222', timezone: 'UTC', checkInTime: '08:00' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const t = await signIn({ id, phone: '+14155552222' });
    const goals = await get('/me/goals', t.accessToken);
    expect(goals.status).toBe(200);
    expect(await goals.json()).toEqual({ goals: [] });
    const progress = await get('/me/progress', t.accessToken);
    expect(progress.status).toBe(200);
    expect(await progress.json()).toMatchObject({ memberId: id, currentStreak: 0 });
    const me = (await (await get('/me', t.accessToken)).json()) as { id: string; status: string };
    expect(me).toMatchObject({ id, status: 'pending_confirmation' });

    // PATCH /me: the member's own settings, through the same workflow update as PATCH /members/{id}…
    const patch = (body: unknown) =>
      app.request('/me', {
        method: 'PATCH',
        headers: { authorization: `Bearer ${t.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const changed = await patch({ checkInTime: '07:30', tone: 'calm' });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ id, checkInTime: '07:30', tone: 'calm' });
    // …and nothing else (mass assignment): fields a member may not set are a 400 naming each, nothing changes.
    const refused = await patch({
      checkInTime: '06:00',
      status: 'active',
      phone: '+14155553333',
      risk: 'low',
      id: randomUUID(),
    });
    expect(refused.status).toBe(400);
    const fields = ((await refused.json()) as { errors: Array<{ field: string }> }).errors.map(
      (e) => e.field,
    );
    expect(fields.sort()).toEqual(['id', 'phone', 'risk', 'status']);
    const row = await database.db.query.members.findFirst({ where: eq(members.id, id) });
    expect(row).toMatchObject({
      checkInTime: '07:30',
      phone: '+14155552222',
      status: 'pending_confirmation',
    });
  });
});
