import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, desc, eq, lt, ne, type SQL } from 'drizzle-orm';
import { inboundMessages, messages, messageStatusEvents } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { createRouter, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { HttpProblem } from '../problem.js';
import { boolFlag, intId, limit, MAX_BIGINT_ID, text, uuid } from '../schemas/atoms.js';

const ListQuery = z.strictObject({
  direction: z.enum(['outbound', 'inbound']).default('outbound'),
  /** outbound: provider status (queued, sent, delivered, failed, dropped…); inbound: pending|routed|unrouted. */
  status: text(30).optional(),
  memberId: uuid('a member id').optional(),
  campaignId: text(100).optional(),
  /** inbound only: true = delivered to a workflow, false = pending or unrouted. */
  routed: boolFlag.optional(),
  limit: limit(50, 200),
  /** Cursor: the `nextBefore` of the previous page. */
  before: intId('the nextBefore of the previous page', MAX_BIGINT_ID).optional(),
});

const OutboundJson = z
  .object({
    id: z.number().int(),
    direction: z.literal('outbound'),
    idempotencyKey: z.string(),
    memberId: z.string().nullable(),
    campaignId: z.string().nullable(),
    to: z.string(),
    kind: z.string(),
    purpose: z.string(),
    body: z.string(),
    bodyPurgedAt: z
      .string()
      .nullable()
      .openapi({ description: 'when the retention purge blanked `body` (null: not purged)' }),
    segments: z.number().int(),
    provider: z.string(),
    providerSid: z.string().nullable(),
    status: z.string(),
    errorCode: z.number().int().nullable(),
    errorMessage: z.string().nullable(),
    attempts: z.number().int(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .openapi('OutboundMessage');

const InboundJson = z
  .object({
    id: z.number().int(),
    direction: z.literal('inbound'),
    providerSid: z.string(),
    from: z.string(),
    to: z.string(),
    body: z.string(),
    bodyPurgedAt: z
      .string()
      .nullable()
      .openapi({ description: 'when the retention purge blanked `body` (null: not purged)' }),
    memberId: z.string().nullable(),
    kind: z.string(),
    keyword: z.string().nullable(),
    routeStatus: z.string(),
    routedTo: z.string().nullable(),
    receivedAt: z.string(),
  })
  .openapi('InboundMessage');

const TimelineEntry = z.object({
  status: z.string(),
  at: z.string(),
  errorCode: z.number().int().nullable().optional(),
  applied: z.boolean().optional(),
});

const tags = ['Messages'];

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: 'Every text in and out, newest first',
  request: { query: ListQuery },
  responses: {
    200: jsonResponse(
      z.object({
        messages: z.array(z.union([OutboundJson, InboundJson])),
        nextBefore: z.number().int().nullable(),
      }),
      'A page of messages; pass nextBefore as before for the next one',
    ),
    ...problems(),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'One outbound message with its status timeline (applied: false marks late reports)',
  request: {
    params: z.object({
      id: intId('an outbound message id', MAX_BIGINT_ID).openapi({ param: { name: 'id', in: 'path' } }),
    }),
  },
  responses: {
    200: jsonResponse(OutboundJson.extend({ timeline: z.array(TimelineEntry) }), 'The message'),
    ...problems(404),
  },
});

/** Operator views of the messaging core: every text in and out, and one message's status timeline. */
export function messagesRouter({ db }: AppDeps) {
  return createRouter()
    .openapi(listRoute, async (c) => {
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
        const { items, nextBefore } = page(rows, q.limit, (r) => r.id);
        return c.json(
          {
            messages: items.map((r) => ({
              id: r.id,
              direction: 'inbound' as const,
              providerSid: r.providerSid,
              from: r.fromPhone,
              to: r.toPhone,
              body: r.body,
              bodyPurgedAt: r.bodyPurgedAt?.toISOString() ?? null,
              memberId: r.memberId,
              kind: r.kind,
              keyword: r.keyword,
              routeStatus: r.routeStatus,
              routedTo: r.routedTo,
              receivedAt: r.receivedAt.toISOString(),
            })),
            nextBefore,
          },
          200,
        );
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
      const { items, nextBefore } = page(rows, q.limit, (r) => r.id);
      return c.json({ messages: items.map(outboundJson), nextBefore }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const row = await db.query.messages.findFirst({ where: eq(messages.id, id) });
      if (!row)
        throw new HttpProblem({ title: 'Not found', status: 404, detail: `No outbound message ${id}.` });
      const events = await db
        .select()
        .from(messageStatusEvents)
        .where(eq(messageStatusEvents.messageId, id))
        .orderBy(asc(messageStatusEvents.id));
      return c.json(
        {
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
        },
        200,
      );
    });
}

/**
 * A live sign-in code is a credential: anyone with `messages:read` must not be able to sign in as the member with
 * it. The operator view shows the text with its digits masked (the sandbox outbox, a development tool, keeps it).
 */
export function operatorBody(kind: string, body: string): string {
  return kind === 'sign_in_code' ? body.replace(/\d/g, '•') : body;
}

function outboundJson(m: typeof messages.$inferSelect) {
  return {
    id: m.id,
    direction: 'outbound' as const,
    idempotencyKey: m.idempotencyKey,
    memberId: m.memberId,
    campaignId: m.campaignId,
    to: m.toPhone,
    kind: m.kind,
    purpose: m.purpose,
    body: operatorBody(m.kind, m.body),
    bodyPurgedAt: m.bodyPurgedAt?.toISOString() ?? null,
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
