/**
 * Who is calling and what they may do (issue 13). One middleware (`accessControl`) runs before every route but
 * the public ones:
 *
 * 1. per-IP rate limit (before the key is even looked at, so guessing keys is limited too);
 * 2. authentication: a key from `API_KEYS` (development and tests: role `admin`) or an active key from the
 *    `api_keys` table (stored hashed) → else 401;
 * 3. per-key rate limit → 429 with `Retry-After`;
 * 4. authorisation: the route's scope (`ROUTE_SCOPES`, first match; a route not listed needs `admin`) must be one
 *    of the role's scopes (`ROLE_SCOPES`) → else 403.
 *
 * A member or mentor signs in by one-time code (api/routes/auth.ts) and calls with a short-lived JWT instead of
 * a key (api/tokens.ts): it must verify (HS256 only, our issuer and audience, not expired) and its session must
 * be live (not logged out, not revoked for refresh-token reuse, member not erased) → else 401. A member token
 * reaches only `/me` routes (403 elsewhere), counted per member against the per-key limit; the `/me` handlers
 * read only the token's own member (and, for a mentor, their active mentees). API keys may not call `/me`.
 * `/auth/*` (sign-in itself) needs no credential but is counted per address; its code requests have limits of
 * their own per phone and per address.
 *
 * Limits are counted in Postgres (db/rate-limits.ts), so several API processes share them.
 */
import { timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { findActiveApiKey } from '../db/api-keys.js';
import type { ApiKeyRole } from '../db/access-schema.js';
import { isLiveSession } from '../db/auth.js';
import { hitRateLimit } from '../db/rate-limits.js';
import type { AppDeps } from './deps.js';
import { problem } from './problem.js';
import { looksLikeJwt, type TokenService } from './tokens.js';

export const SCOPES = [
  'members:read',
  'members:write',
  'members:erase',
  'messages:read',
  'consent:read',
  'consent:write',
  'programs:manage',
  'keys:manage',
  'metrics:read',
  'dev:read',
  'payloads:decode',
] as const;
export type Scope = (typeof SCOPES)[number];

/** What each role may do. `admin` may do everything, including what no rule lists. */
export const ROLE_SCOPES: Record<ApiKeyRole, readonly Scope[]> = {
  admin: SCOPES,
  // Manage crews, campaigns, mentorship; read members and their messages; watch the service.
  operator: [
    'members:read',
    'messages:read',
    'consent:read',
    'programs:manage',
    'metrics:read',
    'dev:read',
    'payloads:decode',
  ],
  // The client app's server: members and their own data (no erasure, no export, no keys).
  app: ['members:read', 'members:write', 'consent:read', 'consent:write'],
};

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | '*';
export interface ScopeRule {
  method: Method;
  path: RegExp;
  scope: Scope;
}

const rule = (method: Method, path: RegExp, scope: Scope): ScopeRule => ({ method, path, scope });
const ID = '[^/]+';

/** Route → required scope, first match wins. A route no rule matches needs the admin role. */
export const ROUTE_SCOPES: readonly ScopeRule[] = [
  rule('DELETE', new RegExp(`^/members/${ID}/?$`), 'members:erase'),
  rule('GET', /^\/members(\/|$)/, 'members:read'),
  rule('*', /^\/members(\/|$)/, 'members:write'),
  rule('GET', /^\/(messages|inbox)(\/|$)/, 'messages:read'),
  rule('GET', /^\/consent(\/|$)/, 'consent:read'),
  rule('*', /^\/consent(\/|$)/, 'consent:write'),
  // Crews and challenges, guest lists and campaigns, mentors and mentorship: operators manage them.
  rule('*', /^\/(crews|challenges|campaigns|guest-lists|mentorships?|mentors)(\/|$)/, 'programs:manage'),
  rule('*', /^\/keys(\/|$)/, 'keys:manage'),
  rule('GET', /^\/metrics\/?$/, 'metrics:read'),
  rule('GET', /^\/dev(\/|$)/, 'dev:read'),
  // The Temporal Web UI's and CLI's codec endpoint: decoded histories hold personal data (issue 12).
  rule('POST', /^\/codec\/(encode|decode)$/, 'payloads:decode'),
];

/** The scope a request needs, or undefined when only an admin may call it. */
export function requiredScope(method: string, path: string): Scope | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return ROUTE_SCOPES.find((r) => (r.method === '*' || r.method === m) && r.path.test(path))?.scope;
}

export function roleAllows(role: ApiKeyRole, scope: Scope | undefined): boolean {
  return role === 'admin' || (scope !== undefined && ROLE_SCOPES[role].includes(scope));
}

export type Identity =
  | {
      kind: 'env-key' | 'api-key';
      /** The key's id (`env` for an API_KEYS key): the rate-limit bucket and, later, the audit log's actor. */
      id: string;
      role: ApiKeyRole;
    }
  | {
      /** A signed-in member (or mentor) with an access token. */
      kind: 'member';
      /** The session id. */
      id: string;
      memberId: string;
      /** The token was issued to a mentor: `/me/mentees` routes are open to it. */
      mentor: boolean;
    };

