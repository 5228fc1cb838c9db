/**
 * The audit log (issue 12 §6): who did what to whose personal data. Append-only: the only writer is db/audit.ts
 * (`recordAudit`, INSERT only) and a trigger refuses UPDATE and DELETE (migration `audit_append_only`; a future
 * retention purge must set `crewline.audit_purge = 'on'` in its own transaction to delete old rows).
 *
 * Rows never carry a message body, a name or a phone number: a subject is an id, or for a number a keyed hash
 * (HMAC-SHA-256, db/audit.ts `subjectOfPhone`).
 */
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** What was done. */
export const AUDIT_ACTIONS = [
  'member.list',
  'member.read',
  'member.create',
  'member.update',
  'member.erase',
  'mentor.read',
  'mentee.read',
  'messages.read',
  'inbox.read',
  'consent.read',
  'consent.change',
  'reflection.moderate',
  'mentorship.weights',
  'key.create',
  'key.revoke',
  'audit.read',
  'data.export',
  'data.erase',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did it: an API key (from the table, or API_KEYS: `env`), a signed-in member or mentor, or an operator tool. */
export const AUDIT_ACTOR_KINDS = ['api_key', 'env_key', 'member', 'mentor', 'operator'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

/** Whose data or which thing: an id of this kind (a phone only as its keyed hash). */
export const AUDIT_SUBJECT_KINDS = ['member', 'mentor', 'phone', 'message', 'reflection', 'api_key'] as const;
export type AuditSubjectKind = (typeof AUDIT_SUBJECT_KINDS)[number];

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorKind: text('actor_kind', { enum: AUDIT_ACTOR_KINDS }).notNull(),
    /** The API key's id (`env` for API_KEYS), the member's or mentor's id, or the operator tool's name. */
    actorId: text('actor_id').notNull(),
    /** The key's role (admin, operator, app); null for members and mentors. */
    actorRole: text('actor_role'),
    action: text('action', { enum: AUDIT_ACTIONS }).notNull(),
    subjectKind: text('subject_kind', { enum: AUDIT_SUBJECT_KINDS }),
    subjectId: text('subject_id'),
    /** The request's id (X-Request-Id), to find its log lines. */
    requestId: text('request_id'),
    /** Non-personal facts: the route, a purpose, a decision, changed field names. Never a body, name or number. */
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('audit_at_idx').on(t.at),
    index('audit_actor_idx').on(t.actorId, t.at),
    index('audit_subject_idx').on(t.subjectId, t.at),
    index('audit_action_idx').on(t.action, t.at),
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
