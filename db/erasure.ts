/**
 * Erasure records (db/erasure-schema.ts): the only writer. A record holds a keyed hash of the number, never the
 * number, so an opt-out survives erasure while nothing else about the person does.
 */
import { createHmac } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { campaignTestSends } from './campaign-replies-schema.js';
import { removeGuestByPhone } from './campaigns.js';
import { campaignRecipients, campaigns, guests } from './campaigns-schema.js';
import { erasures, type Erasure, type ErasureStep } from './erasure-schema.js';
import {
  consentEvents,
  conversationExpectations,
  inboundMessages,
  members,
  messages,
  suppressions,
} from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Conn = Db | Tx;

/** Development only: used when no PRIVACY_HASH_KEY (nor token secret) is configured — the audit log's fallback. */
const DEVELOPMENT_KEY = 'crewline-development-audit-hash-key';
let hashKey = DEVELOPMENT_KEY;

/**
 * Set the key of the erasure hashes (the API and the worker call it at start with the same key as the audit log:
 * PRIVACY_HASH_KEY). One value per process: the send gate and the API must hash a number alike.
 */
export function useErasureHashKey(key: string | undefined): void {
  hashKey = key ?? DEVELOPMENT_KEY;
}

/** HMAC-SHA-256 (hex) of an E.164 number under the privacy hash key. */
export const phoneHash = (phone: string): string => createHmac('sha256', hashKey).update(phone).digest('hex');

/** Start an erasure record (idempotent on its id: a retried request writes it once). */
export async function insertErasure(
  db: Conn,
  r: { id: string; requestedBy: string; phone: string; suppressed: string[] },
): Promise<void> {
  await db
    .insert(erasures)
    .values({ id: r.id, requestedBy: r.requestedBy, phoneHash: phoneHash(r.phone), suppressed: r.suppressed })
    .onConflictDoNothing({ target: erasures.id });
}

export async function findErasure(db: Conn, id: string): Promise<Erasure | undefined> {
  const [row] = await db.select().from(erasures).where(eq(erasures.id, id));
  return row;
}

/** Record a finished step; `done` also completes the record. Idempotent. */
export async function setErasureStep(db: Conn, id: string, step: ErasureStep): Promise<void> {
  await db
    .update(erasures)
    .set(step === 'done' ? { step, status: 'done', completedAt: new Date() } : { step })
    .where(and(eq(erasures.id, id), eq(erasures.status, 'running')));
}

/**
 * The suppression reasons kept by the newest erasure of this number (empty when it was never erased while
 * suppressed). The newest only: a number that re-joined, opted in and was erased again carries its state then.
 */
/** erasedSuppressions for many numbers in one query: phone → the newest erasure's kept reasons (absent: none). */
export async function erasedSuppressionsMany(
  db: Conn,
  phones: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (phones.length === 0) return out;
  const byHash = new Map(phones.map((p) => [phoneHash(p), p]));
  const rows = await db
    .selectDistinctOn([erasures.phoneHash], {
      phoneHash: erasures.phoneHash,
      suppressed: erasures.suppressed,
    })
    .from(erasures)
    .where(inArray(erasures.phoneHash, [...byHash.keys()]))
    .orderBy(erasures.phoneHash, desc(erasures.requestedAt));
  for (const r of rows) {
    const phone = byHash.get(r.phoneHash);
    if (phone) out.set(phone, r.suppressed ?? []);
  }
  return out;
}

export async function erasedSuppressions(db: Conn, phone: string): Promise<string[]> {
  const [row] = await db
    .select({ suppressed: erasures.suppressed })
    .from(erasures)
    .where(eq(erasures.phoneHash, phoneHash(phone)))
    .orderBy(desc(erasures.requestedAt))
    .limit(1);
  return row?.suppressed ?? [];
}

/**
 * The kept suppressions of many numbers at once (a guest import's batch): phone → the newest erasure's reasons,
 * for the numbers ever erased. One query by hash.
 */
export async function erasedSuppressionsOf(db: Conn, phones: string[]): Promise<Map<string, string[]>> {
  const byHash = new Map(phones.map((p) => [phoneHash(p), p]));
  const out = new Map<string, string[]>();
  if (byHash.size === 0) return out;
  const rows = await db
    .select({ phoneHash: erasures.phoneHash, suppressed: erasures.suppressed })
    .from(erasures)
    .where(inArray(erasures.phoneHash, [...byHash.keys()]))
    .orderBy(desc(erasures.requestedAt));
  for (const r of rows) {
    const phone = byHash.get(r.phoneHash)!;
    if (!out.has(phone)) out.set(phone, r.suppressed);
  }
  return out;
}

/**
 * The payload-codec subjects (workflows/lib/subject.ts) of a member's number other than the member itself: every
 * guest entry of the number (campaign texts and replies), every text received from it (`inbound:<id>`: replies
 * to an unknown number), and every campaign test send to it. Read before the rows go, so the erasure can shred
 * their keys too: nothing sealed for that number stays readable in any history.
 */
export async function otherSubjectsOfMember(db: Conn, memberId: string): Promise<string[]> {
  const [member] = await db.select({ phone: members.phone }).from(members).where(eq(members.id, memberId));
  if (!member) return [];
  const phone = member.phone;
  const [guestRows, inboundRows, testSendRows] = await Promise.all([
    db.select({ id: guests.id }).from(guests).where(eq(guests.phone, phone)),
    db.select({ id: inboundMessages.id }).from(inboundMessages).where(eq(inboundMessages.fromPhone, phone)),
    db.select({ id: campaignTestSends.id }).from(campaignTestSends).where(eq(campaignTestSends.phone, phone)),
  ]);
  return [
    ...guestRows.map((r) => `guest:${r.id}`),
    ...inboundRows.map((r) => `inbound:${r.id}`),
    ...testSendRows.map((r) => `test-send:${r.id}`),
  ];
}

