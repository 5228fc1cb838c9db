/**
 * The crews API against real Postgres and the time-skipping server with the real worker: create (organiser =
 * first member), list joinable, read, join (invite code, size, explicit consent recorded in the consent ledger
 * with its evidence), leave (consent withdrawn), a member's crews, and challenges (started as workflows that are
 * told of joins and leaves; answers refused by the workflow's validator → 422).
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { consentState } from '../../db/consent.js';
import { consentEvents } from '../../db/schema.js';
import { routeAdd } from '../../api/crew-add.js';
import { ingestInbound, routeInbound } from '../../api/inbound.js';
import { json, jsonCalls } from '../helpers/app.js';
import { insertActiveMember } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
let seq = 0;

const call = jsonCalls(() => t.app);

const member = (timezone = 'America/New_York') =>
  insertActiveMember(t.database.db, `+1646555${String(4000 + seq++)}`, timezone);

/**
 * A challenge's history as stored (payloads not decoded): contribution amounts and the crew totals answered to
 * them are the members' habit data, sealed with their keys (README "Privacy").
 */
async function rawHistory(challengeId: string): Promise<string> {
  const history = await t.env.client.workflow.getHandle(`crew-challenge-${challengeId}`).fetchHistory();
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) texts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history.events);
  return texts.join('\n');
}

const consent = { pulses: true, reflections: false };
/** A start date well ahead: the challenge stays in its start gate during the test. */
const START = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
interface Crew {
  id: string;
  joinCode: string;
  memberCount: number;
  members: Array<{ memberId: string; role: string }>;
}
const newCrew = (organiserMemberId: string, extra: Record<string, unknown> = {}) =>
  call<Crew>('POST', '/crews', {
    name: 'Morning walkers',
    purpose: '10-minute walks every day',
    maxSize: 5,
    joinable: false,
    timezone: 'US/Eastern',
    organiserMemberId,
    consent,
    ...extra,
  });

describe('crews', () => {
  it('refuses bad input naming each field (size 3–30, k ≥ 5, explicit pulse consent)', async () => {
    const m = await member();
    const res = await newCrew(m.id, {
      maxSize: 31,
      pulseK: 4,
      consent: { pulses: false, reflections: true },
    });
    expect(res.status).toBe(400);
    const fields = (res.body as unknown as { errors: Array<{ field: string }> }).errors
      .map((e) => e.field)
      .sort();
    expect(fields).toEqual(['consent.pulses', 'maxSize', 'pulseK']);
  });

  it('creates an invite-only crew whose organiser is its first member, with consent in the ledger', async () => {
    const org = await member();
    const res = await newCrew(org.id, { requestId: 'req-1' });
    expect(res.status).toBe(201);
    expect(res.location).toBe(`/crews/${res.body.id}`);
    expect(res.body).toMatchObject({
      timezone: 'America/New_York',
      pulseK: 5,
      memberCount: 1,
      joinable: false,
    });
    expect(res.body.joinCode).toMatch(/^[A-Z2-9]{6}$/);
    expect(res.body.members).toEqual([expect.objectContaining({ memberId: org.id, role: 'organiser' })]);
    const ledger = await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, org.phone));
    expect(ledger).toEqual([
      expect.objectContaining({
        purpose: 'crew_pulses',
        action: 'opt_in',
        source: 'api',
        evidence: expect.objectContaining({
          crewId: res.body.id,
          memberId: org.id,
          via: 'api',
          reference: 'req-1',
        }),
      }),
    ]);
    // Sharing consent is not a texting permission: marketing stays off, transactional on.
    expect(await consentState(t.database.db, org.phone)).toMatchObject({
      transactional: true,
      marketing: false,
    });
    // Invite-only crews are not listed; joinable ones are, with their size.
    const open = await newCrew(org.id, { joinable: true, name: 'Open crew' });
    const list = await call<{ crews: Array<{ id: string; memberCount: number }> }>('GET', '/crews?limit=100');
    expect(list.body.crews.map((c) => c.id)).toContain(open.body.id);
    expect(list.body.crews.map((c) => c.id)).not.toContain(res.body.id);
  });

  it('joins with the code (403 without), once (200 again), up to the size (409), and leaves', async () => {
    const org = await member();
    const crew = (await newCrew(org.id, { maxSize: 3 })).body;
    const [a, b, c] = [await member('Europe/Berlin'), await member(), await member()];
    const join = (m: { id: string }, extra: Record<string, unknown> = {}) =>
      call('POST', `/crews/${crew.id}/members`, { memberId: m.id, consent, ...extra });
    expect((await join(a)).status).toBe(403);
    const joined = await join(a, {
      joinCode: crew.joinCode.toLowerCase(),
      consent: { pulses: true, reflections: true },
    });
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({
      role: 'member',
      sharePulses: true,
      shareReflections: true,
      leftAt: null,
    });
    expect((await join(a, { joinCode: crew.joinCode })).status).toBe(200);
    expect((await join(b, { joinCode: crew.joinCode })).status).toBe(201);
    const full = await join(c, { joinCode: crew.joinCode });
    expect(full.status).toBe(409);
    expect((await call('POST', `/crews/${randomUUID()}/members`, { memberId: a.id, consent })).status).toBe(
      404,
    );

    const mine = await call<{ crews: Array<{ crew: { id: string }; membership: { role: string } }> }>(
      'GET',
      `/members/${a.id}/crews`,
    );
    expect(mine.body.crews.map((x) => [x.crew.id, x.membership.role])).toEqual([[crew.id, 'member']]);

    const left = await call<{ leftAt: string | null }>('DELETE', `/crews/${crew.id}/members/${a.id}`);
    expect(left.status).toBe(200);
    expect(left.body.leftAt).not.toBeNull();
    expect((await call('DELETE', `/crews/${crew.id}/members/${a.id}`)).status).toBe(404);
    const after = await call<Crew>('GET', `/crews/${crew.id}`);
    expect(after.body.members.map((m) => m.memberId).sort()).toEqual([org.id, b.id].sort());
    // Both consents given at the join are withdrawn in the ledger, with the crew as evidence.
    const ledger = await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, a.phone));
    expect(ledger.map((e) => `${e.purpose}:${e.action}`)).toEqual([
      'crew_pulses:opt_in',
      'crew_reflections:opt_in',
      'crew_pulses:opt_out',
      'crew_reflections:opt_out',
    ]);
    expect(ledger[2]!.evidence).toMatchObject({ crewId: crew.id, reason: 'left the crew' });
    // The place is free again.
    expect((await join(c, { joinCode: crew.joinCode })).status).toBe(201);
  });
});

