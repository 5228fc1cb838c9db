/**
 * Replies from guests to a campaign (routed by conversation routing) and a campaign's test sends; written only
 * through db/campaigns.ts. A reply's text stays in `inbound_messages` (its one home, under the same storage
 * rules as every inbound text): a reply row points at it.
 */
import { bigint, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { RSVP_ANSWERS } from '../workflows/guest-campaign/replies.js';
import { campaigns, guests } from './campaigns-schema.js';

export const campaignReplies = pgTable(
  'campaign_replies',
  {
    /** inbound_messages.id: a redelivered or re-routed text is one reply. */
    inboundId: bigint('inbound_id', { mode: 'number' }).primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    guestId: uuid('guest_id')
      .notNull()
      .references(() => guests.id, { onDelete: 'cascade' }),
    answer: text('answer', { enum: RSVP_ANSWERS }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('campaign_replies_campaign_idx').on(t.campaignId, t.guestId)],
);

export type CampaignReply = typeof campaignReplies.$inferSelect;

/**
 * A test send of a campaign's text to one of up to 5 numbers (staff, the organiser): sent as kind `campaign_test`
 * under the key `campaign:<id>:test:<test send id>`, without `campaign_id` — never counted in the campaign's
 * figures and never a guest's state.
 */
export const campaignTestSends = pgTable(
  'campaign_test_sends',
  {
    id: uuid('id').primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** E.164. */
    phone: text('phone').notNull(),
    /** Zone of the number (for the text's validity); UTC when it cannot be derived. */
    timezone: text('timezone').notNull(),
    /** Rendered for this guest; null = rendered from sample variables. */
    guestId: uuid('guest_id').references(() => guests.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('campaign_test_sends_campaign_idx').on(t.campaignId)],
);

export type CampaignTestSend = typeof campaignTestSends.$inferSelect;
