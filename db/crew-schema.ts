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
import { TONES } from '../workflows/member/values.js';
import { CREW_DEFAULT_TONE } from '../workflows/crew-challenge/tone.js';

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
    /** The voice of the crew's AI texts (weekly challenge, summary narrative): the member tone values. */
    tone: text('tone', { enum: TONES }).notNull().default(CREW_DEFAULT_TONE),
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

/** A reflection's life: held for review, shared with the crew, hidden (flags or an operator), or expired unreviewed. */
export const REFLECTION_STATUSES = ['pending_review', 'shared', 'hidden', 'expired'] as const;
export type ReflectionStatus = (typeof REFLECTION_STATUSES)[number];
/** Who decided: moderation (automatic), two members' flags, an operator, or the review timeout. */
export const REFLECTION_DECIDERS = ['moderation', 'flags', 'operator', 'timeout'] as const;

/**
 * Crew reflections, stored REDACTED only (the raw text is never written): one per member and challenge day.
 * Shown to the crew when `shared`; the author also sees their own in any status.
 */
export const crewReflections = pgTable(
  'crew_reflections',
  {
    id: uuid('id').primaryKey(),
    challengeId: uuid('challenge_id')
      .notNull()
      .references(() => crewChallenges.id, { onDelete: 'cascade' }),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    /** The challenge day (1-based) the answer counted for. */
    day: integer('day').notNull(),
    text: text('text').notNull(),
    status: text('status', { enum: REFLECTION_STATUSES }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** A `pending_review` reflection not decided by then is `expired` (checked on read). */
    reviewBy: timestamp('review_by', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('crew_reflections_one_per_day').on(t.challengeId, t.memberId, t.day),
    index('crew_reflections_challenge_idx').on(t.challengeId, t.createdAt),
  ],
);

/** Flags by crew members: one per member and reflection. */
export const crewReflectionFlags = pgTable(
  'crew_reflection_flags',
  {
    reflectionId: uuid('reflection_id')
      .notNull()
      .references(() => crewReflections.id, { onDelete: 'cascade' }),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    via: text('via', { enum: ['api', 'sms'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.reflectionId, t.memberId] })],
);

/** Every decision on a reflection, with its reason (kept; never deleted with a status change). */
export const crewReflectionDecisions = pgTable(
  'crew_reflection_decisions',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    reflectionId: uuid('reflection_id')
      .notNull()
      .references(() => crewReflections.id, { onDelete: 'cascade' }),
    status: text('status', { enum: REFLECTION_STATUSES }).notNull(),
    decidedBy: text('decided_by', { enum: REFLECTION_DECIDERS }).notNull(),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('crew_reflection_decisions_idx').on(t.reflectionId, t.id)],
);

export type Crew = typeof crews.$inferSelect;
export type CrewReflection = typeof crewReflections.$inferSelect;
export type CrewReflectionDecision = typeof crewReflectionDecisions.$inferSelect;
export type CrewMember = typeof crewMembers.$inferSelect;
export type CrewChallenge = typeof crewChallenges.$inferSelect;
