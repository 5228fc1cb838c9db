/**
 * Erasure across entities (issue 12 §2) against real Postgres and the time-skipping server with the real worker:
 * a member in a running crew challenge with a leaderboard alias, on a guest list, STOP-listed, is erased by
 * `DELETE /members/{id}`. The durable `erasure-<id>` workflow tells the challenge and the member workflow, erases
 * the rows (or finds them erased), and shreds last — after one failed attempt, exactly once. The erasure record
 * holds a keyed hash, never the number, and the opt-out survives it until the number opts back in.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentState, recordConsent } from '../../db/consent.js';
import { phoneHash } from '../../db/erasure.js';
import {
  consentEvents,
  crewMembers,
  erasures,
  guestLists,
  guests,
  members,
  mentors,
  mentorshipMatches,
  mentorshipOffers,
  messages,
  suppressions,
} from '../../db/schema.js';
import { erasureWorkflowId, memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import type { ErasureInput } from '../../workflows/erasure/definitions.js';
import { json, jsonCalls, testApp } from '../helpers/app.js';
import { captureHistory } from '../helpers/histories.js';
import { insertActiveMember } from '../helpers/members.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';
import { noonZone } from '../helpers/zones.js';
import { nextLocalTime } from '../../workflows/lib/time.js';
import { ENDED_EARLY_TEXT } from '../../workflows/mentorship-match/texts.js';

let t: TimeSkippingStack & { app: ReturnType<typeof testApp> };
/** What the shred step saw: each attempt's subject, and whether the member's row was still there. */
const shreds: Array<{ subject: string; rowLeft: boolean }> = [];
const failedOnce = new Set<string>();

