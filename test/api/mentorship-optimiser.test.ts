/**
 * The mentorship optimiser against real Postgres, the real worker (HiGHS in the activity) and the time-skipping
 * server, through the API: a request whose ranked list runs out is re-matched from the remaining pool (a mentor
 * who joined meanwhile and fits) and goes to the operator queue only when no mentor left fits; an operator opens
 * a cohort, requests join it, and the whole cohort is assigned at once through the mentors' capacity workflows.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { members, mentorshipOffers, messages } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { confirmMember, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { storedPayloadText } from '../helpers/stored-payloads.js';
import { skipTo, waitFor } from '../helpers/temporal.js';
import { nextLocalTime } from '../../workflows/lib/time.js';
import { COHORT_ID_SA } from '../../workflows/mentorship-match/search-attributes.js';

const t = stackWithApp();
let seq = 0;
const UNKNOWN = '3f1c2a4e-0000-4000-8000-000000000000';

interface Problem {
  status: number;
  errors?: Array<{ field: string; message: string }>;
}
interface Match {
  status: string;
  mentorId: string | null;
  unmatchedReason: string | null;
  offers: Array<{ mentorId: string; rank: number; status: string; score: number; reason: string | null }>;
}
interface Cohort {
  cohortId: string;
  status: string;
  closesAt: string;
  requests: string[];
  assignments: Array<{
    matchId: string;
    mentorId: string | null;
    score: number | null;
    firstChoice: boolean;
  }>;
  report: {
    requests: number;
    assigned: number;
    unplaced: number;
    minScore: number | null;
    medianScore: number | null;
    firstChoiceShare: number | null;
  } | null;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as T };
};

async function member() {
  const phone = `+1646556${String(1000 + seq++)}`;
  const created = await call<{ id: string }>('POST', '/members', {
    name: 'Mo',
    phone,
    timezone: 'America/New_York',
    checkInTime: '19:00',
  });
  expect(created.status).toBe(201);
  const m = { id: created.body.id, phone };
  await confirmMember(t.env.client, m, sandboxInbound(t.app));
  await waitFor(async () => {
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    return row?.status === 'active';
  }, 'the member row to be active');
  return m;
}

async function mentor(expertise: string[], languages: string[], capacity = 1) {
  const m = await member();
  const created = await call<{ id: string }>('POST', '/mentors', {
    memberId: m.id,
    expertise,
    languages,
    availability: [{ weekday: 2, from: '18:00', to: '20:00' }],
    capacity,
  });
  expect(created.status).toBe(201);
  return { ...m, mentorId: created.body.id };
}

const textsOf = async (memberId: string) =>
  (await t.database.db.select().from(messages).where(eq(messages.memberId, memberId))).map((r) => r.kind);
const getMatch = async (id: string) => (await call<Match>('GET', `/mentorship/matches/${id}`)).body;

/** Offers wait for the mentor's daytime: requests in these tests are made at 10:00 New York time. */
async function toNewYorkMorning() {
  const now = await t.env.currentTimeMs();
  await skipTo(t.env, new Date(nextLocalTime(now, { hour: 10, minute: 0 }, 'America/New_York')));
}

/** Shared by the cohort test: mentors from the first. */
const people = {} as Record<'ana' | 'mo' | 'bo' | 'cy', { id: string; phone: string; mentorId?: string }>;