describe('crew challenges', () => {
  it('starts a challenge workflow that is told of joins and leaves; answers before the start are refused', async () => {
    const org = await member();
    const crew = (await newCrew(org.id, { joinable: true, maxSize: 10 })).body;
    const bad = await call('POST', `/crews/${crew.id}/challenges`, {
      title: 'Walks',
      days: 91,
      startDate: '2027-02-30',
    });
    expect(bad.status).toBe(400);
    const badFields = (bad.body as unknown as { errors: Array<{ field: string }> }).errors.map(
      (e) => e.field,
    );
    expect(badFields.sort()).toEqual(['days', 'startDate']);
    const created = await call<{ challengeId: string; status: string }>(
      'POST',
      `/crews/${crew.id}/challenges`,
      {
        title: 'Walks',
        days: 30,
        startDate: START,
        minSize: 5,
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('gathering');
    const path = `/challenges/${created.body.challengeId}`;
    expect(created.location).toBe(path);
    const listed = await call<{ challenges: Array<{ challengeId: string; days: number }> }>(
      'GET',
      `/crews/${crew.id}/challenges`,
    );
    expect(listed.body.challenges).toEqual([
      expect.objectContaining({ challengeId: created.body.challengeId, days: 30, startDate: START }),
    ]);
    const a = await member('Asia/Tokyo');
    expect((await call('POST', `/crews/${crew.id}/members`, { memberId: a.id, consent })).status).toBe(201);
    await waitFor(
      async () => (await call<{ memberCount: number }>('GET', path)).body.memberCount === 2,
      'the join',
    );
    await call('DELETE', `/crews/${crew.id}/members/${org.id}`);
    await waitFor(
      async () => (await call<{ memberCount: number }>('GET', path)).body.memberCount === 1,
      'the leave',
    );
    const early = await call<{ errors: Array<{ field: string }> }>('POST', `${path}/answers`, {
      memberId: a.id,
      localDate: START,
      done: true,
    });
    expect(early.status).toBe(422);
    expect(early.body.errors[0]!.field).toBe('status');
    expect((await call('GET', `/challenges/${randomUUID()}`)).status).toBe(404);
    const cancelled = await call('POST', `${path}/cancel`, { reason: 'organiser changed plans' });
    expect(cancelled.status).toBe(202);
    await waitFor(
      async () => (await call<{ status: string }>('GET', path)).body.status === 'cancelled',
      'the cancellation',
    );
  });
});

describe('crew challenge answers by API', () => {
  it('duplicate answers posted concurrently count once in the published pulse', async () => {
    const org = await member('UTC');
    const crew = (await newCrew(org.id, { joinable: true, maxSize: 10, timezone: 'UTC' })).body;
    const others = [await member('UTC'), await member('UTC'), await member('UTC'), await member('UTC')];
    for (const m of others) await call('POST', `/crews/${crew.id}/members`, { memberId: m.id, consent });
    const now = await t.env.currentTimeMs();
    const today = new Date(now).toISOString().slice(0, 10);
    const created = await call<{ challengeId: string }>('POST', `/crews/${crew.id}/challenges`, {
      title: 'Stretch',
      days: 1,
      startDate: today,
      minSize: 5,
    });
    const path = `/challenges/${created.body.challengeId}`;
    await waitFor(
      async () => (await call<{ status: string }>('GET', path)).body.status === 'active',
      'the start',
    );
    // Every member's answer posted twice at the same moment (a client retrying).
    const posts = [org, ...others].flatMap((m, i) =>
      [0, 1].map(() =>
        call('POST', `${path}/answers`, { memberId: m.id, localDate: today, done: i !== 0, energy: 3 }),
      ),
    );
    const answered = await Promise.all(posts);
    expect(answered.map((a) => a.status)).toEqual(Array(10).fill(200));
    // The day closes at the next UTC midnight plus the 24 h grace; the challenge then closes itself.
    await skipTo(t.env, new Date(Date.parse(`${today}T00:00:00Z`) + 2 * 86_400_000 + 60_000));
    const done = await waitFor(async () => {
      const v = await call<{ status: string; pulses: unknown[] }>('GET', path);
      return v.body.status === 'completed' && v.body;
    }, 'the self-close');
    expect(done.pulses).toEqual([
      {
        day: 1,
        published: true,
        figures: { responded: 5, done: 4, energyCount: 5, energySum: 15 },
        suppressed: null,
      },
    ]);
  });
});

describe('group goal, leaderboard and k by API', () => {
  it('counts a contribution once per Idempotency-Key, ranks aliases (never a name) and only raises k', async () => {
    const org = await member('UTC');
    const crew = (await newCrew(org.id, { joinable: true, maxSize: 10, timezone: 'UTC' })).body;
    const others = [await member('UTC'), await member('UTC'), await member('UTC'), await member('UTC')];
    for (const m of others) await call('POST', `/crews/${crew.id}/members`, { memberId: m.id, consent });
    const today = new Date(await t.env.currentTimeMs()).toISOString().slice(0, 10);
    const bad = await call<{ errors: Array<{ field: string }> }>('POST', `/crews/${crew.id}/challenges`, {
      title: 'Run',
      days: 1,
      startDate: today,
      goal: { target: 0, unit: '5k' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['goal.target', 'goal.unit']);
    const created = await call<{ challengeId: string; goal: unknown }>(
      'POST',
      `/crews/${crew.id}/challenges`,
      {
        title: 'Run',
        days: 1,
        startDate: today,
        minSize: 5,
        goal: { target: 10, unit: 'km' },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.goal).toMatchObject({ unit: 'km', target: 10, total: 0, reached: false });
    const path = `/challenges/${created.body.challengeId}`;
    await waitFor(
      async () => (await call<{ status: string }>('GET', path)).body.status === 'active',
      'the start',
    );
    const contribute = async (key: string | null, body: Record<string, unknown>) => {
      const res = await t.app.request(`${path}/contributions`, {
        method: 'POST',
        headers: { ...json, ...(key && { 'idempotency-key': key }) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const noKey = await contribute(null, { memberId: org.id, amount: 5 });
    expect(noKey.status).toBe(400);
    expect(JSON.stringify(noKey.body)).toContain('idempotency-key');
    // The same request retried three times at once: counted once.
    const same = await Promise.all(
      [1, 2, 3].map(() => contribute('run-org-0001', { memberId: org.id, amount: 5 })),
    );
    expect(same.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(same.filter((r) => r.body.counted)).toHaveLength(1);
    for (const r of same)
      expect(Object.keys(r.body).sort()).toEqual(['counted', 'duplicate', 'reached', 'target', 'total']);
    expect(
      await contribute('run-m1-00001', { memberId: others[0]!.id, amount: 2.5, unit: 'KM' }),
    ).toMatchObject({
      status: 200,
      body: { counted: true, total: 7.5, reached: false },
    });
    const wrongUnit = await contribute('run-m1-00002', { memberId: others[0]!.id, amount: 1, unit: 'miles' });
    expect(wrongUnit.status).toBe(422);
    expect(JSON.stringify(wrongUnit.body)).toContain('"field":"unit"');
    const view = await call<{ goal: Record<string, unknown> }>('GET', path);
    expect(view.body.goal).toMatchObject({ total: 7.5, percent: 75, reached: false, contributions: 2 });
    const raw = await rawHistory(created.body.challengeId);
    expect(raw).toContain('"$sealed"');
    for (const x of ['"amount"', '"counted"', '"total":7.5']) expect(raw).not.toContain(x);

    // Leaderboard: an alias, never the member's name (every test member is called Kim).
    const named = await call('POST', `${path}/leaderboard`, { memberId: org.id, alias: 'Kimberly K' });
    expect(named.status).toBe(422);
    expect(JSON.stringify(named.body)).toContain('"field":"alias"');
    expect(
      (await call('POST', `${path}/leaderboard`, { memberId: org.id, alias: 'Road Runner' })).body,
    ).toEqual({
      alias: 'Road Runner',
    });
    const board = await call<{ rows: unknown[] }>('GET', `${path}/leaderboard`);
    expect(board.body.rows).toEqual([
      { rank: 1, alias: 'Road Runner', total: 5, contributions: [{ amount: 5, at: expect.any(String) }] },
    ]);

    // k: at least 5 by schema; raised to 6; never lowered again.
    expect((await call('POST', `${path}/k`, { k: 4 })).status).toBe(400);
    expect(await call('POST', `${path}/k`, { k: 6 })).toMatchObject({ status: 200, body: { k: 6 } });
    const lower = await call('POST', `${path}/k`, { k: 5 });
    expect(lower.status).toBe(422);
    expect(JSON.stringify(lower.body)).toContain('can only be raised');

    // The goal is reached: the milestone is recorded.
    expect(await contribute('run-m2-00001', { memberId: others[1]!.id, amount: 2.5 })).toMatchObject({
      body: { total: 10, reached: true },
    });
    const reached = await call<{ k: number; goal: { reached: boolean }; milestones: Array<{ id: string }> }>(
      'GET',
      path,
    );
    expect(reached.body).toMatchObject({ k: 6, goal: { reached: true }, milestones: [{ id: 'goal' }] });
  });

  it('ADD by SMS counts once per MessageSid, even when routed again after a crash; a wrong unit is kept unrouted', async () => {
    const org = await member('UTC');
    const crew = (await newCrew(org.id, { joinable: true, maxSize: 10, timezone: 'UTC' })).body;
    const others = [await member('UTC'), await member('UTC')];
    for (const m of others) await call('POST', `/crews/${crew.id}/members`, { memberId: m.id, consent });
    const today = new Date(await t.env.currentTimeMs()).toISOString().slice(0, 10);
    const created = await call<{ challengeId: string }>('POST', `/crews/${crew.id}/challenges`, {
      title: 'Walk 50 km',
      days: 2,
      startDate: today,
      minSize: 3,
      goal: { target: 50, unit: 'km' },
    });
    const path = `/challenges/${created.body.challengeId}`;
    await waitFor(
      async () => (await call<{ status: string }>('GET', path)).body.status === 'active',
      'the start',
    );
    const deps = { db: t.database.db, temporal: t.env.client, brand: { name: 'Crewline' } } as Parameters<
      typeof routeInbound
    >[0];
    const text = (sid: string, from: string, body: string) =>
      ingestInbound(t.database.db, { messageSid: sid, from, to: '+15005550006', body });
    const first = await text('SMadd00000000000000000000000000001', others[0]!.phone, 'add 2,5 km');
    expect(await routeInbound(deps, first.row)).toBe('routed');
    // Twilio delivers the same text again: stored once, nothing new routed.
    const again = await text('SMadd00000000000000000000000000001', others[0]!.phone, 'add 2,5 km');
    expect(again.duplicate).toBe(true);
    // A crash after the update but before the route was recorded: routed again, counted once.
    const direct = (fn: () => Promise<unknown>) => fn();
    expect(await routeAdd(deps, first.row, direct as never)).toBe(
      `crew-challenge-${created.body.challengeId}`,
    );
    await text('SMadd00000000000000000000000000002', org.phone, 'ADD 5').then((r) =>
      routeInbound(deps, r.row),
    );
    // A unit that is not the goal's is refused by the challenge: kept unrouted for operators.
    const miles = await text('SMadd00000000000000000000000000003', org.phone, 'ADD 3 miles');
    expect(await routeInbound(deps, miles.row)).toBe('unrouted');
    const view = await call<{ goal: Record<string, unknown> }>('GET', path);
    expect(view.body.goal).toMatchObject({ total: 7.5, contributions: 2 });
    // The texts' amounts and the totals answered to them are sealed in the history (api/crew-add.ts marks them).
    const raw = await rawHistory(created.body.challengeId);
    for (const x of ['"amount"', '"counted"', '"total":2.5', 'Added']) expect(raw).not.toContain(x);
  });
});
