/**
 * Postgres schema (drizzle). Migrations are generated from this file with `npm run db:generate`
 * and committed under db/migrations.
 */
import { relations, sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  jsonb,
  primaryKey,
  bigint,
  date,
  doublePrecision,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  CHECK_IN_STATUSES,
  GOAL_STATUSES,
  MEMBER_STATUSES,
  RISK_LEVELS,
  TONES,
} from '../workflows/member/values.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const members = pgTable('members', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  phone: text('phone').notNull().unique(),
  timezone: text('timezone').notNull(),
  /** Local wall-clock time of the daily check-in prompt, "HH:MM". */
  checkInTime: text('check_in_time').notNull(),
  tone: text('tone', { enum: TONES }).notNull().default('friendly'),
  /** Written only through db/members.ts. */
  status: text('status', { enum: MEMBER_STATUSES }).notNull().default('active'),
  /** Mirrors the member workflow's risk level (low | medium | high), for listing and filtering. */
  riskLevel: text('risk_level', { enum: RISK_LEVELS }).notNull().default('low'),
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
    status: text('status', { enum: CHECK_IN_STATUSES }).notNull(),
    reflection: text('reflection'),
    mood: smallint('mood'),
    /** Whether the reflection passed moderation and may be shared (crews); null = nothing to share. */
    shareable: boolean('shareable'),
    inboundMessageId: bigint('inbound_message_id', { mode: 'number' }),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('check_ins_member_goal_date').on(t.memberId, t.goalId, t.localDate)],
);

/** A member's goals; the member workflow owns them (ids are per member) and mirrors them here. */
export const goals = pgTable(
  'goals',
  {
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    goalId: integer('goal_id').notNull(),
    title: text('title').notNull(),
    /** { kind: 'daily' } | { kind: 'times_per_week', times } | { kind: 'weekdays', days } */
    cadence: jsonb('cadence').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: GOAL_STATUSES }).notNull().default('active'),
    /** The AI plan (milestones, daily habits, weekly target) and what produced it (`<prompt>@<version>`). */
    plan: jsonb('plan').$type<Record<string, unknown>>(),
    planSource: text('plan_source'),
    createdOn: date('created_on').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.goalId] })],
);

/** Every change of a member's risk level, as published by the member workflow. */
export const riskEvents = pgTable(
  'risk_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    fromLevel: text('from_level').notNull(),
    toLevel: text('to_level').notNull(),
    /** The member's local date of the change. */
    localDate: date('local_date').notNull(),
    adherence7: doublePrecision('adherence_7'),
    consecutiveMisses: integer('consecutive_misses').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('risk_events_member_day_level').on(t.memberId, t.localDate, t.toLevel)],
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
    /** Set for guest-campaign messages (the campaign work fills it). */
    campaignId: text('campaign_id'),
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
    /** Twilio ValidityPeriod sent with it (seconds): a text still queued after that fails instead of arriving late. */
    validitySeconds: integer('validity_seconds'),
    attempts: integer('attempts').notNull().default(0),
    /** Set when the retention purge blanked `body` (RETENTION_MESSAGE_BODY_DAYS; sign-in codes sooner). */
    bodyPurgedAt: timestamp('body_purged_at', { withTimezone: true }),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('messages_member_idx').on(t.memberId, t.createdAt),
    // The daily cap, the frequency rules, the auto-reply limits and export/erasure read a number's texts.
    index('messages_to_phone_idx').on(t.toPhone, t.createdAt),
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
    /** As received, minus characters Postgres cannot carry (NUL, lone surrogates); '' for a media-only MMS. */
    body: text('body').notNull(),
    /** Media items (MMS) that came with it (Twilio's NumMedia). */
    numMedia: integer('num_media').notNull().default(0),
    /** Twilio's OptOutType (STOP | START | HELP) when the number's Messaging Service has Advanced Opt-Out. */
    optOutType: text('opt_out_type'),
    memberId: uuid('member_id').references(() => members.id, { onDelete: 'set null' }),
    /** What the text is: a compliance keyword (handled by us) or a message for the owning workflow. */
    kind: text('kind', { enum: ['opt_out', 'opt_in', 'help', 'message'] })
      .notNull()
      .default('message'),
    keyword: text('keyword'),
    /**
     * pending: not yet delivered to a workflow; routing: claimed by one process that is signalling now (a
     * duplicate webhook cannot claim it too); routed; unrouted: no workflow owns it (listed by GET /inbox).
     */
    routeStatus: text('route_status', { enum: ['pending', 'routing', 'routed', 'unrouted'] })
      .notNull()
      .default('pending'),
    /** When the routing claim was taken: a claim older than its lease (a crashed process) may be taken again. */
    routeClaimedAt: timestamp('route_claimed_at', { withTimezone: true }),
    routedTo: text('routed_to'),
    routeAttempts: integer('route_attempts').notNull().default(0),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    routedAt: timestamp('routed_at', { withTimezone: true }),
    /** Set when the retention purge blanked `body` (RETENTION_INBOUND_TEXT_DAYS). */
    bodyPurgedAt: timestamp('body_purged_at', { withTimezone: true }),
    /**
     * The W3C traceparent of the webhook request that stored it (tracing on), so a text the inbox drainer delivers
     * later stays in the webhook's trace. Null when tracing is off.
     */
    traceparent: text('traceparent'),
  },
  (t) => [
    index('inbound_pending_idx')
      .on(t.receivedAt)
      .where(sql`route_status in ('pending', 'routing')`),
    index('inbound_from_idx').on(t.fromPhone, t.id),
  ],
);

