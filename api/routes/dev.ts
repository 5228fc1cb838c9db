import { and, desc, eq, lt } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { messages } from '../../db/schema.js';
import type { AppDeps } from '../app.js';
import { validate } from '../problem.js';

/** Development helpers: the sandbox SMS outbox (what would have been texted without Twilio credentials). */
export function devRouter({ db }: AppDeps) {
  return new Hono().get(
    '/outbox',
    validate(
      'query',
      z.object({
        memberId: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().positive().optional(),
      }),
    ),
    async (c) => {
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
      return c.json({
        messages: rows.map((m) => ({
          id: m.id,
          memberId: m.memberId,
          to: m.toPhone,
          kind: m.kind,
          body: m.body,
          status: m.status,
          segments: m.segments,
          createdAt: m.createdAt.toISOString(),
        })),
        nextBefore: rows.length === q.limit ? rows[rows.length - 1]?.id : null,
      });
    },
  );
}