describe('the optimiser and cohorts, by API on real Postgres', () => {
  it('re-matches the remaining pool when the ranked list runs out; the operator queue only when nothing fits', async () => {
    people.ana = await member();
    people.mo = await mentor(['fitness', 'sleep'], ['en']);
    await toNewYorkMorning();
    const req = await call<{ matchId: string }>('POST', '/mentorship/matches', {
      menteeMemberId: people.ana.id,
      focusAreas: ['fitness'],
      languages: ['en'],
    });
    expect(req.status).toBe(201);
    const matchId = req.body.matchId;
    await waitFor(async () => (await getMatch(matchId)).status === 'offered', 'the ranked offer to Mo');
    // Two mentors join while Mo's offer is live (so neither is on the ranked list): Bo fits; Cy does not
    // (no focus area, no shared language: 0.4 with the default weights, under the 0.5 fit threshold).
    people.bo = await mentor(['fitness'], ['en']);
    people.cy = await mentor(['money'], ['de']);
    await toNewYorkMorning();
    const declined = await call<Match>('POST', `/mentorship/matches/${matchId}/answer`, {
      mentorId: people.mo.mentorId,
      accept: false,
    });
    expect(declined.status).toBe(200);
    const withBo = await waitFor(async () => {
      const m = await getMatch(matchId);
      return m.offers.length === 2 && m;
    }, "the optimiser's offer");
    expect(withBo.offers.map((o) => [o.mentorId, o.rank, o.status])).toEqual([
      [people.mo.mentorId, 1, 'declined'],
      [people.bo.mentorId, 2, 'offered'],
    ]);
    expect(withBo.offers[1]!.score).toBeGreaterThanOrEqual(0.5);
    await waitFor(async () => (await textsOf(people.bo.id)).includes('mentorship_offer'), "Bo's offer text");
    const row = await waitFor(async () => {
      const rows = await t.database.db
        .select()
        .from(mentorshipOffers)
        .where(eq(mentorshipOffers.matchId, matchId));
      return rows.find((r) => r.mentorId === people.bo.mentorId);
    }, "the optimiser's offer row");
    expect(row.rank).toBe(2);
    expect(row.breakdown.focus).toBe(1);

    // Bo declines too: only Cy is left, and Cy does not fit → the operator queue, with the reason.
    await call('POST', `/mentorship/matches/${matchId}/answer`, {
      mentorId: people.bo.mentorId,
      accept: false,
    });
    const unmatched = await waitFor(async () => {
      const m = await getMatch(matchId);
      return m.status === 'unmatched' && m;
    }, 'the operator queue');
    expect(unmatched.offers.map((o) => o.mentorId)).not.toContain(people.cy.mentorId);
    expect(unmatched.unmatchedReason).toBe(
      'all 1 candidates declined, let the offer expire or were full; optimiser: no mentor with a free slot and not yet offered scores at least 0.5 (or they fit waiting requests better)',
    );
    const queue = (
      await call<{ matches: Array<{ matchId: string; reason: string | null }> }>(
        'GET',
        '/mentorship/matches?status=unmatched',
      )
    ).body.matches;
    expect(queue.find((q) => q.matchId === matchId)?.reason).toBe(unmatched.unmatchedReason);
    await waitFor(async () => (await textsOf(people.ana.id)).includes('mentorship_unmatched'), 'Ana told');
  }, 400_000);

  it('an operator opens a cohort, requests join it, and the whole cohort is assigned at once', async () => {
    const bad = await call<Problem>('POST', '/mentorship/cohorts', { windowHours: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field)).toEqual(['windowHours']);
    // No body at all is the same as {} (the document says the body is optional): a 24-hour cohort.
    const bare = await t.app.request('/mentorship/cohorts', {
      method: 'POST',
      headers: { authorization: json.authorization },
    });
    expect(bare.status).toBe(201);
    const bareCohort = (await bare.json()) as Cohort;
    expect(Date.parse(bareCohort.closesAt) - (await t.env.currentTimeMs())).toBeGreaterThan(23 * 3_600_000);
    const opened = await call<Cohort>('POST', '/mentorship/cohorts', {});
    expect(opened.status).toBe(201);
    const cohortId = opened.body.cohortId;
    expect(opened.location).toBe(`/mentorship/cohorts/${cohortId}`);
    expect(opened.body).toMatchObject({ status: 'collecting', requests: [], assignments: [], report: null });
    expect(Date.parse(opened.body.closesAt) - (await t.env.currentTimeMs())).toBeGreaterThan(23 * 3_600_000);
    const d = await t.env.client.workflow.getHandle(`mentorship-cohort-${cohortId}`).describe();
    expect(d.typedSearchAttributes.get(COHORT_ID_SA)).toBe(cohortId);

    const dan = await member();
    const ask = (menteeMemberId: string, cohort: unknown) =>
      call<{ matchId: string } & Problem>('POST', '/mentorship/matches', {
        menteeMemberId,
        focusAreas: ['fitness'],
        languages: ['en'],
        cohortId: cohort,
      });
    const badId = await ask(dan.id, 'nope');
    expect(badId.status).toBe(400);
    expect(badId.body.errors!.map((e) => e.field)).toEqual(['cohortId']);
    expect((await ask(dan.id, UNKNOWN)).status).toBe(404);
    const a = await ask(people.ana.id, cohortId);
    const b = await ask(dan.id, cohortId);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await call<Cohort>('GET', `/mentorship/cohorts/${cohortId}`)).body.requests).toEqual([
      a.body.matchId,
      b.body.matchId,
    ]);
    // Collecting: nothing is offered.
    expect((await getMatch(a.body.matchId)).offers).toEqual([]);

    // Mo and Bo fit both (capacity 1 each), Cy fits neither: each mentee gets one of Mo and Bo.
    const assigned = await call<Cohort>('POST', `/mentorship/cohorts/${cohortId}/assign`);
    expect(assigned.status).toBe(200);
    const c = assigned.body;
    expect(c.status).toBe('assigned');
    expect(c.report).toMatchObject({ requests: 2, assigned: 2, unplaced: 0 });
    expect(c.report!.minScore!).toBeGreaterThanOrEqual(0.5);
    expect(c.report!.medianScore!).toBeGreaterThanOrEqual(c.report!.minScore!);
    expect(c.report!.firstChoiceShare).toBeGreaterThan(0);
    expect(c.assignments.map((x) => x.mentorId).sort()).toEqual(
      [people.mo.mentorId, people.bo.mentorId].sort(),
    );
    for (const x of c.assignments) expect(Object.keys(x)).not.toContain('subject');
    // As the Temporal server stores the cohort's history: each assignment's score is sealed under its mentor's
    // and mentee's keys (README "Privacy"); the ids and the report's aggregates stay readable.
    const stored = storedPayloadText(
      (await t.env.client.workflow.getHandle(`mentorship-cohort-${cohortId}`).fetchHistory()).events,
    );
    expect(stored).toContain(people.mo.mentorId);
    expect(stored).toContain('"medianScore"');
    expect(stored).not.toContain('"score"');

    for (const x of c.assignments) {
      const m = await waitFor(async () => {
        const s = await getMatch(x.matchId);
        return s.status === 'active' && s;
      }, 'the cohort match to be active');
      expect(m.mentorId).toBe(x.mentorId);
      expect(m.offers).toMatchObject([
        { mentorId: x.mentorId, status: 'accepted', reason: `assigned by cohort ${cohortId}` },
      ]);
      // The mentor's own workflow holds the slot (capacity 1: full now).
      const mentorView = (await call<{ activeMatches: string[] }>('GET', `/mentors/${x.mentorId}`)).body;
      expect(mentorView.activeMatches).toEqual([x.matchId]);
    }
    await waitFor(async () => (await textsOf(dan.id)).includes('mentorship_matched'), 'Dan told');

    // Assigned: no second assignment, no more requests.
    const again = await call<Problem>('POST', `/mentorship/cohorts/${cohortId}/assign`);
    expect(again.status).toBe(422);
    expect(again.body.errors).toEqual([{ field: 'status', message: 'cohort is assigned, not collecting' }]);
    const late = await ask(dan.id, cohortId);
    expect(late.status).toBe(422);
    expect(late.body.errors!.map((e) => e.field)).toEqual(['cohortId']);
    expect((await call('GET', `/mentorship/cohorts/${UNKNOWN}`)).status).toBe(404);
    expect((await call('POST', `/mentorship/cohorts/${UNKNOWN}/assign`)).status).toBe(404);
  }, 400_000);
});
