/**
 * The one writer of crews, crew memberships and the challenge directory. A membership and the consent it needs
 * are written in one transaction (the consent ledger's events carry the crew as evidence); joins are serialised
 * per crew (row lock), so a crew never exceeds its size.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { recordSharingConsent } from './consent.js';
import {
  crewChallenges,
  crewMembers,
  crewReflectionDecisions,
  crewReflectionFlags,
  crewReflections,
  crews,
  type Crew,
  type CrewMember,
  type CrewReflection,
  type CrewReflectionDecision,
} from './crew-schema.js';
import { insertMember } from './members.js';
import { members } from './schema.js';
import type { Tone } from '../workflows/member/values.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Conn = Db | Tx;

/** Join codes: 6 characters without look-alikes (no 0/O, 1/I/L), easy to text as `JOIN K7MX2Q`. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const newJoinCode = (): string =>
  Array.from({ length: 6 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');

export interface SharingConsent {
  pulses: boolean;
  reflections: boolean;
}

export interface ConsentEvidence {
  /** How the consent was given: `api` (a client app on the member's behalf) or `sms` (JOIN by text). */
  via: 'api' | 'sms';
  /** The client's request id or the inbound text's id. */
  reference?: string;
  /** By SMS: the inbound texts (`JOIN <code>`, then the YES to the confirmation) that gave the consent. */
  inboundMessageIds?: number[];
  /** By SMS: the exact confirmation text the member replied YES to. */
  confirmationText?: string;
}

export type JoinOutcome =
  | { outcome: 'joined' | 'already_member'; membership: CrewMember }
  | { outcome: 'no_crew' | 'no_member' | 'wrong_code' | 'full' };

export async function findCrew(db: Conn, crewId: string): Promise<Crew | undefined> {
  const [row] = await db.select().from(crews).where(eq(crews.id, crewId));
  return row;
}

export async function findCrewByCode(db: Conn, code: string): Promise<Crew | undefined> {
  const [row] = await db.select().from(crews).where(eq(crews.joinCode, code.toUpperCase()));
  return row;
}

/** Current (not left) memberships of a crew, oldest first. */
export async function crewMembership(db: Conn, crewId: string): Promise<CrewMember[]> {
  return db
    .select()
    .from(crewMembers)
    .where(and(eq(crewMembers.crewId, crewId), isNull(crewMembers.leftAt)))
    .orderBy(crewMembers.joinedAt, crewMembers.memberId);
}

