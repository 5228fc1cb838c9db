/**
 * Reflections from a crew member's side (real Postgres): what the day's pulse text may carry
 * (`reflectionForPulse`: the oldest shared reflection not carried yet, and the consenting current members) and
 * the member-token routes `/me/challenges/{id}/reflections` (read the crew's shared ones and one's own; report
 * one as oneself; a crew one is not in is not found).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReflectionActivities } from '../../activities/crews/reflections.js';
import { createSession } from '../../db/auth.js';
import { createCrew, insertChallenge, joinCrew, leaveCrew } from '../../db/crews.js';
import { crewMembers, crewReflections, members } from '../../db/schema.js';
import { createTokenService } from '../../api/tokens.js';
import { auth, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

const AUTH = { tokenSecret: 'reflections-member-test-secret-0123456789' };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: ReturnType<typeof testApp>;
let seq = 0;
const evidence = { via: 'api' as const };
const DAY = 86_400_000;
const tokens = createTokenService(AUTH)!;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, {} as Client, { auth: AUTH });
});
afterAll(async () => {
  await database?.close();
});

async function member(name: string) {
  const id = randomUUID();
  await database.db.insert(members).values({
    id,
    name,
    phone: `+1415557${String(1000 + seq++).padStart(4, '0')}`,
    timezone: 'Europe/London',
    checkInTime: '19:00',
  });
  return id;
}

/** A signed-in member's access token (a live session, as POST /auth/otp/verify makes one). */
async function tokenOf(memberId: string): Promise<string> {
  const sessionId = randomUUID();
  await createSession(database.db, {
    id: sessionId,
    memberId,
    expiresAt: new Date(Date.now() + DAY),
    refreshTokenHash: randomUUID(),
  });
  return (await tokens.signAccessToken({ memberId, sessionId, scopes: ['member'] })).token;
}

/** A crew of Kim (shares reflections) and `others` ({ shares }), all in it for `daysIn` days, with a challenge. */
async function crew(others: boolean[], daysIn = 5) {
  const kim = await member('Kim Lee');
  const made = await createCrew(database.db, {
    name: 'Walkers',
    purpose: 'walk',
    maxSize: 10,
    joinable: true,
    timezone: 'Europe/London',
    pulseK: 5,
    organiserMemberId: kim,
    consent: { pulses: true, reflections: true },
    evidence,
  });
  if (!('crew' in made)) throw new Error('no crew');
  const ids: string[] = [];
  for (const [i, shares] of others.entries()) {
    const id = await member(`Walker ${i}`);
    await joinCrew(database.db, {
      crewId: made.crew.id,
      memberId: id,
      consent: { pulses: true, reflections: shares },
      evidence,
    });
    ids.push(id);
  }
  await database.db
    .update(crewMembers)
    .set({ joinedAt: new Date(Date.now() - daysIn * DAY) })
    .where(eq(crewMembers.crewId, made.crew.id));
  const challenge = await insertChallenge(database.db, {
    id: randomUUID(),
    crewId: made.crew.id,
    title: 'Walk',
    days: 7,
    startDate: '2026-11-30',
    minSize: 3,
  });
  return { kim, others: ids, crewId: made.crew.id, challengeId: challenge.id };
}

const activities = () => createReflectionActivities({ db: database.db, openai: null });

const get = (path: string, token: string) =>
  app.request(path, { headers: { authorization: `Bearer ${token}` } });
const post = (path: string, token: string) =>
  app.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

describe('what the pulse text carries', () => {
  it('the oldest shared reflection not carried yet, to the consenting current members', async () => {
    const c = await crew([true, false, true]);
    const [a, , b] = c.others as [string, string, string];
    const acts = activities();
    const first = await acts.storeCrewReflection({
      challengeId: c.challengeId,
      memberId: c.kim,
      day: 1,
      text: 'A lovely walk by the river, call me on +44 7700 900123',
    });
    const held = await acts.storeCrewReflection({
      challengeId: c.challengeId,
      memberId: a,
      day: 1,
      text: 'I hate hills',
    });
    const second = await acts.storeCrewReflection({
      challengeId: c.challengeId,
      memberId: b,
      day: 2,
      text: 'Short walk today, still counts',
    });
    expect([first, held, second].map((r) => r.stored && r.status)).toEqual([
      'shared',
      'pending_review',
      'shared',
    ]);
    if (!first.stored || !second.stored) throw new Error('not stored');

    const one = await acts.reflectionForPulse({ challengeId: c.challengeId, carried: [] });
    // Marked as its author's personal data: sealed with their key in the challenge's history.
    expect(one.reflection).toEqual({
      id: first.reflectionId,
      memberId: c.kim,
      text: expect.any(String),
      subject: `member:${c.kim}`,
    });
    // Redacted: the number never reaches the crew.
    expect(one.reflection!.text).not.toContain('7700');
    expect(one.recipients.sort()).toEqual([c.kim, a, b].sort());

    // The held one is skipped; then nothing is left.
    const two = await acts.reflectionForPulse({ challengeId: c.challengeId, carried: [first.reflectionId] });
    expect(two.reflection?.id).toBe(second.reflectionId);
    const none = await acts.reflectionForPulse({
      challengeId: c.challengeId,
      carried: [first.reflectionId, second.reflectionId],
    });
    expect(none.reflection).toBeNull();

    // A member who leaves receives no more.
    await leaveCrew(database.db, { crewId: c.crewId, memberId: a, evidence });
    expect(
      (await acts.reflectionForPulse({ challengeId: c.challengeId, carried: [] })).recipients.sort(),
    ).toEqual([c.kim, b].sort());
  });
});

