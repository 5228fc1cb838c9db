/**
 * Guest campaigns: guest lists, guests (with their consent evidence), campaigns and the per-guest send state.
 * Written only through db/campaigns.ts.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { CAMPAIGN_SENDERS } from '../workflows/guest-campaign/delivery.js';
import type { LocalSchedule } from '../workflows/guest-campaign/schedule.js';
import { CAMPAIGN_STATUSES, RECIPIENT_STATES } from '../workflows/guest-campaign/values.js';
import type { CampaignVariant } from '../workflows/guest-campaign/variants.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const guestLists = pgTable('guest_lists', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const guests = pgTable(
  'guests',
  {
    id: uuid('id').primaryKey(),
    listId: uuid('list_id')
      .notNull()
      .references(() => guestLists.id, { onDelete: 'cascade' }),
    /** E.164. */
    phone: text('phone').notNull(),
    name: text('name'),
    timezone: text('timezone').notNull(),
    /** Free template variables (e.g. `table`, `event_time`). */
    variables: jsonb('variables').$type<Record<string, string>>().notNull().default({}),
    /** Consent evidence present at import: without it the guest is never texted. */
    consent: boolean('consent').notNull(),
    consentSource: text('consent_source'),
    consentAt: timestamp('consent_at', { withTimezone: true }),
    consentText: text('consent_text'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('guests_list_phone').on(t.listId, t.phone), index('guests_phone_idx').on(t.phone)],
);

export const campaigns = pgTable('campaigns', {
  id: uuid('id').primaryKey(),
  listId: uuid('list_id')
    .notNull()
    .references(() => guestLists.id, { onDelete: 'restrict' }),
  name: text('name').notNull(),
  /** The text (with variants: variant 0's, the one test sends use). */
  template: text('template').notNull(),
  /** A/B variants (2–4 templates with weights); null: the single `template`. */
  variants: jsonb('variants').$type<CampaignVariant[]>(),
  /** The brand the texts start with (the API's BRAND_NAME when the campaign was created). */
  brand: text('brand').notNull(),
  segmentBudget: integer('segment_budget').notNull(),
  /** Mirrors the workflow's status; `paused`/`cancelled` are read by the send activity before each text. */
  status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('draft'),
  startAt: timestamp('start_at', { withTimezone: true }),
  /** "Each guest at HH:MM in their own zone" (null: everyone at `startAt` or now). */
  sendAtLocal: jsonb('send_at_local').$type<LocalSchedule>(),
  /** The campaign's own rate limit in segments/s (null: its fair share of the sender); read before each send. */
  rateMps: doublePrecision('rate_mps'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** One row per guest of a campaign: who got it and who did not, and why. */
export const campaignRecipients = pgTable(
  'campaign_recipients',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    guestId: uuid('guest_id')
      .notNull()
      .references(() => guests.id, { onDelete: 'cascade' }),
    state: text('state', { enum: RECIPIENT_STATES }).notNull().default('pending'),
    reason: text('reason'),
    /** While held: when the gate allows the next attempt. */
    heldUntil: timestamp('held_until', { withTimezone: true }),
    messageId: bigint('message_id', { mode: 'number' }),
    /** 0 = the campaign's send; n = the n-th "send again to those not delivered" (its own idempotency key). */
    round: integer('round').notNull().default(0),
    /** 0-based index into the campaign's `variants`, fixed when the recipients are prepared (null: no variants). */
    variant: integer('variant'),
    /**
     * The sender of the guest's current text: `secondary` once a delivery failure (30003/30007) put the guest back
     * for the second sender — it is texted from there once, never again from either.
     */
    sender: text('sender', { enum: CAMPAIGN_SENDERS }).notNull().default('primary'),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.guestId] }),
    index('campaign_recipients_state_idx')
      .on(t.campaignId, t.guestId)
      .where(sql`state in ('pending', 'held')`),
  ],
);

export type GuestList = typeof guestLists.$inferSelect;
export type Guest = typeof guests.$inferSelect;
export type NewGuest = typeof guests.$inferInsert;
export type Campaign = typeof campaigns.$inferSelect;
export type CampaignRecipient = typeof campaignRecipients.$inferSelect;
