/**
 * The audit log (api/audit.ts, db/audit.ts, GET /audit) against real Postgres: who read a member, changed
 * consent, created and revoked keys, changed weights; filters and paging; admins only; no phone number or body
 * in any row; the table refuses UPDATE, DELETE and TRUNCATE; a read that cannot be audited returns no data.
 * Temporal is not needed: the member routes answer from the stored row when the workflow does not answer.
 */
import type { Client } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../db/api-keys.js';
import { auditEvents, members } from '../../db/schema.js';
import { auth, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

type Database = Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
let app: ReturnType<typeof testApp>;
const secrets = {} as Record<'admin' | 'operator' | 'app', string>;
const keyIds = {} as Record<'admin' | 'operator' | 'app', string>;
/** Temporal "down": every query fails, so member reads answer from Postgres. */
const TEMPORAL_DOWN = {
  workflow: { getHandle: () => ({ query: () => Promise.reject(new Error('unavailable')) }) },
} as unknown as Client;
const PHONE = '+14155550177';
const HASH_KEY = 'an-audit-hash-key-of-at-least-32-characters';
let memberId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, TEMPORAL_DOWN, { privacy: { hashKey: HASH_KEY } });
  for (const role of ['admin', 'operator', 'app'] as const) {
    const key = await createApiKey(database.db, { name: `${role} key`, role });
    secrets[role] = key.secret;
    keyIds[role] = key.id;
  }
  memberId = crypto.randomUUID();
  await database.db.insert(members).values({
    id: memberId,
    name: 'Noor Haddad',
    phone: PHONE,
    timezone: 'Europe/Berlin',
    checkInTime: '08:00',
  });
});
afterAll(async () => {
  await database?.close();
});

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  app.request(path, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

interface AuditJson {
  id: number;
  at: string;
  actor: { kind: string; id: string; role: string | null };
  action: string;
  subject: { kind: string; id: string } | null;
  requestId: string | null;
  detail: Record<string, unknown>;
}
async function audit(query: string, secret = secrets.admin) {
  const res = await call('GET', `/audit${query}`, bearer(secret));
  expect(res.status).toBe(200);
  return (await res.json()) as { events: AuditJson[]; nextBefore: number | null };
}

describe('what is audited, and by whom', () => {
  it('an operator reading a member is recorded with the key id and role, the member as subject', async () => {
    const res = await call('GET', `/members/${memberId}`, {
      ...bearer(secrets.operator),
      'x-request-id': 'req-audit-1',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('Noor Haddad');
    const { events } = await audit(`?action=member.read&subjectId=${memberId}`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { kind: 'api_key', id: keyIds.operator, role: 'operator' },
      action: 'member.read',
      subject: { kind: 'member', id: memberId },
      requestId: 'req-audit-1',
      detail: { route: 'GET /members/{id}' },
    });
  });

  it('a refused or failed request is not recorded as done', async () => {
    expect((await call('GET', `/members/${crypto.randomUUID()}`, bearer(secrets.operator))).status).toBe(404);
    expect((await call('GET', `/audit`, bearer(secrets.operator))).status).toBe(403);
    const { events } = await audit(`?actorId=${keyIds.operator}`);
    expect(events.map((e) => e.action)).toEqual(['member.read']);
  });

  it('a consent change by an app key is recorded under the keyed hash of the number, never the number', async () => {
    const res = await call('POST', '/consent', bearer(secrets.app), {
      phone: PHONE,
      purpose: 'marketing',
      action: 'opt_out',
    });
    expect(res.status).toBe(201);
    const byPhone = await audit(`?phone=${encodeURIComponent(PHONE)}`);
    expect(byPhone.events).toHaveLength(1);
    expect(byPhone.events[0]).toMatchObject({
      actor: { kind: 'api_key', id: keyIds.app, role: 'app' },
      action: 'consent.change',
      subject: { kind: 'phone' },
      detail: { purpose: 'marketing', action: 'opt_out', source: 'api' },
    });
    expect(byPhone.events[0]!.subject!.id).toMatch(/^[0-9a-f]{32}$/);
    // Reading the number's consent is a read of personal data: same subject.
    expect(
      (await call('GET', `/consent/${encodeURIComponent(PHONE)}`, bearer(secrets.operator))).status,
    ).toBe(200);
    const after = await audit(`?phone=${encodeURIComponent(PHONE)}`);
    expect(after.events.map((e) => e.action)).toEqual(['consent.read', 'consent.change']);
  });

  it('key creation and revocation, and weights, are recorded with the admin as actor', async () => {
    const created = await call('POST', '/keys', auth, { name: 'ci key', role: 'operator' });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; secret: string };
    expect((await call('DELETE', `/keys/${key.id}`, auth)).status).toBe(200);
    const weights = { focus: 0.5, language: 0.2, schedule: 0.1, timezone: 0.1, load: 0.1 };
    expect((await call('POST', '/mentorship/weights', auth, { version: 'audit@1', weights })).status).toBe(
      201,
    );

    const { events } = await audit('?actorKind=env_key');
    const byAction = Object.fromEntries(events.map((e) => [e.action, e]));
    expect(byAction['key.create']).toMatchObject({
      actor: { kind: 'env_key', id: 'env', role: 'admin' },
      subject: { kind: 'api_key', id: key.id },
      detail: { role: 'operator' },
    });
    expect(byAction['key.revoke']).toMatchObject({ subject: { kind: 'api_key', id: key.id } });
    expect(byAction['mentorship.weights']).toMatchObject({ detail: { version: 'audit@1', weights } });
    // The secret shown once at creation is never in the log.
    const all = await database.db.select().from(auditEvents);
    expect(JSON.stringify(all)).not.toContain(key.secret);
  });

  it('no audit row holds a phone number, a name or a body', async () => {
    const all = JSON.stringify(await database.db.select().from(auditEvents));
    expect(all).not.toContain(PHONE);
    expect(all).not.toContain(PHONE.slice(2)); // without +1
    expect(all).not.toContain('Noor');
  });
});

describe('GET /audit', () => {
  it('filters by action, actor, time range, and pages newest first', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await call('GET', `/members/${memberId}/check-ins`, bearer(secrets.app))).status).toBe(200);
    }
    const mine = await audit(`?actorId=${keyIds.app}&action=member.read`);
    expect(mine.events).toHaveLength(3);
    expect(mine.events.every((e) => e.detail.route === 'GET /members/{id}/check-ins')).toBe(true);

    const first = await audit(`?actorId=${keyIds.app}&action=member.read&limit=2`);
    expect(first.events.map((e) => e.id)).toEqual(mine.events.slice(0, 2).map((e) => e.id));
    expect(first.nextBefore).toBe(mine.events[1]!.id);
    const second = await audit(
      `?actorId=${keyIds.app}&action=member.read&limit=2&before=${first.nextBefore}`,
    );
    expect(second.events.map((e) => e.id)).toEqual([mine.events[2]!.id]);
    expect(second.nextBefore).toBeNull();

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await audit(`?actorId=${keyIds.app}&from=${encodeURIComponent(future)}`)).events).toEqual([]);
    const past = new Date(Date.now() - 60 * 60_000).toISOString();
    expect(
      (
        await audit(
          `?actorId=${keyIds.app}&action=member.read&from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}`,
        )
      ).events,
    ).toHaveLength(3);
  });

  it('reading the audit log is itself audited', async () => {
    const before = await audit('?action=audit.read');
    await audit('?action=key.create');
    const { events } = await audit('?action=audit.read');
    // Each read is recorded once it has been answered: the two reads above are now in the log.
    expect(events).toHaveLength(before.events.length + 2);
    expect(events[0]).toMatchObject({
      actor: { kind: 'api_key', id: keyIds.admin, role: 'admin' },
      action: 'audit.read',
      detail: { route: 'GET /audit' },
    });
  });

  it('only admins may read it', async () => {
    expect((await call('GET', '/audit', bearer(secrets.operator))).status).toBe(403);
    expect((await call('GET', '/audit', bearer(secrets.app))).status).toBe(403);
    expect((await call('GET', '/audit', {})).status).toBe(401);
    expect((await call('GET', '/audit', bearer(secrets.admin))).status).toBe(200);
  });

  it.each([
    ['?action=member.delete', 'action'],
    ['?actorKind=robot', 'actorKind'],
    ['?from=yesterday', 'from'],
    [`?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`, 'to'],
    ['?phone=12345', 'phone'],
    ['?limit=0', 'limit'],
    ['?before=x', 'before'],
    ['?colour=red', 'colour'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const res = await call('GET', `/audit${query}`, auth);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as { errors: Array<{ field: string }> };
    expect(body.errors.map((e) => e.field)).toContain(field);
  });
});

