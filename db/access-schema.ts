/**
 * Access control and abuse limits (issue 13): API keys (stored hashed; written only by db/api-keys.ts) and the
 * rate-limit counters shared by every API process (written only by db/rate-limits.ts).
 */
import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

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

export type ApiKey = typeof apiKeys.$inferSelect;
