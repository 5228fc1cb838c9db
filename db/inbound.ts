/**
 * The one writer of `inbound_messages` and `conversation_expectations`: inbound texts as received, their routing
 * claim, and who expects an answer from which phone.
 */
import { and, asc, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import { memberWorkflowId } from '../workflows/ids.js';
import type { Db } from './client.js';
import { conversationExpectations, inboundMessages, members, type InboundMessage } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Conn = Db | Tx;

/** A routing claim older than this belongs to a process that died mid-signal: it may be taken again. */
export const ROUTING_LEASE_MS = 30_000;

/**
 * Characters Postgres `text` cannot carry (NUL) and UTF-16 halves that have no valid UTF-8 form (lone
 * surrogates) are dropped; everything else is kept exactly as received.
 */
export function sanitizeText(s: string): string {
  return s
    .replaceAll('\u0000', '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

export type NewInbound = typeof inboundMessages.$inferInsert;

/** Stored first, deduplicated on the provider's MessageSid (Twilio retries a webhook). */
export async function insertInbound(
  db: Conn,
  values: NewInbound,
): Promise<{ row: InboundMessage; duplicate: boolean }> {
  const inserted = await db
    .insert(inboundMessages)
    .values(values)
    .onConflictDoNothing({ target: inboundMessages.providerSid })
    .returning();
  if (inserted[0]) return { row: inserted[0], duplicate: false };
  const [row] = await db
    .select()
    .from(inboundMessages)
    .where(eq(inboundMessages.providerSid, values.providerSid));
  if (!row) throw new Error('inbound message vanished after conflict');
  return { row, duplicate: true };
}

/** A `routing` claim still within its lease, or `pending`: what may be claimed (again). */
const claimable = () =>
  or(
    eq(inboundMessages.routeStatus, 'pending'),
    and(
      eq(inboundMessages.routeStatus, 'routing'),
      lt(inboundMessages.routeClaimedAt, sql`now() - make_interval(secs => ${ROUTING_LEASE_MS / 1000})`),
    ),
  );

/** The id of the phone's oldest text still waiting or being routed (per-phone order: it goes first). */
const oldestInFlightOf = (phone: string) =>
  sql`(select min(o.id) from ${inboundMessages} o where o.from_phone = ${phone} and o.route_status in ('pending', 'routing'))`;

/**
 * Claim the right to route this text, atomically: only one caller (webhook, its duplicate, the drainer, a
 * hand-off) gets the row back; the others get undefined and must not signal. A claim left by a crashed process
 * expires. Per-phone order is part of the same statement: the text is claimed only when it is the oldest text of
 * its phone still in flight (an older one waiting or being routed goes first).
 */
export async function claimRouting(
  db: Conn,
  row: Pick<InboundMessage, 'id' | 'fromPhone'>,
): Promise<InboundMessage | undefined> {
  const [claimed] = await db
    .update(inboundMessages)
    .set({ routeStatus: 'routing', routeClaimedAt: sql`now()` })
    .where(
      and(
        eq(inboundMessages.id, row.id),
        claimable(),
        sql`${inboundMessages.id} = ${oldestInFlightOf(row.fromPhone)}`,
      ),
    )
    .returning();
  return claimed;
}

/**
 * Hand-off: claim the phone's oldest text still in flight, if it is waiting (`pending`, or a lapsed claim). Called
 * by whoever has just finished routing a text of that phone, so a number's burst is delivered in order right
 * away instead of on the drainer's next tick. Undefined when nothing waits or someone else is routing it.
 */
export async function claimNextOfPhone(db: Conn, phone: string): Promise<InboundMessage | undefined> {
  const [claimed] = await db
    .update(inboundMessages)
    .set({ routeStatus: 'routing', routeClaimedAt: sql`now()` })
    .where(and(sql`${inboundMessages.id} = ${oldestInFlightOf(phone)}`, claimable()))
    .returning();
  return claimed;
}

/** The claim failed to deliver (Temporal unreachable): back to pending, for the drainer. */
export async function releaseRouting(db: Conn, id: number): Promise<void> {
  await db
    .update(inboundMessages)
    .set({
      routeStatus: 'pending',
      routeClaimedAt: null,
      routeAttempts: sql`${inboundMessages.routeAttempts} + 1`,
    })
    .where(and(eq(inboundMessages.id, id), eq(inboundMessages.routeStatus, 'routing')));
}

export async function finishRouting(
  db: Conn,
  id: number,
  status: 'routed' | 'unrouted',
  routedTo: string | null,
): Promise<void> {
  await db
    .update(inboundMessages)
    .set({
      routeStatus: status,
      routedTo,
      routedAt: status === 'routed' ? new Date() : null,
      routeAttempts: sql`${inboundMessages.routeAttempts} + 1`,
    })
    .where(and(eq(inboundMessages.id, id), inArray(inboundMessages.routeStatus, ['pending', 'routing'])));
}

/** An older text from the same phone still waiting (or being routed): per-phone order says wait behind it. */
export async function hasOlderInFlight(db: Conn, row: Pick<InboundMessage, 'id' | 'fromPhone'>) {
  const [older] = await db
    .select({ id: inboundMessages.id })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.fromPhone, row.fromPhone),
        inArray(inboundMessages.routeStatus, ['pending', 'routing']),
        lt(inboundMessages.id, row.id),
      ),
    )
    .limit(1);
  return Boolean(older);
}