beforeAll(async () => {
  const stack = await timeSkippingStack({
    // The codec's shredSubject stand-in: the first attempt per subject fails (a crash), the retry succeeds.
    extraActivities: (db) => ({
      async shredErasedSubject(r: { memberId: string }) {
        const [row] = await db.select().from(members).where(eq(members.id, r.memberId));
        shreds.push({ subject: `member:${r.memberId}`, rowLeft: row !== undefined });
        if (!failedOnce.has(r.memberId)) {
          failedOnce.add(r.memberId);
          throw new Error('shred store unavailable');
        }
      },
    }),
  });
  t = Object.assign(stack, { app: testApp(stack.database.db, stack.env.client) });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

let seq = 0;
const member = (timezone = 'UTC') =>
  insertActiveMember(t.database.db, `+1646557${String(1000 + seq++)}`, timezone);
const call = jsonCalls(() => t.app);
const erasureOf = async (id: string) =>
  (await t.database.db.select().from(erasures).where(eq(erasures.id, id)))[0];
const consent = { pulses: true, reflections: false };

describe('DELETE /members/{id} erases the member everywhere', () => {
  it('drops them from a running challenge, guest lists and the ledger; keeps only a hash; STOP survives', async () => {
    const db = t.database.db;
    // A zone around noon on the server's clock: the challenge's texts wait for no local window (after 21:00 UTC
    // they did in UTC, so its run never continued as new without the erased member and the erasure never ended).
    const now = new Date(await t.env.currentTimeMs());
    const zone = noonZone(now);
    const org = await member(zone);
    const others = [await member(zone), await member(zone), await member(zone), await member(zone)];
    const crew = (
      await call<{ id: string }>('POST', '/crews', {
        name: 'Runners',
        purpose: 'run',
        maxSize: 10,
        joinable: true,
        timezone: zone,
        organiserMemberId: org.id,
        consent,
      })
    ).body;
    for (const m of others) await call('POST', `/crews/${crew.id}/members`, { memberId: m.id, consent });
    const today = now.toLocaleDateString('en-CA', { timeZone: zone });
    const created = await call<{ challengeId: string }>('POST', `/crews/${crew.id}/challenges`, {
      title: 'Run',
      days: 30,
      startDate: today,
      minSize: 5,
      goal: { target: 100, unit: 'km' },
    });
    expect(created.status).toBe(201);
    const path = `/challenges/${created.body.challengeId}`;
    await waitFor(
      async () => (await call<{ status: string }>('GET', path)).body.status === 'active',
      'the start',
    );
    const contribute = (memberId: string, key: string, amount: number) =>
      t.app.request(`${path}/contributions`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': key },
        body: JSON.stringify({ memberId, amount }),
      });
    expect((await contribute(org.id, 'erase-org-0001', 5)).status).toBe(200);
    expect((await contribute(others[0]!.id, 'erase-m0-0001', 2)).status).toBe(200);
    expect(
      (await call('POST', `${path}/leaderboard`, { memberId: org.id, alias: 'Road Runner' })).status,
    ).toBe(200);
    expect(
      (await call('POST', `${path}/leaderboard`, { memberId: others[0]!.id, alias: 'Slow Poke' })).status,
    ).toBe(200);
    // The same number on two guest lists, and STOP-listed.
    for (const name of ['Gala', 'Picnic']) {
      const listId = randomUUID();
      await db.insert(guestLists).values({ id: listId, name });
      await db
        .insert(guests)
        .values({ id: randomUUID(), listId, phone: org.phone, timezone: 'UTC', consent: true });
    }
    await recordConsent(db, { phone: org.phone, purpose: 'all', action: 'opt_out', source: 'api' });
    expect((await consentState(db, org.phone)).optedOut).toBe(true);

    const res = await call('DELETE', `/members/${org.id}`);
    expect(res.status).toBe(204);
    expect(res.headers.get('erasure-id')).toBe(org.id);
    // The rows went with the answer.
    expect(await db.select().from(members).where(eq(members.id, org.id))).toHaveLength(0);
    expect(await db.select().from(crewMembers).where(eq(crewMembers.memberId, org.id))).toHaveLength(0);
    expect(await db.select().from(guests).where(eq(guests.phone, org.phone))).toHaveLength(0);
    expect(await db.select().from(consentEvents).where(eq(consentEvents.phone, org.phone))).toHaveLength(0);
    expect(await db.select().from(suppressions).where(eq(suppressions.phone, org.phone))).toHaveLength(0);

    // The durable part finishes: every step recorded, the shred retried after its failure and done once.
    await waitFor(async () => (await erasureOf(org.id))?.status === 'done', 'the erasure done', 90_000);
    await captureHistory('erasure', t.env.client.workflow.getHandle(erasureWorkflowId(org.id)));
    const record = (await erasureOf(org.id))!;
    expect(record).toMatchObject({ step: 'done', phoneHash: phoneHash(org.phone), suppressed: ['opt_out'] });
    expect(record.requestedBy).toMatch(/^env-key:/);
    const digits = org.phone.slice(1);
    expect(JSON.stringify(record)).not.toContain(digits);
    expect(record.phoneHash).toMatch(/^[0-9a-f]{64}$/);
    expect(shreds.filter((s) => s.subject === `member:${org.id}`)).toEqual([
      { subject: `member:${org.id}`, rowLeft: false },
      { subject: `member:${org.id}`, rowLeft: false },
    ]);
    // Shredding came after the member's own workflow was told (it is closed) — never before.
    const own = await t.env.client.workflow
      .getHandle(memberWorkflowId(org.id))
      .describe()
      .catch(() => null);
    if (own) expect(own.status.name).not.toBe('RUNNING');

    // The leaderboard stops naming them; the other member's row and the published total stay.
    await waitFor(async () => {
      const board = await call<{ rows: Array<{ alias: string }> }>('GET', `${path}/leaderboard`);
      return board.body.rows.every((r) => r.alias !== 'Road Runner');
    }, 'the alias dropped');
    const board = await call<{ rows: Array<{ alias: string; total: number }> }>('GET', `${path}/leaderboard`);
    expect(board.body.rows).toEqual([expect.objectContaining({ alias: 'Slow Poke', total: 2 })]);
    const view = await call<{ goal: { total: number } }>('GET', path);
    expect(view.body.goal.total).toBe(7); // aggregates already published stay aggregates

    // STOP survives erasure: the number is still suppressed by its hash, for the send gate too.
    expect(await consentState(db, org.phone)).toMatchObject({ optedOut: true, transactional: false });
    // A re-join starts clean: START lifts the kept opt-out, and nothing else of theirs is there.
    const back = await recordConsent(db, {
      phone: org.phone,
      purpose: 'all',
      action: 'opt_in',
      source: 'api',
    });
    expect(back.changed).toBe(true);
    expect(await consentState(db, org.phone)).toMatchObject({
      optedOut: false,
      transactional: true,
      suppressed: [],
    });
    // Another number is untouched by the erasure.
    expect((await consentState(db, others[0]!.phone)).transactional).toBe(true);
    expect((await call('DELETE', `/members/${org.id}`)).status).toBe(404);
  }, 240_000);

  it('finishes the job when the request died after starting the workflow (rows erased by the workflow)', async () => {
    const db = t.database.db;
    const m = await member();
    const input: ErasureInput = {
      erasureId: m.id,
      memberId: m.id,
      requestedBy: 'operator:test',
      challengeIds: [],
      matchIds: [],
    };
    // As if the API had crashed right after starting the workflow: the rows are still there.
    await t.env.client.workflow.start('erasureWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: erasureWorkflowId(m.id),
      args: [input],
    });
    await waitFor(async () => (await erasureOf(m.id))?.status === 'done', 'the erasure done', 90_000);
    expect(await db.select().from(members).where(eq(members.id, m.id))).toHaveLength(0);
    expect(await erasureOf(m.id)).toMatchObject({ requestedBy: 'operator:test', suppressed: [] });
    // Shred ran after the rows were gone: once failed, once done.
    expect(shreds.filter((s) => s.subject === `member:${m.id}`).map((s) => s.rowLeft)).toEqual([
      false,
      false,
    ]);
  }, 180_000);
});