/**
 * Erasure of a number that is not a member's (issue 12, `POST /privacy/erasures`): what it holds before the rows
 * go. Every campaign not yet over whose recipients include a guest entry of the number (with those guest ids: the
 * erasure workflow tells each to drop them), and the payload-codec subjects of the number (`guest:`, `inbound:`,
 * `test-send:`) whose keys it shreds. Ids only.
 */
export async function guestHoldingsOfPhone(
  db: Conn,
  phone: string,
): Promise<{ campaigns: { campaignId: string; guestIds: string[] }[]; subjects: string[] }> {
  const [held, guestRows, inboundRows, testSendRows] = await Promise.all([
    db
      .select({ campaignId: campaignRecipients.campaignId, guestId: campaignRecipients.guestId })
      .from(campaignRecipients)
      .innerJoin(guests, eq(guests.id, campaignRecipients.guestId))
      .innerJoin(campaigns, eq(campaigns.id, campaignRecipients.campaignId))
      .where(and(eq(guests.phone, phone), inArray(campaigns.status, ['scheduled', 'running', 'paused']))),
    db.select({ id: guests.id }).from(guests).where(eq(guests.phone, phone)),
    db.select({ id: inboundMessages.id }).from(inboundMessages).where(eq(inboundMessages.fromPhone, phone)),
    db.select({ id: campaignTestSends.id }).from(campaignTestSends).where(eq(campaignTestSends.phone, phone)),
  ]);
  const byCampaign = new Map<string, string[]>();
  for (const r of held) byCampaign.set(r.campaignId, [...(byCampaign.get(r.campaignId) ?? []), r.guestId]);
  return {
    campaigns: [...byCampaign].map(([campaignId, guestIds]) => ({ campaignId, guestIds: guestIds.sort() })),
    subjects: [
      ...guestRows.map((r) => `guest:${r.id}`),
      ...inboundRows.map((r) => `inbound:${r.id}`),
      ...testSendRows.map((r) => `test-send:${r.id}`),
    ].sort(),
  };
}

/** Whether Crewline holds anything for this number (a member, guest entry, text, consent or suppression row). */
export async function phoneHoldsData(db: Conn, phone: string): Promise<boolean> {
  const [row] = await db.execute<{ held: boolean }>(sql`select (
      exists (select 1 from ${members} where ${members.phone} = ${phone})
      or exists (select 1 from ${guests} where ${guests.phone} = ${phone})
      or exists (select 1 from ${messages} where ${messages.toPhone} = ${phone})
      or exists (select 1 from ${inboundMessages} where ${inboundMessages.fromPhone} = ${phone})
      or exists (select 1 from ${consentEvents} where ${consentEvents.phone} = ${phone})
      or exists (select 1 from ${suppressions} where ${suppressions.phone} = ${phone})
      or exists (select 1 from ${campaignTestSends} where ${campaignTestSends.phone} = ${phone})
    ) as held`);
  return Boolean(row?.held);
}

/** The newest erasure of this number (by its hash), or undefined. */
export async function newestErasureOfPhone(db: Conn, phone: string): Promise<Erasure | undefined> {
  const [row] = await db
    .select()
    .from(erasures)
    .where(eq(erasures.phoneHash, phoneHash(phone)))
    .orderBy(desc(erasures.requestedAt))
    .limit(1);
  return row;
}

/**
 * Erase a number that is not a member's (issue 12, `POST /privacy/erasures`), one transaction under the number's
 * advisory lock (the send gate takes the same lock before it claims a text, so a text is either claimed before
 * the erasure or never): every guest-list entry of the number across campaigns (their recipient states and
 * campaign replies go by cascade), texts to it and from it, open conversation expectations, campaign test sends,
 * the consent ledger (import evidence included) and suppressions. In their place the minimal erasure record:
 * who asked, when, the keyed hash of the number, and the suppressions in force plus `opt_out` — erasure by phone
 * is a request to be forgotten, so a later import of the number does not make it textable (the person's own
 * START lifts it, as after any opt-out). Idempotent on the erasure id. A number that belongs to a member is not
 * touched here (`DELETE /members/{id}` erases it): returns false.
 */
export async function erasePhone(
  db: Db,
  r: { erasureId: string; phone: string; requestedBy: string },
): Promise<boolean> {
  const { phone } = r;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${phone}))`);
    const [member] = await tx
      .select({ id: members.id })
      .from(members)
      .where(eq(members.phone, phone))
      .limit(1);
    if (member) return false;
    const kept = await tx
      .select({ reason: suppressions.reason })
      .from(suppressions)
      .where(eq(suppressions.phone, phone));
    await insertErasure(tx, {
      id: r.erasureId,
      requestedBy: r.requestedBy,
      phone,
      suppressed: [...new Set([...kept.map((k) => k.reason), 'opt_out'])].sort(),
    });
    await tx.delete(messages).where(eq(messages.toPhone, phone));
    await tx.delete(inboundMessages).where(eq(inboundMessages.fromPhone, phone));
    await tx.delete(conversationExpectations).where(eq(conversationExpectations.phone, phone));
    await tx.delete(campaignTestSends).where(eq(campaignTestSends.phone, phone));
    await removeGuestByPhone(tx, phone);
    await tx.delete(consentEvents).where(eq(consentEvents.phone, phone));
    await tx.delete(suppressions).where(eq(suppressions.phone, phone));
    return true;
  });
}
