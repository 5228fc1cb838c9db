/**
 * Identities and scopes (issue 13) against real Postgres: API keys stored hashed, their roles' authorisation
 * matrix over every route family, 401 vs 403, revocation, mass assignment on key creation, rate limits per key
 * and per address shared by two API processes (two apps over one database), and /metrics. Temporal is not
 * needed: a request the matrix allows may fail later in its handler (it has no workflow service), which is why
 * the matrix only asserts 403 or "got past the access check".
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../db/api-keys.js';
import { hitRateLimit, pruneEndedWindows } from '../../db/rate-limits.js';
import { apiKeys } from '../../db/schema.js';
import { API_KEY, auth, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

type Database = Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
let app: ReturnType<typeof testApp>;
const secrets = {} as Record<'admin' | 'operator' | 'app', string>;
const NO_TEMPORAL = {} as Client;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, NO_TEMPORAL);
  for (const role of ['admin', 'operator', 'app'] as const) {
    secrets[role] = (await createApiKey(database.db, { name: `${role} key`, role })).secret;
  }
});
afterAll(async () => {
  await database?.close();
});

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const call = (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
  target = app,
) =>
  target.request(path, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const M = '3f1c2a4e-0000-4000-8000-000000000000';
type Role = 'admin' | 'operator' | 'app';
/**
 * Who may call what, written out per route family (not derived from api/auth.ts). Every documented route must
 * belong to one family (checked below), so a new route needs a decision here.
 */
const FAMILIES: Array<{ family: string; routes: RegExp; methods: RegExp; allowed: Role[] }> = [
  { family: 'member erasure', routes: /^\/members\/\{id\}$/, methods: /^DELETE$/, allowed: ['admin'] },
  { family: 'members read', routes: /^\/members/, methods: /^GET$/, allowed: ['admin', 'operator', 'app'] },
  {
    family: 'members write',
    routes: /^\/members/,
    methods: /^(POST|PATCH|DELETE)$/,
    allowed: ['admin', 'app'],
  },
  { family: 'messages', routes: /^\/(messages|inbox)/, methods: /^GET$/, allowed: ['admin', 'operator'] },
  { family: 'consent read', routes: /^\/consent/, methods: /^GET$/, allowed: ['admin', 'operator', 'app'] },
  { family: 'consent write', routes: /^\/consent/, methods: /^POST$/, allowed: ['admin', 'app'] },
  {
    family: 'crews, campaigns, mentorship',
    routes: /^\/(crews|challenges|campaigns|guest-lists|mentorships?|mentors)(\/|$)/,
    methods: /./,
    allowed: ['admin', 'operator'],
  },
  { family: 'keys', routes: /^\/keys/, methods: /./, allowed: ['admin'] },
  // Exports hold everything about a person, and erasures by phone remove it: admins only (issue 12).
  { family: 'privacy export', routes: /^\/privacy\/exports$/, methods: /^POST$/, allowed: ['admin'] },
  { family: 'privacy erasure', routes: /^\/privacy\/erasures$/, methods: /^POST$/, allowed: ['admin'] },
  {
    family: 'privacy erasure progress',
    routes: /^\/privacy\/erasures\/\{id\}$/,
    methods: /^GET$/,
    allowed: ['admin'],
  },
  { family: 'audit log', routes: /^\/audit$/, methods: /^GET$/, allowed: ['admin'] },
  // Decoded Temporal payloads hold personal data: operators (the Web UI, the CLI) and admins (issue 12).
  {
    family: 'payload codec',
    routes: /^\/codec\/(encode|decode)$/,
    methods: /^POST$/,
    allowed: ['admin', 'operator'],
  },
  { family: 'metrics', routes: /^\/metrics$/, methods: /^GET$/, allowed: ['admin', 'operator'] },
  { family: 'dev outbox', routes: /^\/dev\//, methods: /^GET$/, allowed: ['admin', 'operator'] },
  // Sign-in needs no key (a client app calls it for a person; limited per phone and address).
  { family: 'sign-in', routes: /^\/auth\//, methods: /^POST$/, allowed: ['admin', 'operator', 'app'] },
  // A member's own data: only a member token (test/api/member-auth.test.ts), never an API key.
  // POST: a member reports a reflection of their crew (/me/challenges/{id}/reflections/{rid}/flags), or revokes or
  // gives back consent to one purpose (/me/consent).
  { family: 'member self', routes: /^\/me(\/|$)/, methods: /^(GET|PATCH|POST)$/, allowed: [] },
];
const PUBLIC = /^\/(health|livez|readyz|webhooks\/)/;

async function documentedRoutes() {
  const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, object> };
  return Object.entries(doc.paths)
    .filter(([path]) => !PUBLIC.test(path))
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
}
const familyOf = (r: { method: string; path: string }) =>
  FAMILIES.find((f) => f.routes.test(r.path) && f.methods.test(r.method));

describe('authorisation matrix: every role × every route', () => {
  it('every documented route belongs to a family of the matrix', async () => {
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => !familyOf(r))).toEqual([]);
  });

  it('403 problem+json exactly where the role is not allowed; past the access check where it is', async () => {
    const outcomes: string[] = [];
    for (const r of await documentedRoutes()) {
      const path = r.path
        .replace('{id}', M)
        .replace('{rid}', M)
        .replace('{goalId}', '1')
        .replace('{phone}', '%2B14155550123');
      const body = ['POST', 'PATCH'].includes(r.method) ? {} : undefined;
      const family = familyOf(r)!;
      for (const role of ['admin', 'operator', 'app'] as const) {
        const res = await call(r.method, path, bearer(secrets[role]), body);
        const allowed = family.allowed.includes(role);
        const denied = res.status === 403;
        if (denied) {
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          const problem = (await res.json()) as { status: number; detail: string };
          expect(problem.status).toBe(403);
          expect(problem.detail).toContain(role);
        }
        if (res.status === 401 || denied === allowed) {
          outcomes.push(`${role} ${r.method} ${r.path} (${family.family}) → ${res.status}`);
        }
      }
    }
    expect(outcomes).toEqual([]);
  });

  it('an app key cannot erase a member, export or manage keys; an operator cannot create members', async () => {
    expect((await call('DELETE', `/members/${M}`, bearer(secrets.app))).status).toBe(403);
    expect((await call('GET', '/keys', bearer(secrets.app))).status).toBe(403);
    expect((await call('POST', '/keys', bearer(secrets.app), { name: 'x', role: 'admin' })).status).toBe(403);
    expect((await call('GET', '/messages', bearer(secrets.app))).status).toBe(403);
    const created = await call('POST', '/members', bearer(secrets.operator), {
      name: 'Ana',
      phone: '+14155550123',
      timezone: 'UTC',
      checkInTime: '08:00',
    });
    expect(created.status).toBe(403);
  });

  it('an API_KEYS key (development) acts as admin', async () => {
    const res = await call('GET', '/keys', auth);
    expect(res.status).toBe(200);
  });
});

