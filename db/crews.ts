/**
 * The one writer of crews, crew memberships and the challenge directory. A membership and the consent it needs
 * are written in one transaction (the consent ledger's events carry the crew as evidence); joins are serialised
 * per crew (row lock), so a crew never exceeds its size.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { recordSharingConsent } from './consent.js';
import { crewChallenges, crewMembers, crews, type Crew, type CrewMember } from './crew-schema.js';
import { members } from './schema.js';

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
