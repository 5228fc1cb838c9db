/**
 * The operator inbox: inbound texts by routing status. `GET /inbox?status=unrouted` lists the texts no workflow
 * owns (no open conversation expectation, no member with that phone; media-only MMS), newest first, with a
 * cursor. Declared with @hono/zod-openapi so it appears in the OpenAPI document.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Db } from '../../db/client.js';
import { listInbox } from '../../db/inbound.js';
import { problem } from '../problem.js';

const ROUTE_STATUSES = ['unrouted', 'pending', 'routing', 'routed'] as const;

const InboxQuery = z.strictObject({
  status: z.enum(ROUTE_STATUSES).default('unrouted').openapi({
    description:
      'unrouted: no workflow owns it; pending: waiting for Temporal (delivered by the drainer); routing: being delivered now; routed',
  }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ description: 'Cursor: `nextBefore` of the previous page.' }),
});

const InboxMessage = z
  .object({
    id: z.number().int(),
    from: z.string(),
    to: z.string(),
    body: z.string(),
    numMedia: z.number().int(),
    kind: z.enum(['opt_out', 'opt_in', 'help', 'message']),
    keyword: z.string().nullable(),
    optOutType: z.string().nullable(),
    memberId: z.string().nullable(),
    routeStatus: z.enum(ROUTE_STATUSES),
    routedTo: z.string().nullable(),
    receivedAt: z.string(),
  })
  .openapi('InboxMessage');

const InboxPage = z
  .object({ messages: z.array(InboxMessage), nextBefore: z.number().int().nullable() })
  .openapi('InboxPage');

const ProblemJson = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('InboxProblem');

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Inbound texts by routing status (the unrouted ones by default)',
  tags: ['inbox'],
  security: [{ bearerAuth: [] }],
  request: { query: InboxQuery },
  responses: {
    200: {
      description: 'A page of inbound texts, newest first',
      content: { 'application/json': { schema: InboxPage } },
    },
    400: { description: 'Invalid query', content: { 'application/problem+json': { schema: ProblemJson } } },
    401: {
      description: 'Missing or wrong API key',
      content: { 'application/problem+json': { schema: ProblemJson } },
    },
  },
});

export function inboxRouter({ db }: { db: Db }) {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const errors = result.error.issues.map((i) => ({
        field: i.path.length ? i.path.join('.') : 'query',
        message: i.message,
      }));
      return problem(c, {
        title: 'Invalid request',
        status: 400,
        detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        errors,
      });
    },
  });
  return app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listInbox(db, q);
    return c.json(
      {
        messages: rows.map((r) => ({
          id: r.id,
          from: r.fromPhone,
          to: r.toPhone,
          body: r.body,
          numMedia: r.numMedia,
          kind: r.kind,
          keyword: r.keyword,
          optOutType: r.optOutType,
          memberId: r.memberId,
          routeStatus: r.routeStatus,
          routedTo: r.routedTo,
          receivedAt: r.receivedAt.toISOString(),
        })),
        nextBefore: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
      },
      200,
    );
  });
}
