import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, lt } from 'drizzle-orm';
import { messages } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { createRouter, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { intId, limit, MAX_BIGINT_ID, uuid } from '../schemas/atoms.js';

const OutboxItem = z
  .object({
    id: z.number().int(),
    memberId: z.string().nullable(),
    to: z.string(),
    kind: z.string(),
    body: z.string(),
    status: z.string(),
    segments: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('SandboxMessage');

const outboxRoute = createRoute({
  method: 'get',
  path: '/outbox',
  tags: ['Development'],
  summary: 'The sandbox SMS provider\'s "sent" messages (what would have been texted without Twilio)',
  request: {
    query: z.strictObject({
      memberId: uuid('a member id').optional(),
      limit: limit(50, 200),
      before: intId('the nextBefore of the previous page', MAX_BIGINT_ID).optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ messages: z.array(OutboxItem), nextBefore: z.number().int().nullable() }),
      'A page of sandbox messages, newest first',
    ),
    ...problems(),
  },
});

/** Development helpers: the sandbox SMS outbox (what would have been texted without Twilio credentials). */
export function devRouter({ db }: AppDeps) {
  return createRouter().openapi(outboxRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.provider, 'sandbox'),
          q.memberId ? eq(messages.memberId, q.memberId) : undefined,
          q.before ? lt(messages.id, q.before) : undefined,
        ),
      )
      .orderBy(desc(messages.id))
      .limit(q.limit);
    const { items, nextBefore } = page(rows, q.limit, (m) => m.id);
    return c.json(
      {
        messages: items.map((m) => ({
          id: m.id,
          memberId: m.memberId,
          to: m.toPhone,
          kind: m.kind,
          body: m.body,
          status: m.status,
          segments: m.segments,
          createdAt: m.createdAt.toISOString(),
        })),
        nextBefore,
      },
      200,
    );
  });
}
