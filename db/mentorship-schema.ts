/**
 * Mentorship tables (issue 11): mentors, match requests, offers (each with its score breakdown and weight
 * version) and the operator's weight versions. Re-exported by db/schema.ts; written only by db/mentorship.ts.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { ScoreBreakdown, ScoreWeights, WeeklyWindow } from '../workflows/mentorship-match/score.js';
import { MATCH_STATUSES, OFFER_STATUSES } from '../workflows/mentorship-match/values.js';
import { members } from './schema.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** A mentor's profile. Their phone, name, time zone and SMS consent are their member row's (`member_id`). */
export const mentors = pgTable('mentors', {
  id: uuid('id').primaryKey(),
  memberId: uuid('member_id')
    .notNull()
    .unique()
    .references(() => members.id, { onDelete: 'cascade' }),
  expertise: text('expertise').array().notNull(),
  languages: text('languages').array().notNull(),
  availability: jsonb('availability').$type<WeeklyWindow[]>().notNull(),
  /** Mentees taken at once; 0 = not taking. The mentor workflow holds the live count. */
  capacity: integer('capacity').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** One mentee request = one match workflow. */
export const mentorshipMatches = pgTable(
  'mentorship_matches',
  {
    id: uuid('id').primaryKey(),
    menteeMemberId: uuid('mentee_member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    focusAreas: text('focus_areas').array().notNull(),
    languages: text('languages').array().notNull(),
    availability: jsonb('availability').$type<WeeklyWindow[]>().notNull(),
    shareRisk: boolean('share_risk').notNull(),
    weeks: integer('weeks').notNull(),
    status: text('status', { enum: MATCH_STATUSES }).notNull().default('requested'),
    mentorId: uuid('mentor_id').references(() => mentors.id, { onDelete: 'set null' }),
    /** Why it is in the operator queue (`unmatched`) or ended. */
    reason: text('reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('mentorship_matches_status_idx').on(t.status),
    index('mentorship_matches_mentor_idx').on(t.mentorId, t.status),
  ],
);

/** Every offer made for a match, with the breakdown and weight version that ranked it. */
export const mentorshipOffers = pgTable(
  'mentorship_offers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    matchId: uuid('match_id')
      .notNull()
      .references(() => mentorshipMatches.id, { onDelete: 'cascade' }),
    mentorId: uuid('mentor_id')
      .notNull()
      .references(() => mentors.id, { onDelete: 'cascade' }),
    rank: integer('rank').notNull(),
    score: doublePrecision('score').notNull(),
    breakdown: jsonb('breakdown').$type<ScoreBreakdown>().notNull(),
    weightsVersion: text('weights_version').notNull(),
    status: text('status', { enum: OFFER_STATUSES }).notNull(),
    reason: text('reason'),
    offeredAt: timestamp('offered_at', { withTimezone: true }).notNull(),
    deadlineAt: timestamp('deadline_at', { withTimezone: true }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('mentorship_offers_match_mentor_uq').on(t.matchId, t.mentorId)],
);

/** Operator-set score weights; the newest version ranks new requests. */
export const mentorshipWeights = pgTable('mentorship_weights', {
  version: text('version').primaryKey(),
  weights: jsonb('weights').$type<ScoreWeights>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true })
    .notNull()
    .default(sql`clock_timestamp()`),
});

export type Mentor = typeof mentors.$inferSelect;
export type MentorshipMatch = typeof mentorshipMatches.$inferSelect;
