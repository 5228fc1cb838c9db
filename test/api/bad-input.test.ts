/**
 * Bad input at the edge, tried as an attacker would: characters Postgres or SMS cannot carry, dates that do not
 * exist, ids no column can hold, bodies that are not JSON, too large or of another type. Each is a 4xx
 * problem+json naming the field, and nothing is stored half-way.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { consentEvents, members } from '../../db/schema.js';
import { auth, json } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';

const t = stackWithApp();

interface Problem {
  status: number;
  title: string;
  errors?: Array<{ field: string; message: string }>;
}

let phoneSeq = 0;
const nextPhone = () => `+1415555${String(7000 + phoneSeq++).padStart(4, '0')}`;

const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = json) => {
  const res = await t.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : null) as Problem & Record<string, unknown>,
  };
};

const fieldsOf = (p: Problem) => (p.errors ?? []).map((e) => e.field);
const memberCount = async () => (await t.database.db.select().from(members)).length;

async function newMember(extra: Record<string, unknown> = {}) {
  const res = await send('POST', '/members', {
    name: 'Ana',
    phone: nextPhone(),
    timezone: 'America/New_York',
    checkInTime: '19:00',
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body as unknown as { id: string; timezone: string };
}

describe('characters Postgres or SMS cannot carry', () => {
  it.each([
    ['a NUL byte', 'Ana\u0000'],
    ['a bell (C0 control)', 'A\u0007na'],
    ['an escape (C0 control)', '\u001b[31mAna'],
    ['a lone high surrogate', 'Ana\uD83D'],
    ['a lone low surrogate', '\uDE00Ana'],
  ])('POST /members with %s in the name → 400 naming name; no member row', async (_what, name) => {
    const before = await memberCount();
    const res = await send('POST', '/members', {
      name,
      phone: nextPhone(),
      timezone: 'America/New_York',
      checkInTime: '19:00',
    });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(fieldsOf(res.body)).toEqual(['name']);
    expect(await memberCount()).toBe(before);
  });

  it('keeps what a person really types: emoji (surrogate pairs), accents, tabs and new lines', async () => {
    const res = await send('POST', '/members', {
      name: 'Zoë 🏃\tRunner',
      phone: nextPhone(),
      timezone: 'Europe/Paris',
      checkInTime: '07:30',
    });
    expect(res.status).toBe(201);
    expect(res.body['name']).toBe('Zoë 🏃\tRunner');
  });

  it('a NUL byte in a goal title → 400 naming title; the member has no goal and still answers', async () => {
    const m = await newMember();
    const res = await send('POST', `/members/${m.id}/goals`, {
      title: 'Run\u00003k',
      cadence: { kind: 'daily' },
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body)).toEqual(['title']);
    const goals = await send('GET', `/members/${m.id}/goals`, undefined, auth);
    expect(goals.status).toBe(200);
    expect(goals.body['goals']).toEqual([]);
    // The workflow was never asked, so it still takes a good goal.
    const ok = await send('POST', `/members/${m.id}/goals`, { title: 'Run 3k', cadence: { kind: 'daily' } });
    expect(ok.status).toBe(201);
  });

  it('a NUL byte in a time zone, or consent evidence → 400 naming the field; nothing changes', async () => {
    const m = await newMember();
    const patch = await send('PATCH', `/members/${m.id}`, { timezone: 'Europe/Paris\u0000' });
    expect(patch.status).toBe(400);
    expect(fieldsOf(patch.body)).toEqual(['timezone']);
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    expect(row?.timezone).toBe('America/New_York');

    const phone = nextPhone();
    const consent = await send('POST', '/consent', {
      phone,
      purpose: 'marketing',
      action: 'opt_in',
      evidence: 'signup form\u0000',
    });
    expect(consent.status).toBe(400);
    expect(fieldsOf(consent.body)).toEqual(['evidence']);
    expect(await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, phone))).toEqual(
      [],
    );
  });
});

describe('time zones are stored in canonical IANA form', () => {
  it.each([
    ['US/Eastern', 'America/New_York'],
    ['europe/paris', 'Europe/Paris'],
    ['utc', 'UTC'],
  ])('%s is stored and answered as %s', async (given, canonical) => {
    const m = await newMember({ timezone: given });
    expect(m.timezone).toBe(canonical);
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    expect(row?.timezone).toBe(canonical);
    const patched = await send('PATCH', `/members/${m.id}`, {
      timezone: 'GB',
    });
    expect(patched.status).toBe(200);
    const after = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    expect(after?.timezone).toBe('Europe/London');
  });

  it('an unknown zone or an offset is a 400 naming timezone', async () => {
    for (const timezone of ['Mars/Olympus', '+02:00', ' America/New_York', 'x'.repeat(200)]) {
      const before = await memberCount();
      const res = await send('POST', '/members', {
        name: 'Ana',
        phone: nextPhone(),
        timezone,
        checkInTime: '19:00',
      });
      expect(res.status, timezone).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['timezone']);
      expect(await memberCount()).toBe(before);
    }
  });
});

describe('dates that do not exist, ids and limits out of range', () => {
  it('a pause until 2026-02-31 (or 2026-13-01) → 400 naming until; the member is not paused', async () => {
    const m = await newMember();
    for (const until of ['2026-02-31', '2026-13-01', '2026-00-10', '2025-02-29']) {
      const res = await send('POST', `/members/${m.id}/pause`, { until });
      expect(res.status, until).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['until']);
    }
    const live = await send('GET', `/members/${m.id}`, undefined, auth);
    expect(live.body['pausedUntil']).toBeNull();
    expect(live.body['status']).toBe('pending_confirmation');
  });

  it('an impossible check-ins cursor → 400 naming before', async () => {
    const m = await newMember();
    for (const before of ['2026-02-31', '2026-02-30.1', '2026-01-01.99999999999', 'yesterday']) {
      const res = await send('GET', `/members/${m.id}/check-ins?before=${before}`, undefined, auth);
      expect(res.status, before).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['before']);
    }
    expect(
      (await send('GET', `/members/${m.id}/check-ins?before=2024-02-29.3`, undefined, auth)).status,
    ).toBe(200);
  });

  it.each([
    ['/messages/99999999999999999999', 'id'],
    ['/messages/9007199254740993', 'id'],
    ['/messages/0', 'id'],
    ['/messages/-1', 'id'],
    ['/messages?before=99999999999999999999', 'before'],
    ['/messages?limit=100000', 'limit'],
    ['/messages?limit=0', 'limit'],
    ['/messages?limit=1e3', 'limit'],
    ['/dev/outbox?before=123456789012345678901234567890', 'before'],
    ['/dev/outbox?limit=201', 'limit'],
    ['/members?limit=101', 'limit'],
    ['/members?before=not-a-uuid', 'before'],
    ['/members/3f1c2a4e-0000-4000-8000-000000000000/goals/99999999999', 'goalId'],
    // A misspelt filter is named instead of silently ignored (which would list everything).
    ['/dev/outbox?memberid=3f1c2a4e-0000-4000-8000-000000000000', 'memberid'],
    ['/members?Status=active', 'Status'],
    ['/messages?limits=5', 'limits'],
  ])('GET %s → 400 naming %s', async (path, field) => {
    const res = await send('GET', path, undefined, auth);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(fieldsOf(res.body)).toEqual([field]);
  });

  it('the largest ids that can exist are answered (404), not refused', async () => {
    expect((await send('GET', '/messages/9007199254740991', undefined, auth)).status).toBe(404);
    expect((await send('GET', '/messages?before=9007199254740991', undefined, auth)).status).toBe(200);
  });
});

describe('bodies that are not JSON, too large, or of another type', () => {
  it('malformed JSON → 400 problem+json with errors[] naming body; nothing stored', async () => {
    const before = await memberCount();
    for (const body of ['{"name":', 'not json', '{"name":"Ana",}']) {
      const res = await send('POST', '/members', body);
      expect(res.status, body).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    }
    expect(await memberCount()).toBe(before);
  });

  it('a body that is JSON but not an object → 400 naming body', async () => {
    for (const body of ['[]', '"Ana"', 'null', '42']) {
      const res = await send('POST', '/members', body);
      expect(res.status, body).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['body']);
    }
  });

  it('another content type → 415 problem+json naming content-type; nothing stored', async () => {
    const before = await memberCount();
    const body = JSON.stringify({ name: 'Ana', phone: nextPhone(), timezone: 'UTC', checkInTime: '19:00' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await send('POST', '/members', body, { ...auth, 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.contentType).toContain('application/problem+json');
      expect(fieldsOf(res.body)).toEqual(['content-type']);
    }
    expect(await memberCount()).toBe(before);
  });

  it('a body over 64 KiB → 413 problem+json; nothing stored', async () => {
    const before = await memberCount();
    const res = await send('POST', '/members', {
      name: 'Ana',
      phone: nextPhone(),
      timezone: 'UTC',
      checkInTime: '19:00',
      padding: 'x'.repeat(70 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.status).toBe(413);
    expect(await memberCount()).toBe(before);
  });
});
