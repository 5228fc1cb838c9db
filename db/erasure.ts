/**
 * Erasure records (db/erasure-schema.ts): the only writer. A record holds a keyed hash of the number, never the
 * number, so an opt-out survives erasure while nothing else about the person does.
 */
import { createHmac } from 'node:crypto';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from './client.js';
import { campaignTestSends } from './campaign-replies-schema.js';
import { guests } from './campaigns-schema.js';
import { erasures, type Erasure, type ErasureStep } from './erasure-schema.js';
import { inboundMessages, members } from './schema.js';

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