/** Joinable crews, newest first, with how many members they have; cursor = the last crew's id. */
export async function listJoinableCrews(db: Conn, limit: number, before?: string) {
  const cursor = before ? await findCrew(db, before) : undefined;
  const count = sql<number>`(select count(*)::int from ${crewMembers} where ${crewMembers.crewId} = ${crews.id} and ${crewMembers.leftAt} is null)`;
  return db
    .select({ crew: crews, memberCount: count })
    .from(crews)
    .where(
      and(
        eq(crews.joinable, true),
        cursor
          ? or(
              lt(crews.createdAt, cursor.createdAt),
              and(eq(crews.createdAt, cursor.createdAt), lt(crews.id, cursor.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(crews.createdAt), desc(crews.id))
    .limit(limit);
}

/** The crews a member is in now, with their role. */
export async function crewsOfMember(db: Conn, memberId: string) {
  return db
    .select({ crew: crews, membership: crewMembers })
    .from(crewMembers)
    .innerJoin(crews, eq(crews.id, crewMembers.crewId))
    .where(and(eq(crewMembers.memberId, memberId), isNull(crewMembers.leftAt)))
    .orderBy(crewMembers.joinedAt);
}

/** A new crew with its organiser as its first member (who gives the same consent as anyone joining). */
export async function createCrew(
  db: Db,
  args: {
    name: string;
    purpose: string;
    maxSize: number;
    joinable: boolean;
    timezone: string;
    pulseK: number;
    tone?: Tone;
    organiserMemberId: string;
    consent: SharingConsent;
    evidence: ConsentEvidence;
  },
): Promise<{ crew: Crew; membership: CrewMember } | { outcome: 'no_member' }> {
  return db.transaction(async (tx) => {
    const [organiser] = await tx
      .select({ phone: members.phone })
      .from(members)
      .where(eq(members.id, args.organiserMemberId));
    if (!organiser) return { outcome: 'no_member' as const };
    const [crew] = await tx
      .insert(crews)
      .values({
        id: randomUUID(),
        name: args.name,
        purpose: args.purpose,
        maxSize: args.maxSize,
        joinable: args.joinable,
        joinCode: newJoinCode(),
        timezone: args.timezone,
        pulseK: args.pulseK,
        ...(args.tone && { tone: args.tone }),
      })
      .returning();
    const membership = await addMembership(
      tx,
      crew!,
      args.organiserMemberId,
      organiser.phone,
      'organiser',
      args,
    );
    return { crew: crew!, membership };
  });
}

async function addMembership(
  tx: Tx,
  crew: Crew,
  memberId: string,
  phone: string,
  role: CrewMember['role'],
  args: { consent: SharingConsent; evidence: ConsentEvidence },
): Promise<CrewMember> {
  const [membership] = await tx
    .insert(crewMembers)
    .values({
      crewId: crew.id,
      memberId,
      role,
      sharePulses: args.consent.pulses,
      shareReflections: args.consent.reflections,
    })
    .onConflictDoUpdate({
      target: [crewMembers.crewId, crewMembers.memberId],
      set: {
        sharePulses: args.consent.pulses,
        shareReflections: args.consent.reflections,
        joinedAt: sql`now()`,
        leftAt: null,
      },
    })
    .returning();
  const epoch = membership!.joinedAt.toISOString();
  for (const [purpose, given] of [
    ['crew_pulses', args.consent.pulses],
    ['crew_reflections', args.consent.reflections],
  ] as const) {
    if (!given) continue;
    await recordSharingConsent(tx, {
      phone,
      purpose,
      action: 'opt_in',
      source: args.evidence.via === 'sms' ? 'sms_keyword' : 'api',
      evidence: { crewId: crew.id, memberId, ...args.evidence, statement: SHARING_STATEMENTS[purpose] },
      dedupeKey: `crew:${crew.id}:member:${memberId}:${purpose}:opt_in:${epoch}`,
    });
  }
  return membership!;
}

/** What the member agreed to, kept with the consent event as evidence. */
export const SHARING_STATEMENTS = {
  crew_pulses:
    'My daily answers count towards anonymised crew figures, published only when at least k members answered.',
  crew_reflections: 'My reflections may be shared with the crew after redaction and moderation.',
} as const;

/** Join a crew (the join code is needed for an invite-only crew); a member already in it stays as they are. */
export async function joinCrew(
  db: Db,
  args: {
    crewId: string;
    memberId: string;
    joinCode?: string;
    consent: SharingConsent;
    evidence: ConsentEvidence;
  },
): Promise<JoinOutcome> {
  return db.transaction(async (tx) => {
    const [crew] = await tx.select().from(crews).where(eq(crews.id, args.crewId)).for('update');
    if (!crew) return { outcome: 'no_crew' as const };
    const [member] = await tx
      .select({ phone: members.phone })
      .from(members)
      .where(eq(members.id, args.memberId));
    if (!member) return { outcome: 'no_member' as const };
    const current = await crewMembership(tx, crew.id);
    const mine = current.find((m) => m.memberId === args.memberId);
    if (mine) return { outcome: 'already_member' as const, membership: mine };
    if (!crew.joinable && args.joinCode?.toUpperCase() !== crew.joinCode)
      return { outcome: 'wrong_code' as const };
    if (current.length >= crew.maxSize) return { outcome: 'full' as const };
    const membership = await addMembership(tx, crew, args.memberId, member.phone, 'member', args);
    return { outcome: 'joined' as const, membership };
  });
}

export type NewcomerJoinOutcome =
  | { outcome: 'joined' | 'already_member'; memberId: string; timezone: string }
  | { outcome: 'no_crew' | 'full' };

/**
 * `JOIN <code>` confirmed by a phone that was not a member's: the member (active: the JOIN and its YES are the
 * double opt-in; no name, the crew's zone, `checkInTime`) and the membership with its consent, in one
 * transaction under the crew's row lock, so a full crew creates nothing. The phone is a member's by now (created
 * by the API meanwhile, or by this call before a retry): that member joins. `memberId` is the id a new member gets.
 */
export async function joinCrewAsNewMember(
  db: Db,
  args: {
    crewId: string;
    memberId: string;
    phone: string;
    checkInTime: string;
    consent: SharingConsent;
    evidence: ConsentEvidence;
  },
): Promise<NewcomerJoinOutcome> {
  return db.transaction(async (tx) => {
    const [crew] = await tx.select().from(crews).where(eq(crews.id, args.crewId)).for('update');
    if (!crew) return { outcome: 'no_crew' as const };
    const [existing] = await tx
      .select({ id: members.id, timezone: members.timezone })
      .from(members)
      .where(eq(members.phone, args.phone));
    const current = await crewMembership(tx, crew.id);
    if (existing && current.some((m) => m.memberId === existing.id))
      return { outcome: 'already_member' as const, memberId: existing.id, timezone: existing.timezone };
    if (current.length >= crew.maxSize) return { outcome: 'full' as const };
    const member =
      existing ??
      (await insertMember(tx, {
        id: args.memberId,
        name: '',
        phone: args.phone,
        timezone: crew.timezone,
        checkInTime: args.checkInTime,
        status: 'active',
      }));
    await addMembership(tx, crew, member.id, args.phone, 'member', args);
    return { outcome: 'joined' as const, memberId: member.id, timezone: member.timezone };
  });
}

/** Leave a crew: the membership ends and both sharing consents are withdrawn in the ledger. */
export async function leaveCrew(
  db: Db,
  args: { crewId: string; memberId: string; evidence: ConsentEvidence },
): Promise<CrewMember | undefined> {
  return db.transaction(async (tx) => {
    const [left] = await tx
      .update(crewMembers)
      .set({ leftAt: sql`now()` })
      .where(
        and(
          eq(crewMembers.crewId, args.crewId),
          eq(crewMembers.memberId, args.memberId),
          isNull(crewMembers.leftAt),
        ),
      )
      .returning();
    if (!left) return undefined;
    const [member] = await tx
      .select({ phone: members.phone })
      .from(members)
      .where(eq(members.id, args.memberId));
    for (const purpose of ['crew_pulses', 'crew_reflections'] as const) {
      if (!member || !(purpose === 'crew_pulses' ? left.sharePulses : left.shareReflections)) continue;
      await recordSharingConsent(tx, {
        phone: member.phone,
        purpose,
        action: 'opt_out',
        source: args.evidence.via === 'sms' ? 'sms_keyword' : 'api',
        evidence: { crewId: args.crewId, memberId: args.memberId, ...args.evidence, reason: 'left the crew' },
        dedupeKey: `crew:${args.crewId}:member:${args.memberId}:${purpose}:opt_out:${left.leftAt!.toISOString()}`,
      });
    }
    return left;
  });
}

/**
 * A current member gives or withdraws consent to share their reflections with the crew (separately from the
 * pulses): the membership's flag and, when it changed, a `crew_reflections` event in the consent ledger with its
 * evidence, in one transaction. Undefined when they are not a current member; `changed` false when it already
 * was so (a retried activity, or a repeated text), with nothing written.
 */
export async function setReflectionSharing(
  db: Db,
  args: { crewId: string; memberId: string; share: boolean; evidence: ConsentEvidence },
): Promise<{ changed: boolean } | undefined> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ share: crewMembers.shareReflections })
      .from(crewMembers)
      .where(
        and(
          eq(crewMembers.crewId, args.crewId),
          eq(crewMembers.memberId, args.memberId),
          isNull(crewMembers.leftAt),
        ),
      )
      .for('update');
    if (!current) return undefined;
    if (current.share === args.share) return { changed: false };
    await tx
      .update(crewMembers)
      .set({ shareReflections: args.share })
      .where(and(eq(crewMembers.crewId, args.crewId), eq(crewMembers.memberId, args.memberId)));
    const [member] = await tx
      .select({ phone: members.phone })
      .from(members)
      .where(eq(members.id, args.memberId));
    const action = args.share ? 'opt_in' : 'opt_out';
    await recordSharingConsent(tx, {
      phone: member!.phone,
      purpose: 'crew_reflections',
      action,
      source: args.evidence.via === 'sms' ? 'sms_keyword' : 'api',
      evidence: {
        crewId: args.crewId,
        memberId: args.memberId,
        ...args.evidence,
        statement: SHARING_STATEMENTS.crew_reflections,
      },
      dedupeKey: `crew:${args.crewId}:member:${args.memberId}:crew_reflections:${action}:${args.evidence.reference ?? randomUUID()}`,
    });
    return { changed: true };
  });
}

