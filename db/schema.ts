/**
 * Postgres schema (drizzle). Migrations are generated from this file with `npm run db:generate`
 * and committed under db/migrations.
 */
import { relations, sql } from 'drizzle-orm';
import {
  bigserial,
  bigint,
  date,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const members = pgTable('members', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  phone: text('phone').notNull().unique(),
  timezone: text('timezone').notNull(),
  /** Local wall-clock time of the daily check-in prompt, "HH:MM". */
  checkInTime: text('check_in_time').notNull(),
  tone: text('tone', { enum: ['friendly', 'tough_love', 'calm'] })
    .notNull()
    .default('friendly'),
  status: text('status', { enum: ['active', 'paused', 'opted_out', 'erased'] })
    .notNull()
    .default('active'),
  currentStreak: integer('current_streak').notNull().default(0),
  longestStreak: integer('longest_streak').notNull().default(0),
  lastCheckInDate: date('last_check_in_date'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const checkIns = pgTable(
  'check_ins',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    /** 0 = the member's default habit; goal ids come with the member-journey work. */
    goalId: integer('goal_id').notNull().default(0),
    /** The member's local date this check-in is for. */
    localDate: date('local_date').notNull(),
    status: text('status', { enum: ['done', 'not_done', 'missed', 'rest'] }).notNull(),
    reflection: text('reflection'),
    mood: smallint('mood'),
    inboundMessageId: bigint('inbound_message_id', { mode: 'number' }),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('check_ins_member_goal_date').on(t.memberId, t.goalId, t.localDate)],
);

/** Outbound SMS outbox: a row exists (keyed by a business idempotency key) before the provider is called. */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    memberId: uuid('member_id').references(() => members.id, { onDelete: 'set null' }),
    toPhone: text('to_phone').notNull(),
    fromPhone: text('from_phone'),
    body: text('body').notNull(),
    kind: text('kind').notNull(),
    purpose: text('purpose', { enum: ['transactional', 'marketing'] })
      .notNull()
      .default('transactional'),
    provider: text('provider', { enum: ['twilio', 'sandbox'] }).notNull(),
    providerSid: text('provider_sid').unique(),
    /** pending → sending → queued/sent/delivered… ; dropped = never sent (compliance). */
    status: text('status').notNull().default('pending'),
    segments: integer('segments').notNull().default(1),
    errorCode: integer('error_code'),
    errorMessage: text('error_message'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('messages_member_idx').on(t.memberId, t.createdAt),
    index('messages_status_idx').on(t.status),
  ],
);

/** Raw inbound SMS, persisted before anything else happens; Twilio retries are deduplicated on MessageSid. */
export const inboundMessages = pgTable(
  'inbound_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    providerSid: text('provider_sid').notNull().unique(),
    fromPhone: text('from_phone').notNull(),
    toPhone: text('to_phone').notNull(),
    body: text('body').notNull(),
    memberId: uuid('member_id').references(() => members.id, { onDelete: 'set null' }),
    /** pending: not yet delivered to a workflow; routed; unrouted: no workflow owns it. */
    routeStatus: text('route_status', { enum: ['pending', 'routed', 'unrouted'] })
      .notNull()
      .default('pending'),
    routedTo: text('routed_to'),
    routeAttempts: integer('route_attempts').notNull().default(0),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    routedAt: timestamp('routed_at', { withTimezone: true }),
  },
  (t) => [
    index('inbound_pending_idx')
      .on(t.receivedAt)
      .where(sql`route_status = 'pending'`),
  ],
);

export const membersRelations = relations(members, ({ many }) => ({
  checkIns: many(checkIns),
  messages: many(messages),
}));
export const checkInsRelations = relations(checkIns, ({ one }) => ({
  member: one(members, { fields: [checkIns.memberId], references: [members.id] }),
}));
export const messagesRelations = relations(messages, ({ one }) => ({
  member: one(members, { fields: [messages.memberId], references: [members.id] }),
}));

export type Member = typeof members.$inferSelect;
export type NewMember = typeof members.$inferInsert;
export type CheckIn = typeof checkIns.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type InboundMessage = typeof inboundMessages.$inferSelect;
