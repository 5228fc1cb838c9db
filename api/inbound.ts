/**
 * The inbound half of the messaging core. Persist first (deduplicated on MessageSid), apply compliance keywords
 * to the consent ledger at once (Postgres only, so it holds even when Temporal is down), then route:
 * keywords to an `inbound-<id>` workflow, anything else to the workflow that owns the conversation.
 * What cannot be routed now stays `pending` and the worker's inbox drainer delivers it later, oldest first.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { consentState, recordConsent } from '../db/consent.js';
import { inboundMessages, members, type InboundMessage } from '../db/schema.js';
import { inboundWorkflowId, memberWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
import { keywordWorkflow } from '../workflows/messaging/keyword.js';
import { classifyInbound } from '../workflows/lib/keywords.js';
import type { Brand } from '../workflows/lib/texts.js';
import { consentSignal, replySignal } from '../workflows/member/definitions.js';

export interface InboundSms {
  messageSid: string;
  from: string;
  to: string;
  body: string;
}

export interface InboundDeps {
  db: Db;
  temporal: Client;
  brand: Brand;
}

const SIGNAL_DEADLINE_MS = 3_000;

export async function ingestInbound(
  db: Db,
  sms: InboundSms,
): Promise<{ row: InboundMessage; duplicate: boolean }> {
  const member = await db.query.members.findFirst({
    where: eq(members.phone, sms.from),
    columns: { id: true },
  });
  const classified = classifyInbound(sms.body);
  const keyword = classified.keyword;
  let kind = classified.kind;
  // YES is an opt-in keyword only for a number that is opted out; otherwise it belongs to the conversation
  // (e.g. "Reply YES to start"). START and UNSTOP always opt in.
  if (kind === 'opt_in' && keyword === 'YES' && !(await consentState(db, sms.from)).optedOut)
    kind = 'message';
  const inserted = await db
    .insert(inboundMessages)
    .values({
      providerSid: sms.messageSid,
      fromPhone: sms.from,
      toPhone: sms.to,
      body: sms.body,
      memberId: member?.id ?? null,
      kind,
      keyword: keyword ?? null,
      routeStatus: member || kind !== 'message' ? 'pending' : 'unrouted',
    })
    .onConflictDoNothing({ target: inboundMessages.providerSid })
    .returning();
  const row =
    inserted[0] ??
    (await db.query.inboundMessages.findFirst({ where: eq(inboundMessages.providerSid, sms.messageSid) }));
  if (!row) throw new Error('inbound message vanished after conflict');
  if (row.kind === 'opt_out' || row.kind === 'opt_in') await applyKeywordConsent(db, row);
  return { row, duplicate: !inserted[0] };
}

/** Ledger + suppression + member status, idempotent on the inbound id. */
async function applyKeywordConsent(db: Db, row: InboundMessage): Promise<{ changed: boolean }> {
  const optOut = row.kind === 'opt_out';
  const { changed } = await recordConsent(db, {
    phone: row.fromPhone,
    purpose: 'all',
    action: optOut ? 'opt_out' : 'opt_in',
    source: 'sms_keyword',
    evidence: { inboundMessageId: row.id, providerSid: row.providerSid, keyword: row.keyword },
    dedupeKey: `inbound:${row.id}`,
  });
  if (row.memberId) {
    await db
      .update(members)
      .set({ status: optOut ? 'opted_out' : 'active', updatedAt: new Date() })
      .where(and(eq(members.id, row.memberId), sql`${members.status} <> 'erased'`));
  }
  return { changed };
}

export type RouteOutcome = 'routed' | 'unrouted' | 'pending';

