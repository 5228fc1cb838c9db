/**
 * The one writer of the mentorship tables (db/mentorship-schema.ts): mentors, matches, offers, weight versions.
 * The API creates mentors and match requests; the match workflow's activities record offers and statuses.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { OfferView } from '../workflows/mentorship-match/definitions.js';
import { DEFAULT_WEIGHTS, type ScoreWeights, type WeightSet } from '../workflows/mentorship-match/score.js';
import type { MatchStatus } from '../workflows/mentorship-match/values.js';
import type { Db } from './client.js';
import { classifyDbError } from './errors.js';
import { members, mentors, mentorshipMatches, mentorshipOffers, mentorshipWeights } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Conn = Db | Tx;

export async function insertMentor(db: Conn, values: typeof mentors.$inferInsert) {
  const [row] = await db.insert(mentors).values(values).returning();
  return row!;
}

export async function insertMatch(db: Conn, values: typeof mentorshipMatches.$inferInsert) {
  const [row] = await db.insert(mentorshipMatches).values(values).returning();
  return row!;
}

export async function setMatchStatus(
  db: Conn,
  m: { matchId: string; status: MatchStatus; mentorId: string | null; reason: string | null },
): Promise<void> {
  await db
    .update(mentorshipMatches)
    .set({
      status: m.status,
      // An erased mentor's row is gone: the match keeps no mentor (the foreign key would refuse it for ever).
      mentorId:
        m.mentorId === null
          ? null
          : sql`(select ${mentors.id} from ${mentors} where ${mentors.id} = ${m.mentorId})`,
      reason: m.reason,
      updatedAt: new Date(),
    })
    .where(eq(mentorshipMatches.id, m.matchId));
}

/**
 * Idempotent on (match, mentor): the latest status of that offer wins. When the match or the mentor is gone (an
 * erased mentee's match, an erased mentor), there is nothing left to record: the write is skipped rather than
 * refused for ever by the foreign key.
 */
export async function upsertOffer(db: Conn, matchId: string, o: OfferView): Promise<void> {
  try {
    await writeOffer(db, matchId, o);
  } catch (err) {
    if (classifyDbError(err)?.code === '23503') return;
    throw err;
  }
}

async function writeOffer(db: Conn, matchId: string, o: OfferView): Promise<void> {
  const row = {
    matchId,
    mentorId: o.mentorId,
    rank: o.rank,
    score: o.score,
    breakdown: o.breakdown,
    weightsVersion: o.weightsVersion,
    status: o.status,
    reason: o.reason,
    offeredAt: new Date(o.offeredAt),
    deadlineAt: new Date(o.deadlineAt),
  };
  await db
    .insert(mentorshipOffers)
    .values(row)
    .onConflictDoUpdate({
      target: [mentorshipOffers.matchId, mentorshipOffers.mentorId],
      set: { status: row.status, reason: row.reason, updatedAt: new Date() },
    });
}

/** The newest operator weight version, else the built-in default. */
export async function currentWeights(db: Conn): Promise<WeightSet> {
  const [row] = await db.select().from(mentorshipWeights).orderBy(desc(mentorshipWeights.createdAt)).limit(1);
  return row ? { version: row.version, weights: row.weights } : DEFAULT_WEIGHTS;
}

