/**
 * The minimal erasure record (issue 12 §2): when a person was erased, who asked, and a keyed hash of their number
 * (HMAC-SHA-256 with PRIVACY_HASH_KEY, db/erasure.ts `phoneHash`) — never the number itself. The hash is what
 * lets an opt-out survive erasure: the suppression reasons in force at erasure are kept here, and the send gate
 * and campaign imports look a number up by its hash (db/consent.ts `consentState`).
 */
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const ERASURE_STATUSES = ['running', 'done'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/** The steps of an erasure, in order (the workflow's progress; values shown by the API). */
export const ERASURE_STEPS = ['workflows', 'member', 'rows', 'shred', 'done'] as const;
export type ErasureStep = (typeof ERASURE_STEPS)[number];

export const erasures = pgTable(
  'erasures',
  {
    id: uuid('id').primaryKey(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    /** Who asked: `<actor kind>:<actor id>` (an API key id or `env`, an operator), never a person's data. */
    requestedBy: text('requested_by').notNull(),
    /** HMAC-SHA-256 (hex) of the E.164 number under the privacy hash key. */
    phoneHash: text('phone_hash').notNull(),
    /** Suppression reasons the number had when it was erased (e.g. opt_out): they keep applying to the hash. */
    suppressed: text('suppressed').array().notNull().default([]),
    status: text('status', { enum: ERASURE_STATUSES }).notNull().default('running'),
    /** The last step done (ERASURE_STEPS), or null before the first. */
    step: text('step', { enum: ERASURE_STEPS }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('erasures_phone_hash_idx').on(t.phoneHash)],
);

export type Erasure = typeof erasures.$inferSelect;