describe('erasing either side of an active mentorship match', () => {
  /** An active match between a fresh mentee and a fresh mentor (accepted by API), at New York daytime. */
  async function activeMatch() {
    const mentee = await member('America/New_York');
    const newMentor = await member('America/New_York');
    const mentor = await call<{ id: string }>('POST', '/mentors', {
      memberId: newMentor.id,
      expertise: ['fitness'],
      languages: ['en'],
      availability: [{ weekday: 2, from: '18:00', to: '20:00' }],
      capacity: 1,
    });
    expect(mentor.status).toBe(201);
    const now = await t.env.currentTimeMs();
    await skipTo(t.env, new Date(nextLocalTime(now, { hour: 10, minute: 0 }, 'America/New_York')));
    const req = await call<{ matchId: string }>('POST', '/mentorship/matches', {
      menteeMemberId: mentee.id,
      focusAreas: ['fitness'],
      languages: ['en'],
    });
    expect(req.status).toBe(201);
    const matchId = req.body.matchId;
    // The pool may offer an earlier test's mentor: whoever holds the offer is this match's mentor.
    const offered = await waitFor(async () => {
      const m = (
        await call<{ status: string; offers: Array<{ mentorId: string; status: string }> }>(
          'GET',
          `/mentorship/matches/${matchId}`,
        )
      ).body;
      return m.status === 'offered' && m.offers.find((o) => o.status === 'offered');
    }, 'the offer');
    const [offeredMentor] = await t.database.db
      .select()
      .from(mentors)
      .where(eq(mentors.id, offered.mentorId));
    const [mentorRow] = await t.database.db
      .select()
      .from(members)
      .where(eq(members.id, offeredMentor!.memberId));
    const mentorMember = { id: mentorRow!.id, phone: mentorRow!.phone };
    const answered = await call('POST', `/mentorship/matches/${matchId}/answer`, {
      mentorId: offered.mentorId,
      accept: true,
    });
    expect(answered.status).toBe(200);
    await waitFor(
      async () =>
        (await call<{ status: string }>('GET', `/mentorship/matches/${matchId}`)).body.status === 'active',
      'the match active',
    );
    // The accepted offer is on record (its row is written by the match's activity just after the answer).
    await waitFor(async () => {
      const rows = await t.database.db
        .select()
        .from(mentorshipOffers)
        .where(eq(mentorshipOffers.matchId, matchId));
      return rows.some((r) => r.status === 'accepted');
    }, 'the accepted offer row');
    return { mentee, mentorMember, matchId };
  }
  const endedTextTo = (phone: string) =>
    waitFor(async () => {
      const rows = await t.database.db.select().from(messages).where(eq(messages.toPhone, phone));
      return rows.find((r) => r.kind === 'mentorship_ended_early');
    }, 'the ended text');
  const matchClosed = (matchId: string) =>
    waitFor(async () => {
      const d = await t.env.client.workflow.getHandle(`mentorship-match-${matchId}`).describe();
      return d.status.name === 'COMPLETED';
    }, 'the match workflow done');

  it('erasing the mentee ends the match; the mentor is told without detail', async () => {
    const { mentee, mentorMember, matchId } = await activeMatch();
    expect((await call('DELETE', `/members/${mentee.id}`)).status).toBe(204);
    const text = await endedTextTo(mentorMember.phone);
    expect(text.body).toBe(ENDED_EARLY_TEXT);
    await matchClosed(matchId);
    await captureHistory(
      'mentorship-match-erased',
      t.env.client.workflow.getHandle(`mentorship-match-${matchId}`),
    );
    await waitFor(async () => (await erasureOf(mentee.id))?.status === 'done', 'the erasure done', 90_000);
    // Nothing of the mentee is left: no match row, no text to them.
    expect(
      await t.database.db.select().from(mentorshipMatches).where(eq(mentorshipMatches.id, matchId)),
    ).toEqual([]);
    expect(await t.database.db.select().from(messages).where(eq(messages.toPhone, mentee.phone))).toEqual([]);
  }, 240_000);

  it('erasing the mentor ends the match; the mentee is told without detail', async () => {
    const { mentee, mentorMember, matchId } = await activeMatch();
    expect((await call('DELETE', `/members/${mentorMember.id}`)).status).toBe(204);
    const text = await endedTextTo(mentee.phone);
    expect(text.body).toBe(ENDED_EARLY_TEXT);
    await matchClosed(matchId);
    const [row] = await t.database.db
      .select()
      .from(mentorshipMatches)
      .where(eq(mentorshipMatches.id, matchId));
    expect(row).toMatchObject({ status: 'ended_early', mentorId: null, reason: 'participant erased' });
  }, 240_000);
});