describe('authentication: 401 vs 403', () => {
  it('401 problem+json with WWW-Authenticate for no key, an unknown key, a near-miss of a real key', async () => {
    for (const headers of [
      {},
      bearer('crw_not-a-key'),
      bearer(secrets.admin.slice(0, -1)),
      bearer(`${API_KEY}x`),
      { authorization: secrets.admin }, // no "Bearer"
    ]) {
      const res = await call('GET', '/keys', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('a key is stored only as its SHA-256, and neither the secret nor the hash is ever listed', async () => {
    const res = await call('POST', '/keys', bearer(secrets.admin), { name: 'Mobile backend', role: 'app' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; secret: string; role: string; prefix: string };
    expect(created).toMatchObject({ role: 'app', name: 'Mobile backend', revokedAt: null });
    expect(created.secret).toMatch(/^crw_[A-Za-z0-9_-]{43}$/);
    expect(created.secret.startsWith(created.prefix)).toBe(true);
    expect(res.headers.get('location')).toBe(`/keys/${created.id}`);

    const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row!.secretHash).toBe(createHash('sha256').update(created.secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.secret);

    const list = await (await call('GET', '/keys', bearer(secrets.admin))).text();
    expect(list).toContain(created.id);
    expect(list).not.toContain(created.secret);
    expect(list).not.toContain(row!.secretHash);

    // The new app key works for what an app may do.
    expect((await call('GET', '/keys', bearer(created.secret))).status).toBe(403);
    expect((await call('GET', `/members/${M}`, bearer(created.secret))).status).toBe(404);
  });

  it('a revoked key is refused (401) from the next request on; revoking again keeps the first time', async () => {
    const { id, secret } = (await (
      await call('POST', '/keys', bearer(secrets.admin), { name: 'Ops dashboard', role: 'operator' })
    ).json()) as { id: string; secret: string };
    expect((await call('GET', '/messages', bearer(secret))).status).not.toBe(401);

    const revoked = await call('DELETE', `/keys/${id}`, bearer(secrets.admin));
    expect(revoked.status).toBe(200);
    const first = ((await revoked.json()) as { revokedAt: string }).revokedAt;
    expect(first).toMatch(/^\d{4}-/);
    const res = await call('GET', '/messages', bearer(secret));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/revoked/);

    const again = (await (await call('DELETE', `/keys/${id}`, bearer(secrets.admin))).json()) as {
      revokedAt: string;
    };
    expect(again.revokedAt).toBe(first);
    expect((await call('DELETE', `/keys/${M}`, bearer(secrets.admin))).status).toBe(404);
  });

  it('mass assignment: fields a caller may not set on a key are refused with 400 naming them', async () => {
    for (const [extra, field] of [
      [{ id: M }, 'id'],
      [{ revokedAt: null }, 'revokedAt'],
      [{ secretHash: 'a'.repeat(64) }, 'secretHash'],
      [{ secret: 'crw_chosen-by-caller' }, 'secret'],
    ] as const) {
      const res = await call('POST', '/keys', bearer(secrets.admin), { name: 'x', role: 'app', ...extra });
      expect(res.status, field).toBe(400);
      const problem = (await res.json()) as { errors: Array<{ field: string; message: string }> };
      expect(JSON.stringify(problem.errors), field).toContain(field);
    }
    const badRole = await call('POST', '/keys', bearer(secrets.admin), { name: 'x', role: 'root' });
    expect(badRole.status).toBe(400);
    expect(((await badRole.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('role');
    const rows = await database.db.select().from(apiKeys).where(eq(apiKeys.name, 'x'));
    expect(rows).toEqual([]);
  });
});

describe('rate limits (Postgres, shared by API processes)', () => {
  const limited = (perKey: number, perIp: number) =>
    testApp(database.db, NO_TEMPORAL, {
      rateLimits: { perKeyPerMinute: perKey, perIpPerMinute: perIp, windowSeconds: 86_400 },
      trustProxy: true,
    });

  it('per key: the 4th request within the window is 429 with Retry-After, across two API processes', async () => {
    const { secret } = await createApiKey(database.db, { name: 'limited', role: 'operator' });
    const [a, b] = [limited(3, 1000), limited(3, 1000)];
    const statuses: number[] = [];
    for (const target of [a, b, a]) {
      statuses.push((await call('GET', '/keys', bearer(secret), undefined, target)).status);
    }
    expect(statuses).toEqual([403, 403, 403]); // counted, then refused by role
    const res = await call('GET', '/keys', bearer(secret), undefined, b);
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // Another key is not affected.
    const other = await createApiKey(database.db, { name: 'other', role: 'admin' });
    expect((await call('GET', '/keys', bearer(other.secret), undefined, a)).status).toBe(200);
  });

  it('pruning forgets windows that ended, never a long window that is still open', async () => {
    const day = 86_400;
    for (let i = 0; i < 2; i++) await hitRateLimit(database.db, 'prune-test', 3, day);
    await database.db.execute(
      sql`insert into rate_limit_windows (bucket, window_start, count) values ('prune-old', now() - interval '3 days', 9)`,
    );
    // A short limit's check prunes too: it must not touch the open day window (it once reset it).
    for (let i = 0; i < 200; i++) await hitRateLimit(database.db, `prune-short-${i}`, 3, 60);
    await pruneEndedWindows(database.db);
    const third = await hitRateLimit(database.db, 'prune-test', 3, day);
    expect(third).toMatchObject({ count: 3, allowed: true });
    const old = await database.db.execute(sql`select 1 from rate_limit_windows where bucket = 'prune-old'`);
    expect(old.length).toBe(0);
  });

  it('per address: unauthenticated guessing is limited too, other addresses are not', async () => {
    const [a, b] = [limited(1000, 2), limited(1000, 2)];
    const from = (ip: string) => ({ 'x-forwarded-for': `203.0.113.9, ${ip}` });
    expect(
      (await call('GET', '/keys', { ...from('198.51.100.7'), ...bearer('guess-1') }, undefined, a)).status,
    ).toBe(401);
    expect(
      (await call('GET', '/keys', { ...from('198.51.100.7'), ...bearer('guess-2') }, undefined, b)).status,
    ).toBe(401);
    const third = await call(
      'GET',
      '/keys',
      { ...from('198.51.100.7'), ...bearer(secrets.admin) },
      undefined,
      a,
    );
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The address is the one our proxy appended (the last), not the spoofable first entry.
    expect(
      (await call('GET', '/keys', { ...from('198.51.100.8'), ...bearer(secrets.admin) }, undefined, b))
        .status,
    ).toBe(200);
  });

  it('a limit turned off (Infinity) is not counted: only the other one applies', async () => {
    const a = testApp(database.db, NO_TEMPORAL, {
      rateLimits: { perKeyPerMinute: 1, perIpPerMinute: Infinity, windowSeconds: 86_400 },
      trustProxy: true,
    });
    const { secret } = await createApiKey(database.db, { name: 'one a day', role: 'admin' });
    const headers = { 'x-forwarded-for': '198.51.100.60' };
    expect((await call('GET', '/keys', { ...headers, ...bearer(secret) }, undefined, a)).status).toBe(200);
    expect((await call('GET', '/keys', { ...headers, ...bearer(secret) }, undefined, a)).status).toBe(429);
    const buckets =
      await database.sql`select bucket from rate_limit_windows where bucket like '%198.51.100.60'`;
    expect(buckets).toEqual([]);
  });

  it('public paths (webhooks, health, the document) are not counted', async () => {
    const a = limited(1000, 1);
    const headers = { 'x-forwarded-for': '198.51.100.50' };
    for (let i = 0; i < 3; i++)
      expect((await call('GET', '/openapi.json', headers, undefined, a)).status).toBe(200);
    expect((await call('GET', '/keys', { ...headers, ...bearer(secrets.admin) }, undefined, a)).status).toBe(
      200,
    );
  });
});

describe('GET /metrics', () => {
  it('counts requests by method, route pattern and status, with latency histograms; operators only', async () => {
    const fresh = testApp(database.db, NO_TEMPORAL);
    await call('GET', '/keys', bearer(secrets.admin), undefined, fresh);
    await call('GET', '/keys', bearer(secrets.app), undefined, fresh);
    await call('DELETE', `/keys/${M}`, bearer(secrets.admin), undefined, fresh);
    expect((await call('GET', '/metrics', bearer(secrets.app), undefined, fresh)).status).toBe(403);

    const res = await call('GET', '/metrics', bearer(secrets.operator), undefined, fresh);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('crewline_http_requests_total{method="GET",route="/keys",status="200"} 1');
    expect(text).toContain('crewline_http_requests_total{method="GET",route="/keys",status="403"} 1');
    // The pattern, never the concrete id.
    expect(text).toContain('crewline_http_requests_total{method="DELETE",route="/keys/:id",status="404"} 1');
    expect(text).not.toContain(M);
    expect(text).toMatch(
      /crewline_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/keys",status="200"\} \d/,
    );
  });
});

describe('npm run keys (CLI)', () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], {
      env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
    });

  it('creates a key with a role (printed once), lists it, revokes it', async () => {
    const created = await cli('create', '--role', 'operator', '--name', 'On-call');
    const [secret, summary] = created.stdout.trim().split('\n') as [string, string];
    const id = /^id ([0-9a-f-]{36}), role operator, name On-call/.exec(summary)?.[1];
    expect(id).toBeDefined();
    expect((await call('GET', '/messages', bearer(secret))).status).not.toBe(401);
    expect((await call('GET', '/keys', bearer(secret))).status).toBe(403);

    const list = await cli('list');
    expect(list.stdout).toContain(`${id}\toperator\t`);
    expect(list.stdout).not.toContain(secret);

    await cli('revoke', id!);
    expect((await call('GET', '/messages', bearer(secret))).status).toBe(401);
    await expect(cli('create', '--role', 'root', '--name', 'x')).rejects.toMatchObject({ code: 2 });
  });
});

describe('request ids', () => {
  it('every answer has X-Request-Id; every problem+json carries it; a safe caller id is kept, others replaced', async () => {
    const denied = await call('GET', '/keys', { ...bearer(secrets.app), 'x-request-id': 'app-req-42' });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('x-request-id')).toBe('app-req-42');
    expect(((await denied.json()) as { requestId: string }).requestId).toBe('app-req-42');

    const unauth = await call('GET', '/keys', { 'x-request-id': 'bad id\twith "quotes"' });
    expect(unauth.status).toBe(401);
    const id = unauth.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await unauth.json()) as { requestId: string }).requestId).toBe(id);

    const bad = await call('POST', '/keys', bearer(secrets.admin), { name: '', role: 'app' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { requestId: string }).requestId).toBe(bad.headers.get('x-request-id'));

    const ok = await call('GET', '/keys', bearer(secrets.admin));
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers.get('x-request-id')).not.toBe(id);
  });
});
