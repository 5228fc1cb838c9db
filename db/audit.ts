/**
 * The audit log's one writer (INSERT only; the table refuses UPDATE and DELETE) and its reader.
 * See db/audit-schema.ts for what a row may hold.
 */
import { createHmac } from 'node:crypto';
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import {
  auditEvents,
  type AuditAction,
  type AuditActorKind,
  type AuditEvent,
  type AuditSubjectKind,
} from './audit-schema.js';

export interface AuditEntry {
  actorKind: AuditActorKind;
  actorId: string;
  actorRole?: string | null;
  action: AuditAction;
  subject?: { kind: AuditSubjectKind; id: string } | null;
  requestId?: string | null;
  detail?: Record<string, unknown>;
}

/**
 * A phone number as an audit subject: HMAC-SHA-256 under a server secret (hex, 32 characters), so the log can be
 * searched for one number without holding it, and a copy of the table alone cannot be reversed by trying numbers.
 */
export function subjectOfPhone(hashKey: string, phone: string): { kind: 'phone'; id: string } {
  return { kind: 'phone', id: createHmac('sha256', hashKey).update(phone).digest('hex').slice(0, 32) };
}

export async function recordAudit(db: Pick<Db, 'insert'>, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    actorKind: entry.actorKind,
    actorId: entry.actorId,
    actorRole: entry.actorRole ?? null,
    action: entry.action,
    subjectKind: entry.subject?.kind ?? null,
    subjectId: entry.subject?.id ?? null,
    requestId: entry.requestId ?? null,
    detail: entry.detail ?? {},
  });
}

export interface AuditFilter {
  actorId?: string | undefined;
  actorKind?: AuditActorKind | undefined;
  action?: AuditAction | undefined;
  subjectKind?: AuditSubjectKind | undefined;
  subjectId?: string | undefined;
  /** Inclusive lower and exclusive upper bound on `at`. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Cursor: rows with a smaller id (the previous page's last id). */
  before?: number | undefined;
  limit: number;
}

/** Newest first. */
export async function listAudit(db: Db, f: AuditFilter): Promise<AuditEvent[]> {
  const where: SQL[] = [];
  if (f.actorId !== undefined) where.push(eq(auditEvents.actorId, f.actorId));
  if (f.actorKind !== undefined) where.push(eq(auditEvents.actorKind, f.actorKind));
  if (f.action !== undefined) where.push(eq(auditEvents.action, f.action));
  if (f.subjectKind !== undefined) where.push(eq(auditEvents.subjectKind, f.subjectKind));
  if (f.subjectId !== undefined) where.push(eq(auditEvents.subjectId, f.subjectId));
  if (f.from !== undefined) where.push(gte(auditEvents.at, f.from));
  if (f.to !== undefined) where.push(lt(auditEvents.at, f.to));
  if (f.before !== undefined) where.push(lt(auditEvents.id, f.before));
  return db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.id))
    .limit(f.limit);
}
