/**
 * The consent API (ledger + suppressions) and the operator message lists, against real Postgres and a real
 * Temporal server (time-skipping test server, real worker) for the member whose workflow hears about a change.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inboundMessages, members, messages } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { auth, json } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

/** The time-skipping server, a fresh database, the real workers and the app over them (helpers/stack.ts). */
const t = stackWithApp();

interface ConsentEventJson {
  id: number;
  purpose: string;
  action: string;
  source: string;
  evidence: Record<string, unknown>;
  changed: boolean;
  at: string;
}
interface ConsentStateJson {
  phone: string;
  suppressed: string[];
  transactional: boolean;
  marketing: boolean;
  optedOut: boolean;
}
interface Problem {
  status: number;
  errors: Array<{ field: string; message: string }>;
}

async function record(body: Record<string, unknown>) {
  const res = await t.app.request('/consent', { method: 'POST', headers: json, body: JSON.stringify(body) });
  return {
    res,
    body: (await res.json()) as {
      event: ConsentEventJson;
      changed: boolean;
      state: ConsentStateJson;
    } & Problem,
  };
}

async function ok(body: Record<string, unknown>) {
  const r = await record(body);
  expect(r.res.status).toBe(201);
  return r.body;
}

async function read(phone: string) {
  const res = await t.app.request(`/consent/${phone}`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as { state: ConsentStateJson; events: ConsentEventJson[] };
}

describe('POST /consent validation', () => {
  it('an opt-in (marketing or global) without evidence is 400 naming evidence, and nothing is recorded', async () => {
    for (const purpose of ['marketing', 'all']) {
      const { res, body } = await record({ phone: '+14155551001', purpose, action: 'opt_in' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(body.errors.map((e) => e.field)).toEqual(['evidence']);
    }
    const blank = await record({
      phone: '+14155551001',
      purpose: 'marketing',
      action: 'opt_in',
      evidence: '  ',
    });
    expect(blank.res.status).toBe(400);
    expect(new Set(blank.body.errors.map((e) => e.field))).toEqual(new Set(['evidence']));
    expect((await read('+14155551001')).events).toEqual([]);
  });

  it('an opt-out needs no evidence', async () => {
    const body = await ok({ phone: '+14155551002', purpose: 'marketing', action: 'opt_out' });
    expect(body.event).toMatchObject({ purpose: 'marketing', action: 'opt_out', source: 'api' });
  });

  it.each([['4155551003'], ['+0415555'], ['tel:+14155551003'], ['']])(
    'phone %j is 400 naming phone',
    async (phone) => {
      const { res, body } = await record({ phone, purpose: 'all', action: 'opt_out' });
      expect(res.status).toBe(400);
      expect(body.errors.map((e) => e.field)).toContain('phone');
    },
  );

  it('GET /consent/:phone with a malformed number is 400 naming phone; both need the API key', async () => {
    const bad = await t.app.request('/consent/12345', { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).errors.map((e) => e.field)).toEqual(['phone']);
    expect((await t.app.request('/consent/+14155551004')).status).toBe(401);
    const post = await t.app.request('/consent', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+14155551004', purpose: 'all', action: 'opt_out' }),
    });
    expect(post.status).toBe(401);
    expect((await read('+14155551004')).events).toEqual([]);
  });
});

describe('the consent ledger', () => {
  it('keeps the history in order with source and evidence; a percent-encoded + reads the same number', async () => {
    const phone = '+14155551010';
    await ok({
      phone,
      purpose: 'marketing',
      action: 'opt_in',
      evidence: 'https://crewline.app/join form v3',
    });
    await ok({ phone, purpose: 'marketing', action: 'opt_out', source: 'import', evidence: 'batch 2027-01' });
    await ok({ phone, purpose: 'all', action: 'opt_out' });
    const { events } = await read(phone);
    expect(events.map((e) => [e.purpose, e.action, e.source])).toEqual([
      ['marketing', 'opt_in', 'api'],
      ['marketing', 'opt_out', 'import'],
      ['all', 'opt_out', 'api'],
    ]);
    expect(events[0]!.evidence).toMatchObject({ note: 'https://crewline.app/join form v3' });
    expect(events[0]!.evidence.apiClient).toEqual(expect.any(String));
    expect(events[1]!.evidence).toMatchObject({ note: 'batch 2027-01' });
    expect(events[2]!.evidence).not.toHaveProperty('note');
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect((await read(encodeURIComponent(phone))).events).toEqual(events);
  });

  it('a retried request with the same requestId records one event and gives the same answer', async () => {
    const phone = '+14155551011';
    const body = { phone, purpose: 'all', action: 'opt_out', requestId: 'req-42' };
    const first = await ok(body);
    const again = await ok(body);
    expect(first.changed).toBe(true);
    expect(again.changed).toBe(true);
    expect(again.event).toEqual(first.event);
    expect((await read(phone)).events).toHaveLength(1);
    // A different requestId is a different request: recorded, but it changes nothing.
    const other = await ok({ ...body, requestId: 'req-43' });
    expect(other.changed).toBe(false);
    expect((await read(phone)).events).toHaveLength(2);
  });

  it('marketing: opt-in grants it, a global opt-out revokes it, a global opt-in lifts the block only', async () => {
    const phone = '+14155551012';
    expect((await read(phone)).state).toEqual({
      phone,
      suppressed: [],
      optedOut: false,
      transactional: true,
      marketing: false,
      purposes: { checkins: true, crews: true, mentorship: true, campaigns: false },
    });

    const optIn = await ok({ phone, purpose: 'marketing', action: 'opt_in', evidence: 'web form' });
    expect(optIn.changed).toBe(true);
    expect(optIn.state).toMatchObject({ marketing: true, transactional: true, suppressed: [] });

    const stop = await ok({ phone, purpose: 'all', action: 'opt_out' });
    expect(stop.changed).toBe(true);
    expect(stop.state).toMatchObject({
      marketing: false,
      transactional: false,
      optedOut: true,
      suppressed: ['opt_out'],
    });

    const stopAgain = await ok({ phone, purpose: 'all', action: 'opt_out' });
    expect(stopAgain.changed).toBe(false);
    expect(stopAgain.state.suppressed).toEqual(['opt_out']);

    // Documented decision: START (a global opt-in) lifts the suppression but does not bring marketing back.
    const start = await ok({ phone, purpose: 'all', action: 'opt_in', evidence: 'support call 2027-01-20' });
    expect(start.changed).toBe(true);
    expect(start.state).toMatchObject({
      suppressed: [],
      optedOut: false,
      transactional: true,
      marketing: false,
    });
    expect((await read(phone)).state.marketing).toBe(false);

    // A fresh marketing opt-in does.
    const again = await ok({ phone, purpose: 'marketing', action: 'opt_in', evidence: 'web form again' });
    expect(again.changed).toBe(true);
    expect(again.state.marketing).toBe(true);
    expect((await read(phone)).events.map((e) => e.changed)).toEqual([true, true, false, true, true]);
  });

  it('a transactional opt-out is an opt-out too: it revokes marketing, and a later START does not restore it', async () => {
    const phone = '+14155551013';
    await ok({ phone, purpose: 'marketing', action: 'opt_in', evidence: 'web form' });
    const out = await ok({ phone, purpose: 'transactional', action: 'opt_out' });
    expect(out.changed).toBe(true);
    expect(out.state).toMatchObject({ optedOut: true, suppressed: ['opt_out'], marketing: false });
    const start = await ok({ phone, purpose: 'all', action: 'opt_in', evidence: 'texted START' });
    expect(start.state).toMatchObject({ optedOut: false, suppressed: [], marketing: false });
  });

  it('a marketing opt-out is not a global one', async () => {
    const phone = '+14155551014';
    await ok({ phone, purpose: 'marketing', action: 'opt_in', evidence: 'web form' });
    const out = await ok({ phone, purpose: 'marketing', action: 'opt_out' });
    expect(out.changed).toBe(true);
    expect(out.state).toMatchObject({
      marketing: false,
      transactional: true,
      optedOut: false,
      suppressed: [],
    });
    const outAgain = await ok({ phone, purpose: 'marketing', action: 'opt_out' });
    expect(outAgain.changed).toBe(false);
  });

  it('a member’s opt-out reaches the member row and the running workflow; opting back in reverses it', async () => {
    const phone = '+14155551020';
    const created = await t.app.request('/members', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Ana', phone, timezone: 'America/New_York', checkInTime: '19:00' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const handle = t.env.client.workflow.getHandle(memberWorkflowId(id));

    await ok({ phone, purpose: 'all', action: 'opt_out' });
    const member = async () =>
      (await (await t.app.request(`/members/${id}`, { headers: auth })).json()) as { status: string };
    expect((await member()).status).toBe('opted_out');
    await waitFor(
      async () => (await handle.query(memberStateQuery)).status === 'opted_out',
      'workflow opted out',
    );

    await ok({ phone, purpose: 'all', action: 'opt_in', evidence: 'member asked support' });
    expect((await member()).status).toBe('active');
    await waitFor(async () => (await handle.query(memberStateQuery)).status === 'active', 'workflow active');
  });
});

describe('GET /messages filters and pagination', () => {
  const memberA = randomUUID();
  const memberB = randomUUID();
  /** Inserted inbound rows, oldest first. */
  const inbound: Array<{ id: number; routeStatus: string; memberId: string | null }> = [];
  const outbound: Array<{ id: number; status: string; memberId: string }> = [];

  beforeAll(async () => {
    await t.database.db.insert(members).values([
      { id: memberA, name: 'A', phone: '+14155552001', timezone: 'America/New_York', checkInTime: '08:00' },
      { id: memberB, name: 'B', phone: '+14155552002', timezone: 'America/New_York', checkInTime: '08:00' },
    ]);
    // Routed ones in long runs, so that a page of the newest rows can be all routed.
    const statuses = [
      'unrouted',
      'routed',
      'pending',
      'routed',
      'routed',
      'routed',
      'unrouted',
      'routed',
      'routed',
      'unrouted',
      'pending',
      'routed',
      'routed',
      'routed',
    ] as const;
    for (const [i, routeStatus] of statuses.entries()) {
      const memberId = routeStatus === 'unrouted' ? null : i % 2 ? memberA : memberB;
      const [row] = await t.database.db
        .insert(inboundMessages)
        .values({
          providerSid: `SM_list_in_${i}`,
          fromPhone: memberId === memberA ? '+14155552001' : memberId ? '+14155552002' : '+19995550000',
          toPhone: '+15005550006',
          body: `inbound ${i}`,
          memberId,
          routeStatus,
          routedTo: routeStatus === 'routed' ? memberWorkflowId(memberId!) : null,
        })
        .returning();
      inbound.push({ id: row!.id, routeStatus, memberId });
    }
    const outStatuses = ['delivered', 'sent', 'delivered', 'failed', 'delivered', 'delivered', 'delivered'];
    for (const [i, status] of outStatuses.entries()) {
      const memberId = i % 3 === 2 ? memberB : memberA;
      const [row] = await t.database.db
        .insert(messages)
        .values({
          idempotencyKey: `list:out:${i}`,
          memberId,
          toPhone: memberId === memberA ? '+14155552001' : '+14155552002',
          body: `outbound ${i}`,
          kind: 'checkin_prompt',
          provider: 'sandbox',
          providerSid: `SM_list_out_${i}`,
          status,
        })
        .returning();
      outbound.push({ id: row!.id, status, memberId });
    }
  });

  async function pages(query: string, limit: number) {
    const seen: number[][] = [];
    let before: number | null = null;
    for (let i = 0; i < 50; i++) {
      const res = await t.app.request(
        `/messages?${query}&limit=${limit}${before ? `&before=${before}` : ''}`,
        {
          headers: auth,
        },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        messages: Array<{ id: number; routeStatus?: string; status?: string; memberId: string | null }>;
        nextBefore: number | null;
      };
      seen.push(body.messages.map((m) => m.id));
      if (body.nextBefore === null) return { pages: seen, all: seen.flat() };
      before = body.nextBefore;
    }
    throw new Error('pagination does not end');
  }

  const newestFirst = (ids: number[]) => [...ids].sort((a, b) => b - a);

  it('direction=inbound&routed=false walks every pending or unrouted message, newest first, in full pages', async () => {
    const expected = newestFirst(inbound.filter((m) => m.routeStatus !== 'routed').map((m) => m.id));
    expect(expected).toHaveLength(5);
    for (const limit of [1, 2, 3, 50]) {
      const { pages: p, all } = await pages('direction=inbound&routed=false', limit);
      expect(all).toEqual(expected);
      // Every page but the last is full.
      for (const page of p.slice(0, -1)) expect(page).toHaveLength(limit);
    }
  });

  it('direction=inbound&routed=true and status=unrouted', async () => {
    const routed = newestFirst(inbound.filter((m) => m.routeStatus === 'routed').map((m) => m.id));
    expect((await pages('direction=inbound&routed=true', 4)).all).toEqual(routed);
    const unrouted = newestFirst(inbound.filter((m) => m.routeStatus === 'unrouted').map((m) => m.id));
    expect((await pages('direction=inbound&status=unrouted', 2)).all).toEqual(unrouted);
  });

  it('outbound status=…&memberId=… with nextBefore', async () => {
    const expected = newestFirst(
      outbound.filter((m) => m.status === 'delivered' && m.memberId === memberA).map((m) => m.id),
    );
    expect(expected.length).toBeGreaterThan(2);
    const { pages: p, all } = await pages(`status=delivered&memberId=${memberA}`, 2);
    expect(all).toEqual(expected);
    expect(p[0]).toHaveLength(2);
    const otherMember = await pages(`direction=outbound&status=delivered&memberId=${memberB}`, 50);
    expect(otherMember.all).toEqual(
      newestFirst(
        outbound.filter((m) => m.status === 'delivered' && m.memberId === memberB).map((m) => m.id),
      ),
    );
    expect((await pages(`status=failed&memberId=${memberB}`, 50)).all).toEqual([]);
  });

  it('401 without the API key; 400 naming memberId when it is not a UUID', async () => {
    for (const q of ['', '?direction=inbound&routed=false', `?status=delivered&memberId=${memberA}`]) {
      const res = await t.app.request(`/messages${q}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const bad = await t.app.request('/messages?memberId=42', { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).errors.map((e) => e.field)).toEqual(['memberId']);
  });
});
