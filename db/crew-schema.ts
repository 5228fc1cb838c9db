/**
 * Crews and their memberships, and the challenges a crew runs (the `crew-challenge-<id>` workflow holds the
 * challenge's state; the row is its directory). Written only through db/crews.ts.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { members } from './schema.js';

export const CREW_ROLES = ['organiser', 'member'] as const;

export const crews = pgTable(
  'crews',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    purpose: text('purpose').notNull(),
    /** Most members at once (3–30). */
    maxSize: integer('max_size').notNull(),
    /** Listed by GET /crews and open to anyone; otherwise invite-only (the join code is needed). */
    joinable: boolean('joinable').notNull(),
    /** Needed to join an invite-only crew (by API or `JOIN <code>`). */
    joinCode: text('join_code').notNull(),
    /** The crew's zone: its default prompt time and its Monday morning. */
    timezone: text('timezone').notNull(),
    /** k-anonymity threshold of the crew pulse (≥ 5). */
    pulseK: integer('pulse_k').notNull().default(5),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('crews_join_code').on(t.joinCode),
    index('crews_joinable_idx')
      .on(t.createdAt, t.id)
      .where(sql`joinable`),
  ],
);

export const crewMembers = pgTable(
  'crew_members',
  {
    crewId: uuid('crew_id')
      .notNull()
      .references(() => crews.id, { onDelete: 'cascade' }),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    role: text('role', { enum: CREW_ROLES }).notNull().default('member'),
    /** Consent to share anonymised pulses (required to join) and, separately, reflections; in the ledger too. */
    sharePulses: boolean('share_pulses').notNull(),
    shareReflections: boolean('share_reflections').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when the member left; a later join clears it. */
    leftAt: timestamp('left_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.crewId, t.memberId] }), index('crew_members_member_idx').on(t.memberId)],
);

export const crewChallenges = pgTable(
  'crew_challenges',
  {
    id: uuid('id').primaryKey(),
    crewId: uuid('crew_id')
      .notNull()
      .references(() => crews.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    days: integer('days').notNull(),
    /** Day 1 of the challenge, as a local date in each member's own zone. */
    startDate: date('start_date').notNull(),
    minSize: integer('min_size').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('crew_challenges_crew_idx').on(t.crewId, t.createdAt)],
);

export type Crew = typeof crews.$inferSelect;
export type CrewMember = typeof crewMembers.$inferSelect;
export type CrewChallenge = typeof crewChallenges.$inferSelect;