export async function routeInbound(deps: InboundDeps, row: InboundMessage): Promise<RouteOutcome> {
  const { db, temporal } = deps;
  if (row.routeStatus !== 'pending') return row.routeStatus;
  // Keep each number's texts in order: while an older one waits for the drainer, this one waits too.
  const [older] = await db
    .select({ id: inboundMessages.id })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.fromPhone, row.fromPhone),
        eq(inboundMessages.routeStatus, 'pending'),
        lt(inboundMessages.id, row.id),
      ),
    )
    .limit(1);
  if (older) return 'pending';
  let workflowId: string;
  try {
    if (row.kind === 'message') {
      if (!row.memberId) return markRoute(db, row, 'unrouted', null);
      workflowId = memberWorkflowId(row.memberId);
      // Bounded: the webhook must answer Twilio quickly even when Temporal is down.
      await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
        temporal.workflow.getHandle(workflowId).signal(replySignal, {
          inboundId: row.id,
          body: row.body,
          receivedAtMs: row.receivedAt.getTime(),
        }),
      );
    } else {
      workflowId = inboundWorkflowId(row.id);
      const reply = row.kind === 'help' ? true : (await applyKeywordConsent(db, row)).changed;
      await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
        temporal.workflow.start(keywordWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId,
          args: [
            {
              inboundId: row.id,
              kind: row.kind as 'opt_out' | 'opt_in' | 'help',
              memberId: row.memberId,
              reply,
              brand: deps.brand,
            },
          ],
          staticSummary: `Keyword ${row.keyword ?? row.kind} (inbound ${row.id})`,
        }),
      );
    }
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return markRoute(db, row, 'routed', inboundWorkflowId(row.id));
    if (err instanceof WorkflowNotFoundError) return markRoute(db, row, 'unrouted', null);
    await db
      .update(inboundMessages)
      .set({ routeAttempts: sql`${inboundMessages.routeAttempts} + 1` })
      .where(eq(inboundMessages.id, row.id));
    return 'pending';
  }
  return markRoute(db, row, 'routed', workflowId);
}

async function markRoute(
  db: Db,
  row: InboundMessage,
  status: 'routed' | 'unrouted',
  routedTo: string | null,
): Promise<RouteOutcome> {
  await db
    .update(inboundMessages)
    .set({
      routeStatus: status,
      routedTo,
      routedAt: status === 'routed' ? new Date() : null,
      routeAttempts: sql`${inboundMessages.routeAttempts} + 1`,
    })
    .where(and(eq(inboundMessages.id, row.id), eq(inboundMessages.routeStatus, 'pending')));
  return status;
}

/** Deliver messages that could not be routed when they arrived (Temporal was down). Oldest first. */
export async function drainInbox(deps: InboundDeps, opts: { olderThanMs?: number; limit?: number } = {}) {
  const cutoff = new Date(Date.now() - (opts.olderThanMs ?? 2_000));
  const pending = await deps.db
    .select()
    .from(inboundMessages)
    .where(and(eq(inboundMessages.routeStatus, 'pending'), lt(inboundMessages.receivedAt, cutoff)))
    .orderBy(asc(inboundMessages.id))
    .limit(opts.limit ?? 100);
  let routed = 0;
  for (const row of pending) {
    const outcome = await routeInbound(deps, row);
    if (outcome === 'routed') routed++;
    if (outcome === 'pending') break; // still unreachable: next tick, same order
  }
  return { seen: pending.length, routed };
}

/**
 * Consent changed outside SMS (API, import): update the member row and tell the member's workflow. Best effort —
 * the send gate reads consent from Postgres, so a missed signal can never let a text through.
 */
export async function notifyConsentChange(
  deps: { db: Db; temporal: Client; logger: { warn: (o: object, m: string) => void } },
  phone: string,
  optedOut: boolean,
): Promise<void> {
  const member = await deps.db.query.members.findFirst({ where: eq(members.phone, phone) });
  if (!member || member.status === 'erased') return;
  await deps.db
    .update(members)
    .set({ status: optedOut ? 'opted_out' : 'active', updatedAt: new Date() })
    .where(eq(members.id, member.id));
  try {
    await deps.temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      deps.temporal.workflow.getHandle(memberWorkflowId(member.id)).signal(consentSignal, { optedOut }),
    );
  } catch (err) {
    deps.logger.warn({ memberId: member.id, err: (err as Error).message }, 'consent signal not delivered');
  }
}