/**
 * Conversation routing: a text that expects an answer records who expects it. A non-keyword inbound from `phone`
 * goes to the newest open (unexpired) expectation's workflow; STOP/START reach every workflow with an open one.
 * Written only through db/inbound.ts (by the sendSms activity, in the transaction that claims the outbox row).
 */
export const conversationExpectations = pgTable(
  'conversation_expectations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    phone: text('phone').notNull(),
    /** A business workflow id (`member-<id>`, `crew-<id>`, …), never a run id. */
    workflowId: text('workflow_id').notNull(),
    /** What the expecting workflow accepts (e.g. `checkin_reply`), passed along in the reply signal. */
    accepts: text('accepts').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** The expecting send's idempotency key: a retried send records its expectation once. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    createdAt: createdAt(),
  },
  (t) => [index('expectations_phone_idx').on(t.phone, t.expiresAt)],
);

/** Numbers we must not text: opt-outs, carrier-reported unsubscribes/blocks, invalid or non-mobile numbers. */
export const suppressions = pgTable(
  'suppressions',
  {
    phone: text('phone').notNull(),
    reason: text('reason', {
      enum: ['opt_out', 'carrier_unsubscribed', 'carrier_blocked', 'invalid_number'],
    }).notNull(),
    source: text('source').notNull(),
    /** Provider error code or keyword that caused it. */
    detail: text('detail'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.phone, t.reason] })],
);

/** The consent ledger: every opt-in and opt-out, with source and evidence. Append-only. */
export const consentEvents = pgTable(
  'consent_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    phone: text('phone').notNull(),
    /**
     * crew_pulses / crew_reflections: consent to share anonymised crew pulses / reflections (evidence names the crew).
     * checkins: a member's double opt-in to their check-in texts (source `signup`, evidence: the YES and the text shown).
     * mentorship: a mentor's YES by SMS to a match offer (source `signup`, evidence: the YES and the offer text shown).
     * checkins / crews / mentorship opt_out (and opt_in after one): a per-purpose revocation (db/consent-rules.ts).
     */
    purpose: text('purpose', {
      enum: [
        'transactional',
        'marketing',
        'all',
        'crew_pulses',
        'crew_reflections',
        'checkins',
        'mentorship',
        'crews',
      ],
    }).notNull(),
    action: text('action', { enum: ['opt_in', 'opt_out'] }).notNull(),
    source: text('source', { enum: ['sms_keyword', 'api', 'import', 'carrier', 'signup'] }).notNull(),
    /** e.g. { inboundMessageId, keyword } or { apiClient, note } or { messageId, errorCode }. */
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull().default({}),
    /** Business key so a retried request or redelivered webhook records an event once. */
    dedupeKey: text('dedupe_key').unique(),
    /** Whether this event changed the number's state (a second STOP does not: no second confirmation). */
    changed: boolean('changed').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [index('consent_phone_idx').on(t.phone, t.createdAt)],
);

