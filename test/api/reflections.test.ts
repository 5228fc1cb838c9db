/**
 * Crew reflections end to end below the workflow: the store activity (consent, redaction — the raw text is never
 * written, moderation by OpenAI through the SDK against the fake or by the word list, fail-closed hold,
 * idempotence per member and day) and the API (the crew sees shared ones only, the author also their own;
 * pending reviews expire; two flags from members of 3+ days hide; an operator shares or hides with a reason;
 * every decision is kept).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createReflectionActivities } from '../../activities/crews/reflections.js';
import { createCrew, insertChallenge, joinCrew } from '../../db/crews.js';
import { crewMembers, crewReflectionDecisions, crewReflections, members } from '../../db/schema.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { auth, json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeOpenAI;
let app: ReturnType<typeof testApp>;
let seq = 0;
const evidence = { via: 'api' as const };
const DAY = 86_400_000;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeOpenAI({ apiKey: 'test' })]);
  app = testApp(database.db, {} as Client);
});
afterAll(async () => {
  await database?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function member(name: string) {
  const id = randomUUID();
  await database.db.insert(members).values({
    id,
    name,
    phone: `+1415556${String(1000 + seq++).padStart(4, '0')}`,
    timezone: 'Europe/London',
    checkInTime: '19:00',
  });
  return id;
}

/** A crew (organiser Kim shares reflections) with members of `daysIn` days, and one challenge. */
async function crewWithChallenge(opts: { others: number; daysIn: number; kimShares?: boolean }) {
  const kim = await member('Kim Lee');
  const made = await createCrew(database.db, {
    name: 'Runners',
    purpose: 'run',
    maxSize: 10,
    joinable: true,
    timezone: 'Europe/London',
    pulseK: 5,
    organiserMemberId: kim,
    consent: { pulses: true, reflections: opts.kimShares ?? true },
    evidence,
  });
  if (!('crew' in made)) throw new Error('no crew');
  const others: string[] = [];
  for (let i = 0; i < opts.others; i++) {
    const id = await member(`Other ${i}`);
    await joinCrew(database.db, {
      crewId: made.crew.id,
      memberId: id,
      consent: { pulses: true, reflections: false },
      evidence,
    });
    others.push(id);
  }
  await database.db
    .update(crewMembers)
    .set({ joinedAt: new Date(Date.now() - opts.daysIn * DAY) })
    .where(eq(crewMembers.crewId, made.crew.id));
  const challenge = await insertChallenge(database.db, {
    id: randomUUID(),
    crewId: made.crew.id,
    title: 'Run',
    days: 7,
    startDate: '2026-11-30',
    minSize: 3,
  });
  return { kim, others, challengeId: challenge.id };
}

const offline = () => createReflectionActivities({ db: database.db, openai: null });
const withOpenAI = (apiKey = 'test') =>
  createReflectionActivities({
    db: database.db,
    openai: new OpenAI({ apiKey, baseURL: fake.baseUrl, maxRetries: 0, timeout: 2000 }),
  });

const RAW = 'Great run with Amara, text me on +44 7700 900123 or kim.lee@example.com';

async function list(challengeId: string, viewer?: string) {
  const q = viewer ? `?memberId=${viewer}` : '';
  const res = await app.request(`/challenges/${challengeId}/reflections${q}`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { reflections: Array<{ id: string; text: string; status: string }> })
    .reflections;
}
const flag = (challengeId: string, rid: string, memberId: string) =>
  app.request(`/challenges/${challengeId}/reflections/${rid}/flags`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ memberId }),
  });
const moderate = (challengeId: string, rid: string, body: object) =>
  app.request(`/challenges/${challengeId}/reflections/${rid}/moderation`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(body),
  });

