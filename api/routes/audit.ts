/**
 * `GET /audit`: the audit log (db/audit.ts), newest first, for admins only (no rule in api/auth.ts ROUTE_SCOPES
 * matches it, so only the admin role may call it). Filters: actor, action, subject (an id, or a phone number,
 * hashed here as the log stores it), time range; paged by `before`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AUDIT_ACTIONS, AUDIT_ACTOR_KINDS, AUDIT_SUBJECT_KINDS } from '../../db/audit-schema.js';
import { listAudit, subjectOfPhone } from '../../db/audit.js';
import type { AppDeps } from '../deps.js';
import { createRouter, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { e164, intId, limit, MAX_BIGINT_ID, text } from '../schemas/atoms.js';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant (Z or an offset)' });

const AuditQuery = z
  .strictObject({
    actorId: text(100)
      .optional()
      .openapi({ description: 'API key id (`env` for API_KEYS), member or mentor id' }),
    actorKind: z.enum(AUDIT_ACTOR_KINDS).optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    subjectKind: z.enum(AUDIT_SUBJECT_KINDS).optional(),
    subjectId: text(100)
      .optional()
      .openapi({ description: 'A member, mentor, message, reflection or key id' }),
    phone: e164.optional().openapi({ description: 'Events about this number (matched by its keyed hash)' }),
    from: instant.optional().openapi({ description: 'Events at or after this instant' }),
    to: instant.optional().openapi({ description: 'Events before this instant' }),
    limit: limit(50, 200),
    before: intId('the nextBefore of the previous page', MAX_BIGINT_ID).optional(),
  })
  .refine((q) => !(q.phone && q.subjectId), {
    path: ['phone'],
    message: 'give either phone or subjectId, not both',
  })
  .refine((q) => !(q.from && q.to) || Date.parse(q.from) < Date.parse(q.to), {
    path: ['to'],
    message: 'must be after from',
  });

const AuditEventJson = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.object({
      kind: z.enum(AUDIT_ACTOR_KINDS),
      id: z.string(),
      role: z.string().nullable(),
    }),
    action: z.enum(AUDIT_ACTIONS),
    subject: z.object({ kind: z.enum(AUDIT_SUBJECT_KINDS), id: z.string() }).nullable(),
    requestId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEvent');

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['Audit'],
  summary: 'The audit log, newest first (admin only): who read personal data, changed consent, moderated, …',
  request: { query: AuditQuery },
  responses: {
    200: jsonResponse(
      z
        .object({ events: z.array(AuditEventJson), nextBefore: z.number().int().nullable() })
        .openapi('AuditPage'),
      'A page of audit events; pass nextBefore as before for the next one',
    ),
    ...problems(),
  },
});

export function auditRouter({ db }: AppDeps, hashKey: string) {
  return createRouter().openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listAudit(db, {
      actorId: q.actorId,
      actorKind: q.actorKind,
      action: q.action,
      subjectKind: q.phone ? 'phone' : q.subjectKind,
      subjectId: q.phone ? subjectOfPhone(hashKey, q.phone).id : q.subjectId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      before: q.before,
      limit: q.limit,
    });
    const { items, nextBefore } = page(rows, q.limit, (last) => last.id);
    return c.json(
      {
        events: items.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          actor: { kind: e.actorKind, id: e.actorId, role: e.actorRole },
          action: e.action,
          subject: e.subjectKind && e.subjectId ? { kind: e.subjectKind, id: e.subjectId } : null,
          requestId: e.requestId,
          detail: e.detail,
        })),
        nextBefore,
      },
      200,
    );
  });
}
