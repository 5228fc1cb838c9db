/**
 * The audit middleware (issue 12 §6): after an authenticated request succeeds (2xx), the routes below record who
 * (api/auth.ts `identityOf`: API key id and role, or the signed-in member/mentor) did what to whom, in the
 * append-only audit log (db/audit.ts). One declarative table instead of calls in every handler, so a new route
 * that reads personal data is audited by adding one line here.
 *
 * A read of personal data is never answered unaudited: if the audit row cannot be written, the caller gets a 503
 * instead of the data. A change that already happened keeps its answer (its own ledger holds it) and the failure
 * is logged without personal data.
 *
 * Subjects are ids; a phone number only as its keyed hash (`subjectOfPhone`). `detail` holds the route and
 * non-personal facts (a purpose, a decision, which fields changed) — never a body, name or number.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuditAction, AuditSubjectKind } from '../db/audit-schema.js';
import { recordAudit, subjectOfPhone, type AuditEntry } from '../db/audit.js';
import type { Db } from '../db/client.js';
import { identityOf } from './auth.js';
import { problem } from './problem.js';
import { requestIdOf } from './request-id.js';

type Subject = { kind: AuditSubjectKind; id: string } | null;

interface AuditRule {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: RegExp;
  action: AuditAction;
  /** A read of personal data: fail closed (503) when it cannot be audited. */
  read: boolean;
  subject?: (m: RegExpExecArray, io: AuditIo) => Promise<Subject> | Subject;
  detail?: (io: AuditIo) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

interface AuditIo {
  c: Context;
  hashKey: string;
  /** The request's JSON body (already parsed and cached by the route's validator). */
  body: () => Promise<Record<string, unknown>>;
  /** The response's JSON body. */
  response: () => Promise<Record<string, unknown>>;
}

const ID = '([^/]+)';
const re = (s: string) => new RegExp(`^${s}/?$`);
const param =
  (kind: AuditSubjectKind, i = 1) =>
  (m: RegExpExecArray) => ({ kind, id: m[i]! });
const queryMember = ({ c }: AuditIo): Subject => {
  const id = c.req.query('memberId');
  return id ? { kind: 'member', id } : null;
};
const pick = (o: Record<string, unknown>, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));

/** Audited routes, first match wins. */
export const AUDITED_ROUTES: readonly AuditRule[] = [
  // Personal data read (members, mentors, their messages and consent).
  { method: 'GET', path: re('/members'), action: 'member.list', read: true },
  {
    method: 'GET',
    path: re(`/members/${ID}(?:/[^/]+)*`),
    action: 'member.read',
    read: true,
    subject: param('member'),
  },
  { method: 'GET', path: re(`/mentors/${ID}`), action: 'mentor.read', read: true, subject: param('mentor') },
  {
    method: 'GET',
    path: re(`/me/mentees/${ID}`),
    action: 'mentee.read',
    read: true,
    subject: param('member'),
  },
  {
    method: 'GET',
    path: re('/messages'),
    action: 'messages.read',
    read: true,
    subject: (_m, io) => queryMember(io),
  },
  {
    method: 'GET',
    path: re(`/messages/${ID}`),
    action: 'messages.read',
    read: true,
    subject: param('message'),
  },
  { method: 'GET', path: re('/inbox'), action: 'inbox.read', read: true },
  {
    method: 'GET',
    path: re(`/consent/${ID}`),
    action: 'consent.read',
    read: true,
    subject: (m, io) => subjectOfPhone(io.hashKey, decodeURIComponent(m[1]!)),
  },
  { method: 'GET', path: re('/audit'), action: 'audit.read', read: true },
  {
    // Everything about a person (issue 12 §1): by member id, or by number (kept as its keyed hash).
    method: 'POST',
    path: re('/privacy/exports'),
    action: 'data.export',
    read: true,
    subject: async (_m, io) => {
      const b = await io.body();
      if (typeof b.memberId === 'string') return { kind: 'member', id: b.memberId };
      return typeof b.phone === 'string' ? subjectOfPhone(io.hashKey, b.phone) : null;
    },
  },
  // Changes.
  {
    // Erasure by number (issue 12): who asked, the number only as its keyed hash, and the erasure's id.
    method: 'POST',
    path: re('/privacy/erasures'),
    action: 'data.erase',
    read: false,
    subject: async (_m, io) => {
      const phone = (await io.body()).phone;
      return typeof phone === 'string' ? subjectOfPhone(io.hashKey, phone) : null;
    },
    detail: async (io) => pick(await io.response(), ['id']),
  },
  {
    method: 'POST',
    path: re('/consent'),
    action: 'consent.change',
    read: false,
    subject: async (_m, io) => {
      const phone = (await io.body()).phone;
      return typeof phone === 'string' ? subjectOfPhone(io.hashKey, phone) : null;
    },
    detail: async (io) => pick(await io.body(), ['purpose', 'action', 'source']),
  },
  {
    // A member revokes or gives back one purpose (api/routes/consent.ts `meConsentRouter`).
    method: 'POST',
    path: re('/me/consent'),
    action: 'consent.change',
    read: false,
    subject: (_m, { c }) => {
      const identity = identityOf(c);
      return identity?.kind === 'member' ? { kind: 'member', id: identity.memberId } : null;
    },
    detail: async (io) => pick(await io.body(), ['purpose', 'action']),
  },
  {
    method: 'POST',
    path: re('/members'),
    action: 'member.create',
    read: false,
    subject: async (_m, io) => {
      const id = (await io.response()).id;
      return typeof id === 'string' ? { kind: 'member', id } : null;
    },
  },
  {
    method: 'PATCH',
    path: re(`/members/${ID}`),
    action: 'member.update',
    read: false,
    subject: param('member'),
    detail: async (io) => ({ fields: Object.keys(await io.body()).sort() }),
  },
  {
    method: 'DELETE',
    path: re(`/members/${ID}`),
    action: 'member.erase',
    read: false,
    subject: param('member'),
  },
  {
    method: 'POST',
    path: re(`/challenges/${ID}/reflections/${ID}/moderation`),
    action: 'reflection.moderate',
    read: false,
    subject: param('reflection', 2),
    detail: async (io) => ({
      challengeId: /challenges\/([^/]+)/.exec(io.c.req.path)?.[1],
      ...pick(await io.body(), ['decision']),
    }),
  },
  {
    method: 'POST',
    path: re('/mentorship/weights'),
    action: 'mentorship.weights',
    read: false,
    detail: async (io) => pick(await io.body(), ['version', 'weights']),
  },
  {
    method: 'POST',
    path: re('/keys'),
    action: 'key.create',
    read: false,
    subject: async (_m, io) => {
      const id = (await io.response()).id;
      return typeof id === 'string' ? { kind: 'api_key', id } : null;
    },
    detail: async (io) => pick(await io.response(), ['role']),
  },
  { method: 'DELETE', path: re(`/keys/${ID}`), action: 'key.revoke', read: false, subject: param('api_key') },
];

