/**
 * The mentorship API against real Postgres and a real Temporal server (time-skipping) with the real worker:
 * a confirmed member becomes a mentor, an operator sets a weight version, a mentee asks for a mentor, the offer
 * goes out by SMS (ranked from Postgres with that version) and the mentor's YES comes back by webhook through
 * conversation routing; the match is active, the mentor's workflow holds the slot, and ending it frees it.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { members, mentorshipMatches, mentorshipOffers, messages } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
let seq = 0;
const UNKNOWN = '3f1c2a4e-0000-4000-8000-000000000000';

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Match {
  matchId: string;
  status: string;
  mentorId: string | null;
  offers: Array<{
    mentorId: string;
    status: string;
    weightsVersion: string;
    breakdown: Record<string, number>;
    score: number;
  }>;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as T };
};

async function member(confirm = true) {
  const phone = `+1646555${String(4000 + seq++)}`;
  const created = await call<{ id: string }>('POST', '/members', {
    name: 'Mo',
    phone,
    timezone: 'America/New_York',
    checkInTime: '19:00',
  });
  expect(created.status).toBe(201);
  const m = { id: created.body.id, phone };
  if (confirm) {
    await confirmMember(t.env.client, m, sandboxInbound(t.app));
    await waitFor(async () => {
      const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
      return row?.status === 'active';
    }, 'the member row to be active');
  }
  return m;
}

const mentorBody = (memberId: string) => ({
  memberId,
  expertise: ['Fitness', 'sleep'],
  languages: ['en'],
  availability: [{ weekday: 2, from: '18:00', to: '20:00' }],
  capacity: 1,
});

describe('mentors, weights and a match by API and SMS', () => {
  it('refuses bad mentor input naming the field, unconfirmed members and duplicates', async () => {
    const bad = await call<Problem>('POST', '/mentors', {
      ...mentorBody(UNKNOWN),
      capacity: 99,
      availability: [{ weekday: 9, from: '20:00', to: '18:00' }],
      expertise: [],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field).sort()).toEqual(
      ['availability.0.to', 'availability.0.weekday', 'capacity', 'expertise'].sort(),
    );
    expect((await call<Problem>('POST', '/mentors', mentorBody(UNKNOWN))).status).toBe(404);
    const pending = await member(false);
    const refused = await call<Problem>('POST', '/mentors', mentorBody(pending.id));
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { field: 'memberId', message: 'has not confirmed by SMS (or opted out)' },
    ]);
    expect((await call<Problem>('GET', `/mentors/${UNKNOWN}`)).status).toBe(404);
    expect((await call<Problem>('GET', `/mentorship/matches/${UNKNOWN}`)).status).toBe(404);
  }, 120_000);

  it('offers by SMS with the operator weights, takes YES by webhook, holds the slot, frees it on end', async () => {
    const mo = await member();
    const ana = await member();
    const created = await call<{ id: string; capacity: number; activeMatches: string[] }>(
      'POST',
      '/mentors',
      mentorBody(mo.id),
    );
    expect(created.status).toBe(201);
    expect(created.location).toBe(`/mentors/${created.body.id}`);
    const mentorId = created.body.id;
    expect((await call<Problem>('POST', '/mentors', mentorBody(mo.id))).status).toBe(409);

    const weights = { focus: 0.5, language: 0.2, schedule: 0.1, timezone: 0.1, load: 0.1 };
    expect((await call('POST', '/mentorship/weights', { version: 'ops@2', weights })).status).toBe(201);
    expect((await call('POST', '/mentorship/weights', { version: 'ops@2', weights })).status).toBe(409);
    expect((await call('GET', '/mentorship/weights')).body).toEqual({ version: 'ops@2', weights });
    const zero = await call<Problem>('POST', '/mentorship/weights', {
      version: 'none',
      weights: { focus: 0, language: 0, schedule: 0, timezone: 0, load: 0 },
    });
    expect(zero.status).toBe(400);

    const req = await call<{ matchId: string; status: string }>('POST', '/mentorship/matches', {
      menteeMemberId: ana.id,
      focusAreas: ['fitness'],
      languages: ['EN'],
      shareRisk: true,
    });
    expect(req.status).toBe(201);
    const matchId = req.body.matchId;
    expect(req.location).toBe(`/mentorship/matches/${matchId}`);

    // The offer goes to the mentor's phone (their member row), expecting their answer.
    const offer = await waitFor(async () => {
      const rows = await t.database.db.select().from(messages).where(eq(messages.memberId, mo.id));
      return rows.find((r) => r.kind === 'mentorship_offer');
    }, 'the offer text');
    expect(offer.toPhone).toBe(mo.phone);
    expect(offer.idempotencyKey).toBe(`mentorship-match:${matchId}:offer:${mentorId}`);
    let m = (await call<Match>('GET', `/mentorship/matches/${matchId}`)).body;
    expect(m.status).toBe('offered');
    expect(m.offers).toHaveLength(1);
    expect(m.offers[0]).toMatchObject({ mentorId, status: 'offered', weightsVersion: 'ops@2' });
    expect(m.offers[0]!.breakdown.focus).toBe(1);
    expect(m.offers[0]!.breakdown.language).toBe(1);

    // An API answer from someone without the live offer: 422 naming the field.
    const wrong = await call<Problem>('POST', `/mentorship/matches/${matchId}/answer`, {
      mentorId: UNKNOWN,
      accept: true,
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors).toEqual([{ field: 'mentorId', message: 'has no live offer in this match' }]);

    // Mo texts YES: conversation routing brings it to the match, which reserves his slot.
    const res = await sandboxInbound(t.app)({
      MessageSid: newMessageSid(),
      From: mo.phone,
      To: OUR_NUMBER,
      Body: 'Yes',
    });
    expect(res.status).toBe(200);
    m = await waitFor(async () => {
      const b = (await call<Match>('GET', `/mentorship/matches/${matchId}`)).body;
      return b.status === 'active' && b;
    }, 'the match to be active');
    expect(m.mentorId).toBe(mentorId);
    expect(
      (await call<{ activeMatches: string[] }>('GET', `/mentors/${mentorId}`)).body.activeMatches,
    ).toEqual([matchId]);
    const stored = await waitFor(async () => {
      const [row] = await t.database.db
        .select()
        .from(mentorshipOffers)
        .where(eq(mentorshipOffers.matchId, matchId));
      return row?.status === 'accepted' && row;
    }, 'the accepted offer row');
    expect(stored.weightsVersion).toBe('ops@2');
    expect(stored.breakdown.focus).toBe(1);
    expect(stored.score).toBe(m.offers[0]!.score);
    await waitFor(async () => {
      const rows = await t.database.db.select().from(messages).where(eq(messages.memberId, ana.id));
      return rows.some((r) => r.kind === 'mentorship_matched');
    }, 'the mentee to be told');

    // Ending early frees the slot and is mirrored in Postgres.
    const ended = await call<Match>('POST', `/mentorship/matches/${matchId}/end`, {
      reason: 'schedule clash',
    });
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe('ended_early');
    await waitFor(async () => {
      const b = (await call<{ activeMatches: string[] }>('GET', `/mentors/${mentorId}`)).body;
      return b.activeMatches?.length === 0;
    }, 'the slot to be free');
    await waitFor(async () => {
      const row = await t.database.db.query.mentorshipMatches.findFirst({
        where: eq(mentorshipMatches.id, matchId),
      });
      return row?.status === 'ended_early' && row.reason === 'schedule clash';
    }, 'the match row to be ended');
    const listed = await call<{ matches: Array<{ matchId: string; status: string; reason: string | null }> }>(
      'GET',
      '/mentorship/matches?status=ended_early',
    );
    expect(listed.body.matches).toEqual([
      expect.objectContaining({ matchId, status: 'ended_early', reason: 'schedule clash' }),
    ]);
    expect(
      (await call<{ matches: unknown[] }>('GET', '/mentorship/matches?status=unmatched')).body.matches,
    ).toEqual([]);
    expect((await call<Problem>('GET', '/mentorship/matches?status=lost')).status).toBe(400);
    const again = await call<Problem>('POST', `/mentorship/matches/${matchId}/end`, { reason: 'again' });
    expect([404, 422]).toContain(again.status);
  }, 180_000);
});