/** Texts not yet delivered (Temporal was down, or a claim expired), oldest first. */
export async function undeliveredInbound(db: Conn, receivedBefore: Date, limit: number) {
  return db
    .select()
    .from(inboundMessages)
    .where(
      and(
        inArray(inboundMessages.routeStatus, ['pending', 'routing']),
        lt(inboundMessages.receivedAt, receivedBefore),
      ),
    )
    .orderBy(asc(inboundMessages.id))
    .limit(limit);
}

/** The operator inbox: newest first, cursor = the last id of the previous page. */
export async function listInbox(
  db: Conn,
  q: { status: InboundMessage['routeStatus']; limit: number; before?: number },
) {
  return db
    .select()
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.routeStatus, q.status),
        q.before !== undefined ? lt(inboundMessages.id, q.before) : undefined,
      ),
    )
    .orderBy(desc(inboundMessages.id))
    .limit(q.limit);
}

// ---- conversation expectations ----------------------------------------------------------------------------

export interface Expectation {
  phone: string;
  workflowId: string;
  accepts: string;
  expiresAt: Date;
  /** The expecting send's idempotency key. */
  idempotencyKey: string;
}

/** Idempotent on the send's key (a retried activity records it once). Runs in the send's transaction. */
export async function recordExpectation(db: Conn, e: Expectation): Promise<void> {
  await db
    .insert(conversationExpectations)
    .values(e)
    .onConflictDoNothing({ target: conversationExpectations.idempotencyKey });
}

/** The newest expectation for `phone` still open at `at`, if any. */
export async function newestOpenExpectation(db: Conn, phone: string, at: Date) {
  const [row] = await db
    .select()
    .from(conversationExpectations)
    .where(and(eq(conversationExpectations.phone, phone), gt(conversationExpectations.expiresAt, at)))
    .orderBy(desc(conversationExpectations.createdAt), desc(conversationExpectations.id))
    .limit(1);
  return row;
}

/**
 * Every workflow that holds this phone and must hear about STOP/START: the member's workflow, and every workflow
 * with an open expectation for it (crews, campaigns and mentorship matches register theirs by sending with
 * `expectReply`). A new kind of holder that never expects replies adds its own source here.
 */
export async function conversationHolders(db: Conn, phone: string, at: Date): Promise<string[]> {
  const [member, open] = await Promise.all([
    db
      .select({ id: members.id })
      .from(members)
      .where(and(eq(members.phone, phone), sql`${members.status} <> 'erased'`))
      .limit(1),
    db
      .selectDistinct({ workflowId: conversationExpectations.workflowId })
      .from(conversationExpectations)
      .where(and(eq(conversationExpectations.phone, phone), gt(conversationExpectations.expiresAt, at))),
  ]);
  const ids = member[0] ? [memberWorkflowId(member[0].id)] : [];
  for (const { workflowId } of open) if (!ids.includes(workflowId)) ids.push(workflowId);
  return ids.sort();
}