function findRule(method: string, path: string): { rule: AuditRule; match: RegExpExecArray } | null {
  for (const rule of AUDITED_ROUTES) {
    const match = rule.method === method ? rule.path.exec(path) : null;
    if (match) return { rule, match };
  }
  return null;
}

/** The route without its ids (any segment with a digit in it: uuids, numbers, phone numbers). */
const routeShape = (path: string) => path.replace(/\/[^/]*\d[^/]*/g, '/{id}');

/** Development only: the audit hashes' key when neither PRIVACY_HASH_KEY nor a token secret is configured. */
const DEVELOPMENT_HASH_KEY = 'crewline-development-audit-hash-key';

/** The key of the audit log's phone hashes (api/deps.ts `privacy`). */
export const auditHashKey = (config: {
  privacy?: { hashKey?: string | undefined };
  auth?: { tokenSecret?: string | undefined };
}): string => config.privacy?.hashKey ?? config.auth?.tokenSecret ?? DEVELOPMENT_HASH_KEY;

/** The actor of an authenticated request, as the audit log names it. */
function actorOf(c: Context): Pick<AuditEntry, 'actorKind' | 'actorId' | 'actorRole'> | null {
  const who = identityOf(c);
  if (!who) return null;
  if (who.kind === 'member') return { actorKind: who.mentor ? 'mentor' : 'member', actorId: who.memberId };
  return { actorKind: who.kind === 'env-key' ? 'env_key' : 'api_key', actorId: who.id, actorRole: who.role };
}

export function auditMiddleware(deps: {
  db: Db;
  hashKey: string;
  logger: { error: (o: object, m: string) => void };
}): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status < 200 || c.res.status >= 300) return;
    const method = c.req.method.toUpperCase() === 'HEAD' ? 'GET' : c.req.method.toUpperCase();
    const found = findRule(method, c.req.path);
    const actor = actorOf(c);
    if (!found || !actor) return;
    const { rule, match } = found;
    const res = c.res;
    const io: AuditIo = {
      c,
      hashKey: deps.hashKey,
      body: async () => {
        try {
          // The validated body (with its defaults), else the raw JSON.
          const req = c.req as unknown as { valid: (target: 'json') => unknown };
          const b: unknown = req.valid('json') ?? (await c.req.json());
          return b && typeof b === 'object' ? (b as Record<string, unknown>) : {};
        } catch {
          return {};
        }
      },
      response: async () => {
        try {
          const b: unknown = await res.clone().json();
          return b && typeof b === 'object' ? (b as Record<string, unknown>) : {};
        } catch {
          return {};
        }
      },
    };
    try {
      await recordAudit(deps.db, {
        ...actor,
        action: rule.action,
        subject: rule.subject ? await rule.subject(match, io) : null,
        requestId: requestIdOf(c) ?? null,
        detail: {
          route: `${method} ${routeShape(c.req.path)}`,
          ...(rule.detail ? await rule.detail(io) : {}),
        },
      });
    } catch (err) {
      deps.logger.error({ action: rule.action, err: (err as Error).name }, 'audit event not recorded');
      if (rule.read) {
        c.res = problem(c, {
          title: 'Service unavailable',
          status: 503,
          detail: 'The read could not be recorded in the audit log; no data was returned. Retry shortly.',
        });
      }
    }
  };
}