describe('storing a reflection', () => {
  it('stores only the redacted text, shared when OpenAI finds it clean; OpenAI never sees the number or e-mail', async () => {
    const { kim, challengeId } = await crewWithChallenge({ others: 1, daysIn: 0 });
    const res = await withOpenAI().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: RAW });
    expect(res).toMatchObject({ stored: true, status: 'shared' });
    const rows = await database.db
      .select()
      .from(crewReflections)
      .where(eq(crewReflections.challengeId, challengeId));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).not.toContain('7700');
    expect(rows[0]!.text).not.toContain('example.com');
    expect(rows[0]!.text).toContain('[phone]');
    const sent = JSON.stringify(fake.requests.map((r) => r.body));
    expect(sent).not.toContain('7700 900123');
    expect(sent).not.toContain('kim.lee@example.com');
    expect((await list(challengeId)).map((r) => r.text)).toEqual([rows[0]!.text]);
  });

  it('without consent nothing is stored', async () => {
    const { kim, challengeId } = await crewWithChallenge({ others: 1, daysIn: 0, kimShares: false });
    expect(
      await offline().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'good day' }),
    ).toEqual({
      stored: false,
      reason: 'no_consent',
    });
    expect(
      await database.db.select().from(crewReflections).where(eq(crewReflections.challengeId, challengeId)),
    ).toEqual([]);
  });

  it('flagged by OpenAI, by the word list, or moderation failing: held for review, shown to its author only', async () => {
    const { kim, others, challengeId } = await crewWithChallenge({ others: 1, daysIn: 0 });
    fake.flagWhen((t) => t.includes('awful'));
    const a = await withOpenAI().storeCrewReflection({
      challengeId,
      memberId: kim,
      day: 1,
      text: 'awful people',
    });
    const b = await offline().storeCrewReflection({
      challengeId,
      memberId: kim,
      day: 2,
      text: 'I hate this',
    });
    const c = await withOpenAI('wrong-key').storeCrewReflection({
      challengeId,
      memberId: kim,
      day: 3,
      text: 'ok',
    });
    const d = await offline().storeCrewReflection({ challengeId, memberId: kim, day: 4, text: 'lovely run' });
    expect([a, b, c, d].map((r) => r.stored && r.status)).toEqual([
      'pending_review',
      'pending_review',
      'pending_review',
      'shared',
    ]);
    expect((await list(challengeId, others[0])).map((r) => r.status)).toEqual(['shared']);
    expect((await list(challengeId, kim)).map((r) => r.status)).toEqual([
      'pending_review',
      'pending_review',
      'pending_review',
      'shared',
    ]);
  });

  it('a retry finds the reflection stored (one per member and day)', async () => {
    const { kim, challengeId } = await crewWithChallenge({ others: 0, daysIn: 0 });
    const first = await offline().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'nice' });
    const again = await offline().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'nice' });
    expect(again).toEqual(first);
    expect(
      await database.db.select().from(crewReflections).where(eq(crewReflections.challengeId, challengeId)),
    ).toHaveLength(1);
  });

  it('a pending review expires after its deadline and is never shown to the crew', async () => {
    const { kim, challengeId } = await crewWithChallenge({ others: 0, daysIn: 0 });
    const past = createReflectionActivities({
      db: database.db,
      openai: null,
      now: () => new Date(Date.now() - 49 * 3_600_000),
    });
    const r = await past.storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'I hate mondays' });
    expect(r).toMatchObject({ status: 'pending_review' });
    expect(await list(challengeId)).toEqual([]);
    expect((await list(challengeId, kim)).map((x) => x.status)).toEqual(['expired']);
    const decisions = await database.db.select().from(crewReflectionDecisions);
    const mine = decisions.filter((d) => r.stored && d.reflectionId === r.reflectionId);
    expect(mine.map((d) => [d.status, d.decidedBy])).toEqual([
      ['pending_review', 'moderation'],
      ['expired', 'timeout'],
    ]);
  });
});

describe('flags and operator decisions', () => {
  it('two distinct flags from members of 3+ days hide it; its author still sees it', async () => {
    const { kim, others, challengeId } = await crewWithChallenge({ others: 3, daysIn: 3 });
    const r = await offline().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'lovely run' });
    if (!r.stored) throw new Error('not stored');
    expect(await (await flag(challengeId, r.reflectionId, others[0]!)).json()).toEqual({
      flags: 1,
      status: 'shared',
    });
    // The same member again: still one flag.
    expect(await (await flag(challengeId, r.reflectionId, others[0]!)).json()).toEqual({
      flags: 1,
      status: 'shared',
    });
    expect(await (await flag(challengeId, r.reflectionId, others[1]!)).json()).toEqual({
      flags: 2,
      status: 'hidden',
    });
    expect(await list(challengeId, others[2])).toEqual([]);
    expect((await list(challengeId, kim)).map((x) => x.status)).toEqual(['hidden']);
  });

  it('a member of less than 3 days, the author, or a stranger cannot flag (422 naming memberId)', async () => {
    const { kim, others, challengeId } = await crewWithChallenge({ others: 1, daysIn: 2 });
    const r = await offline().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'lovely run' });
    if (!r.stored) throw new Error('not stored');
    const stranger = await member('Stranger');
    for (const who of [others[0]!, kim, stranger]) {
      const res = await flag(challengeId, r.reflectionId, who);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('memberId');
    }
    expect((await list(challengeId)).map((x) => x.status)).toEqual(['shared']);
    expect((await flag(challengeId, randomUUID(), others[0]!)).status).toBe(404);
  });

  it('an operator shares a held one, then hides it; every decision and reason is kept', async () => {
    const { kim, challengeId } = await crewWithChallenge({ others: 1, daysIn: 0 });
    const r = await offline().storeCrewReflection({
      challengeId,
      memberId: kim,
      day: 1,
      text: 'stupid knee',
    });
    if (!r.stored) throw new Error('not stored');
    expect(await list(challengeId)).toEqual([]);
    const shared = await moderate(challengeId, r.reflectionId, { decision: 'share', reason: 'about a knee' });
    expect(shared.status).toBe(200);
    expect((await list(challengeId)).map((x) => x.status)).toEqual(['shared']);
    const hidden = await moderate(challengeId, r.reflectionId, { decision: 'hide', reason: 'second look' });
    const body = (await hidden.json()) as {
      decisions: Array<{ status: string; decidedBy: string; reason: string }>;
    };
    expect(body.decisions.map((d) => [d.status, d.decidedBy, d.reason])).toEqual([
      ['pending_review', 'moderation', 'word list: 1 held word(s)'],
      ['shared', 'operator', 'about a knee'],
      ['hidden', 'operator', 'second look'],
    ]);
    expect(await list(challengeId)).toEqual([]);
  });

  it('bad input: 400 naming the field, nothing written', async () => {
    const { kim, challengeId } = await crewWithChallenge({ others: 0, daysIn: 0 });
    const r = await offline().storeCrewReflection({ challengeId, memberId: kim, day: 1, text: 'ok run' });
    if (!r.stored) throw new Error('not stored');
    const bad = await moderate(challengeId, r.reflectionId, { decision: 'delete', reason: 'x' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('decision');
    const noId = await flag(challengeId, r.reflectionId, 'nope');
    expect(noId.status).toBe(400);
    expect(JSON.stringify(await noId.json())).toContain('memberId');
    expect((await list(challengeId)).map((x) => x.status)).toEqual(['shared']);
  });
});