describe('append-only', () => {
  it('UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    const [row] = await database.db.select().from(auditEvents).limit(1);
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'allowed',
        (err: Error & { cause?: Error }) => err.cause?.message ?? err.message,
      );
    expect(
      await refusal(
        database.db.update(auditEvents).set({ actorId: 'someone else' }).where(eq(auditEvents.id, row!.id)),
      ),
    ).toMatch(/append-only \(UPDATE refused\)/);
    expect(await refusal(database.db.delete(auditEvents).where(eq(auditEvents.id, row!.id)))).toMatch(
      /append-only \(DELETE refused\)/,
    );
    expect(await refusal(database.db.execute(sql`truncate audit_events`))).toMatch(
      /append-only \(TRUNCATE refused\)/,
    );
    expect((await database.db.select().from(auditEvents).where(eq(auditEvents.id, row!.id)))[0]).toEqual(row);
  });

  it('a read that cannot be audited returns no personal data (503)', async () => {
    await database.db.execute(sql`alter table audit_events rename to audit_events_away`);
    try {
      const res = await call('GET', `/members/${memberId}`, bearer(secrets.operator));
      expect(res.status).toBe(503);
      expect(await res.text()).not.toContain('Noor');
    } finally {
      await database.db.execute(sql`alter table audit_events_away rename to audit_events`);
    }
  });
});