export async function insertChallenge(
  db: Conn,
  values: typeof crewChallenges.$inferInsert,
): Promise<typeof crewChallenges.$inferSelect> {
  const [row] = await db.insert(crewChallenges).values(values).returning();
  return row!;
}

export async function findChallenge(db: Conn, challengeId: string) {
  const [row] = await db.select().from(crewChallenges).where(eq(crewChallenges.id, challengeId));
  return row;
}

export async function challengesOfCrew(db: Conn, crewId: string) {
  return db
    .select()
    .from(crewChallenges)
    .where(eq(crewChallenges.crewId, crewId))
    .orderBy(desc(crewChallenges.createdAt));
}

// ---- crew reflections (stored redacted only; decisions kept with their reasons)

export interface NewReflection {
  challengeId: string;
  memberId: string;
  day: number;
  /** Already redacted: the raw text never reaches this table. */
  text: string;
  status: 'pending_review' | 'shared';
  reviewBy: Date;
  reason: string;
}

/** Stores a reflection once per member and challenge day (a retry finds it stored) with its first decision. */
export async function insertReflection(db: Db, r: NewReflection): Promise<CrewReflection> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(crewReflections)
      .values({
        id: randomUUID(),
        challengeId: r.challengeId,
        memberId: r.memberId,
        day: r.day,
        text: r.text,
        status: r.status,
        reviewBy: r.reviewBy,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [existing] = await tx
        .select()
        .from(crewReflections)
        .where(
          and(
            eq(crewReflections.challengeId, r.challengeId),
            eq(crewReflections.memberId, r.memberId),
            eq(crewReflections.day, r.day),
          ),
        );
      return existing!;
    }
    await tx
      .insert(crewReflectionDecisions)
      .values({ reflectionId: row.id, status: r.status, decidedBy: 'moderation', reason: r.reason });
    return row;
  });
}