/** Every status a provider reported for an outbound message, in arrival order (the message's timeline). */
export const messageStatusEvents = pgTable(
  'message_status_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    messageId: bigint('message_id', { mode: 'number' })
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    status: text('status').notNull(),
    errorCode: integer('error_code'),
    /** Whether this report moved the message's status (late or out-of-order reports do not). */
    applied: integer('applied').notNull().default(1),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('status_events_message_idx').on(t.messageId, t.id)],
);

export const membersRelations = relations(members, ({ many }) => ({
  checkIns: many(checkIns),
  goals: many(goals),
  riskEvents: many(riskEvents),
  messages: many(messages),
}));
export const goalsRelations = relations(goals, ({ one }) => ({
  member: one(members, { fields: [goals.memberId], references: [members.id] }),
}));
export const riskEventsRelations = relations(riskEvents, ({ one }) => ({
  member: one(members, { fields: [riskEvents.memberId], references: [members.id] }),
}));
export const checkInsRelations = relations(checkIns, ({ one }) => ({
  member: one(members, { fields: [checkIns.memberId], references: [members.id] }),
}));
export const messagesRelations = relations(messages, ({ one, many }) => ({
  member: one(members, { fields: [messages.memberId], references: [members.id] }),
  statusEvents: many(messageStatusEvents),
}));
export const messageStatusEventsRelations = relations(messageStatusEvents, ({ one }) => ({
  message: one(messages, { fields: [messageStatusEvents.messageId], references: [messages.id] }),
}));

export type Member = typeof members.$inferSelect;
export type NewMember = typeof members.$inferInsert;
export type CheckIn = typeof checkIns.$inferSelect;
export type Goal = typeof goals.$inferSelect;
export type RiskEvent = typeof riskEvents.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type InboundMessage = typeof inboundMessages.$inferSelect;
export type Suppression = typeof suppressions.$inferSelect;
export type ConsentEvent = typeof consentEvents.$inferSelect;
export type MessageStatusEvent = typeof messageStatusEvents.$inferSelect;

/** Per-member OpenAI spend per UTC day: read before each AI call (daily budget), upserted after it. */
export const aiUsage = pgTable(
  'ai_usage',
  {
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    /** UTC calendar day. */
    day: date('day').notNull(),
    requests: integer('requests').notNull().default(0),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    costMicroUsd: bigint('cost_micro_usd', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.day] })],
);

/**
 * Sender pacing: the next free send slot per sender. Each send reserves `segments ÷ MPS` seconds with one atomic
 * upsert (no lock is held), so sends from every worker process are spaced evenly; the rate-limited sender task
 * queue keeps the backlog in Temporal.
 */
export const smsPacing = pgTable('sms_pacing', {
  sender: text('sender').primaryKey(),
  nextSlotAt: timestamp('next_slot_at', { withTimezone: true }).notNull(),
  /** When the last send was actually released: a late send pushes the next one back, never into a burst. */
  lastSentAt: timestamp('last_sent_at', { withTimezone: true }),
});
export * from './crew-schema.js';
export * from './campaigns-schema.js';
export * from './guest-imports-schema.js';
export * from './campaign-replies-schema.js';
export * from './access-schema.js';
export * from './mentorship-schema.js';
export * from './audit-schema.js';
export * from './erasure-schema.js';
export * from './subject-keys-schema.js';
