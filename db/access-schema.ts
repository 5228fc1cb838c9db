/**
 * Access control and abuse limits (issue 13): API keys (stored hashed; written only by db/api-keys.ts), the
 * rate-limit counters shared by every API process (written only by db/rate-limits.ts), and member/mentor sign-in:
 * one-time codes and sessions with their rotating refresh tokens (written only by db/auth.ts).
 */
import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { members } from './schema.js';

export const API_KEY_ROLES = ['admin', 'operator', 'app'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: API_KEY_ROLES }).notNull(),
    /** SHA-256 (hex) of the whole secret: the secret itself is shown once, at creation, and never stored. */
    secretHash: text('secret_hash').notNull().unique(),
    /** The first characters of the secret (`crw_ab12…`), to recognise a key in a list. */
    prefix: text('prefix').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_created_idx').on(t.createdAt)],
);

/** Fixed-window request counters: one row per (bucket, window start). Old windows are deleted as we go. */
export const rateLimitWindows = pgTable(
  'rate_limit_windows',
  {
    bucket: text('bucket').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.bucket, t.windowStart] }),
    index('rate_limit_windows_start_idx').on(t.windowStart),
  ],
);

/**
 * One-time sign-in codes sent by SMS. Only a keyed hash of the code is stored (HMAC-SHA-256 with the token secret,
 * so a copy of the table alone cannot be brute-forced over the 10^6 codes). A newer code supersedes older ones.
 */
export const signInCodes = pgTable(
  'sign_in_codes',
  {
    id: uuid('id').primaryKey(),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Wrong guesses so far; at the limit the code is dead. */
    attempts: integer('attempts').notNull().default(0),
    /** Used (signed in), or superseded by a newer code. */
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('sign_in_codes_member_idx').on(t.memberId, t.createdAt)],
);

export const SESSION_ROLES = ['member', 'mentor'] as const;
export type SessionRole = (typeof SESSION_ROLES)[number];

/** A signed-in member (or mentor): one refresh-token family. Revoking it refuses its access tokens at once. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: uuid('id').primaryKey(),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The refresh tokens' (absolute) end: no refresh after it. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** logout | refresh_token_reuse */
    revokeReason: text('revoke_reason'),
  },
  (t) => [index('auth_sessions_member_idx').on(t.memberId)],
);

/** Rotating refresh tokens: SHA-256 of a 256-bit random secret; each is used once, then replaced. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => authSessions.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when it was exchanged: presenting it again revokes its whole session (token theft). */
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

export type ApiKey = typeof apiKeys.$inferSelect;
export type SignInCode = typeof signInCodes.$inferSelect;
export type AuthSession = typeof authSessions.$inferSelect;