/** Pending reviews past their deadline become `expired` (never shown to the crew), each with a decision. */
export async function expireReflections(db: Conn, challengeId: string, now: Date): Promise<number> {
  const expired = await db
    .update(crewReflections)
    .set({ status: 'expired' })
    .where(
      and(
        eq(crewReflections.challengeId, challengeId),
        eq(crewReflections.status, 'pending_review'),
        lt(crewReflections.reviewBy, now),
      ),
    )
    .returning({ id: crewReflections.id });
  if (expired.length)
    await db.insert(crewReflectionDecisions).values(
      expired.map((e) => ({
        reflectionId: e.id,
        status: 'expired' as const,
        decidedBy: 'timeout' as const,
        reason: 'not reviewed in time',
      })),
    );
  return expired.length;
}

/** A challenge's reflections the viewer may see: shared ones, plus the viewer's own in any status; oldest first. */
export async function visibleReflections(
  db: Conn,
  challengeId: string,
  viewerId: string | undefined,
): Promise<CrewReflection[]> {
  const mine = viewerId ? eq(crewReflections.memberId, viewerId) : undefined;
  return db
    .select()
    .from(crewReflections)
    .where(
      and(
        eq(crewReflections.challengeId, challengeId),
        mine ? or(eq(crewReflections.status, 'shared'), mine) : eq(crewReflections.status, 'shared'),
      ),
    )
    .orderBy(crewReflections.createdAt, crewReflections.id);
}

export async function findReflection(db: Conn, challengeId: string, id: string) {
  const [row] = await db
    .select()
    .from(crewReflections)
    .where(and(eq(crewReflections.id, id), eq(crewReflections.challengeId, challengeId)));
  return row;
}

export async function reflectionDecisions(db: Conn, reflectionId: string): Promise<CrewReflectionDecision[]> {
  return db
    .select()
    .from(crewReflectionDecisions)
    .where(eq(crewReflectionDecisions.reflectionId, reflectionId))
    .orderBy(crewReflectionDecisions.id);
}

/** Flags that hide a reflection, and how long a flagger must have been in the crew. */
export const FLAGS_TO_HIDE = 2;
export const FLAGGER_MIN_DAYS = 3;

export type FlagOutcome =
  | { outcome: 'flagged' | 'already_flagged'; flags: number; status: CrewReflection['status'] }
  | { outcome: 'not_found' | 'not_member' | 'too_new' | 'own' };

/**
 * A crew member flags a reflection (once per member). With FLAGS_TO_HIDE distinct flags it is hidden, and the
 * decision kept. Serialised per reflection (row lock), so concurrent flags count exactly.
 */
