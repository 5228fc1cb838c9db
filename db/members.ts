/**
 * The `members` table's one writer. The API (create, profile changes, erasure), the inbound path (STOP/START)
 * and the member workflow's activities (confirmation, streaks, risk) all change member rows through these
 * functions, so each rule lives once: e.g. an erased member's status is never overwritten.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { MemberStatus, RiskLevel } from '../workflows/member/values.js';
import type { Db } from './client.js';
import { removeGuestByPhone } from './campaigns.js';
import { insertErasure } from './erasure.js';
import {
  consentEvents,
  conversationExpectations,
  inboundMessages,
  members,
  messages,
  suppressions,
  type Member,
  type NewMember,
} from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Conn = Db | Tx;

/** The member texting from `phone` (erased members have no row), or undefined. */
export async function findMemberByPhone(
  db: Conn,
  phone: string,
): Promise<Pick<Member, 'id' | 'status'> | undefined> {
  const [row] = await db
    .select({ id: members.id, status: members.status })
    .from(members)
    .where(eq(members.phone, phone))
    .limit(1);
  return row;
}

export async function insertMember(db: Conn, values: NewMember): Promise<Member> {
  const [row] = await db.insert(members).values(values).returning();
  return row!;
}

/** Lifecycle status (confirmation, pause, opt-out/in). An erased member keeps `erased`. Returns the row, if any. */
export async function setMemberStatus(
  db: Conn,
  memberId: string,
  status: Exclude<MemberStatus, 'erased'>,
): Promise<Member | undefined> {
  const [row] = await db
    .update(members)
    .set({ status, updatedAt: new Date() })
    .where(and(eq(members.id, memberId), ne(members.status, 'erased')))
    .returning();
  return row;
}

/**
 * Consent changed for a phone (STOP/START by SMS, the consent API): the member with that phone, if any, becomes
 * `opted_out` or `active`. Returns the member's id (null when no member has the number).
 */
export async function applyConsentToMember(
  db: Conn,
  phone: string,
  optedOut: boolean,
): Promise<string | null> {
  const [row] = await db
    .update(members)
    .set({ status: optedOut ? 'opted_out' : 'active', updatedAt: new Date() })
    .where(and(eq(members.phone, phone), ne(members.status, 'erased')))
    .returning({ id: members.id });
  return row?.id ?? null;
}

/** Profile fields the API may change (after the workflow accepted them). */
export async function updateMemberProfile(
  db: Conn,
  memberId: string,
  fields: Partial<Pick<Member, 'name' | 'timezone' | 'checkInTime' | 'tone'>>,
): Promise<Member | undefined> {
  const [row] = await db
    .update(members)
    .set({ ...fields, updatedAt: new Date() })
    .where(eq(members.id, memberId))
    .returning();
  return row;
}

/** The workflow's streaks mirrored on the row; `lastCheckInDate` only ever moves forward. */
export async function mirrorStreaks(
  db: Conn,
  memberId: string,
  s: { currentStreak: number; longestStreak: number; answeredDate: string | null },
): Promise<void> {
  await db
    .update(members)
    .set({
      currentStreak: s.currentStreak,
      longestStreak: s.longestStreak,
      ...(s.answeredDate && {
        lastCheckInDate: sql`greatest(${members.lastCheckInDate}, ${s.answeredDate}::date)`,
      }),
      updatedAt: new Date(),
    })
    .where(eq(members.id, memberId));
}

export async function setRiskLevel(db: Conn, memberId: string, level: RiskLevel): Promise<void> {
  await db.update(members).set({ riskLevel: level, updatedAt: new Date() }).where(eq(members.id, memberId));
}

/**
 * Erasure (issue 12 §2), one transaction: the member's personal data goes (profile; check-ins, reflections, crew
 * memberships, mentorship matches and their mentor profile via cascade; texts in and out; open conversation
 * expectations; guest-list entries, consent ledger and suppressions of the number), and the minimal erasure record
 * is written in its place: who asked, when, the keyed hash of the number and the suppressions in force (so STOP
 * survives erasure). Idempotent: the member row is locked first; with no row (already erased) nothing happens.
 * Returns whether this call erased the member.
 */
export async function eraseMember(
  db: Db,
  r: { memberId: string; erasureId: string; requestedBy: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [member] = await tx.select().from(members).where(eq(members.id, r.memberId)).for('update');
    if (!member) return false;
    const phone = member.phone;
    const kept = await tx
      .select({ reason: suppressions.reason })
      .from(suppressions)
      .where(eq(suppressions.phone, phone));
    await insertErasure(tx, {
      id: r.erasureId,
      requestedBy: r.requestedBy,
      phone,
      suppressed: kept.map((k) => k.reason),
    });
    await tx
      .delete(messages)
      .where(sql`${messages.memberId} = ${member.id} or ${messages.toPhone} = ${phone}`);
    await tx
      .delete(inboundMessages)
      .where(sql`${inboundMessages.memberId} = ${member.id} or ${inboundMessages.fromPhone} = ${phone}`);
    await tx.delete(conversationExpectations).where(eq(conversationExpectations.phone, phone));
    await removeGuestByPhone(tx, phone);
    await tx.delete(consentEvents).where(eq(consentEvents.phone, phone));
    await tx.delete(suppressions).where(eq(suppressions.phone, phone));
    await tx.delete(members).where(eq(members.id, member.id));
    return true;
  });
}