export async function insertWeights(db: Conn, version: string, weights: ScoreWeights) {
  const [row] = await db
    .insert(mentorshipWeights)
    .values({ version, weights })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Mentors whose member can be texted (not erased nor opted out), with their zone and live mentee count. */
export async function mentorPool(db: Conn) {
  const rows = await db
    .select({
      mentorId: mentors.id,
      memberId: mentors.memberId,
      expertise: mentors.expertise,
      languages: mentors.languages,
      availability: mentors.availability,
      capacity: mentors.capacity,
      timezone: members.timezone,
      active: sql<number>`(select count(*)::int from ${mentorshipMatches} mm
        where mm.mentor_id = ${mentors.id} and mm.status = 'active')`,
    })
    .from(mentors)
    .innerJoin(members, eq(members.id, mentors.memberId))
    .where(inArray(members.status, ['active', 'paused']));
  return rows;
}

export async function matchWithMentee(db: Conn, matchId: string) {
  const [row] = await db
    .select({ match: mentorshipMatches, timezone: members.timezone })
    .from(mentorshipMatches)
    .innerJoin(members, eq(members.id, mentorshipMatches.menteeMemberId))
    .where(and(eq(mentorshipMatches.id, matchId)));
  return row;
}

/** Match requests with their mentee's zone (for the optimiser and cohorts); unknown ids are left out. */
export async function matchesWithMentees(db: Conn, matchIds: string[]) {
  if (matchIds.length === 0) return [];
  return db
    .select({ match: mentorshipMatches, timezone: members.timezone })
    .from(mentorshipMatches)
    .innerJoin(members, eq(members.id, mentorshipMatches.menteeMemberId))
    .where(inArray(mentorshipMatches.id, matchIds));
}

/**
 * Other requests waiting for a mentor with no live offer (status `requested`), oldest first: the demand the
 * optimiser weighs a re-match against.
 */
export async function waitingRequestIds(db: Conn, exceptMatchId: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: mentorshipMatches.id })
    .from(mentorshipMatches)
    .where(and(eq(mentorshipMatches.status, 'requested'), sql`${mentorshipMatches.id} <> ${exceptMatchId}`))
    .orderBy(mentorshipMatches.createdAt)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Live offers per mentor (status `offered`), leaving out the given match's own: slots others hold a claim on. */
export async function liveOfferCounts(db: Conn, exceptMatchId: string | null): Promise<Map<string, number>> {
  const rows = await db
    .select({ mentorId: mentorshipOffers.mentorId, n: sql<number>`count(*)::int` })
    .from(mentorshipOffers)
    .where(
      exceptMatchId === null
        ? eq(mentorshipOffers.status, 'offered')
        : and(eq(mentorshipOffers.status, 'offered'), sql`${mentorshipOffers.matchId} <> ${exceptMatchId}`),
    )
    .groupBy(mentorshipOffers.mentorId);
  return new Map(rows.map((r) => [r.mentorId, r.n]));
}

/** The mentors each match has already offered (any status). */
export async function offeredMentors(db: Conn, matchIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (matchIds.length === 0) return out;
  const rows = await db
    .select({ matchId: mentorshipOffers.matchId, mentorId: mentorshipOffers.mentorId })
    .from(mentorshipOffers)
    .where(inArray(mentorshipOffers.matchId, matchIds));
  for (const r of rows) out.set(r.matchId, [...(out.get(r.matchId) ?? []), r.mentorId]);
  return out;
}

/**
 * Erasure: every match the member is in, as mentee or as mentor — found through the offers too, since a match's
 * own `mentor_id` is written by its workflow a moment after the mentor accepted (ids only).
 */
export async function matchIdsOfMember(db: Conn, memberId: string): Promise<string[]> {
  const asMentor = db.select({ id: mentors.id }).from(mentors).where(eq(mentors.memberId, memberId));
  const [mentees, offered, matched] = await Promise.all([
    db
      .select({ id: mentorshipMatches.id })
      .from(mentorshipMatches)
      .where(eq(mentorshipMatches.menteeMemberId, memberId)),
    db
      .select({ id: mentorshipOffers.matchId })
      .from(mentorshipOffers)
      .where(inArray(mentorshipOffers.mentorId, asMentor)),
    db
      .select({ id: mentorshipMatches.id })
      .from(mentorshipMatches)
      .where(inArray(mentorshipMatches.mentorId, asMentor)),
  ]);
  return [...new Set([...mentees, ...offered, ...matched].map((r) => r.id))];
}

/** Erasure: the member's mentor profiles' ids (their `mentor-<id>` workflows end), read before the rows go. */
export async function mentorIdsOfMember(db: Conn, memberId: string): Promise<string[]> {
  const rows = await db.select({ id: mentors.id }).from(mentors).where(eq(mentors.memberId, memberId));
  return rows.map((r) => r.id);
}