export async function flagReflection(
  db: Db,
  f: { challengeId: string; reflectionId: string; memberId: string; via: 'api' | 'sms'; now: Date },
): Promise<FlagOutcome> {
  return db.transaction(async (tx) => {
    const [r] = await tx
      .select()
      .from(crewReflections)
      .where(and(eq(crewReflections.id, f.reflectionId), eq(crewReflections.challengeId, f.challengeId)))
      .for('update');
    if (!r) return { outcome: 'not_found' };
    if (r.memberId === f.memberId) return { outcome: 'own' };
    const [m] = await tx
      .select({ joinedAt: crewMembers.joinedAt })
      .from(crewMembers)
      .innerJoin(crewChallenges, eq(crewChallenges.crewId, crewMembers.crewId))
      .where(
        and(
          eq(crewChallenges.id, f.challengeId),
          eq(crewMembers.memberId, f.memberId),
          isNull(crewMembers.leftAt),
        ),
      );
    if (!m) return { outcome: 'not_member' };
    if (f.now.getTime() - m.joinedAt.getTime() < FLAGGER_MIN_DAYS * 86_400_000) return { outcome: 'too_new' };
    const inserted = await tx
      .insert(crewReflectionFlags)
      .values({ reflectionId: r.id, memberId: f.memberId, via: f.via })
      .onConflictDoNothing()
      .returning();
    const [{ n }] = (await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(crewReflectionFlags)
      .where(eq(crewReflectionFlags.reflectionId, r.id))) as [{ n: number }];
    let status = r.status;
    if (n >= FLAGS_TO_HIDE && status !== 'hidden') {
      status = 'hidden';
      await tx.update(crewReflections).set({ status }).where(eq(crewReflections.id, r.id));
      await tx
        .insert(crewReflectionDecisions)
        .values({ reflectionId: r.id, status, decidedBy: 'flags', reason: `${n} member flags` });
    }
    return { outcome: inserted.length ? 'flagged' : 'already_flagged', flags: n, status };
  });
}

/**
 * The reflection a member's `REPORT` by SMS means: the newest `shared` one, not their own, in a challenge of a
 * crew they are in now (what they can read); with its challenge's title for the answer. Undefined: none.
 */
export async function newestReportableReflection(db: Conn, memberId: string) {
  const [row] = await db
    .select({
      challengeId: crewReflections.challengeId,
      reflectionId: crewReflections.id,
      day: crewReflections.day,
      title: crewChallenges.title,
    })
    .from(crewReflections)
    .innerJoin(crewChallenges, eq(crewChallenges.id, crewReflections.challengeId))
    .innerJoin(
      crewMembers,
      and(
        eq(crewMembers.crewId, crewChallenges.crewId),
        eq(crewMembers.memberId, memberId),
        isNull(crewMembers.leftAt),
      ),
    )
    .where(and(eq(crewReflections.status, 'shared'), ne(crewReflections.memberId, memberId)))
    .orderBy(desc(crewReflections.createdAt), desc(crewReflections.id))
    .limit(1);
  return row;
}

/** An operator shares or hides a reflection, with the reason; the decision is kept. */
export async function decideReflection(
  db: Db,
  d: { challengeId: string; reflectionId: string; decision: 'share' | 'hide'; reason: string },
): Promise<CrewReflection | undefined> {
  return db.transaction(async (tx) => {
    const status = d.decision === 'share' ? ('shared' as const) : ('hidden' as const);
    const [row] = await tx
      .update(crewReflections)
      .set({ status })
      .where(and(eq(crewReflections.id, d.reflectionId), eq(crewReflections.challengeId, d.challengeId)))
      .returning();
    if (!row) return undefined;
    await tx
      .insert(crewReflectionDecisions)
      .values({ reflectionId: row.id, status, decidedBy: 'operator', reason: d.reason });
    return row;
  });
}

/**
 * Erasure: every challenge of every crew the member is or was in (their id may still be in those workflows'
 * state, even after leaving). Ids only.
 */
export async function challengeIdsOfMember(db: Conn, memberId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: crewChallenges.id })
    .from(crewMembers)
    .innerJoin(crewChallenges, eq(crewChallenges.crewId, crewMembers.crewId))
    .where(eq(crewMembers.memberId, memberId));
  return rows.map((r) => r.id);
}

/**
 * What the AI layer needs to write a crew's texts without leaking anyone: the crew's name and every member's
 * name (past ones too) to redact, and whose daily AI budget pays (the organiser, earliest first). Null: no crew.
 */
export async function crewAiContext(
  db: Conn,
  crewId: string,
): Promise<{ crewName: string; budgetMemberId: string | null; memberNames: string[] } | null> {
  const crew = await findCrew(db, crewId);
  if (!crew) return null;
  const rows = await db
    .select({ memberId: crewMembers.memberId, role: crewMembers.role, name: members.name })
    .from(crewMembers)
    .innerJoin(members, eq(members.id, crewMembers.memberId))
    .where(eq(crewMembers.crewId, crewId))
    .orderBy(crewMembers.joinedAt, crewMembers.memberId);
  const organiser = rows.find((r) => r.role === 'organiser') ?? rows[0];
  return {
    crewName: crew.name,
    budgetMemberId: organiser?.memberId ?? null,
    memberNames: rows.map((r) => r.name),
  };
}