describe('a member token on /me/challenges/{id}/reflections', () => {
  it('reads the shared ones and its own held one; a crew it is not in is not found', async () => {
    const c = await crew([true, true]);
    const [a, b] = c.others as [string, string];
    const acts = activities();
    await acts.storeCrewReflection({
      challengeId: c.challengeId,
      memberId: c.kim,
      day: 1,
      text: 'Good walk',
    });
    await acts.storeCrewReflection({ challengeId: c.challengeId, memberId: a, day: 1, text: 'I hate rain' });
    const read = async (who: string) => {
      const res = await get(`/me/challenges/${c.challengeId}/reflections`, await tokenOf(who));
      expect(res.status).toBe(200);
      return ((await res.json()) as { reflections: Array<{ memberId: string; status: string }> }).reflections;
    };
    expect((await read(b)).map((r) => [r.memberId, r.status])).toEqual([[c.kim, 'shared']]);
    expect((await read(a)).map((r) => [r.memberId, r.status])).toEqual([
      [c.kim, 'shared'],
      [a, 'pending_review'],
    ]);

    const stranger = await member('Stranger');
    const res = await get(`/me/challenges/${c.challengeId}/reflections`, await tokenOf(stranger));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    // Without a token: 401.
    expect((await app.request(`/me/challenges/${c.challengeId}/reflections`)).status).toBe(401);
    // An API key may not call /me routes.
    expect((await app.request(`/me/challenges/${c.challengeId}/reflections`, { headers: auth })).status).toBe(
      403,
    );
  });

  it('reports as itself: two reports hide it (its author still sees it); own, held or foreign ones refused', async () => {
    const c = await crew([true, true, true]);
    const [a, b, d] = c.others as [string, string, string];
    const acts = activities();
    const shared = await acts.storeCrewReflection({
      challengeId: c.challengeId,
      memberId: c.kim,
      day: 1,
      text: 'Good walk',
    });
    const held = await acts.storeCrewReflection({
      challengeId: c.challengeId,
      memberId: d,
      day: 1,
      text: 'I hate this',
    });
    if (!shared.stored || !held.stored) throw new Error('not stored');
    const flags = (rid: string) => `/me/challenges/${c.challengeId}/reflections/${rid}/flags`;

    // Its author cannot report it (422 naming the reflection).
    const own = await post(flags(shared.reflectionId), await tokenOf(c.kim));
    expect(own.status).toBe(422);
    expect(((await own.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('rid');
    // A held reflection of someone else is not found (the reporter cannot read it).
    expect((await post(flags(held.reflectionId), await tokenOf(a))).status).toBe(404);

    const first = await post(flags(shared.reflectionId), await tokenOf(a));
    expect(await first.json()).toEqual({ flags: 1, status: 'shared' });
    // The same member again: counted once.
    expect(await (await post(flags(shared.reflectionId), await tokenOf(a))).json()).toEqual({
      flags: 1,
      status: 'shared',
    });
    expect(await (await post(flags(shared.reflectionId), await tokenOf(b))).json()).toEqual({
      flags: 2,
      status: 'hidden',
    });
    const [row] = await database.db
      .select({ status: crewReflections.status })
      .from(crewReflections)
      .where(eq(crewReflections.id, shared.reflectionId));
    expect(row!.status).toBe('hidden');
    // Hidden from the crew, still seen by its author.
    const seenBy = async (who: string) =>
      (
        (await (await get(`/me/challenges/${c.challengeId}/reflections`, await tokenOf(who))).json()) as {
          reflections: Array<{ id: string }>;
        }
      ).reflections.map((r) => r.id);
    expect(await seenBy(b)).toEqual([]);
    expect(await seenBy(c.kim)).toEqual([shared.reflectionId]);

    // A member of another crew cannot report it.
    const other = await crew([]);
    expect((await post(flags(shared.reflectionId), await tokenOf(other.kim))).status).toBe(404);
  });

  it('a member of less than 3 days cannot report yet (422)', async () => {
    const c = await crew([true], 1);
    const [a] = c.others as [string];
    const s = await activities().storeCrewReflection({
      challengeId: c.challengeId,
      memberId: c.kim,
      day: 1,
      text: 'Good walk',
    });
    if (!s.stored) throw new Error('not stored');
    const res = await post(
      `/me/challenges/${c.challengeId}/reflections/${s.reflectionId}/flags`,
      await tokenOf(a),
    );
    expect(res.status).toBe(422);
  });
});
