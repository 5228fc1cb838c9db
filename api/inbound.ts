import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { inboundMessages, members, type InboundMessage } from '../db/schema.js';
import { memberWorkflowId } from '../workflows/ids.js';
import { replySignal } from '../workflows/messages.js';

export interface InboundSms {
  messageSid: string;
  from: string;
  to: string;
  body: string;
}

/**
 * Persist first (deduplicated on MessageSid), then route. A Twilio retry of the same MessageSid never creates a
 * second row; it only re-attempts routing if the first attempt did not get through (the workflow ignores an
 * inbound id it has already handled).
 */
export async function ingestInbound(
  db: Db,
  sms: InboundSms,
): Promise<{ row: InboundMessage; duplicate: boolean }> {
  const member = await db.query.members.findFirst({
    where: eq(members.phone, sms.from),
    columns: { id: true },
  });
  const inserted = await db
    .insert(inboundMessages)
    .values({
      providerSid: sms.messageSid,
      fromPhone: sms.from,
      toPhone: sms.to,
      body: sms.body,
      memberId: member?.id ?? null,
      routeStatus: member ? 'pending' : 'unrouted',
    })
    .onConflictDoNothing({ target: inboundMessages.providerSid })
    .returning();
  if (inserted[0]) return { row: inserted[0], duplicate: false };
  const existing = await db.query.inboundMessages.findFirst({
    where: eq(inboundMessages.providerSid, sms.messageSid),
  });
  if (!existing) throw new Error('inbound message vanished after conflict');
  return { row: existing, duplicate: true };
}

const SIGNAL_DEADLINE_MS = 3_000;

export type RouteOutcome = 'routed' | 'unrouted' | 'pending';

/** Signal the owning workflow. Temporal unreachable → stays pending for the inbox drainer. */
export async function routeInbound(db: Db, temporal: Client, row: InboundMessage): Promise<RouteOutcome> {
  if (row.routeStatus !== 'pending' || !row.memberId) return row.routeStatus;
  const workflowId = memberWorkflowId(row.memberId);
  try {
    // Bounded: the webhook must answer Twilio quickly even when Temporal is down.
    await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      temporal.workflow.getHandle(workflowId).signal(replySignal, {
        inboundId: row.id,
        body: row.body,
        receivedAtMs: row.receivedAt.getTime(),
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      await db
        .update(inboundMessages)
        .set({ routeStatus: 'unrouted', routeAttempts: sql`${inboundMessages.routeAttempts} + 1` })
        .where(eq(inboundMessages.id, row.id));
      return 'unrouted';
    }
    await db
      .update(inboundMessages)
      .set({ routeAttempts: sql`${inboundMessages.routeAttempts} + 1` })
      .where(eq(inboundMessages.id, row.id));
    return 'pending';
  }
  await db
    .update(inboundMessages)
    .set({ routeStatus: 'routed', routedTo: workflowId, routedAt: new Date() })
    .where(and(eq(inboundMessages.id, row.id), eq(inboundMessages.routeStatus, 'pending')));
  return 'routed';
}

/** Deliver replies that could not be signalled when they arrived (Temporal was down). Oldest first. */
export async function drainInbox(
  db: Db,
  temporal: Client,
  opts: { olderThanMs?: number; limit?: number } = {},
) {
  const cutoff = new Date(Date.now() - (opts.olderThanMs ?? 2_000));
  const pending = await db
    .select()
    .from(inboundMessages)
    .where(and(eq(inboundMessages.routeStatus, 'pending'), lt(inboundMessages.receivedAt, cutoff)))
    .orderBy(asc(inboundMessages.id))
    .limit(opts.limit ?? 100);
  let routed = 0;
  for (const row of pending) {
    const outcome = await routeInbound(db, temporal, row);
    if (outcome === 'routed') routed++;
    if (outcome === 'pending') break; // still unreachable: try again on the next tick, keep the order
  }
  return { seen: pending.length, routed };
}
