import { and, asc, desc, eq, lt, ne, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { inboundMessages, messages, messageStatusEvents } from '../../db/schema.js';
import type { AppDeps } from '../app.js';
import { HttpProblem, validate } from '../problem.js';

const listQuery = z.object({
  direction: z.enum(['outbound', 'inbound']).default('outbound'),
  /** outbound: provider status (queued, sent, delivered, failed, dropped…); inbound: pending|routed|unrouted. */
  status: z.string().trim().min(1).max(30).optional(),
  memberId: z.uuid().optional(),
  campaignId: z.string().trim().min(1).max(100).optional(),
  /** inbound only: true = delivered to a workflow, false = pending or unrouted. */
  routed: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Cursor: the `nextBefore` of the previous page. */
  before: z.coerce.number().int().positive().optional(),
});

/** Operator views of the messaging core: every text in and out, and one message's status timeline. */
export function messagesRouter({ db }: AppDeps) {
  return new Hono()
    .get('/', validate('query', listQuery), async (c) => {
      const q = c.req.valid('query');
      if (q.direction === 'inbound') {
        const where: (SQL | undefined)[] = [
          q.status ? eq(inboundMessages.routeStatus, q.status as 'pending') : undefined,
          q.memberId ? eq(inboundMessages.memberId, q.memberId) : undefined,
          q.routed === 'true' ? eq(inboundMessages.routeStatus, 'routed') : undefined,
          // In SQL, not after the LIMIT: filtering a fetched page would return short (even empty) pages and end
          // the cursor (`nextBefore: null`) while older pending/unrouted messages remain.
          q.routed === 'false' ? ne(inboundMessages.routeStatus, 'routed') : undefined,
          q.before ? lt(inboundMessages.id, q.before) : undefined,
        ];
        const rows = await db
          .select()
          .from(inboundMessages)
          .where(and(...where))
          .orderBy(desc(inboundMessages.id))
          .limit(q.limit);
        return c.json({
          messages: rows.map((r) => ({
            id: r.id,
            direction: 'inbound',
            providerSid: r.providerSid,
            from: r.fromPhone,
            to: r.toPhone,
            body: r.body,
            memberId: r.memberId,
            kind: r.kind,
            keyword: r.keyword,
            routeStatus: r.routeStatus,
            routedTo: r.routedTo,
            receivedAt: r.receivedAt.toISOString(),
          })),
          nextBefore: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
        });
      }
      const rows = await db
        .select()
        .from(messages)
        .where(
          and(
            q.status ? eq(messages.status, q.status) : undefined,
            q.memberId ? eq(messages.memberId, q.memberId) : undefined,
            q.campaignId ? eq(messages.campaignId, q.campaignId) : undefined,
            q.before ? lt(messages.id, q.before) : undefined,
          ),
        )
        .orderBy(desc(messages.id))
        .limit(q.limit);
      return c.json({
        messages: rows.map(outboundJson),
        nextBefore: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
      });
    })
    .get('/:id', validate('param', z.object({ id: z.coerce.number().int().positive() })), async (c) => {
      const { id } = c.req.valid('param');
      const row = await db.query.messages.findFirst({ where: eq(messages.id, id) });
      if (!row)
        throw new HttpProblem({ title: 'Not found', status: 404, detail: `No outbound message ${id}.` });
      const events = await db
        .select()
        .from(messageStatusEvents)
        .where(eq(messageStatusEvents.messageId, id))
        .orderBy(asc(messageStatusEvents.id));
      return c.json({
        ...outboundJson(row),
        timeline: [
          { status: 'created', at: row.createdAt.toISOString() },
          ...events.map((e) => ({
            status: e.status,
            errorCode: e.errorCode,
            applied: e.applied === 1,
            at: e.receivedAt.toISOString(),
          })),
        ],
      });
    });
}

function outboundJson(m: typeof messages.$inferSelect) {
  return {
    id: m.id,
    direction: 'outbound',
    idempotencyKey: m.idempotencyKey,
    memberId: m.memberId,
    campaignId: m.campaignId,
    to: m.toPhone,
    kind: m.kind,
    purpose: m.purpose,
    body: m.body,
    segments: m.segments,
    provider: m.provider,
    providerSid: m.providerSid,
    status: m.status,
    errorCode: m.errorCode,
    errorMessage: m.errorMessage,
    attempts: m.attempts,
    createdAt: m.createdAt.toISOString(),
    sentAt: m.sentAt?.toISOString() ?? null,
  };
}