/** Routes a member token may call (and only a member token): their own data. */
export const MEMBER_PATHS = /^\/me(\/|$)/;
/** Sign-in itself: no credential, counted per address. */
export const SIGN_IN_PATHS = /^\/auth\//;

const identities = new WeakMap<Context, Identity>();
/** The caller of an authenticated request. */
export const identityOf = (c: Context): Identity | undefined => identities.get(c);

function envKeyMatches(given: string, keys: string[]): boolean {
  const a = Buffer.from(given);
  return keys.some((k) => {
    const b = Buffer.from(k);
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

/** The client's address: the socket's, or with `trustProxy` the address our proxy appended to X-Forwarded-For. */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // no socket (in-process requests)
  }
}

function tooMany(c: Context, retryAfterSeconds: number, what: string): Response {
  const res = problem(c, {
    title: 'Too many requests',
    status: 429,
    detail: `Too many requests ${what}; retry after ${retryAfterSeconds} s.`,
  });
  res.headers.set('retry-after', String(retryAfterSeconds));
  return res;
}

function unauthorized(c: Context, detail: string): Response {
  const res = problem(c, { title: 'Unauthorized', status: 401, detail });
  res.headers.set('www-authenticate', 'Bearer');
  return res;
}

export function accessControl(
  deps: AppDeps,
  isPublicPath: (path: string) => boolean,
  tokens?: TokenService,
): MiddlewareHandler {
  const { db, config } = deps;
  const limits = config.rateLimits;
  const window = limits?.windowSeconds ?? 60;
  return async (c, next) => {
    if (isPublicPath(c.req.path)) return next();

    if (limits && Number.isFinite(limits.perIpPerMinute)) {
      const ip = clientIp(c, config.trustProxy ?? false);
      const hit = await hitRateLimit(db, `ip:${ip}`, limits.perIpPerMinute, window);
      if (!hit.allowed) return tooMany(c, hit.retryAfterSeconds, 'from this address');
    }

    if (SIGN_IN_PATHS.test(c.req.path)) return next();

    const match = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
    const secret = match?.[1]?.trim();
    if (!secret) return unauthorized(c, 'Send an API key as "Authorization: Bearer <key>".');
    // A JWT is a member token (an API_KEYS value that happens to look like one stays a key).
    if (looksLikeJwt(secret) && !envKeyMatches(secret, config.apiKeys)) return memberAccess(c, next, secret);
    let identity: Exclude<Identity, { kind: 'member' }> | undefined;
    if (envKeyMatches(secret, config.apiKeys)) {
      identity = { kind: 'env-key', id: 'env', role: 'admin' };
    } else {
      const key = await findActiveApiKey(db, secret);
      if (key) identity = { kind: 'api-key', id: key.id, role: key.role };
    }
    if (!identity) return unauthorized(c, 'The API key is not valid (unknown or revoked).');

    if (limits && Number.isFinite(limits.perKeyPerMinute)) {
      const hit = await hitRateLimit(db, `key:${identity.id}`, limits.perKeyPerMinute, window);
      if (!hit.allowed) return tooMany(c, hit.retryAfterSeconds, 'for this key');
    }

    if (MEMBER_PATHS.test(c.req.path)) {
      return problem(c, {
        title: 'Forbidden',
        status: 403,
        detail: `A key with the role "${identity.role}" may not call /me routes: they need a member or mentor access token (POST /auth/otp/verify).`,
      });
    }
    if (!roleAllows(identity.role, requiredScope(c.req.method, c.req.path))) {
      return problem(c, {
        title: 'Forbidden',
        status: 403,
        detail: `A key with the role "${identity.role}" may not call ${c.req.method} ${c.req.path}.`,
      });
    }
    identities.set(c, identity);
    return next();
  };

  async function memberAccess(c: Context, next: () => Promise<void>, token: string) {
    const claims = tokens && (await tokens.verifyAccessToken(token));
    if (!claims) return unauthorized(c, 'The access token is not valid (expired, altered or not ours).');
    if (!(await isLiveSession(db, claims.sessionId, claims.memberId))) {
      return unauthorized(c, 'The session of this access token has ended (logged out or revoked).');
    }
    if (limits && Number.isFinite(limits.perKeyPerMinute)) {
      const hit = await hitRateLimit(db, `member:${claims.memberId}`, limits.perKeyPerMinute, window);
      if (!hit.allowed) return tooMany(c, hit.retryAfterSeconds, 'for this member');
    }
    if (!MEMBER_PATHS.test(c.req.path)) {
      return problem(c, {
        title: 'Forbidden',
        status: 403,
        detail: `A member token may call only /me routes, not ${c.req.method} ${c.req.path}.`,
      });
    }
    identities.set(c, {
      kind: 'member',
      id: claims.sessionId,
      memberId: claims.memberId,
      mentor: claims.scopes.includes('mentor'),
    });
    return next();
  }
}

/** The signed-in member of a `/me` request (the access check put it there). */
export function memberOf(c: Context): Extract<Identity, { kind: 'member' }> {
  const identity = identityOf(c);
  if (identity?.kind !== 'member') throw new Error('memberOf: not a member request');
  return identity;
}
